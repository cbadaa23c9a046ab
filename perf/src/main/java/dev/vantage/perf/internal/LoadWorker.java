package dev.vantage.perf.internal;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.HdrHistogram.Recorder;

import dev.vantage.perf.ErrorKind;
import dev.vantage.perf.RateSchedule;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Drives the keep-alive connections of one event loop: in open loop it queues requests at their intended send
 * times and sends each on the next free connection; in closed loop every connection sends again as soon as its
 * response is complete. Latency is recorded from the intended send time, so a request that waited in the queue
 * for a free connection carries its waiting time (coordinated-omission correction); nothing scheduled is ever
 * skipped: it completes, or fails with a counted {@link ErrorKind}.
 *
 * <p>Threading: all state is owned by the event loop; {@link #connect}, {@link #start} and {@link #counts} post
 * to it. Latencies go to a {@link Recorder} (microseconds) that another thread samples.
 */
public final class LoadWorker {

    /** Micro-seconds: one hour is the largest latency recorded (larger ones are clamped). */
    public static final long HIGHEST_TRACKABLE_MICROS = 3_600_000_000L;

    private static final long RECONNECT_DELAY_MILLIS = 50;
    private static final long SWEEP_PERIOD_MILLIS = 10;

    /**
     * The timing of a run, shared by all workers ({@link System#nanoTime} values).
     *
     * @param schedule       the open-loop rate, {@code null} for closed loop
     * @param thinkTimeNanos closed loop: pause between a response and the next request on that connection
     */
    public record Plan(long startNanos, long warmupEndNanos, long endNanos, long timeoutNanos, RateSchedule schedule,
                       long thinkTimeNanos) {
        boolean closedLoop() {
            return schedule == null;
        }
    }

    /** What a worker counted; {@code requests} are measured requests that completed or failed. */
    public record Counts(long sent, long requests, long completionsInWindow, long[] errors) {
    }

    private enum State { CONNECTING, IDLE, BUSY, THINKING, ABANDONED, CLOSED }

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final RequestSource requests;
    private final Recorder recorder;
    private final int workerIndex;
    private final int workerCount;
    private final int connectionCount;
    private final long[] errors = new long[ErrorKind.values().length];
    private final LongRing pending = new LongRing(1024);
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> connections = new ArrayList<>();
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final CompletableFuture<Void> primed = new CompletableFuture<>();
    private int primesOutstanding;
    private Plan plan;
    private double nextIntendedNanos;
    private boolean schedulingDone;
    private boolean closing;
    private int initialAttemptsResolved;
    private long sent;
    private long requestsMeasured;
    private long completionsInWindow;
    private ScheduledFuture<?> sweep;

    public LoadWorker(EventLoop loop, Transport transport, InetSocketAddress target, int connectionCount,
                      RequestSource requests, Recorder recorder, int workerIndex, int workerCount,
                      int connectTimeoutMillis) {
        this.loop = loop;
        this.requests = requests;
        this.recorder = recorder;
        this.workerIndex = workerIndex;
        this.workerCount = workerCount;
        this.connectionCount = connectionCount;
        this.bootstrap = new Bootstrap().group(loop).channel(transport.socketChannelClass()).remoteAddress(target)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    }

    /** Opens the connections; completes when every first attempt has succeeded or failed. */
    public CompletableFuture<Void> connect() {
        loop.execute(() -> {
            if (connectionCount == 0) {
                connected.complete(null);
            }
            for (int i = 0; i < connectionCount; i++) {
                Connection c = new Connection();
                connections.add(c);
                open(c);
            }
        });
        return connected;
    }

    /**
     * Sends one unrecorded request on every open connection and completes when all are answered (or failed):
     * the first request of a fresh JVM loads and runs the HTTP code for the first time, which on a busy machine
     * takes long enough to put an open-loop schedule behind before it starts.
     */
    public CompletableFuture<Void> prime() {
        loop.execute(() -> {
            long now = System.nanoTime();
            for (Connection c : connections) {
                if (c.state == State.IDLE) {
                    idle.remove(c);
                    c.priming = true;
                    primesOutstanding++;
                    send(c, now);
                }
            }
            if (primesOutstanding == 0) {
                primed.complete(null);
            }
        });
        return primed;
    }

    private void primeDone(Connection c) {
        c.priming = false;
        if (--primesOutstanding == 0) {
            primed.complete(null);
        }
    }

    /** Starts sending by {@code plan}; the returned future completes when every request is resolved. */
    public CompletableFuture<Void> start(Plan plan) {
        loop.execute(() -> {
            this.plan = plan;
            sweep = loop.scheduleAtFixedRate(this::sweep, SWEEP_PERIOD_MILLIS, SWEEP_PERIOD_MILLIS,
                    TimeUnit.MILLISECONDS);
            if (plan.closedLoop()) {
                loop.schedule(this::dispatch, Math.max(0, plan.startNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
            } else {
                // Workers interleave: worker w sends the requests w, w+n, w+2n... of the global schedule.
                nextIntendedNanos = plan.startNanos() + workerIndex * 1e9 / plan.schedule().firstRate();
                scheduleTick(System.nanoTime());
            }
        });
        return finished;
    }

    /** The counters; call after the future of {@link #start} completed. */
    public Counts counts() throws InterruptedException, ExecutionException, TimeoutException {
        Future<Counts> future = loop.submit(() -> new Counts(sent, requestsMeasured, completionsInWindow,
                errors.clone()));
        return future.get(10, TimeUnit.SECONDS);
    }

    /** Stops everything now (used when a run is abandoned); pending requests are counted as timeouts. */
    public void abort() {
        loop.execute(() -> {
            while (!pending.isEmpty()) {
                countRequestError(pending.poll(), ErrorKind.TIMEOUT);
            }
            for (Connection c : connections) {
                if (c.state == State.BUSY) {
                    countRequestError(c.intendedNanos, ErrorKind.TIMEOUT);
                    c.state = State.ABANDONED;
                }
            }
            schedulingDone = true;
            finish();
        });
    }

    private void open(Connection c) {
        c.state = State.CONNECTING;
        bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpResponseDecoder(), new ConnectionHandler(c, ch));
            }
        }).connect().addListener((ChannelFuture f) -> onConnect(c, f));
    }

    private void onConnect(Connection c, ChannelFuture future) {
        if (future.isSuccess()) {
            c.channel = future.channel();
            if (closing) {
                c.channel.close();
            } else if (c.state == State.CONNECTING && c.channel.isActive()) {
                c.state = State.IDLE;
                idle.add(c);
            }
        } else {
            errors[ErrorKind.CONNECT.ordinal()]++;
            c.state = State.CLOSED;
            reconnectLater(c);
        }
        if (c.firstAttempt) {
            c.firstAttempt = false;
            if (++initialAttemptsResolved == connectionCount) {
                connected.complete(null);
            }
        }
        if (plan != null) {
            dispatch();
        }
    }

    private void reconnectLater(Connection c) {
        if (closing) {
            return;
        }
        loop.schedule(() -> {
            if (!closing && c.state == State.CLOSED) {
                open(c);
            }
        }, RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void scheduleTick(long nowNanos) {
        long delay = (long) nextIntendedNanos - nowNanos;
        loop.schedule(this::tick, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    private void tick() {
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        while (nextIntendedNanos <= now && nextIntendedNanos < plan.endNanos()) {
            pending.add((long) nextIntendedNanos);
            double sinceScheduleStartSeconds = (nextIntendedNanos - plan.warmupEndNanos()) / 1e9;
            nextIntendedNanos += workerCount * 1e9 / plan.schedule().rateAt(sinceScheduleStartSeconds);
        }
        dispatch();
        if (nextIntendedNanos >= plan.endNanos()) {
            schedulingDone = true;
            maybeFinish();
        } else {
            scheduleTick(now);
        }
    }

    private void dispatch() {
        if (closing || plan == null) {
            return;
        }
        if (plan.closedLoop()) {
            long now = System.nanoTime();
            if (now < plan.startNanos()) {
                return;
            }
            if (now >= plan.endNanos()) {
                schedulingDone = true;
                maybeFinish();
                return;
            }
            while (!idle.isEmpty()) {
                send(idle.poll(), now);
            }
        } else {
            while (!pending.isEmpty() && !idle.isEmpty()) {
                send(idle.poll(), pending.poll());
            }
        }
    }

    private void send(Connection c, long intendedNanos) {
        c.state = State.BUSY;
        c.intendedNanos = intendedNanos;
        c.sentNanos = System.nanoTime();
        c.status = 0;
        c.closeAfterResponse = false;
        ByteBuf request = requests.next(c.channel.alloc(), plan == null ? 0 : c.sentNanos - plan.startNanos());
        sent++;
        c.channel.writeAndFlush(request).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void onResponse(Connection c) {
        if (c.priming) {
            primeDone(c);
            if (c.closeAfterResponse) {
                c.state = State.ABANDONED;
                c.channel.close();
            } else {
                c.state = State.IDLE;
                idle.add(c);
            }
            if (plan != null) {
                dispatch();
                maybeFinish();
            }
            return;
        }
        long now = System.nanoTime();
        if (c.intendedNanos >= plan.warmupEndNanos()) {
            long micros = Math.max(1, Math.min(HIGHEST_TRACKABLE_MICROS, (now - c.intendedNanos) / 1000));
            recorder.recordValue(micros);
            requestsMeasured++;
            if (c.status >= 500) {
                errors[ErrorKind.STATUS_5XX.ordinal()]++;
            } else if (c.status >= 400) {
                errors[ErrorKind.STATUS_4XX.ordinal()]++;
            }
        }
        if (now >= plan.warmupEndNanos() && now <= plan.endNanos()) {
            completionsInWindow++;
        }
        if (c.closeAfterResponse) {
            c.state = State.ABANDONED;
            c.channel.close();
        } else if (plan.closedLoop() && plan.thinkTimeNanos() > 0) {
            c.state = State.THINKING;
            loop.schedule(() -> {
                if (c.state == State.THINKING) {
                    c.state = State.IDLE;
                    idle.add(c);
                    dispatch();
                }
            }, plan.thinkTimeNanos(), TimeUnit.NANOSECONDS);
        } else {
            c.state = State.IDLE;
            idle.add(c);
        }
        dispatch();
        maybeFinish();
    }

    private void countRequestError(long intendedNanos, ErrorKind kind) {
        if (plan != null && intendedNanos >= plan.warmupEndNanos()) {
            errors[kind.ordinal()]++;
            requestsMeasured++;
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        if (plan.closedLoop() && now >= plan.endNanos()) {
            schedulingDone = true;
        }
        for (Connection c : connections) {
            if (c.state == State.BUSY && now - c.sentNanos > plan.timeoutNanos()) {
                countRequestError(c.intendedNanos, ErrorKind.TIMEOUT);
                c.state = State.ABANDONED;
                c.channel.close();
            }
        }
        while (!pending.isEmpty() && now - pending.peek() > plan.timeoutNanos()) {
            countRequestError(pending.poll(), ErrorKind.TIMEOUT);
        }
        maybeFinish();
    }

    private void maybeFinish() {
        if (!schedulingDone || closing || !pending.isEmpty()) {
            return;
        }
        for (Connection c : connections) {
            if (c.state == State.BUSY) {
                return;
            }
        }
        finish();
    }

    private void finish() {
        if (closing) {
            return;
        }
        closing = true;
        if (sweep != null) {
            sweep.cancel(false);
        }
        for (Connection c : connections) {
            if (c.channel != null) {
                c.channel.close();
            }
        }
        connected.complete(null);
        finished.complete(null);
    }

    /** One keep-alive connection (re-opened as needed) and its single in-flight request. */
    private static final class Connection {
        Channel channel;
        State state = State.CONNECTING;
        boolean firstAttempt = true;
        boolean priming;
        long intendedNanos;
        long sentNanos;
        int status;
        boolean closeAfterResponse;
    }

    /** The last handler of one channel of a {@link Connection}; events of a replaced channel are ignored. */
    private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
        private final Connection c;
        private final Channel ownChannel;

        ConnectionHandler(Connection connection, Channel channel) {
            this.c = connection;
            this.ownChannel = channel;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (c.channel != ownChannel || c.state != State.BUSY) {
                    if (c.channel == ownChannel && c.state != State.ABANDONED) {
                        // A response nobody asked for: the stream is out of step, so it cannot be reused.
                        errors[ErrorKind.PROTOCOL.ordinal()]++;
                        c.state = State.ABANDONED;
                    }
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpObject && ((HttpObject) msg).decoderResult().isFailure()) {
                    countRequestError(c.intendedNanos, ErrorKind.PROTOCOL);
                    c.state = State.ABANDONED;
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpResponse) {
                    HttpResponse response = (HttpResponse) msg;
                    c.status = response.status().code();
                    c.closeAfterResponse = !HttpUtil.isKeepAlive(response);
                }
                if (msg instanceof LastHttpContent && c.status >= 200) {
                    onResponse(c);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (c.channel != ownChannel) {
                return;
            }
            if (c.priming) {
                primeDone(c);
            } else if (c.state == State.BUSY) {
                countRequestError(c.intendedNanos, ErrorKind.RESET);
            }
            c.state = State.CLOSED;
            idle.remove(c);
            reconnectLater(c);
            if (plan != null) {
                dispatch();
                maybeFinish();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Resets and other I/O errors: closing makes channelInactive count the request in flight.
            ctx.close();
        }
    }
}
