package dev.vantage.replication.internal;

import java.nio.ByteBuffer;

import com.github.luben.zstd.Zstd;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 and zstd (level 1) block compression over direct buffers. One instance per thread (the LZ4 objects are
 * thread-safe, the instance keeps none of its own state beyond them, but callers pass their own buffers).
 */
public final class BlockCompressor {

    public static final int ZSTD_LEVEL = 1;
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private final LZ4Compressor lz4Compressor = LZ4.fastCompressor();
    private final LZ4SafeDecompressor lz4Decompressor = LZ4.safeDecompressor();

    /** Capacity a destination buffer needs for any codec and a block of {@code blockSizeBytes}. */
    public static int maxCompressedLength(int blockSizeBytes) {
        return (int) Math.max(LZ4.fastCompressor().maxCompressedLength(blockSizeBytes), Zstd.compressBound(blockSizeBytes));
    }

    /**
     * Compresses {@code src[0..length)} into {@code dst} from 0 with {@code codec}; returns the compressed length,
     * or -1 when it would not be smaller than the input (the caller then sends the block raw).
     */
    public int compress(Codec codec, ByteBuffer src, int length, ByteBuffer dst) {
        int n;
        switch (codec) {
            case LZ4:
                n = lz4Compressor.compress(src, 0, length, dst, 0, dst.limit());
                break;
            case ZSTD:
                long r = Zstd.compressDirectByteBuffer(dst, 0, dst.limit(), src, 0, length, ZSTD_LEVEL);
                if (Zstd.isError(r)) {
                    return -1;
                }
                n = (int) r;
                break;
            default:
                return -1;
        }
        return n < length ? n : -1;
    }

    /**
     * Decompresses {@code compressedLength} bytes of {@code src} from 0 into {@code dst} from 0 (at most its limit); returns the
     * decompressed length, or -1 when the input is not valid for the codec.
     */
    public int decompress(Codec codec, ByteBuffer src, int compressedLength, ByteBuffer dst) {
        try {
            switch (codec) {
                case LZ4:
                    return lz4Decompressor.decompress(src, 0, compressedLength, dst, 0, dst.limit());
                case ZSTD:
                    long r = Zstd.decompressDirectByteBuffer(dst, 0, dst.limit(), src, 0, compressedLength);
                    return Zstd.isError(r) ? -1 : (int) r;
                default:
                    return -1;
            }
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
