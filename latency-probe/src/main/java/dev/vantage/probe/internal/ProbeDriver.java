package dev.vantage.probe.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeKind;
import dev.vantage.probe.ProbeTarget;

/**
 * Runs the probes on one dedicated Netty event loop (never the proxy's): keeps every target on one timer
 * ({@link ProbeTimers}: one event-loop task armed at the earliest due slot, not a task per probe and per timeout),
 * performs the probes (a fresh {@link ProbeAttempt} per TCP connect probe or per check of a target that does not reuse
 * its connection, the target's {@link KeptAliveConnection} otherwise), feeds results and passive reports to the
 * {@link ProbeCore}, and publishes tables coalesced over {@link #PUBLISH_DELAY_MILLIS}. Every field is owned by the
 * probe thread except those documented as thread-safe.
 */
public final class ProbeDriver implements AutoCloseable {

    /** Results within this window are published together, so 1 000 targets do not mean 1 000 table copies. */
    public static final long PUBLISH_DELAY_MILLIS = 5;
    private static final int PASSIVE_RING_BYTES = 1 << 16;
    /**
     * Most due entries one timer task handles; the rest go to a new task scheduled right away, which Netty runs only
     * after the I/O that is ready, so a thread that fell behind (a starved machine) keeps reading answers between
     * batches instead of starting hundreds of probes and then reading all their answers too late.
     */
    static final int MAX_DUE_PER_TICK = 32;

    private final ProbeCore core;
    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final PassiveRing passiveRing;
    private final SplittableRandom random;
    private final ProbeTimers timers = new ProbeTimers();
    private final Runnable tickTask = this::onTick;
    private final Bootstrap connectBootstrap;
    private final Bootstrap conversationBootstrap;
    private volatile long threadId = -1;
    private volatile long connectionsOpenedTotal;
    private volatile long timerWakeupsTotal;
    private ScheduledFuture<?> tick;
    private long tickAtNanos;
    private boolean publishPending;
    private long publishAtNanos;
    private ScheduledFuture<?> ejectionTimer;
    private long ejectionTimerAtNanos;
    private long attemptSequence;
    private boolean closing;

    public ProbeDriver(ProbeCore core, Transport transport, String threadName, long randomSeed) {
        this.core = core;
        this.transport = transport;
        this.random = new SplittableRandom(randomSeed);
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                transport.ioHandlerFactory());
        this.loop = group.next();
        this.passiveRing = new PassiveRing(PASSIVE_RING_BYTES, loop, this::drainPassive);
        // Connect probes reset instead of FIN: no TIME_WAIT per probe on this side (what HAProxy does for checks).
        // They read nothing, so no read is ever armed on their sockets.
        this.connectBootstrap = new Bootstrap().group(loop).channel(transport.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.SO_LINGER, 0)
                .option(ChannelOption.AUTO_READ, false);
        this.conversationBootstrap = new Bootstrap().group(loop).channel(transport.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.TCP_NODELAY, true);
        loop.execute(() -> threadId = Thread.currentThread().getId());
    }

    public Transport transport() {
        return transport;
    }

    long nanoTime() {
        return System.nanoTime();
    }

    /** Any thread: applies a target list on the probe thread. */
    public CompletableFuture<ProbeCore.ApplyResult> apply(List<ProbeTarget> targets, ProbeSettings settings) {
        CompletableFuture<ProbeCore.ApplyResult> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                ProbeCore.ApplyResult applied = core.applyTargets(targets, settings);
                for (TargetSlot slot : applied.removed()) {
                    stop(slot);
                }
                long now = nanoTime();
                for (TargetSlot slot : applied.added()) {
                    // A random first start spreads the targets over one interval, so they never probe in lockstep.
                    long intervalNanos = TimeUnit.MILLISECONDS.toNanos(slot.target().intervalMillis());
                    scheduleStart(slot, now + (long) (random.nextDouble() * intervalNanos));
                }
                armTick();
                rescheduleEjectionTimer();
                publishNow();
                result.complete(applied);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Any thread: sets or clears an operator drain by target id or host:port; completes with false when none matches. */
    public CompletableFuture<Boolean> setDraining(String target, boolean draining) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        loop.execute(() -> {
            boolean found = core.setDraining(target, draining);
            publishNow();
            result.complete(found);
        });
        return result;
    }

    /** Any thread, allocation-free: queues a passive result for slot {@code index}. */
    public boolean report(int index, PassiveOutcome outcome) {
        return passiveRing.offer(index, outcome);
    }

    public long passiveReportsDroppedTotal() {
        return passiveRing.droppedTotal();
    }

    /** Connections the probes opened: one per connect probe or fresh check, one per (re)connect of a kept-alive one. */
    public long connectionsOpenedTotal() {
        return connectionsOpenedTotal;
    }

    /** How many times the probe timer woke the probe thread (each wake-up starts or times out every due probe). */
    public long timerWakeupsTotal() {
        return timerWakeupsTotal;
    }

    /** CPU time used by the probe thread so far, or -1 when the JVM cannot tell. */
    public long threadCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long id = threadId;
        if (id < 0 || !threads.isThreadCpuTimeSupported()) {
            return -1;
        }
        return threads.getThreadCpuTime(id);
    }

    /**
     * Runs {@code task} on the probe thread: now when called there, else queued. A connect that fails before its
     * channel is registered (no file descriptor left) completes its future on Netty's global executor, and every
     * structure here belongs to the probe thread.
     */
    boolean onProbeThread(Runnable task) {
        if (loop.inEventLoop()) {
            return true;
        }
        loop.execute(task);
        return false;
    }

    Bootstrap conversationBootstrap() {
        return conversationBootstrap;
    }

    void onConnectionOpened() {
        connectionsOpenedTotal++;
    }

    /** Takes a removed or replaced slot off the timer and closes whatever it has open. */
    private void stop(TargetSlot slot) {
        timers.remove(slot);
        ProbeInFlight probe = slot.inFlight;
        slot.inFlight = null;
        if (probe != null) {
            probe.abort();
        }
        if (slot.keptAlive != null) {
            slot.keptAlive.abort();
            slot.keptAlive = null;
        }
    }

    /** Plans the next start of {@code slot} at {@code startNanos}, rounded down to its grid. */
    private void scheduleStart(TargetSlot slot, long startNanos) {
        slot.plannedStartNanos = startNanos;
        timers.schedule(slot, ProbeTimers.roundDown(startNanos, ProbeTimers.gridNanos(slot.target().intervalMillis())));
    }

    /** Keeps the event-loop task armed at the earliest of the timer's first entry and a pending publication. */
    private void armTick() {
        if (closing) {
            return;
        }
        long due = timers.peekDueNanos();
        if (publishPending && publishAtNanos - due < 0) {
            due = publishAtNanos;
        }
        if (due == Long.MAX_VALUE) {
            return;
        }
        if (tick != null) {
            if (tickAtNanos - due <= 0) {
                return; // armed early enough: the tick re-arms for what follows
            }
            tick.cancel(false);
        }
        tickAtNanos = due;
        tick = loop.schedule(tickTask, Math.max(0, due - nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTick() {
        tick = null;
        timerWakeupsTotal++;
        long now = nanoTime();
        int handled = 0;
        while (timers.peekDueNanos() - now <= 0 && !closing) {
            if (handled++ == MAX_DUE_PER_TICK) {
                tickAtNanos = now;
                tick = loop.schedule(tickTask, 0, TimeUnit.NANOSECONDS);
                return;
            }
            TargetSlot slot = timers.poll();
            ProbeInFlight probe = slot.inFlight;
            if (probe != null) {
                probe.timeout();
                if (slot.inFlight == probe) {
                    // It did not report (it had already stopped): never let a target drop off the timer.
                    probe.abort();
                    core.onProbeFailure(slot, ProbeAttempt.timeoutError(slot.target(), false));
                    afterResult(slot);
                }
            } else {
                runProbe(slot, now);
            }
        }
        if (publishPending && publishAtNanos - now <= 0) {
            publishNow();
        }
        armTick();
    }

    private void runProbe(TargetSlot slot, long now) {
        if (slot.retired() || closing) {
            return;
        }
        ProbeTarget target = slot.target();
        // The deadline replaces the start on the timer; rounded up, a timeout is never declared early.
        timers.schedule(slot, ProbeTimers.roundUp(now + TimeUnit.MILLISECONDS.toNanos(target.timeoutMillis()),
                ProbeTimers.gridNanos(target.timeoutMillis())));
        try {
            InetSocketAddress address = slot.resolvedAddress;
            if (address == null) {
                address = ProbeAttempt.resolve(target);
                if (address.isUnresolved()) {
                    core.onProbeFailure(slot, "unknown host: " + target.address().host());
                    afterResult(slot);
                    return;
                }
                if (ProbeAttempt.isIpLiteral(target.address().host())) {
                    // Nothing to look up again: keep it for the target's life. Names are resolved at every probe.
                    slot.resolvedAddress = address;
                }
            }
            if (target.reuseConnection()) {
                KeptAliveConnection keptAlive = slot.keptAlive;
                if (keptAlive == null) {
                    keptAlive = new KeptAliveConnection(this, slot);
                    slot.keptAlive = keptAlive;
                }
                slot.inFlight = keptAlive;
                keptAlive.start(now, address);
            } else {
                ProbeAttempt attempt = new ProbeAttempt(this, slot, now, ++attemptSequence);
                slot.inFlight = attempt;
                // One Bootstrap per kind, reused: the probe thread is its only user, and connect() reads the handler
                // synchronously. The timer covers the connect, so Netty schedules no timer of its own.
                Bootstrap bootstrap = target.kind() == ProbeKind.TCP_CONNECT ? connectBootstrap : conversationBootstrap;
                slot.connectionsOpened++;
                connectionsOpenedTotal++;
                attempt.start(bootstrap.handler(attempt).connect(address));
            }
        } catch (RuntimeException e) {
            // Record it, so that a target never silently stops being probed.
            ProbeInFlight probe = slot.inFlight;
            if (probe != null) {
                probe.abort();
                core.onProbeFailure(slot, "probe error: " + e);
                afterResult(slot);
            }
        }
    }

    /** The probe in flight of {@code slot} passed; ignored when it was aborted or already completed. */
    void onSuccess(TargetSlot slot, long rttNanos) {
        if (slot.inFlight != null) {
            core.onProbeSuccess(slot, rttNanos);
            afterResult(slot);
        }
    }

    /** The probe in flight of {@code slot} failed; ignored when it was aborted or already completed. */
    void onFailure(TargetSlot slot, String error) {
        if (slot.inFlight != null) {
            core.onProbeFailure(slot, error);
            afterResult(slot);
        }
    }

    private void afterResult(TargetSlot slot) {
        slot.inFlight = null;
        requestPublish();
        if (slot.retired() || closing) {
            timers.remove(slot);
            return;
        }
        ProbeTarget target = slot.target();
        double jitterRatio = core.settings().jitterRatio();
        double factor = 1 + jitterRatio * (2 * random.nextDouble() - 1);
        long intervalNanos = (long) (TimeUnit.MILLISECONDS.toNanos(target.intervalMillis()) * factor);
        // Start to start from the planned start, but never closer than a quarter interval after this probe ended: a
        // probe thread that falls behind (a starved machine) does not make up for it in a burst.
        long now = nanoTime();
        long next = slot.plannedStartNanos + intervalNanos;
        if (next - (now + intervalNanos / 4) < 0) {
            next = now + intervalNanos / 4;
        }
        scheduleStart(slot, next);
        armTick();
    }

    /** Publishes at the next timer wake-up at least {@link #PUBLISH_DELAY_MILLIS} from now. */
    private void requestPublish() {
        if (!publishPending) {
            publishPending = true;
            publishAtNanos = ProbeTimers.roundUp(nanoTime() + TimeUnit.MILLISECONDS.toNanos(PUBLISH_DELAY_MILLIS),
                    ProbeTimers.COARSE_GRID_NANOS);
            armTick();
        }
    }

    private void publishNow() {
        publishPending = false;
        core.publish();
    }

    private void drainPassive() {
        passiveRing.drain(core::onPassive);
        rescheduleEjectionTimer();
        if (core.dirty()) {
            publishNow();
        }
    }

    private void rescheduleEjectionTimer() {
        long next = core.expireEjections();
        if (next == Long.MAX_VALUE) {
            return;
        }
        if (ejectionTimer != null && !ejectionTimer.isDone() && ejectionTimerAtNanos - next <= 0) {
            return;
        }
        if (ejectionTimer != null) {
            ejectionTimer.cancel(false);
        }
        ejectionTimerAtNanos = next;
        ejectionTimer = loop.schedule(this::onEjectionTimer, Math.max(0, next - nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onEjectionTimer() {
        ejectionTimer = null;
        rescheduleEjectionTimer();
        publishNow();
    }

    /**
     * Stops starting probes, abandons the ones in flight and closes every connection (their buffers are released as
     * the channels close), then stops the event loop; waits up to 5 s for the thread to end.
     */
    @Override
    public void close() {
        if (!loop.isShuttingDown()) {
            loop.submit(() -> {
                closing = true;
                if (tick != null) {
                    tick.cancel(false);
                    tick = null;
                }
                for (TargetSlot slot : timers.slots()) {
                    stop(slot);
                }
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
