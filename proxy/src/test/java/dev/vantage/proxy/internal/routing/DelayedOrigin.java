package dev.vantage.proxy.internal.routing;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * A loopback HTTP origin that answers every request with its name (or a configured body) after a configurable added
 * delay (scheduled on its event loop, never sleeping), echoing the hop header it received in {@code X-Seen-Hop}. The
 * body is framed by Content-Length, chunked, or delimited by closing the connection.
 *
 * <p>Threading: {@link #delayMillis(long)}, {@link #body(String)} and {@link #framing(Framing)} may be called from
 * any thread.
 */
final class DelayedOrigin implements AutoCloseable {

    /** How the response body is delimited. */
    enum Framing { LENGTH, CHUNKED, CLOSE }

    private final String name;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private final AtomicLong requests = new AtomicLong();
    private volatile long delayMillis;
    private volatile String body;
    private volatile Framing framing = Framing.LENGTH;

    DelayedOrigin(String name, long delayMillis) throws InterruptedException {
        this.name = name;
        this.delayMillis = delayMillis;
        this.body = name;
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            requests.incrementAndGet();
            Framing how = framing;
            boolean keepAlive = HttpUtil.isKeepAlive(request) && how != Framing.CLOSE;
            String hop = request.headers().get("X-Vantage-Hop");
            byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
            HttpResponse response = how == Framing.LENGTH
                    ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.wrappedBuffer(bytes))
                    : new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            if (how == Framing.LENGTH) {
                response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            } else if (how == Framing.CHUNKED) {
                response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            response.headers().set("X-Origin", name);
            if (hop != null) {
                response.headers().set("X-Seen-Hop", hop);
            }
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, "close");
            }
            Runnable send = () -> {
                ChannelFuture written;
                if (how == Framing.LENGTH) {
                    written = ctx.writeAndFlush(response);
                } else {
                    ctx.write(response);
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
                    written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                if (!keepAlive) {
                    written.addListener(f -> ctx.close());
                }
            };
            long delay = delayMillis;
            if (delay <= 0) {
                send.run();
            } else {
                ctx.executor().schedule(send, delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    String name() {
        return name;
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    void delayMillis(long millis) {
        delayMillis = millis;
    }

    void body(String text) {
        body = text;
    }

    void framing(Framing how) {
        framing = how;
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
