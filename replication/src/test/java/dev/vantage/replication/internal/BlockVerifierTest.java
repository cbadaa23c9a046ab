package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class BlockVerifierTest {

    private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final BlockVerifier verifier = new BlockVerifier();

    private static byte[] compressibleBlock() {
        byte[] block = new byte[65536];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) "replicated block ".charAt(i % 17);
        }
        return block;
    }

    private static Frame blockFrame(byte[] raw, Codec codec, ByteBuf payload) {
        long[] hash = new long[2];
        BlockHasher.hash(raw, 0, raw.length, hash);
        Frame frame = new Frame().reset(FrameType.BLOCK);
        frame.hashHigh = hash[0];
        frame.hashLow = hash[1];
        frame.rawLength = raw.length;
        frame.codec = codec;
        frame.payload = payload;
        return frame;
    }

    @Test
    void shouldVerifyARawPayloadInPlace() {
        byte[] raw = new byte[65536];
        new Random(1).nextBytes(raw);
        ByteBuf payload = Unpooled.directBuffer(raw.length).writeBytes(raw);
        Frame frame = blockFrame(raw, Codec.RAW, payload);
        verifier.verify(frame, alloc);
        assertThat(frame.verified).isTrue();
        assertThat(frame.payload).isSameAs(payload);
        payload.release();
    }

    @Test
    void shouldLeaveARawPayloadWithOneFlippedBitUnverifiedAndUntouched() {
        byte[] raw = new byte[65536];
        new Random(2).nextBytes(raw);
        ByteBuf payload = Unpooled.directBuffer(raw.length).writeBytes(raw);
        Frame frame = blockFrame(raw, Codec.RAW, payload);
        payload.setByte(777, payload.getByte(777) ^ 0x10);
        verifier.verify(frame, alloc);
        assertThat(frame.verified).isFalse();
        assertThat(frame.payload).isSameAs(payload);
        payload.release();
    }

    @Test
    void shouldReplaceACompressedPayloadByItsVerifiedRawBytes() {
        byte[] raw = compressibleBlock();
        ByteBuffer src = ByteBuffer.allocateDirect(raw.length).put(raw).flip();
        ByteBuffer dst = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(raw.length));
        int n = new BlockCompressor().compress(Codec.LZ4, src, raw.length, dst);
        assertThat(n).isPositive().isLessThan(raw.length);
        ByteBuf payload = Unpooled.directBuffer(n).writeBytes(dst.limit(n));
        Frame frame = blockFrame(raw, Codec.LZ4, payload);
        verifier.verify(frame, alloc);
        assertThat(frame.verified).isTrue();
        assertThat(frame.codec).isEqualTo(Codec.RAW);
        assertThat(payload.refCnt()).isZero();
        assertThat(ByteBufUtil.getBytes(frame.payload)).isEqualTo(raw);
        frame.payload.release();
    }

    @Test
    void shouldLeaveACompressedPayloadThatDoesNotMatchItsHashAsItWas() {
        byte[] raw = compressibleBlock();
        ByteBuffer src = ByteBuffer.allocateDirect(raw.length).put(raw).flip();
        ByteBuffer dst = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(raw.length));
        int n = new BlockCompressor().compress(Codec.ZSTD, src, raw.length, dst);
        ByteBuf payload = Unpooled.directBuffer(n).writeBytes(dst.limit(n));
        raw[100] ^= 1;
        Frame frame = blockFrame(raw, Codec.ZSTD, payload);
        verifier.verify(frame, alloc);
        assertThat(frame.verified).isFalse();
        assertThat(frame.codec).isEqualTo(Codec.ZSTD);
        assertThat(frame.payload).isSameAs(payload);
        assertThat(payload.refCnt()).isOne();
        payload.release();
    }
}
