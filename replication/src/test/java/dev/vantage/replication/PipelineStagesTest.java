package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class PipelineStagesTest {

    @Test
    void shouldRoundTripAFrameAndRejectAFlippedBit() {
        PipelineStages stages = new PipelineStages();
        byte[] data = TestData.compressible(65_536, 1);
        ByteBuffer block = ByteBuffer.allocateDirect(data.length).put(data);
        long[] hash = new long[2];
        PipelineStages.hash(block, data.length, hash);
        ByteBuffer compressed = ByteBuffer.allocateDirect(PipelineStages.maxCompressedLength(data.length));
        int n = stages.compress(dev.vantage.config.Compression.LZ4, block, data.length, compressed);
        assertThat(n).isPositive().isLessThan(data.length);

        ByteBuf frame = stages.encodeBlockFrame("r", 42, 7, hash[0], hash[1], compressed, n,
                PooledByteBufAllocator.DEFAULT);
        try {
            assertThat(stages.decodeFrame(frame)).isEqualTo(42);
            frame.setByte(frame.writerIndex() / 2, frame.getByte(frame.writerIndex() / 2) ^ 0x01);
            assertThatThrownBy(() -> stages.decodeFrame(frame)).hasMessageContaining("checksum mismatch (sequence 42)");
        } finally {
            frame.release();
        }
    }
}
