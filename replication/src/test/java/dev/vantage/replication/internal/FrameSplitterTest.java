package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class FrameSplitterTest {

    @Test
    void shouldDeliverEveryFrameIntactHoweverTheStreamIsCutIntoReads() {
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            List<byte[]> frames = new ArrayList<>();
            ByteBuf stream = Unpooled.buffer();
            int count = 1 + random.nextInt(20);
            for (int i = 0; i < count; i++) {
                byte[] frame = new byte[random.nextInt(4) == 0 ? random.nextInt(4) : random.nextInt(70_000)];
                random.nextBytes(frame);
                frames.add(frame);
                stream.writeInt(frame.length).writeBytes(frame);
            }
            EmbeddedChannel channel = new EmbeddedChannel(new FrameSplitter(1 << 20));
            while (stream.isReadable()) {
                // Cuts anywhere: inside length prefixes, inside frames, several frames in one read.
                int n = Math.min(stream.readableBytes(), 1 + random.nextInt(random.nextBoolean() ? 7 : 200_000));
                channel.writeInbound(stream.readRetainedSlice(n));
            }
            stream.release();
            for (byte[] expected : frames) {
                ByteBuf got = channel.readInbound();
                assertThat(got).as("trial %d", trial).isNotNull();
                assertThat(ByteBufUtil.getBytes(got)).isEqualTo(expected);
                got.release();
            }
            assertThat(channel.inboundMessages()).isEmpty();
            assertThat(channel.finish()).isFalse();
        }
    }

    @Test
    void shouldPassAFrameWithinOneReadAsASliceOfThatReadWithoutCopying() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameSplitter(1 << 20));
        ByteBuf read = Unpooled.directBuffer().writeInt(3).writeBytes(new byte[] {1, 2, 3}).writeInt(1).writeByte(9);
        channel.writeInbound(read);
        ByteBuf first = channel.readInbound();
        ByteBuf second = channel.readInbound();
        // Shares the read's memory: a change to the read shows in the frames.
        read.setByte(4, 42);
        read.setByte(11, 43);
        assertThat(ByteBufUtil.getBytes(first)).containsExactly(42, 2, 3);
        assertThat(ByteBufUtil.getBytes(second)).containsExactly(43);
        first.release();
        second.release();
        assertThat(read.refCnt()).isZero();
    }

    @Test
    void shouldCloseTheConnectionOnALengthBeyondTheLimit() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameSplitter(1024));
        ByteBuf read = Unpooled.buffer().writeInt(1025).writeBytes(new byte[2000]);
        try {
            channel.writeInbound(read);
        } catch (RuntimeException e) {
            assertThat(e).hasMessage("frame length: 1025 (expected: <= 1024)");
        }
        assertThat(channel.isOpen()).isFalse();
        assertThat(read.refCnt()).isZero();
        assertThat(channel.inboundMessages()).isEmpty();
    }

    @Test
    void shouldReleaseAHalfAssembledFrameWhenTheConnectionCloses() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameSplitter(1 << 20));
        channel.writeInbound(Unpooled.buffer().writeInt(100).writeBytes(new byte[40]));
        assertThat(channel.inboundMessages()).isEmpty();
        channel.close();
        assertThat(channel.finish()).isFalse();
    }
}
