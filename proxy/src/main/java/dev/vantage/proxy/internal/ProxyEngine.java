package dev.vantage.proxy.internal;

import dev.vantage.config.HttpLimits;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.UpstreamSelector;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * State shared by every event loop of one proxy: the published topology (volatile, swapped whole on reload), the
 * selector, the access log and the per-loop contexts.
 *
 * <p>Threading: {@link #topology} is written by the reload thread and read by the loops; the loop contexts are
 * created before any connection is accepted and never change afterwards.
 */
public final class ProxyEngine {

    private volatile ProxyTopology topology;
    private volatile boolean draining;
    final UpstreamSelector selector;
    final AccessLog accessLog;
    final Transports.Choice transport;
    private final Map<EventExecutor, LoopContext> loops = new IdentityHashMap<>();
    private final List<LoopContext> loopList = new ArrayList<>();

    public ProxyEngine(ProxyTopology topology, UpstreamSelector selector, AccessLog accessLog,
                       Transports.Choice transport) {
        this.topology = topology;
        this.selector = selector;
        this.accessLog = accessLog;
        this.transport = transport;
    }

    /** Creates the context of {@code loop}; called once per loop before the listeners bind. */
    public void addLoop(EventLoop loop) {
        LoopContext context = new LoopContext(this, loop);
        loops.put(loop, context);
        loopList.add(context);
        context.start();
    }

    LoopContext loop(EventExecutor executor) {
        return loops.get(executor);
    }

    public List<LoopContext> loops() {
        return Collections.unmodifiableList(loopList);
    }

    public ProxyTopology topology() {
        return topology;
    }

    /** Publishes a new topology and lets every loop refresh its pools' settings. */
    public void topology(ProxyTopology newTopology) {
        topology = newTopology;
        for (LoopContext loop : loopList) {
            loop.execute(loop::refreshPools);
        }
    }

    HttpLimits limits() {
        return topology.policy().httpLimits();
    }

    public boolean draining() {
        return draining;
    }

    /** Stops keeping client connections alive: idle ones close now, busy ones after their exchange. */
    public void drain() {
        draining = true;
        for (LoopContext loop : loopList) {
            loop.execute(loop::drain);
        }
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    public Transports.Choice transport() {
        return transport;
    }

    /** Open client connections over all loops (approximate while traffic flows). */
    public long openConnections() {
        long open = 0;
        for (LoopContext loop : loopList) {
            open += loop.metrics.get(LoopMetrics.CONNECTIONS_ACCEPTED) - loop.metrics.get(LoopMetrics.CONNECTIONS_CLOSED);
        }
        return open;
    }
}
