package dev.vantage.perf;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.Listener;
import dev.vantage.config.Policy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMatch;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.Site;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.EndpointGroup;
import dev.vantage.proxy.ProxyRequest;
import dev.vantage.proxy.ProxyServer;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.Selection;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UpstreamSelector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The servers of {@code perf/routing-bench.sh}: three loopback origins that add 5, 20 and 80 ms (or the delays
 * given) to every response, and three Vantage proxies (one event loop each) in front of all three with different
 * upstream selectors: best-mirror (the routing engine), round-robin, and least-request (power of two choices on
 * pending requests, the proxy's default). Warms every proxy up (400 requests each), prints one line
 * {@code READY best_mirror=PORT round_robin=PORT least_request=PORT} and serves until standard input closes; the script drives load with {@code perf/loadgen}.
 *
 * <pre>java -cp perf/target/benchmarks.jar dev.vantage.perf.RoutingComparisonServer [delayMillis...]</pre>
 */
public final class RoutingComparisonServer {

    private RoutingComparisonServer() {
    }

    /** Cycles through the available candidates: the classic baseline. Thread-safe, allocation-free. */
    static final class RoundRobinSelector implements UpstreamSelector {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public void select(Route route, ProxyRequest request, Selection selection) {
            EndpointGroup group = selection.candidates();
            int size = group == null ? 0 : group.size();
            int start = next.getAndIncrement();
            for (int i = 0; i < size; i++) {
                UpstreamEndpoint endpoint = group.get(Math.floorMod(start + i, size));
                if (endpoint.available() && !selection.isExcluded(endpoint)) {
                    selection.forward(endpoint);
                    return;
                }
            }
            selection.reject(503, "no upstream available");
        }
    }

    /** An origin that answers after a fixed added delay, scheduled on its event loop. */
    static Channel origin(EventLoopGroup group, String name, long delayMillis) throws InterruptedException {
        byte[] body = name.getBytes(StandardCharsets.US_ASCII);
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                                        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                                        ctx.executor().schedule(() -> ctx.writeAndFlush(response), delayMillis,
                                                TimeUnit.MILLISECONDS);
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** Sends requests through every proxy, 16 at a time, so that the measured runs start with compiled code. */
    private static void warmUp(List<ProxyServer> proxies) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        for (int round = 0; round < 25; round++) {
            List<CompletableFuture<HttpResponse<Void>>> inFlight = new ArrayList<>();
            for (ProxyServer proxy : proxies) {
                URI uri = URI.create("http://127.0.0.1:" + proxy.listenAddresses().get(0).getPort() + "/warm-up");
                for (int i = 0; i < 16; i++) {
                    inFlight.add(client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.discarding()));
                }
            }
            for (CompletableFuture<HttpResponse<Void>> response : inFlight) {
                response.join();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        long[] delays = {5, 20, 80};
        if (args.length > 0) {
            delays = new long[args.length];
            for (int i = 0; i < args.length; i++) {
                delays[i] = Long.parseLong(args[i]);
            }
        }
        EventLoopGroup originLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Upstream> upstreams = new ArrayList<>();
        for (long delay : delays) {
            Channel origin = origin(originLoops, "origin-" + delay + "ms", delay);
            upstreams.add(Upstream.of("127.0.0.1", ((InetSocketAddress) origin.localAddress()).getPort()));
        }
        Route route = Route.of("all", RouteMatch.any(), RouteTarget.upstreamGroup("web"));
        Site site = new Site("bench", "local", new GeoPoint(50.11, 8.68), null, null, null, 0, 0, 1000, 0,
                List.of(Listener.http("http", "127.0.0.1", 0)), List.of(UpstreamGroup.of("web", upstreams)));
        Policy policy = Policy.of(List.of(site), List.of(), List.of(route), List.of());

        RoutingEngine engine = RoutingEngine.builder(policy, "bench").build();
        List<ProxyServer> proxies = new ArrayList<>();
        StringBuilder ready = new StringBuilder("READY");
        String[] names = {"best_mirror", "round_robin", "least_request"};
        UpstreamSelector[] selectors = {engine.upstreamSelector(), new RoundRobinSelector(),
            UpstreamSelector.powerOfTwoLeastPending()};
        for (int i = 0; i < names.length; i++) {
            ProxyServer proxy = ProxyServer.builder(policy, "bench").threads(1).adminAddress(null)
                    .selector(selectors[i]).build().start();
            proxies.add(proxy);
            ready.append(' ').append(names[i]).append('=').append(proxy.listenAddresses().get(0).getPort());
        }
        warmUp(proxies);
        System.out.println(ready);
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // Serve until the script closes our standard input.
            }
        } catch (IOException e) {
            // Standard input gone: shut down.
        }
        System.err.println("routing-comparison: best-mirror routes " + engine.routesJson());
        for (ProxyServer proxy : proxies) {
            proxy.close();
        }
        originLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
