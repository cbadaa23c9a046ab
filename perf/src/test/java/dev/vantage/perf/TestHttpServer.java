package dev.vantage.perf;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A loopback HTTP/1.1 server for the load generator tests: answers 200 (or a configured status), can stall every
 * answer during a window that starts a given time after its first request, close connections instead of
 * answering, or never answer. Records what it saw. Threading: one event loop; the settings are volatile.
 */
final class TestHttpServer implements AutoCloseable {

    enum Behaviour { ANSWER, CLOSE, SILENT }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel serverChannel;
    private final AtomicLong requests = new AtomicLong();
    private final Map<String, AtomicLong> paths = new ConcurrentHashMap<>();
    private final Queue<String> headerValues = new ConcurrentLinkedQueue<>();
    private volatile Behaviour behaviour = Behaviour.ANSWER;
    private volatile int status = 200;
    private volatile long stallAfterNanos = -1;
    private volatile long stallForNanos;
    private volatile String recordHeader;
    private volatile long firstRequestNanos;

    TestHttpServer() throws InterruptedException {
        serverChannel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) serverChannel.localAddress()).getPort() + path);
    }

    TestHttpServer behaviour(Behaviour value) {
        behaviour = value;
        return this;
    }

    TestHttpServer status(int value) {
        status = value;
        return this;
    }

    /** Every request arriving between {@code afterMillis} and {@code afterMillis + forMillis} after the first one
     *  is answered only at the end of that window. */
    TestHttpServer stall(long afterMillis, long forMillis) {
        stallForNanos = TimeUnit.MILLISECONDS.toNanos(forMillis);
        stallAfterNanos = TimeUnit.MILLISECONDS.toNanos(afterMillis);
        return this;
    }

    TestHttpServer recordHeader(String name) {
        recordHeader = name;
        return this;
    }

    long requests() {
        return requests.get();
    }

    Map<String, AtomicLong> paths() {
        return paths;
    }

    Queue<String> headerValues() {
        return headerValues;
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            long now = System.nanoTime();
            if (requests.getAndIncrement() == 0) {
                firstRequestNanos = now;
            }
            paths.computeIfAbsent(request.uri(), p -> new AtomicLong()).incrementAndGet();
            String name = recordHeader;
            if (name != null && request.headers().contains(name)) {
                headerValues.add(request.headers().get(name));
            }
            switch (behaviour) {
                case CLOSE -> ctx.close();
                case SILENT -> { }
                case ANSWER -> {
                    long stallStart = firstRequestNanos + stallAfterNanos;
                    long stallEnd = stallStart + stallForNanos;
                    if (stallAfterNanos >= 0 && now >= stallStart && now < stallEnd) {
                        ctx.executor().schedule(() -> answer(ctx), stallEnd - now, TimeUnit.NANOSECONDS);
                    } else {
                        answer(ctx);
                    }
                }
            }
        }

        private void answer(ChannelHandlerContext ctx) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
