package dev.vantage.replication.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits the replication byte stream into its length-prefixed frames ({@code [u32 length][frame]}) without copying
 * the frames that arrive within one read: those go on as retained slices of the read buffer. Only a frame that
 * straddles two reads is assembled, once, in a buffer of its exact size. Netty's {@code LengthFieldBasedFrameDecoder}
 * instead merges each new read into its cumulation buffer, and as soon as a slice of that buffer is still held
 * downstream (the applier holds every block until it is written) the merge copies the whole read: on a stream of
 * 64 KiB frames, nearly every byte. A length outside {@code 0..maxFrameBytes} closes the connection. Event loop
 * only.
 */
public final class FrameSplitter extends ChannelInboundHandlerAdapter {

    private final int maxFrameBytes;
    /** A length prefix cut by the end of a read. */
    private final byte[] prefix = new byte[4];
    private int prefixBytes;
    /** The frame being assembled across reads (its writer index is how much arrived), or null. */
    private ByteBuf partial;
    private int partialLength;
    private boolean failed;

    public FrameSplitter(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            while (in.isReadable() && !failed) {
                if (partial != null) {
                    int n = Math.min(partialLength - partial.writerIndex(), in.readableBytes());
                    partial.writeBytes(in, n);
                    if (partial.writerIndex() == partialLength) {
                        ByteBuf frame = partial;
                        partial = null;
                        ctx.fireChannelRead(frame);
                    }
                    continue;
                }
                int length;
                if (prefixBytes > 0 || in.readableBytes() < 4) {
                    while (prefixBytes < 4 && in.isReadable()) {
                        prefix[prefixBytes++] = in.readByte();
                    }
                    if (prefixBytes < 4) {
                        break;
                    }
                    prefixBytes = 0;
                    length = (prefix[0] & 0xff) << 24 | (prefix[1] & 0xff) << 16 | (prefix[2] & 0xff) << 8
                            | (prefix[3] & 0xff);
                } else {
                    length = in.readInt();
                }
                if (length < 0 || length > maxFrameBytes) {
                    failed = true;
                    ctx.fireExceptionCaught(new CorruptedFrameException("frame length: " + (length & 0xffffffffL)
                            + " (expected: <= " + maxFrameBytes + ")"));
                    ctx.close();
                    break;
                }
                if (in.readableBytes() >= length) {
                    ByteBuf frame = in.retainedSlice(in.readerIndex(), length);
                    in.skipBytes(length);
                    ctx.fireChannelRead(frame);
                } else {
                    partial = ctx.alloc().directBuffer(length, length);
                    partialLength = length;
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
