package dev.vantage.replication;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import dev.vantage.config.Compression;
import dev.vantage.replication.internal.BlockCompressor;
import dev.vantage.replication.internal.BlockHasher;
import dev.vantage.replication.internal.Codec;
import dev.vantage.replication.internal.Frame;
import dev.vantage.replication.internal.FrameCodec;
import dev.vantage.replication.internal.FrameType;

/**
 * The per-block stages of the replication pipeline (XXH3-128 hashing, LZ4/zstd compression, frame encoding and
 * decoding) exactly as the sender and receiver run them, for benchmarks and tools. One instance per thread.
 */
public final class PipelineStages {

    private final BlockCompressor compressor = new BlockCompressor();
    private final FrameCodec codec = new FrameCodec();
    private final Frame frame = new Frame();
    private final Frame decoded = new Frame();

    /** Capacity a compression destination buffer needs for blocks of {@code blockSizeBytes}. */
    public static int maxCompressedLength(int blockSizeBytes) {
        return BlockCompressor.maxCompressedLength(blockSizeBytes);
    }

    /** XXH3-128 of {@code length} bytes of {@code block} from index 0 into {@code out[0..1]}. */
    public static void hash(ByteBuffer block, int length, long[] out) {
        BlockHasher.hash(block, 0, length, out);
    }

    /**
     * Compresses {@code length} bytes of direct buffer {@code src} into direct buffer {@code dst} (both from 0);
     * returns the compressed length, or -1 when the block does not shrink (it is then sent raw).
     */
    public int compress(Compression compression, ByteBuffer src, int length, ByteBuffer dst) {
        return compressor.compress(codecOf(compression), src, length, dst);
    }

    /** Decompresses into {@code dst} (at most its limit); returns the length, or -1 for invalid input. */
    public int decompress(Compression compression, ByteBuffer src, int compressedLength, ByteBuffer dst) {
        return compressor.decompress(codecOf(compression), src, compressedLength, dst);
    }

    /** Encodes a block frame carrying {@code payloadLength} bytes of {@code payload}; the caller owns the result. */
    public ByteBuf encodeBlockFrame(String resourceId, long sequence, long blockIndex, long hashHigh, long hashLow,
                                    ByteBuffer payload, int payloadLength, ByteBufAllocator alloc) {
        frame.reset(FrameType.BLOCK).resourceId(resourceId);
        frame.epoch = 1;
        frame.sequence = sequence;
        frame.blockIndex = blockIndex;
        frame.hashHigh = hashHigh;
        frame.hashLow = hashLow;
        frame.rawLength = payloadLength;
        return codec.encode(frame, payload, payloadLength, alloc);
    }

    /**
     * Decodes and checks (CRC32C) one frame without its length prefix; returns its sequence. {@code in} is not
     * released.
     *
     * @throws IllegalArgumentException when the frame is corrupt
     */
    public long decodeFrame(ByteBuf in) {
        try {
            codec.decode(in, decoded);
            return decoded.sequence;
        } catch (FrameCodec.CorruptFrameException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            if (decoded.payload != null) {
                decoded.payload.release();
                decoded.payload = null;
            }
        }
    }

    private static Codec codecOf(Compression compression) {
        return switch (compression) {
            case LZ4 -> Codec.LZ4;
            case ZSTD -> Codec.ZSTD;
            case NONE -> Codec.RAW;
        };
    }
}
