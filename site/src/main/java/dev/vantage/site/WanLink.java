package dev.vantage.site;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.vantage.site.internal.wan.RelayConnection;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * An emulated WAN link between two sites: a TCP relay that listens on one address and forwards every accepted
 * connection to a target address, adding the delay, jitter, loss (as retransmission delay), bandwidth limit and
 * partitions of its {@link WanLinkConditions}. Conditions can be changed at any time; new data and (for
 * partitions) open connections follow at once. Byte order within a connection is always preserved.
 *
 * <p>Use {@link #start} for one link, or {@link WanLinks} for a named set with a control endpoint.
 *
 * <p>Threading: thread-safe; relaying runs on Netty event loops (NIO), the conditions are a volatile snapshot.
 */
public final class WanLink implements AutoCloseable {

    private final String name;
    private final InetSocketAddress target;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Channel serverChannel;
    private final Set<RelayConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesForwarded = new AtomicLong();
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong seeds = new AtomicLong(0x5EED);
    private volatile WanLinkConditions conditions;

    private WanLink(String name, InetSocketAddress listen, InetSocketAddress target, WanLinkConditions conditions,
                    EventLoopGroup group, boolean ownsGroup) throws InterruptedException {
        this.name = Objects.requireNonNull(name, "name");
        this.target = Objects.requireNonNull(target, "target");
        this.conditions = Objects.requireNonNull(conditions, "conditions");
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.serverChannel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connectionsAccepted.incrementAndGet();
                        RelayConnection relay = RelayConnection.create(ch, () -> WanLink.this.conditions,
                                bytesForwarded::addAndGet, connections::remove, seeds.incrementAndGet());
                        // Registered before it starts, so that a relay closed at once (refused) is also removed.
                        connections.add(relay);
                        relay.start(WanLink.this.target);
                    }
                }).bind(listen).sync().channel();
    }

    /**
     * Starts a link with its own event loop (one thread) listening on {@code listen} (port 0 = any free port, see
     * {@link #listenAddress}) and relaying to {@code target}.
     *
     * @throws IllegalStateException when the listen address cannot be bound
     */
    public static WanLink start(String name, InetSocketAddress listen, InetSocketAddress target,
                                WanLinkConditions conditions) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            return new WanLink(name, listen, target, conditions, group, true);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("wan link " + name + ": cannot listen on " + listen + ": " + e.getMessage(), e);
        }
    }

    /** A link on a shared event loop group (owned by the caller, e.g. {@link WanLinks}). */
    static WanLink start(String name, InetSocketAddress listen, InetSocketAddress target,
                         WanLinkConditions conditions, EventLoopGroup group) {
        try {
            return new WanLink(name, listen, target, conditions, group, false);
        } catch (InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("wan link " + name + ": cannot listen on " + listen + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    /** The bound listen address (with the real port when started on port 0). */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public InetSocketAddress target() {
        return target;
    }

    public WanLinkConditions conditions() {
        return conditions;
    }

    /** Changes the conditions: new data follows them at once; a partition also acts on open connections. */
    public void conditions(WanLinkConditions value) {
        conditions = Objects.requireNonNull(value, "conditions");
        for (RelayConnection connection : connections) {
            connection.applyConditions();
        }
    }

    /** Bytes delivered, both directions together. */
    public long bytesForwarded() {
        return bytesForwarded.get();
    }

    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    public int openConnections() {
        return connections.size();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        for (RelayConnection connection : connections) {
            connection.closeNow();
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return name + " " + listenAddress() + " -> " + target + " (" + conditions + ")";
    }
}
