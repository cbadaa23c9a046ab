package dev.vantage.proxy.internal;

import dev.vantage.config.PoolSettings;
import dev.vantage.proxy.UpstreamEndpoint;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Keep-alive connections from one event loop to one upstream: idle connections are reused most-recent-first
 * (warm sockets), new ones are opened up to {@code maxConnectionsPerUpstream}, and requests beyond that wait in
 * FIFO order for a released connection (the requester's connect timeout bounds the wait).
 *
 * <p>Threading: confined to its event loop; the {@code volatile} counters are read by the admin thread.
 */
public final class UpstreamPool {

    final LoopContext loop;
    final UpstreamEndpoint endpoint;
    private final InetSocketAddress address;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>(8);
    private final ArrayDeque<FrontendConnection> waiters = new ArrayDeque<>(4);
    private int maxConnections;
    private long idleTimeoutNanos;
    private long connectTimeoutMillis;
    private boolean retired;
    private volatile int open;
    private volatile int idleCount;
    private volatile long reused;
    private volatile long connects;
    private volatile long connectFailures;

    UpstreamPool(LoopContext loop, UpstreamEndpoint endpoint, PoolSettings settings) {
        this.loop = loop;
        this.endpoint = endpoint;
        InetSocketAddress unresolved = endpoint.address();
        InetSocketAddress resolved = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
        this.address = resolved.isUnresolved() ? unresolved : resolved;
        settings(settings);
    }

    void settings(PoolSettings settings) {
        maxConnections = Math.max(1, settings.maxConnectionsPerUpstream());
        idleTimeoutNanos = settings.idleTimeoutMillis() * 1_000_000L;
        connectTimeoutMillis = settings.connectTimeoutMillis();
    }

    /** The upstream's address, resolved once when the pool was created. */
    InetSocketAddress address() {
        return address;
    }

    public UpstreamEndpoint endpoint() {
        return endpoint;
    }

    /** Connections open or being opened. */
    public int open() {
        return open;
    }

    public int idle() {
        return idleCount;
    }

    public long reused() {
        return reused;
    }

    public long connects() {
        return connects;
    }

    public long connectFailures() {
        return connectFailures;
    }

    /** Hands a connection to {@code requester} now (idle one), after connecting, or when one is released. */
    void acquire(FrontendConnection requester, long connectTimeoutMillisForRequest) {
        if (!tryAcquire(requester, connectTimeoutMillisForRequest)) {
            waiters.addLast(requester);
            requester.queued(connectTimeoutMillisForRequest);
        }
    }

    /** Like {@link #acquire} but never queues: false (and nothing started) when the pool is at its maximum. */
    boolean tryAcquire(FrontendConnection requester, long connectTimeoutMillisForRequest) {
        UpstreamConnection connection;
        while ((connection = idle.pollLast()) != null) {
            idleCount = idle.size();
            if (connection.channel().isActive()) {
                reused = reused + 1;
                loop.metrics.increment(LoopMetrics.POOL_REUSES);
                requester.upstreamReady(connection);
                return true;
            }
        }
        if (open < maxConnections) {
            connect(requester, connectTimeoutMillisForRequest);
            return true;
        }
        return false;
    }

    /** Removes a requester that stopped waiting (client gone or queue timeout). */
    void cancel(FrontendConnection requester) {
        waiters.remove(requester);
    }

    private void connect(FrontendConnection requester, long timeoutMillis) {
        open = open + 1;
        connects = connects + 1;
        loop.metrics.increment(LoopMetrics.UPSTREAM_CONNECTS);
        UpstreamConnection connection = new UpstreamConnection(this, requester);
        if (requester != null) {
            requester.connecting(connection);
        }
        loop.bootstrap.clone()
                .handler(connection)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .connect(address)
                .addListener(connection);
    }

    /** Connect outcome, from {@link UpstreamConnection}'s listener. */
    void connected(UpstreamConnection connection, FrontendConnection requester, boolean success) {
        if (!success) {
            connectFailures = connectFailures + 1;
            loop.metrics.increment(LoopMetrics.UPSTREAM_CONNECT_FAILURES);
            // A channel that never became active reports no channelInactive, so the count is settled here.
            open = open - 1;
            if (requester != null) {
                requester.connectFailed(connection);
            }
            serveWaiter();
            return;
        }
        if (requester != null && requester.wants(connection)) {
            requester.upstreamReady(connection);
        } else {
            release(connection, true);
        }
    }

    /** Takes a connection back after an exchange; closes it when it must not be reused. */
    void release(UpstreamConnection connection, boolean reusable) {
        if (reusable && !retired && connection.channel().isActive() && !endpoint.draining()) {
            FrontendConnection waiter;
            while ((waiter = waiters.pollFirst()) != null) {
                if (waiter.wantsQueued()) {
                    reused = reused + 1;
                    loop.metrics.increment(LoopMetrics.POOL_REUSES);
                    waiter.upstreamReady(connection);
                    return;
                }
            }
            connection.idleSinceNanos = System.nanoTime();
            idle.addLast(connection);
            idleCount = idle.size();
        } else {
            connection.channel().close();
        }
    }

    /** A connection of this pool closed (any reason). */
    void closed(UpstreamConnection connection) {
        open = open - 1;
        loop.metrics.increment(LoopMetrics.UPSTREAM_CLOSES);
        if (idle.remove(connection)) {
            idleCount = idle.size();
        }
        serveWaiter();
    }

    private void serveWaiter() {
        if (!retired && open < maxConnections) {
            FrontendConnection waiter;
            while ((waiter = waiters.pollFirst()) != null) {
                if (waiter.wantsQueued()) {
                    connect(waiter, connectTimeoutMillis);
                    return;
                }
            }
        }
    }

    /** Opens connections ahead of demand until {@code target} are open. */
    void warm(int target) {
        int wanted = Math.min(target, maxConnections);
        while (!retired && open < wanted) {
            connect(null, connectTimeoutMillis);
        }
    }

    void sweep(long nowNanos) {
        boolean closeAll = retired || endpoint.draining();
        UpstreamConnection oldest;
        while ((oldest = idle.peekFirst()) != null
                && (closeAll || nowNanos - oldest.idleSinceNanos >= idleTimeoutNanos)) {
            idle.pollFirst();
            idleCount = idle.size();
            oldest.channel().close();
        }
    }

    /** The endpoint left the topology (or the proxy stops): close idle connections, never pool again. */
    void retire() {
        retired = true;
        sweep(System.nanoTime());
    }
}
