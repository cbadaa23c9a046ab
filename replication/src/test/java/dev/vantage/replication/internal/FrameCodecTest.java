package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);

    @Test
    void shouldRoundTripAPatchFrame() throws Exception {
        FrameCodec codec = new FrameCodec();
        Frame frame = new Frame().reset(FrameType.PATCH).resourceId("res-1");
        frame.sequence = 42;
        frame.blockIndex = 7;
        frame.value = 0b1010L;
        frame.rawLength = 65536;
        ByteBuffer payload = ByteBuffer.allocateDirect(8192);
        ByteBuf buf = codec.encode(frame, payload, 8192, alloc);
        Frame decoded = new Frame();
        try {
            codec.decode(buf, decoded);
            assertThat(decoded.type).isEqualTo(FrameType.PATCH);
            assertThat(decoded.value).isEqualTo(0b1010L);
            assertThat(decoded.payload.readableBytes()).isEqualTo(8192);
        } finally {
            if (decoded.payload != null) {
                decoded.payload.release();
            }
            buf.release();
        }
    }

    @Test
    void shouldRejectFramesOfAnOlderProtocolVersionWithAClearError() {
        Frame frame = new Frame().reset(FrameType.HELLO).resourceId("res-1");
        ByteBuf buf = new FrameCodec(FrameCodec.VERSION - 1).encode(frame, alloc);
        try {
            assertThatThrownBy(() -> new FrameCodec().decode(buf, new Frame()))
                    .isInstanceOf(FrameCodec.CorruptFrameException.class)
                    .hasMessage("frame version: " + (FrameCodec.VERSION - 1) + " (expected: " + FrameCodec.VERSION
                            + "; the peer runs an incompatible Vantage release)");
        } finally {
            buf.release();
        }
    }
}
