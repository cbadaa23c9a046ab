package dev.vantage.proxy.internal;

import dev.vantage.config.PoolSettings;
import dev.vantage.proxy.EndpointGroup;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.UpstreamEndpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Everything one event loop owns: its upstream pools (indexed by {@link UpstreamEndpoint#index()}), its client
 * connections (for the timeout sweep and draining), its parsers and selection context, and its metrics.
 *
 * <p>Threading: confined to its event loop, except {@link #metrics} and the pool counters, which other threads
 * read. A single periodic task per loop (every {@value #SWEEP_MILLIS} ms) enforces every timeout, so nothing is
 * scheduled per request.
 */
public final class LoopContext {

    static final long SWEEP_MILLIS = 50;

    final ProxyEngine engine;
    final EventLoop eventLoop;
    final LoopMetrics metrics = new LoopMetrics();
    final RequestHeadParser requestParser;
    final ResponseHeadParser responseParser = new ResponseHeadParser();
    final SelectionContext selection;
    final Bootstrap bootstrap;
    private volatile UpstreamPool[] pools = new UpstreamPool[16];
    private FrontendConnection[] connections = new FrontendConnection[64];
    private int connectionCount;
    private boolean draining;
    private ScheduledFuture<?> sweeper;

    LoopContext(ProxyEngine engine, EventLoop eventLoop) {
        this.engine = engine;
        this.eventLoop = eventLoop;
        this.requestParser = new RequestHeadParser(Math.max(1, engine.limits().maxHeaderCount()));
        this.selection = new SelectionContext(this);
        this.bootstrap = new Bootstrap()
                .group(eventLoop)
                .channel(engine.transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
    }

    void start() {
        sweeper = eventLoop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    void execute(Runnable task) {
        eventLoop.execute(task);
    }

    public LoopMetrics metrics() {
        return metrics;
    }

    /** The pools of this loop (may contain nulls); for the admin thread's statistics. */
    public UpstreamPool[] pools() {
        return pools;
    }

    boolean draining() {
        return draining || engine.draining();
    }

    UpstreamPool pool(UpstreamEndpoint endpoint) {
        UpstreamPool[] current = pools;
        int index = endpoint.index();
        if (index < current.length) {
            UpstreamPool pool = current[index];
            if (pool != null && pool.endpoint == endpoint) {
                return pool;
            }
        }
        return createPool(endpoint);
    }

    private UpstreamPool createPool(UpstreamEndpoint endpoint) {
        UpstreamPool[] current = pools;
        int index = endpoint.index();
        if (index >= current.length) {
            UpstreamPool[] grown = new UpstreamPool[Math.max(index + 1, current.length * 2)];
            System.arraycopy(current, 0, grown, 0, current.length);
            current = grown;
        }
        UpstreamPool old = current[index];
        if (old != null) {
            old.retire();
        }
        UpstreamPool pool = new UpstreamPool(this, endpoint, settingsFor(engine.topology(), endpoint));
        current[index] = pool;
        pools = current;
        return pool;
    }

    private static PoolSettings settingsFor(ProxyTopology topology, UpstreamEndpoint endpoint) {
        EndpointGroup group = topology.group(endpoint.siteId(), endpoint.groupName());
        return group == null ? PoolSettings.defaults() : group.pool();
    }

    /** Applies new pool settings after a reload and retires pools of endpoints that left the topology. */
    void refreshPools() {
        ProxyTopology topology = engine.topology();
        UpstreamPool[] current = pools;
        boolean[] present = new boolean[Math.max(current.length, topology.endpointIndexLimit())];
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            present[endpoint.index()] = true;
            if (endpoint.index() < current.length && current[endpoint.index()] != null) {
                current[endpoint.index()].settings(settingsFor(topology, endpoint));
            }
        }
        for (int i = 0; i < current.length; i++) {
            if (current[i] != null && !present[i]) {
                current[i].retire();
                current[i] = null;
            }
        }
    }

    /** Opens connections to {@code endpoint} until {@code connections} are open (or the pool's maximum). */
    public void warmUp(UpstreamEndpoint endpoint, int connections) {
        execute(() -> pool(endpoint).warm(connections));
    }

    void register(FrontendConnection connection) {
        if (connectionCount == connections.length) {
            FrontendConnection[] grown = new FrontendConnection[connections.length * 2];
            System.arraycopy(connections, 0, grown, 0, connectionCount);
            connections = grown;
        }
        connection.slot = connectionCount;
        connections[connectionCount++] = connection;
    }

    void unregister(FrontendConnection connection) {
        int slot = connection.slot;
        if (slot < 0) {
            return;
        }
        FrontendConnection last = connections[--connectionCount];
        connections[slot] = last;
        last.slot = slot;
        connections[connectionCount] = null;
        connection.slot = -1;
    }

    void drain() {
        draining = true;
        for (int i = connectionCount - 1; i >= 0; i--) {
            connections[i].onDrain();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (int i = connectionCount - 1; i >= 0; i--) {
            if (i < connectionCount) {
                FrontendConnection connection = connections[i];
                if (connection.deadlineNanos != 0 && now - connection.deadlineNanos >= 0) {
                    connection.onDeadline(now);
                }
            }
        }
        UpstreamPool[] current = pools;
        for (UpstreamPool pool : current) {
            if (pool != null) {
                pool.sweep(now);
            }
        }
    }

    /** Closes every pool (shutdown). */
    void close() {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        for (UpstreamPool pool : pools) {
            if (pool != null) {
                pool.retire();
            }
        }
    }

    /** Stops the sweeper and closes idle upstream connections; runs on the loop. */
    public void shutdown() {
        execute(this::close);
    }

    int connectionCount() {
        return connectionCount;
    }
}
