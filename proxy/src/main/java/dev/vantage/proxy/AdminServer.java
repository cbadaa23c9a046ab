package dev.vantage.proxy;

import dev.vantage.config.HostPort;
import dev.vantage.proxy.internal.JsonText;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The admin API: a small HTTP/1.1 server on its own single NIO thread (never the proxy's event loops), serving
 * built-in paths ({@code /live}, {@code /ready}, {@code /metrics}, {@code /config}, {@code /upstreams}) and any
 * path other components {@linkplain #register register} (e.g. {@code GET /routes}, {@code POST /reload}).
 *
 * <p>Mutating calls (every method but GET and HEAD) need {@code Authorization: Bearer <token>} when a token is
 * configured, and are refused (403) when none is. Handlers run on the admin thread, one request at a time; they may
 * do short blocking work (a reload), never long waits: a call that waits for something (a replication cycle) is
 * {@linkplain #registerAsync registered async} and answers when its future completes, while the admin thread serves
 * other connections. Registration is thread-safe and may happen at any time.
 */
public final class AdminServer implements AutoCloseable {

    /** One admin call. */
    public record Request(String method, String path, Map<String, List<String>> query, String body) {
    }

    /** What an admin call answers. */
    public record Response(int status, String contentType, String body) {

        public static Response json(String json) {
            return new Response(200, "application/json", json);
        }

        public static Response text(String text) {
            return new Response(200, "text/plain; charset=utf-8", text);
        }

        /** A JSON error {@code {"error": reason}} with {@code status}. */
        public static Response error(int status, String reason) {
            return new Response(status, "application/json", "{\"error\":" + JsonText.quote(reason) + "}\n");
        }
    }

    /** Serves one registered path. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }

    /**
     * Serves one registered path whose answer comes later: the returned stage completes (on any thread) with the
     * response. The connection reads no further request until it is answered, so answers keep the requests' order.
     */
    @FunctionalInterface
    public interface AsyncHandler {
        CompletionStage<Response> handle(Request request) throws Exception;
    }

    /** Appends Prometheus text-format metric families to {@code /metrics}. */
    @FunctionalInterface
    public interface MetricsSource {
        void writeTo(StringBuilder out);
    }

    private final Map<String, AsyncHandler> handlers = new ConcurrentHashMap<>();
    private final List<MetricsSource> metricsSources = new CopyOnWriteArrayList<>();
    private final String token;
    private EventLoopGroup group;
    private Channel serverChannel;

    /**
     * @param token bearer token for mutating calls, or {@code null} to refuse them
     */
    public AdminServer(String token) {
        this.token = token;
    }

    /**
     * Serves {@code method path} with {@code handler}, replacing an earlier registration of the same pair.
     *
     * @param method {@code GET} or {@code POST} (HEAD is served by GET handlers)
     * @param path   absolute path without query, e.g. {@code /routes}
     */
    public void register(String method, String path, Handler handler) {
        Objects.requireNonNull(handler, "handler");
        registerAsync(method, path, request -> CompletableFuture.completedFuture(handler.handle(request)));
    }

    /**
     * Serves {@code method path} with {@code handler}, whose answer may complete later (see {@link AsyncHandler}),
     * replacing an earlier registration of the same pair.
     */
    public void registerAsync(String method, String path, AsyncHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (!"GET".equals(method) && !"POST".equals(method) && !"PUT".equals(method) && !"DELETE".equals(method)) {
            throw new IllegalArgumentException("method: " + method + " (expected: GET, POST, PUT or DELETE)");
        }
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("path: " + path + " (expected: starts with /)");
        }
        handlers.put(method + " " + path, handler);
    }

    /** Adds metric families to {@code /metrics}. */
    public void addMetricsSource(MetricsSource source) {
        metricsSources.add(Objects.requireNonNull(source, "source"));
    }

    /** The registered {@code METHOD path} pairs, sorted. */
    public List<String> routes() {
        return new ArrayList<>(new TreeMap<>(handlers).keySet());
    }

    void writeMetrics(StringBuilder out) {
        for (MetricsSource source : metricsSources) {
            source.writeTo(out);
        }
    }

    /** Binds and serves; returns the bound address. */
    public synchronized InetSocketAddress start(HostPort bind) throws InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("admin server: already started on " + serverChannel.localAddress());
        }
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vantage-admin", true),
                NioIoHandler.newFactory());
        try {
            serverChannel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(),
                                    new HttpObjectAggregator(1 << 20), new Dispatcher());
                        }
                    })
                    .bind(bind.host(), bind.port()).sync().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
            group = null;
            throw new IllegalStateException("admin address: " + bind + " cannot be bound (" + e.getMessage() + ")", e);
        }
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The bound address, or {@code null} before {@link #start}. */
    public synchronized InetSocketAddress address() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public synchronized void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
            serverChannel = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }

    private boolean authorized(FullHttpRequest request) {
        if (token == null) {
            return false;
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    private final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String method = request.method().name();
            boolean head = "HEAD".equals(method);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            Response response;
            if (!request.decoderResult().isSuccess()) {
                response = Response.error(400, "malformed request");
            } else {
                String lookup = head ? "GET" : method;
                AsyncHandler handler = handlers.get(lookup + " " + uri.path());
                if (handler == null) {
                    boolean other = handlers.keySet().stream().anyMatch(key -> key.endsWith(" " + uri.path()));
                    response = other ? Response.error(405, method + " " + uri.path() + " is not allowed")
                            : Response.error(404, "no admin path " + uri.path());
                } else if (!"GET".equals(lookup) && !authorized(request)) {
                    response = Response.error(403, token == null
                            ? "mutating admin calls are disabled (no admin token configured)"
                            : "missing or wrong bearer token");
                } else {
                    CompletionStage<Response> answer;
                    try {
                        answer = handler.handle(new Request(method, uri.path(), uri.parameters(),
                                request.content().toString(StandardCharsets.UTF_8)));
                    } catch (Exception e) {
                        answer = CompletableFuture.completedFuture(Response.error(500, String.valueOf(e.getMessage())));
                    }
                    CompletableFuture<Response> pending = answer == null
                            ? CompletableFuture.completedFuture(null) : answer.toCompletableFuture();
                    if (pending.isDone()) {
                        response = outcome(pending);
                    } else {
                        // No further request is read (and answered out of order) while this one waits.
                        ctx.channel().config().setAutoRead(false);
                        pending.whenCompleteAsync((done, error) -> {
                            respond(ctx, outcome(pending), head, keepAlive);
                            ctx.channel().config().setAutoRead(true);
                        }, ctx.executor());
                        return;
                    }
                }
            }
            respond(ctx, response, head, keepAlive);
        }

        /** The response of a completed handler: its value, or 500 with the reason it failed or answered nothing. */
        private Response outcome(CompletableFuture<Response> completed) {
            try {
                Response response = completed.join();
                return response != null ? response : Response.error(500, "the handler answered nothing");
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                return Response.error(500, String.valueOf(cause.getMessage()));
            }
        }

        private void respond(ChannelHandlerContext ctx, Response response, boolean head, boolean keepAlive) {
            byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
            ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
            FullHttpResponse reply = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()), content);
            reply.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            reply.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (!keepAlive) {
                reply.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(reply);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
