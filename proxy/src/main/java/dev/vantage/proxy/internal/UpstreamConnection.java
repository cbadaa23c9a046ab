package dev.vantage.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One keep-alive connection to an upstream: reads the response of the exchange it is attached to, forwards it to
 * the client with backpressure, and tells the {@link FrontendConnection} when the response head arrived, when the
 * response is complete (and whether the connection may be reused) and when it failed.
 *
 * <p>Invariants: attached to at most one client exchange at a time; detaches itself (state {@code IDLE},
 * {@code front == null}) before any callback that may hand it to the next exchange; every received buffer is
 * forwarded or released. Confined to its event loop (the same loop as its client connections).
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter implements ChannelFutureListener {

    private static final int IDLE = 0;
    private static final int HEAD = 1;
    private static final int LENGTH = 2;
    private static final int CHUNKED = 3;
    private static final int UNTIL_CLOSE = 4;
    private static final int TUNNEL = 5;

    private static final int MAX_HEAD_BYTES = 65536;

    private final UpstreamPool pool;
    private FrontendConnection requester;
    private Channel channel;
    private FrontendConnection front;
    private int state = IDLE;
    private ByteBuf cumulation;
    private int scanned;
    private long remaining;
    private ChunkedParser chunks;
    private boolean dechunk;
    private boolean keepAlive;
    private boolean broken;
    private boolean headRequest;
    private boolean upgradeRequested;
    private boolean readPaused;
    private Channel flushTarget;
    long idleSinceNanos;
    /** Exchanges started on this connection; above 1 it was reused from the pool. */
    int exchanges;
    /** Response body bytes of the current exchange (chunked: payload only), for shadow comparison. */
    long bodyBytes;

    UpstreamConnection(UpstreamPool pool, FrontendConnection requester) {
        this.pool = pool;
        this.requester = requester;
    }

    Channel channel() {
        return channel;
    }

    UpstreamPool pool() {
        return pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        FrontendConnection waiting = requester;
        requester = null;
        pool.connected(this, waiting, future.isSuccess());
    }

    /** Starts an exchange: the request head is about to be written by {@code client}. */
    void attach(FrontendConnection client, boolean head, boolean upgrade) {
        front = client;
        exchanges++;
        state = HEAD;
        scanned = 0;
        broken = false;
        bodyBytes = 0;
        headRequest = head;
        upgradeRequested = upgrade;
    }

    /** Ends the exchange without a callback (the client gave up or asked for a retry); the caller closes. */
    void detach() {
        front = null;
        state = IDLE;
        releaseCumulation();
    }

    void write(ByteBuf data) {
        channel.write(data, channel.voidPromise());
    }

    /** Backpressure from the client side: stop or resume reading the upstream. */
    void pauseRead(boolean pause) {
        if (readPaused != pause) {
            readPaused = pause;
            channel.config().setAutoRead(!pause);
        }
    }

    void markFlush(Channel target) {
        flushTarget = target;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        FrontendConnection client = front;
        if (client == null || state == IDLE) {
            // Bytes nobody asked for: the connection cannot be trusted for another exchange.
            in.release();
            broken = true;
            ctx.close();
            return;
        }
        switch (state) {
            case TUNNEL:
                client.writeClient(in);
                return;
            case HEAD:
                cumulate(ctx, in);
                onHeadBytes(ctx, client);
                return;
            default:
                onBody(client, in);
        }
    }

    private void onHeadBytes(ChannelHandlerContext ctx, FrontendConnection client) {
        while (state == HEAD && cumulation != null) {
            int end = headEnd();
            if (end < 0) {
                if (cumulation.readableBytes() > MAX_HEAD_BYTES) {
                    failHead(client, "upstream response head larger than " + MAX_HEAD_BYTES + " bytes");
                }
                return;
            }
            ResponseHeadParser parser = pool.loop.responseParser;
            int start = cumulation.readerIndex();
            ByteBuf clientHead = parser.parse(cumulation, start, end - start, headRequest, client.http10(),
                    client.clientKeepAlive(), upgradeRequested, client.responseExtras(), ctx.alloc());
            cumulation.readerIndex(end);
            scanned = 0;
            if (clientHead == null) {
                failHead(client, parser.error);
                return;
            }
            int status = parser.status;
            if (status < 200 && status != 101) {
                client.onInterim(this, clientHead);
                if (front != client) {
                    return;
                }
                continue;
            }
            keepAlive = parser.upstreamKeepAlive;
            dechunk = parser.dechunk;
            int framing = parser.framing;
            if (status == 101) {
                state = TUNNEL;
            } else if (framing == ResponseHeadParser.FRAMING_LENGTH) {
                state = LENGTH;
                remaining = parser.contentLength;
            } else if (framing == ResponseHeadParser.FRAMING_CHUNKED) {
                state = CHUNKED;
                if (chunks == null) {
                    chunks = new ChunkedParser();
                }
                chunks.reset();
            } else if (framing == ResponseHeadParser.FRAMING_CLOSE) {
                state = UNTIL_CLOSE;
            } else {
                state = IDLE;
            }
            if (!client.onResponseHead(this, status, parser.clientClose, clientHead) || front != client) {
                return;
            }
            ByteBuf rest = takeCumulation();
            if (state == IDLE) {
                if (rest != null) {
                    broken = true;
                    rest.release();
                }
                complete(client);
                return;
            }
            if (state == TUNNEL) {
                client.enterTunnel();
                if (rest != null) {
                    client.writeClient(rest);
                }
                return;
            }
            if (rest != null) {
                onBody(client, rest);
            }
            return;
        }
    }

    private void onBody(FrontendConnection client, ByteBuf in) {
        switch (state) {
            case LENGTH: {
                int readable = in.readableBytes();
                if (readable <= remaining) {
                    remaining -= readable;
                    bodyBytes += readable;
                    client.writeClient(in);
                } else {
                    int n = (int) remaining;
                    remaining = 0;
                    bodyBytes += n;
                    client.writeClient(in.retainedSlice(in.readerIndex(), n));
                    broken = true;
                    in.release();
                }
                if (remaining == 0) {
                    complete(client);
                }
                return;
            }
            case CHUNKED:
                onChunked(client, in);
                return;
            case UNTIL_CLOSE:
                bodyBytes += in.readableBytes();
                client.writeClient(in);
                return;
            default:
                in.release();
        }
    }

    private void onChunked(FrontendConnection client, ByteBuf in) {
        int index = in.readerIndex();
        int end = in.writerIndex();
        int runStart = index;
        while (index < end && !chunks.done() && !chunks.failed()) {
            int next = chunks.advance(in, index, end);
            if (dechunk && chunks.dataLength() > 0) {
                client.writeClient(in.retainedSlice(chunks.dataStart(), chunks.dataLength()));
            }
            index = next;
        }
        if (chunks.failed()) {
            in.release();
            abort(client);
            return;
        }
        if (!dechunk && index > runStart) {
            if (index == end) {
                client.writeClient(in);
                in = null;
            } else {
                client.writeClient(in.retainedSlice(runStart, index - runStart));
            }
        }
        if (in != null) {
            if (index < end) {
                broken = true;
            }
            in.release();
        }
        if (chunks.done()) {
            bodyBytes = chunks.dataBytes();
            complete(client);
        }
    }

    private void complete(FrontendConnection client) {
        boolean reusable = keepAlive && !broken;
        front = null;
        state = IDLE;
        releaseCumulation();
        pauseRead(false);
        client.onResponseComplete(this, reusable);
    }

    private void abort(FrontendConnection client) {
        detach();
        channel.close();
        client.onUpstreamAbort();
    }

    private void failHead(FrontendConnection client, String reason) {
        detach();
        channel.close();
        client.onBadResponse(this, reason);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel target = flushTarget;
        if (target != null) {
            flushTarget = null;
            target.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        FrontendConnection client = front;
        if (client != null && ctx.channel().isWritable()) {
            client.onUpstreamWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.closed(this);
        releaseCumulation();
        Channel target = flushTarget;
        if (target != null) {
            flushTarget = null;
            target.flush();
        }
        FrontendConnection client = front;
        if (client == null) {
            return;
        }
        int was = state;
        front = null;
        state = IDLE;
        if (was == HEAD) {
            client.onUpstreamReset(this);
        } else if (was == UNTIL_CLOSE) {
            client.onResponseComplete(this, false);
        } else {
            client.onUpstreamAbort();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void cumulate(ChannelHandlerContext ctx, ByteBuf in) {
        if (cumulation == null) {
            cumulation = in;
            return;
        }
        if (cumulation.refCnt() == 1 && cumulation.maxWritableBytes() >= in.readableBytes()
                && cumulation.writableBytes() >= in.readableBytes()) {
            cumulation.writeBytes(in);
            in.release();
            return;
        }
        ByteBuf merged = ctx.alloc().buffer(Math.max(256, 2 * (cumulation.readableBytes() + in.readableBytes())));
        merged.writeBytes(cumulation);
        merged.writeBytes(in);
        cumulation.release();
        in.release();
        cumulation = merged;
    }

    private ByteBuf takeCumulation() {
        ByteBuf rest = cumulation;
        cumulation = null;
        if (rest != null && !rest.isReadable()) {
            rest.release();
            return null;
        }
        return rest;
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    /** Index just after the empty line ending the head, or -1. Accepts LF LF too, for the parser to reject. */
    private int headEnd() {
        ByteBuf buf = cumulation;
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int from = start + scanned;
        while (from < end) {
            int lf = buf.indexOf(from, end, Http1.LF);
            if (lf < 0) {
                break;
            }
            if (lf > start && (buf.getByte(lf - 1) == Http1.LF
                    || (lf - 2 >= start && buf.getByte(lf - 1) == Http1.CR && buf.getByte(lf - 2) == Http1.LF))) {
                return lf + 1;
            }
            from = lf + 1;
        }
        // Rescan the last 3 bytes next time, so a terminator split across reads is found.
        scanned = Math.max(0, end - start - 3);
        return -1;
    }
}
