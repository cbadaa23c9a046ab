package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

class FrameCodecVersionTest {

    @Test
    void shouldCarryTheBlockVersionOfAMultiMasterFrame() throws Exception {
        FrameCodec codec = new FrameCodec();
        Frame out = new Frame().reset(FrameType.REFERENCE).resourceId("desktop");
        out.epoch = 3;
        out.sequence = 9;
        out.hlcPhysicalMillis = 1_700_000_000_123L;
        out.hlcLogical = 4;
        out.writerSite.append("eu");
        out.versionVector.append("eu=2,us=1");
        ByteBuf buf = codec.encode(out, ByteBufAllocator.DEFAULT);
        try {
            Frame in = new Frame();
            codec.decode(buf, in);
            assertThat(in.type).isEqualTo(FrameType.REFERENCE);
            assertThat(in.hlcPhysicalMillis).isEqualTo(1_700_000_000_123L);
            assertThat(in.hlcLogical).isEqualTo(4);
            assertThat(in.writerSite.toString()).isEqualTo("eu");
            assertThat(in.versionVector.toString()).isEqualTo("eu=2,us=1");
            assertThat(in.payload).isNull();
        } finally {
            buf.release();
        }
    }

    @Test
    void shouldRejectAFrameOfTheFormerProtocolVersionWithAClearError() {
        FrameCodec codec = new FrameCodec();
        ByteBuf buf = codec.encode(new Frame().reset(FrameType.HELLO).resourceId("desktop"), ByteBufAllocator.DEFAULT);
        try {
            int at = -1;
            for (int i = 2; i < 6 && at < 0; i++) {
                if (buf.getByte(i) == FrameCodec.VERSION) {
                    at = i;
                }
            }
            assertThat(at).as("offset of the version byte").isPositive();
            buf.setByte(at, 1);
            assertThatThrownBy(() -> codec.decode(buf, new Frame()))
                    .isInstanceOf(FrameCodec.CorruptFrameException.class)
                    .hasMessageContaining("frame version: 1 (expected: " + FrameCodec.VERSION);
        } finally {
            buf.release();
        }
    }
}
