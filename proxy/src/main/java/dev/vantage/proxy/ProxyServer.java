package dev.vantage.proxy;

import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Policy;
import dev.vantage.config.RouteTable;
import dev.vantage.config.Site;
import dev.vantage.config.Transport;
import dev.vantage.proxy.internal.AccessLog;
import dev.vantage.proxy.internal.FrontendInitializer;
import dev.vantage.proxy.internal.JsonText;
import dev.vantage.proxy.internal.LoopContext;
import dev.vantage.proxy.internal.ProxyEngine;
import dev.vantage.proxy.internal.ProxyMetrics;
import dev.vantage.proxy.internal.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The HTTP/1.1 reverse proxy of one site: listeners on a Netty {@code MultiThreadIoEventLoopGroup} (io_uring, epoll
 * or NIO), per-loop upstream pools, the pluggable {@link UpstreamSelector}, the access log and the admin API.
 *
 * <p>Life cycle: {@link #builder} &rarr; {@link Builder#build()} &rarr; {@link #start()} &rarr; any number of
 * {@link #updatePolicy}/{@link #updateRoutes} (reload thread) &rarr; {@link #drain(Duration)} and/or
 * {@link #close()}. Listener addresses and the transport are fixed at start; everything else follows reloads.
 *
 * <p>Threading: all public methods are thread-safe. The topology is published through a volatile reference, so a
 * request is routed entirely with the snapshot it started with.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProxyServer.class.getName());

    private final ProxyEngine engine;
    private final UpstreamSelector selector;
    private final List<Listener> listeners;
    private final int threads;
    private final HostPort adminBind;
    private final AdminServer admin;
    private final Transports.Choice transport;
    private final List<Channel> serverChannels = new ArrayList<>();
    private EventLoopGroup group;
    private volatile boolean started;
    private volatile boolean closed;

    private ProxyServer(Builder builder, ProxyTopology topology, AccessLog accessLog, Transports.Choice transport) {
        this.selector = builder.selector;
        this.transport = transport;
        this.engine = new ProxyEngine(topology, builder.selector, accessLog, transport);
        this.listeners = builder.listeners;
        this.threads = builder.threads;
        this.adminBind = builder.adminAddress;
        this.admin = new AdminServer(builder.adminToken);
        registerBuiltInAdminPaths();
    }

    /**
     * A builder for the proxy of site {@code siteId} in {@code policy}: listeners, admin address and the admin token
     * come from the policy; routes from {@link RouteTable#of(Policy)}.
     */
    public static Builder builder(Policy policy, String siteId) {
        return new Builder(policy, siteId);
    }

    /** Configures a {@link ProxyServer}; not thread-safe. */
    public static final class Builder {
        private final Policy policy;
        private final String siteId;
        private RouteTable routes;
        private Transport transportOverride;
        private int threads = Runtime.getRuntime().availableProcessors();
        private UpstreamSelector selector = UpstreamSelector.powerOfTwoLeastPending();
        private final List<AccessSink> sinks = new ArrayList<>();
        private Path accessLogPath;
        private int accessLogRingBytes = 1 << 20;
        private HostPort adminAddress;
        private String adminToken;
        private List<Listener> listeners;

        private Builder(Policy policy, String siteId) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.siteId = Objects.requireNonNull(siteId, "siteId");
            Site site = policy.site(siteId).orElseThrow(() -> new IllegalArgumentException(
                    "siteId: " + siteId + " (expected: a site of the policy)"));
            this.listeners = site.listeners();
            this.adminAddress = site.adminAddress();
            Path tokenFile = policy.admin().tokenFile();
            if (tokenFile != null) {
                try {
                    List<String> lines = Files.readAllLines(tokenFile, StandardCharsets.UTF_8);
                    adminToken = lines.isEmpty() ? null : lines.get(0).trim();
                } catch (IOException e) {
                    throw new UncheckedIOException("admin.tokenFile: " + tokenFile + " cannot be read", e);
                }
            }
        }

        /** Routes to use instead of the policy's own (e.g. a snapshot from the config module's reloader). */
        public Builder routes(RouteTable routeTable) {
            this.routes = Objects.requireNonNull(routeTable, "routeTable");
            return this;
        }

        /** Forces a transport for every listener (default: the first listener's, usually {@code AUTO}). */
        public Builder transport(Transport transport) {
            this.transportOverride = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Event loop threads, &gt;= 1 (default: available processors). */
        public Builder threads(int eventLoops) {
            if (eventLoops < 1) {
                throw new IllegalArgumentException("threads: " + eventLoops + " (expected: >= 1)");
            }
            this.threads = eventLoops;
            return this;
        }

        /** The upstream selector (default {@link UpstreamSelector#powerOfTwoLeastPending()}). */
        public Builder selector(UpstreamSelector upstreamSelector) {
            this.selector = Objects.requireNonNull(upstreamSelector, "selector");
            return this;
        }

        /** Adds a receiver of one {@link AccessEvent} per completed request. */
        public Builder accessSink(AccessSink sink) {
            sinks.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /** Appends JSON access log lines to {@code path} ({@code -} = standard output); default: no log file. */
        public Builder accessLog(Path path) {
            this.accessLogPath = path;
            return this;
        }

        /** Capacity of the access ring, a power of two &gt;= 64 KiB (default 1 MiB). */
        public Builder accessLogRingBytes(int bytes) {
            if (bytes < 65536 || Integer.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("accessLogRingBytes: " + bytes
                        + " (expected: a power of two >= 65536)");
            }
            this.accessLogRingBytes = bytes;
            return this;
        }

        /** Admin API address (default: the site's {@code adminAddress}); {@code null} = no admin server. */
        public Builder adminAddress(HostPort address) {
            this.adminAddress = address;
            return this;
        }

        /** Bearer token for mutating admin calls (default: from the policy's admin token file). */
        public Builder adminToken(String token) {
            this.adminToken = token;
            return this;
        }

        /** Listeners to bind instead of the site's (e.g. port 0 in tests). */
        public Builder listeners(List<Listener> listenerList) {
            this.listeners = List.copyOf(listenerList);
            return this;
        }

        /**
         * Builds the proxy (nothing is bound yet).
         *
         * @throws IllegalStateException when a forced transport is unavailable
         * @throws UncheckedIOException  when the access log file cannot be opened
         */
        public ProxyServer build() {
            if (listeners.isEmpty()) {
                throw new IllegalArgumentException("site " + siteId + ": no listeners (expected: at least one)");
            }
            for (Listener listener : listeners) {
                if (listener.tls() != null) {
                    // Refused rather than silently served as plain HTTP.
                    throw new IllegalArgumentException("listener " + listener.name() + ": tls is set (expected: "
                            + "plain HTTP; terminate TLS in front of this proxy)");
                }
            }
            Transport wanted = transportOverride != null ? transportOverride : listeners.get(0).transport();
            Transports.Choice choice = Transports.choose(wanted);
            RouteTable table = routes != null ? routes : RouteTable.of(policy);
            ProxyTopology topology = ProxyTopology.of(policy, siteId, table, null);
            AccessLog log;
            try {
                log = new AccessLog(accessLogPath, sinks, siteId, accessLogRingBytes);
            } catch (IOException e) {
                throw new UncheckedIOException("access log: " + accessLogPath + " cannot be opened", e);
            }
            return new ProxyServer(this, topology, log, choice);
        }
    }

    private void registerBuiltInAdminPaths() {
        admin.register("GET", "/live", request -> AdminServer.Response.text("live\n"));
        admin.register("GET", "/ready", request -> started && !engine.draining() && !closed
                ? AdminServer.Response.text("ready\n")
                : new AdminServer.Response(503, "text/plain; charset=utf-8",
                        engine.draining() ? "draining\n" : "not started\n"));
        admin.register("GET", "/metrics", request -> new AdminServer.Response(200,
                "text/plain; version=0.0.4; charset=utf-8", metricsText()));
        admin.register("GET", "/config", request -> AdminServer.Response.json(
                JsonText.write(engine.topology().policy()) + "\n"));
        admin.register("GET", "/upstreams", request -> AdminServer.Response.json(upstreamsJson()));
    }

    /**
     * Binds every listener (and the admin API) and starts serving.
     *
     * @throws IllegalStateException when an address cannot be bound (the message names it)
     */
    public synchronized ProxyServer start() throws InterruptedException {
        if (started || closed) {
            throw new IllegalStateException("proxy: already " + (closed ? "closed" : "started"));
        }
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("vantage-proxy", true),
                transport.ioHandlerFactory());
        for (EventExecutor executor : group) {
            engine.addLoop((EventLoop) executor);
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new FrontendInitializer(engine));
        try {
            for (Listener listener : listeners) {
                try {
                    serverChannels.add(bootstrap.bind(listener.address(), listener.port()).sync().channel());
                } catch (RuntimeException e) {
                    throw new IllegalStateException("listener " + listener.name() + ": " + listener.endpoint()
                            + " cannot be bound (" + e.getMessage() + ")", e);
                }
            }
            if (adminBind != null) {
                admin.start(adminBind);
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        started = true;
        selector.onTopology(engine.topology());
        warmPools(engine.topology());
        LOG.info(() -> "vantage proxy: site " + engine.topology().siteId() + ", transport " + transport.name()
                + ", " + threads + " event loop(s), listening on " + listenAddresses()
                + (adminBind != null ? ", admin on " + admin.address() : ""));
        return this;
    }

    /** The transport in use. */
    public Transport transport() {
        return transport.transport();
    }

    /** {@code io_uring}, {@code epoll} or {@code nio}. */
    public String transportName() {
        return transport.name();
    }

    /** The bound listener addresses, in listener order. */
    public List<InetSocketAddress> listenAddresses() {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (Channel channel : serverChannels) {
            addresses.add((InetSocketAddress) channel.localAddress());
        }
        return addresses;
    }

    /** The admin API (register extra paths and metrics here, before or after start). */
    public AdminServer admin() {
        return admin;
    }

    /** The admin API's bound address, or {@code null} when it is off. */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** The topology requests are routed with now. */
    public ProxyTopology topology() {
        return engine.topology();
    }

    /** Publishes a new policy with its own routes (a reload). Listener changes need a restart. */
    public void updatePolicy(Policy policy) {
        updatePolicy(policy, RouteTable.of(policy));
    }

    /** Publishes a new policy routed with {@code routes} (a reload). Listener changes need a restart. */
    public synchronized void updatePolicy(Policy policy, RouteTable routes) {
        ProxyTopology current = engine.topology();
        publish(ProxyTopology.of(policy, current.siteId(), routes, current));
    }

    /** Publishes new routes over the current policy. */
    public synchronized void updateRoutes(RouteTable routes) {
        publish(engine.topology().withRoutes(routes));
    }

    private void publish(ProxyTopology topology) {
        engine.topology(topology);
        selector.onTopology(topology);
        if (started) {
            warmPools(topology);
        }
    }

    private void warmPools(ProxyTopology topology) {
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            EndpointGroup group = topology.group(endpoint.siteId(), endpoint.groupName());
            if (group != null && endpoint.siteId().equals(topology.siteId()) && group.pool().warmConnections() > 0) {
                warmUp(endpoint, group.pool().warmConnections());
            }
        }
    }

    /**
     * Opens {@code connectionsPerLoop} keep-alive connections to {@code endpoint} on every event loop ahead of
     * demand (bounded by the pool maximum). Asynchronous; failures are counted in the metrics.
     */
    public void warmUp(UpstreamEndpoint endpoint, int connectionsPerLoop) {
        for (LoopContext loop : engine.loops()) {
            loop.warmUp(endpoint, connectionsPerLoop);
        }
    }

    /** The Prometheus text exposition of the proxy's metrics (plus registered sources). */
    public String metricsText() {
        StringBuilder out = new StringBuilder(8192);
        ProxyMetrics.write(engine, out);
        admin.writeMetrics(out);
        return out.toString();
    }

    /** Client connections open now. */
    public long openConnections() {
        return engine.openConnections();
    }

    private String upstreamsJson() {
        StringBuilder out = new StringBuilder(1024).append("[");
        boolean first = true;
        for (UpstreamEndpoint endpoint : engine.topology().endpoints()) {
            long[] stats = ProxyMetrics.poolStats(engine, endpoint);
            out.append(first ? "\n" : ",\n");
            first = false;
            out.append("{\"site\":").append(JsonText.quote(endpoint.siteId()))
                    .append(",\"group\":").append(JsonText.quote(endpoint.groupName()))
                    .append(",\"endpoint\":").append(JsonText.quote(endpoint.endpoint()))
                    .append(",\"weight\":").append(endpoint.weight())
                    .append(",\"healthy\":").append(endpoint.healthy())
                    .append(",\"draining\":").append(endpoint.draining())
                    .append(",\"pendingRequests\":").append(endpoint.pendingRequests())
                    .append(",\"connectionsOpen\":").append(stats[0])
                    .append(",\"connectionsIdle\":").append(stats[1])
                    .append(",\"reuses\":").append(stats[2])
                    .append(",\"connects\":").append(stats[3])
                    .append(",\"connectFailures\":").append(stats[4]).append('}');
        }
        return out.append("\n]\n").toString();
    }

    /**
     * Graceful drain: stops accepting, closes idle keep-alive connections, lets in-flight exchanges finish (their
     * responses carry {@code Connection: close}) and waits until no client connection is left or the deadline
     * passes.
     *
     * @return true when every connection finished before the deadline
     */
    public boolean drain(Duration deadline) throws InterruptedException {
        for (Channel channel : serverChannels) {
            channel.close().sync();
        }
        engine.drain();
        long until = System.nanoTime() + deadline.toNanos();
        while (engine.openConnections() > 0 && System.nanoTime() - until < 0) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return engine.openConnections() <= 0;
    }

    /** Stops everything now: listeners, connections, admin API, access log. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel channel : serverChannels) {
            channel.close().syncUninterruptibly();
        }
        for (LoopContext loop : engine.loops()) {
            loop.shutdown();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        admin.close();
        engine.accessLog().close();
    }
}
