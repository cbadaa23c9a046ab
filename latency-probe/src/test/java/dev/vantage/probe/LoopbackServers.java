package dev.vantage.probe;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/** Real loopback servers for the probe tests: accept-only, echo, silent, and HTTP with an injected delay. */
final class LoopbackServers implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<Channel> servers = new CopyOnWriteArrayList<>();
    private final List<LatencyProbes> probes = new CopyOnWriteArrayList<>();

    /** Starts a probe engine on {@code transport} that {@link #close()} closes before the servers. */
    LatencyProbes startProbes(ProbeTransport transport, long randomSeed) {
        return closeAtEnd(LatencyProbes.builder().transport(transport).randomSeed(randomSeed).build().start());
    }

    /** Has {@link #close()} close {@code engine} before the servers; returns it. */
    LatencyProbes closeAtEnd(LatencyProbes engine) {
        probes.add(engine);
        return engine;
    }

    /** Accepts connections and does nothing with them (a TCP connect probe's peer). */
    Channel acceptOnly(int port) {
        return bind(port, new Discard());
    }

    /** RFC 862 echo. */
    Channel echo() {
        return bind(0, new Echo());
    }

    /**
     * Answers every HTTP request with {@code status} after {@code delayNanos.getAsLong()}; adds each delay it really
     * applied (request read to response written) to {@code appliedDelaysNanos}.
     */
    Channel http(int status, LongSupplier delayNanos, List<Long> appliedDelaysNanos) {
        return bind(0, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(new HttpServerCodec(), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        // A GET has no body: its LastHttpContent marks the end of the request.
                        boolean last = msg instanceof LastHttpContent;
                        ReferenceCountUtil.release(msg);
                        if (!last) {
                            return;
                        }
                        long readAt = System.nanoTime();
                        long delay = delayNanos.getAsLong();
                        ctx.executor().schedule(() -> {
                            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(new byte[] {'o', 'k'}));
                            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
                            response.headers().set(HttpHeaderNames.CONNECTION, "close");
                            appliedDelaysNanos.add(System.nanoTime() - readAt);
                            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                        }, delay, TimeUnit.NANOSECONDS);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        });
    }

    /** What a {@link #keepAliveHttp} server does, and what it saw. */
    static final class KeepAliveHttp {
        /** While false, requests are read and never answered. */
        final java.util.concurrent.atomic.AtomicBoolean answering = new java.util.concurrent.atomic.AtomicBoolean(true);
        final java.util.concurrent.atomic.AtomicInteger connectionsAccepted = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        /** Every n-th answer of a connection says {@code Connection: close} and closes it; 0 for never. */
        volatile int closeEveryNthAnswer;
        /** Closes a connection this long after its last answer, without a word (an idle timeout); 0 for never. */
        volatile long idleCloseMillis;
        /** Each answer is written this long after its request was read; 0 for at once. */
        volatile long answerDelayMillis;
    }

    /** An HTTP/1.1 server that keeps connections alive (200, "ok"), configured and observed through {@code http}. */
    Channel keepAliveHttp(KeepAliveHttp http) {
        return bind(0, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                http.connectionsAccepted.incrementAndGet();
                channel.pipeline().addLast(new HttpServerCodec(), new ChannelInboundHandlerAdapter() {
                    private int answers;
                    private io.netty.util.concurrent.ScheduledFuture<?> idleClose;

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        boolean last = msg instanceof LastHttpContent;
                        ReferenceCountUtil.release(msg);
                        if (!last) {
                            return;
                        }
                        http.requests.incrementAndGet();
                        if (!http.answering.get()) {
                            return;
                        }
                        if (idleClose != null) {
                            idleClose.cancel(false);
                        }
                        answers++;
                        int closeEvery = http.closeEveryNthAnswer;
                        boolean close = closeEvery > 0 && answers % closeEvery == 0;
                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK, Unpooled.wrappedBuffer(new byte[] {'o', 'k'}));
                        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
                        if (close) {
                            response.headers().set(HttpHeaderNames.CONNECTION, "close");
                            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                            return;
                        }
                        long delayMillis = http.answerDelayMillis;
                        if (delayMillis > 0) {
                            ctx.executor().schedule(() -> ctx.writeAndFlush(response), delayMillis,
                                    TimeUnit.MILLISECONDS);
                            return;
                        }
                        ctx.writeAndFlush(response);
                        long idleMillis = http.idleCloseMillis;
                        if (idleMillis > 0) {
                            idleClose = ctx.executor().schedule(() -> {
                                ctx.close();
                            }, idleMillis, TimeUnit.MILLISECONDS);
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        });
    }

    /** Accepts and reads, never answers. */
    Channel silent() {
        return acceptOnly(0);
    }

    @ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private Channel bind(int port, ChannelHandler childHandler) {
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(childHandler)
                .bind(new InetSocketAddress("127.0.0.1", port))
                .syncUninterruptibly()
                .channel();
        servers.add(server);
        return server;
    }

    static int port(Channel server) {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        probes.forEach(LatencyProbes::close);
        for (Channel server : servers) {
            server.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
