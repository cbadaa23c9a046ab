package dev.vantage.probe.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
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
 * Runs the probes on one dedicated Netty event loop (never the proxy's): schedules each target with a jittered
 * interval, performs the probes, feeds results and passive reports to the {@link ProbeCore}, and publishes tables
 * coalesced over {@link #PUBLISH_DELAY_MILLIS}. Every field is owned by the probe thread except those documented
 * as thread-safe.
 */
public final class ProbeDriver implements AutoCloseable {

    /** Results within this window are published together, so 1 000 targets do not mean 1 000 table copies. */
    public static final long PUBLISH_DELAY_MILLIS = 5;
    private static final int PASSIVE_RING_BYTES = 1 << 16;
    private static final long CLOSE_WAIT_MILLIS = 2_000;

    private final ProbeCore core;
    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final PassiveRing passiveRing;
    private final SplittableRandom random;
    private final Runnable publishTask = this::publishNow;
    private final Bootstrap connectBootstrap;
    private final Bootstrap conversationBootstrap;
    private volatile long threadId = -1;
    private boolean publishScheduled;
    private ScheduledFuture<?> ejectionTimer;
    private long ejectionTimerAtNanos;
    private long attemptSequence;
    private boolean closing;
    private int inFlight;

    public ProbeDriver(ProbeCore core, Transport transport, String threadName, long randomSeed) {
        this.core = core;
        this.transport = transport;
        this.random = new SplittableRandom(randomSeed);
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                transport.ioHandlerFactory());
        this.loop = group.next();
        this.passiveRing = new PassiveRing(PASSIVE_RING_BYTES, loop, this::drainPassive);
        // Connect probes reset instead of FIN: no TIME_WAIT per probe on this side (what HAProxy does for checks).
        this.connectBootstrap = new Bootstrap().group(loop).channel(transport.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.SO_LINGER, 0);
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
                    if (slot.nextProbe != null) {
                        slot.nextProbe.cancel(false);
                        slot.nextProbe = null;
                    }
                }
                for (TargetSlot slot : applied.added()) {
                    // A random first start spreads the targets over one interval, so they never probe in lockstep.
                    long intervalNanos = TimeUnit.MILLISECONDS.toNanos(slot.target().intervalMillis());
                    scheduleProbe(slot, (long) (random.nextDouble() * intervalNanos));
                }
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

    /** CPU time used by the probe thread so far, or -1 when the JVM cannot tell. */
    public long threadCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long id = threadId;
        if (id < 0 || !threads.isThreadCpuTimeSupported()) {
            return -1;
        }
        return threads.getThreadCpuTime(id);
    }

    private void scheduleProbe(TargetSlot slot, long delayNanos) {
        slot.nextProbe = loop.schedule(() -> runProbe(slot), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void runProbe(TargetSlot slot) {
        slot.nextProbe = null;
        if (slot.retired() || closing) {
            return;
        }
        inFlight++;
        ProbeAttempt attempt = null;
        try {
            attempt = new ProbeAttempt(this, slot, nanoTime(), ++attemptSequence);
            startAttempt(attempt);
        } catch (RuntimeException e) {
            // Scheduled tasks swallow exceptions: record it, so that a target never silently stops being probed.
            if (attempt == null) {
                core.onProbeFailure(slot, "probe error: " + e);
                onAttemptDone();
                afterFailureWithoutAttempt(slot);
            } else {
                attempt.failBeforeConnect("probe error: " + e);
            }
        }
    }

    private void startAttempt(ProbeAttempt attempt) {
        TargetSlot slot = attempt.slot();
        InetSocketAddress address = slot.resolvedAddress;
        if (address == null) {
            address = ProbeAttempt.resolve(slot.target());
            if (address.isUnresolved()) {
                attempt.failBeforeConnect("unknown host: " + slot.target().address().host());
                return;
            }
            if (ProbeAttempt.isIpLiteral(slot.target().address().host())) {
                // Nothing to look up again: keep it for the target's life. Names are resolved at every probe.
                slot.resolvedAddress = address;
            }
        }
        // One Bootstrap per kind, reused: the probe thread is its only user, and connect() reads the handler
        // synchronously. The attempt's own timeout covers the connect, so Netty schedules no second timer.
        Bootstrap bootstrap = slot.target().kind() == ProbeKind.TCP_CONNECT ? connectBootstrap : conversationBootstrap;
        ChannelFuture connect = bootstrap.handler(attempt).connect(address);
        attempt.start(connect);
    }

    /** Called by every attempt exactly once, when it completes or fails before connecting. */
    void onAttemptDone() {
        inFlight--;
    }

    void onSuccess(ProbeAttempt attempt, long rttNanos) {
        core.onProbeSuccess(attempt.slot(), rttNanos);
        afterResult(attempt);
    }

    void onFailure(ProbeAttempt attempt, String error) {
        core.onProbeFailure(attempt.slot(), error);
        afterResult(attempt);
    }

    private void afterResult(ProbeAttempt attempt) {
        onAttemptDone();
        schedulePublish();
        TargetSlot slot = attempt.slot();
        if (slot.retired() || closing) {
            return;
        }
        ProbeTarget target = slot.target();
        double jitterRatio = core.settings().jitterRatio();
        double factor = 1 + jitterRatio * (2 * random.nextDouble() - 1);
        long intervalNanos = (long) (TimeUnit.MILLISECONDS.toNanos(target.intervalMillis()) * factor);
        // Start to start, but never closer than a quarter interval after the previous probe ended: a probe thread
        // that falls behind (a starved machine) does not make up for it in a burst.
        long delayNanos = Math.max(attempt.startNanos() + intervalNanos - nanoTime(), intervalNanos / 4);
        scheduleProbe(slot, delayNanos);
    }

    private void afterFailureWithoutAttempt(TargetSlot slot) {
        schedulePublish();
        if (!slot.retired()) {
            scheduleProbe(slot, TimeUnit.MILLISECONDS.toNanos(slot.target().intervalMillis()));
        }
    }

    private void schedulePublish() {
        if (!publishScheduled) {
            publishScheduled = true;
            loop.schedule(publishTask, PUBLISH_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void publishNow() {
        publishScheduled = false;
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
     * Stops starting probes, lets the ones in flight finish (each is bounded by its timeout, at most
     * {@link #CLOSE_WAIT_MILLIS}), then stops the event loop; waits up to 5 s for the thread to end.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        if (!loop.isShuttingDown()) {
            while (true) {
                io.netty.util.concurrent.Future<Integer> remaining = loop.submit(() -> {
                    closing = true;
                    return inFlight;
                });
                if (!remaining.awaitUninterruptibly(1, TimeUnit.SECONDS) || remaining.getNow() == null
                        || remaining.getNow() == 0 || System.nanoTime() - deadline > 0) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
