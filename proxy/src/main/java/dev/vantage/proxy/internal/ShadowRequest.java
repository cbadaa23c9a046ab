package dev.vantage.proxy.internal;

import dev.vantage.config.Route;
import dev.vantage.proxy.AttemptOutcome;
import dev.vantage.proxy.UpstreamEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One shadow copy of a request: its own short-lived connection (on the request's event loop) to the shadow
 * upstream, the request head with {@code Connection: close}, the response read, counted and dropped, and the
 * outcome reported once to the selector. Kept apart from the user's exchange and pools on purpose: a shadow can
 * be slow or fail without touching the user's request.
 *
 * <p>Confined to its event loop; allocates per shadow (shadows are a sampled share of safe requests).
 */
final class ShadowRequest extends SimpleChannelInboundHandler<HttpObject> implements ChannelFutureListener {

    private static final byte[] CLOSE_AND_END = Http1.ascii("\r\nConnection: close\r\n\r\n");

    private final LoopContext loop;
    private final Route route;
    private final UpstreamEndpoint target;
    private final long startNanos = System.nanoTime();
    private ByteBuf request;
    private int status;
    private long bodyBytes;
    private boolean reported;

    private ShadowRequest(LoopContext loop, Route route, UpstreamEndpoint target, ByteBuf request) {
        this.loop = loop;
        this.route = route;
        this.target = target;
        this.request = request;
    }

    /** Sends a copy of {@code upstreamHead} (the rewritten head without its final CRLF) to {@code target}. */
    static void send(LoopContext loop, Route route, UpstreamEndpoint target, ByteBuf upstreamHead,
                     boolean headRequest, long connectTimeoutMillis, long responseTimeoutMillis) {
        ByteBuf request = loop.eventLoop.isShuttingDown() ? null
                : upstreamHead.alloc().directBuffer(upstreamHead.writerIndex() + CLOSE_AND_END.length);
        if (request == null) {
            return;
        }
        request.writeBytes(upstreamHead, 0, upstreamHead.writerIndex()).writeBytes(CLOSE_AND_END);
        target.requestStarted();
        loop.metrics.increment(LoopMetrics.SHADOW_REQUESTS);
        ShadowRequest shadow = new ShadowRequest(loop, route, target, request);
        InetSocketAddress address = loop.pool(target).address();
        loop.bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(
                                new ReadTimeoutHandler(responseTimeoutMillis, TimeUnit.MILLISECONDS),
                                new HttpResponseDecoder() {
                                    @Override
                                    protected boolean isContentAlwaysEmpty(HttpMessage message) {
                                        return headRequest || super.isContentAlwaysEmpty(message);
                                    }
                                },
                                shadow);
                    }
                })
                .connect(address)
                .addListener(shadow);
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        ByteBuf toSend = request;
        request = null;
        if (!future.isSuccess()) {
            toSend.release();
            report(AttemptOutcome.CONNECT_FAILURE);
            return;
        }
        future.channel().writeAndFlush(toSend);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        if (message instanceof HttpResponse) {
            HttpResponse response = (HttpResponse) message;
            if (!response.decoderResult().isSuccess()) {
                report(AttemptOutcome.RESET);
                ctx.close();
                return;
            }
            int code = response.status().code();
            if (code >= 100 && code < 200) {
                return;
            }
            status = code;
        }
        if (message instanceof HttpContent) {
            bodyBytes += ((HttpContent) message).content().readableBytes();
        }
        if (message instanceof LastHttpContent && status >= 200) {
            report(AttemptOutcome.RESPONSE);
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        report(cause instanceof ReadTimeoutException ? AttemptOutcome.TIMEOUT : AttemptOutcome.RESET);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (status >= 200) {
            report(AttemptOutcome.RESPONSE);
        } else {
            report(AttemptOutcome.RESET);
        }
        super.channelInactive(ctx);
    }

    private void report(AttemptOutcome outcome) {
        if (reported) {
            return;
        }
        reported = true;
        if (request != null) {
            request.release();
            request = null;
        }
        target.requestEnded();
        try {
            loop.engine.selector.onShadowEnd(route, target, outcome, outcome == AttemptOutcome.RESPONSE ? status : 0,
                    bodyBytes, System.nanoTime() - startNanos);
        } catch (RuntimeException e) {
            // a selector's failure must not affect the event loop
        }
    }
}
