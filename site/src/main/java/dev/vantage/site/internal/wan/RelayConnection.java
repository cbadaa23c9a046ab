package dev.vantage.site.internal.wan;

import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import dev.vantage.site.WanLinkConditions;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One relayed TCP connection of a WAN link: the accepted (client) channel, the channel to the target, and one
 * delay line per direction that holds each chunk read until its release time (serialisation at the link's
 * bandwidth, then propagation delay, jitter and retransmission delay), in order.
 *
 * <p>Backpressure: a side stops reading while its delay line holds more than the high-water mark or while the
 * other side is not writable, so a slow link slows the sender down instead of buffering without bound.
 *
 * <p>Threading: both channels are on one event loop; all state is touched only there. {@link #applyConditions}
 * posts to it.
 */
public final class RelayConnection {

    private static final int SEGMENT_BYTES = 1448;
    private static final long MAX_HIGH_WATER_BYTES = 4L << 20;
    private static final long MIN_HIGH_WATER_BYTES = 64L << 10;

    private final Channel client;
    private final Supplier<WanLinkConditions> conditions;
    private final LongConsumer bytesForwarded;
    private final Consumer<RelayConnection> onClosed;
    private final SplittableRandom random;
    private final DelayLine toTarget;
    private final DelayLine toClient;
    private Channel target;
    private boolean stalled;
    private boolean closed;

    private RelayConnection(Channel client, Supplier<WanLinkConditions> conditions, LongConsumer bytesForwarded,
                            Consumer<RelayConnection> onClosed, long seed) {
        this.client = client;
        this.conditions = conditions;
        this.bytesForwarded = bytesForwarded;
        this.onClosed = onClosed;
        this.random = new SplittableRandom(seed);
        this.toTarget = new DelayLine();
        this.toClient = new DelayLine();
        toTarget.source = client;
    }

    /** A relay for the freshly accepted {@code client} channel (auto-read off); {@link #start} sets it going. */
    public static RelayConnection create(Channel client, Supplier<WanLinkConditions> conditions,
                                         LongConsumer bytesForwarded, Consumer<RelayConnection> onClosed, long seed) {
        RelayConnection relay = new RelayConnection(client, conditions, bytesForwarded, onClosed, seed);
        client.pipeline().addLast(relay.new Side(relay.toTarget, relay.toClient));
        return relay;
    }

    /**
     * Starts relaying to {@code targetAddress}: with a {@code REFUSE} partition the client is reset at once,
     * otherwise the target connection is opened on the same event loop and bytes flow once it is up. Call on the
     * client's event loop (e.g. from its channel initializer).
     */
    public void start(SocketAddress targetAddress) {
        if (conditions.get().partition() == WanLinkConditions.Partition.REFUSE) {
            reset();
            return;
        }
        new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new Side(toClient, toTarget))
                .connect(targetAddress).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess() || closed) {
                        f.channel().close();
                        reset();
                        return;
                    }
                    target = f.channel();
                    toTarget.destination = target;
                    toClient.source = target;
                    toClient.destination = client;
                    applyConditionsNow();
                });
    }

    /** Re-reads the link's conditions (partition changes act on open connections too). */
    public void applyConditions() {
        client.eventLoop().execute(this::applyConditionsNow);
    }

    private void applyConditionsNow() {
        if (closed) {
            return;
        }
        WanLinkConditions now = conditions.get();
        if (now.partition() == WanLinkConditions.Partition.REFUSE) {
            reset();
            return;
        }
        stalled = now.partition() == WanLinkConditions.Partition.STALL;
        toTarget.scheduleRelease();
        toClient.scheduleRelease();
        toTarget.updateReading();
        toClient.updateReading();
    }

    /** Closes both sides (used when the link closes). */
    public void closeNow() {
        client.eventLoop().execute(this::close);
    }

    /** Closes both sides with a TCP reset (SO_LINGER 0), as a failing network path would look to the peers. */
    private void reset() {
        resetChannel(client);
        if (target != null) {
            resetChannel(target);
        }
        close();
    }

    private static void resetChannel(Channel channel) {
        if (channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException e) {
                // Some transports refuse the option on a half-closed socket; a plain close is the fallback.
            }
            channel.close();
        }
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        toTarget.dropAll();
        toClient.dropAll();
        client.close();
        if (target != null) {
            target.close();
        }
        onClosed.accept(this);
    }

    private record Chunk(ByteBuf bytes, long releaseNanos) {
    }

    /** One direction: chunks read from {@code source}, held until their release time, written to destination. */
    private final class DelayLine {
        Channel source;
        Channel destination;
        final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
        long queuedBytes;
        long lastTransmitDoneNanos;
        long lastReleaseNanos;
        boolean sourceClosed;
        ScheduledFuture<?> timer;

        void onRead(ByteBuf chunk) {
            WanLinkConditions c = conditions.get();
            int bytes = chunk.readableBytes();
            long now = System.nanoTime();
            long transmitDone = Math.max(now, lastTransmitDoneNanos);
            if (c.bandwidthBytesPerSecond() > 0) {
                transmitDone += (long) (bytes * 1e9 / c.bandwidthBytesPerSecond());
            }
            lastTransmitDoneNanos = transmitDone;
            long delayNanos = TimeUnit.MILLISECONDS.toNanos(c.delayMillis());
            if (c.jitterMillis() > 0) {
                long jitter = TimeUnit.MILLISECONDS.toNanos(c.jitterMillis());
                delayNanos = Math.max(0, delayNanos + random.nextLong(-jitter, jitter + 1));
            }
            if (c.lossPercent() > 0) {
                int segments = Math.max(1, (bytes + SEGMENT_BYTES - 1) / SEGMENT_BYTES);
                double anyLost = 1 - Math.pow(1 - c.lossPercent() / 100.0, segments);
                if (random.nextDouble() < anyLost) {
                    delayNanos += TimeUnit.MILLISECONDS.toNanos(c.retransmitTimeoutMillis());
                }
            }
            long release = Math.max(transmitDone + delayNanos, lastReleaseNanos);
            lastReleaseNanos = release;
            chunks.add(new Chunk(chunk, release));
            queuedBytes += bytes;
            scheduleRelease();
            updateReading();
        }

        void scheduleRelease() {
            if (timer != null || chunks.isEmpty() || stalled || destination == null || closed) {
                return;
            }
            long delay = Math.max(0, chunks.peek().releaseNanos() - System.nanoTime());
            timer = client.eventLoop().schedule(this::release, delay, TimeUnit.NANOSECONDS);
        }

        void release() {
            timer = null;
            if (stalled || closed) {
                return;
            }
            long now = System.nanoTime();
            boolean wrote = false;
            while (!chunks.isEmpty() && chunks.peek().releaseNanos() <= now) {
                ByteBuf chunk = chunks.poll().bytes();
                int bytes = chunk.readableBytes();
                queuedBytes -= bytes;
                destination.write(chunk);
                bytesForwarded.accept(bytes);
                wrote = true;
            }
            if (wrote) {
                destination.flush();
            }
            if (!chunks.isEmpty()) {
                scheduleRelease();
            } else if (sourceClosed) {
                destination.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            updateReading();
        }

        void updateReading() {
            if (source == null || !source.isActive() || closed) {
                return;
            }
            WanLinkConditions c = conditions.get();
            long highWater = MAX_HIGH_WATER_BYTES;
            if (c.bandwidthBytesPerSecond() > 0) {
                // About two bandwidth-delay products in flight, as a TCP sender with a full window would have.
                long bdp = c.bandwidthBytesPerSecond() * (2 * c.delayMillis() + 100) / 1000;
                highWater = Math.max(MIN_HIGH_WATER_BYTES, Math.min(MAX_HIGH_WATER_BYTES, 2 * bdp));
            }
            boolean read = !stalled && destination != null && destination.isWritable() && queuedBytes < highWater;
            if (source.config().isAutoRead() != read) {
                source.config().setAutoRead(read);
            }
        }

        void onSourceClosed() {
            sourceClosed = true;
            if (chunks.isEmpty() && destination != null) {
                destination.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        void dropAll() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            while (!chunks.isEmpty()) {
                chunks.poll().bytes().release();
            }
            queuedBytes = 0;
        }
    }

    /** The handler of one channel: what it reads goes into {@code outgoing}; it is the destination of {@code incoming}. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final DelayLine outgoing;
        private final DelayLine incoming;

        Side(DelayLine outgoing, DelayLine incoming) {
            this.outgoing = outgoing;
            this.incoming = incoming;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed || !(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            outgoing.onRead((ByteBuf) msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            incoming.updateReading();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            outgoing.onSourceClosed();
            // Nothing more can be delivered to this side.
            incoming.dropAll();
            if (!client.isActive() && (target == null || !target.isActive())) {
                close();
            } else if (ctx.channel() == client && target == null) {
                close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
