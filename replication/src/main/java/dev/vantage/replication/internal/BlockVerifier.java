package dev.vantage.replication.internal;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import dev.vantage.replication.Volume;

/**
 * Checks a BLOCK frame's payload against its content hash where the frame is decoded (the receiver's event loop),
 * so that the applier thread, the receiver's bottleneck, only writes: a raw payload is hashed where it lies in the
 * read buffer (no copy), a compressed one is decompressed into a buffer of its own that replaces the payload. A frame
 * that does not verify is left exactly as it was and not marked, and the applier checks it again and rejects it with
 * the precise reason. One instance per connection handler (event loop thread).
 */
final class BlockVerifier {

    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);
    private final BlockCompressor compressor = new BlockCompressor();
    private final long[] hash = new long[2];

    /** Marks {@code frame} {@link Frame#verified} when its payload decodes to its raw length and matches its hash. */
    void verify(Frame frame, ByteBufAllocator alloc) {
        ByteBuf payload = frame.payload;
        int n = payload == null ? 0 : payload.readableBytes();
        int rawLength = frame.rawLength;
        if (rawLength < 0 || rawLength > Volume.MAX_BLOCK_SIZE_BYTES || (payload != null && payload.nioBufferCount() != 1)) {
            return;
        }
        if (frame.codec == Codec.RAW) {
            if (n == rawLength) {
                BlockHasher.hash(n == 0 ? EMPTY : payload.nioBuffer(), 0, n, hash);
                frame.verified = hash[0] == frame.hashHigh && hash[1] == frame.hashLow;
            }
            return;
        }
        if (n == 0 || rawLength == 0) {
            return;
        }
        ByteBuf decoded = alloc.directBuffer(rawLength, rawLength);
        boolean matched = false;
        try {
            ByteBuffer dst = decoded.nioBuffer(0, rawLength);
            if (compressor.decompress(frame.codec, payload.nioBuffer(), n, dst) == rawLength) {
                BlockHasher.hash(dst, 0, rawLength, hash);
                matched = hash[0] == frame.hashHigh && hash[1] == frame.hashLow;
            }
        } finally {
            if (!matched) {
                decoded.release();
            }
        }
        if (matched) {
            decoded.writerIndex(rawLength);
            payload.release();
            frame.payload = decoded;
            frame.codec = Codec.RAW;
            frame.verified = true;
        }
    }
}
