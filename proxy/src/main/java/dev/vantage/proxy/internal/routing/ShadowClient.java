package dev.vantage.proxy.internal.routing;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;

import dev.vantage.config.HostPort;

/**
 * Sends shadow copies of safe requests, fire and forget, on its own single thread so that a shadow never takes
 * event-loop time from user traffic: one connection per copy ({@code Connection: close}), a deadline, the response
 * body counted and discarded. The outcome (status, body bytes, latency) is handed back to the requesting loop. The body
 * bytes are counted whatever the framing: Content-Length, chunked (payload only) or delimited by the close.
 *
 * <p>Threading: {@link #send} may be called from any thread; results run on the executor given with the copy.
 */
final class ShadowClient implements AutoCloseable {

    /** Receives a shadow's outcome on the requesting loop. */
    interface Result {
        /**
         * @param status    -1 when the copy failed (connect, reset, timeout, truncated body)
         * @param bodyBytes the response body bytes received
         */
        void done(int status, long bodyBytes, long latencyNanos);
    }

    /** Header marking a shadow copy, so that logs and origins can tell it from user traffic. */
    static final String SHADOW_HEADER = "X-Vantage-Shadow";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("vantage-shadow", true), NioIoHandler.newFactory());
    private final Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true);
    private final AtomicLong inFlight = new AtomicLong();
    private final long maxInFlight;

    ShadowClient(long maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    /**
     * Sends {@code method target} with {@code Host: host} to {@code endpoint}; false (and nothing sent) when too many
     * shadows are in flight already.
     *
     * @param hopSiteId the hop header value when the endpoint is a peer site's ingress, else {@code null}
     */
    boolean send(HostPort endpoint, String method, String target, String host, String hopSiteId, long timeoutMillis,
                 Executor resultExecutor, Result result) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return false;
        }
        long startNanos = System.nanoTime();
        Outcome outcome = new Outcome(resultExecutor, result, startNanos);
        ChannelFuture connect = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new ResponseReader(outcome));
                    }
                })
                .connect(endpoint.host(), endpoint.port());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                outcome.finish(-1, -1);
                return;
            }
            Channel channel = connect.channel();
            channel.eventLoop().schedule(() -> {
                outcome.finish(-1, -1);
                channel.close();
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                    target);
            request.headers().set(HttpHeaderNames.HOST, host);
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            request.headers().set(SHADOW_HEADER, "1");
            if (hopSiteId != null) {
                request.headers().set(dev.vantage.proxy.RoutingDecision.HOP_HEADER, hopSiteId);
            }
            channel.writeAndFlush(request);
        });
        return true;
    }

    long inFlight() {
        return inFlight.get();
    }

    /** Reports once, whichever of response end, failure, close or deadline comes first. */
    private final class Outcome {
        private final Executor executor;
        private final Result result;
        private final long startNanos;
        private boolean done;
        private int status = -1;
        private long bodyBytes;

        Outcome(Executor executor, Result result, long startNanos) {
            this.executor = executor;
            this.result = result;
            this.startNanos = startNanos;
        }

        /** Runs on the shadow thread only. */
        void finish(int finalStatus, long finalLength) {
            if (done) {
                return;
            }
            done = true;
            inFlight.decrementAndGet();
            long latency = System.nanoTime() - startNanos;
            executor.execute(() -> result.done(finalStatus, finalLength, latency));
        }
    }

    private static final class ResponseReader extends SimpleChannelInboundHandler<HttpObject> {
        private final Outcome outcome;

        ResponseReader(Outcome outcome) {
            this.outcome = outcome;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
            if (message instanceof HttpResponse response) {
                outcome.status = response.status().code();
                outcome.bodyBytes = 0;
            }
            if (message instanceof HttpContent content) {
                outcome.bodyBytes += content.content().readableBytes();
            }
            if (message instanceof LastHttpContent) {
                if (message.decoderResult().isFailure()) {
                    outcome.finish(-1, -1);
                } else {
                    outcome.finish(outcome.status, outcome.bodyBytes);
                }
                ctx.close();
            }
        }

        /**
         * After the codec had its say: a body delimited by the close has ended with a {@link LastHttpContent} by now;
         * anything else that closes early is a failure.
         */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            outcome.finish(-1, -1);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
