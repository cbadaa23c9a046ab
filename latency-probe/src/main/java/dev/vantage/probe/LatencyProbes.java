package dev.vantage.probe;

import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.vantage.config.Policy;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.internal.NanoClock;
import dev.vantage.probe.internal.ProbeCore;
import dev.vantage.probe.internal.ProbeDriver;
import dev.vantage.probe.internal.ProbeRendering;
import dev.vantage.probe.internal.Transport;

/**
 * The latency probes of one site: active probes on their own event loop, passive outlier detection, and the
 * lock-free {@link ProbeTable} the proxy reads.
 *
 * <p>Threading: {@link #table()}, {@link #reportOutcome} and {@link #reportStatus} are safe from any thread and never
 * block or allocate (they are meant for the proxy's event loops). The other methods may be called from any thread;
 * the work they start runs on the probe thread, and they return futures that complete there.
 *
 * <pre>{@code
 * LatencyProbes probes = LatencyProbes.builder().build().start();
 * probes.applyPolicy(policy, "eu-1").join();
 * ProbeTable table = probes.table();
 * int index = table.indexOf("10.0.0.5", 8080);
 * if (table.usable(index)) { ... }
 * probes.reportStatus(index, 503);
 * probes.close();
 * }</pre>
 */
public final class LatencyProbes implements AutoCloseable {

    private final ProbeCore core;
    private final ProbeTransport transportPreference;
    private final String threadName;
    private final long randomSeed;
    private volatile ProbeDriver driver;
    private List<ProbeTarget> pendingTargets = List.of();
    private ProbeSettings pendingSettings;
    private CompletableFuture<ApplySummary> pendingResult;
    private boolean closed;

    private LatencyProbes(Builder builder) {
        this.core = new ProbeCore(builder.nanoClock, builder.wallClock, builder.settings);
        this.transportPreference = builder.transport;
        this.threadName = builder.threadName;
        this.randomSeed = builder.randomSeed;
        this.pendingSettings = builder.settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the probe event loop and the probes of the targets applied so far. Idempotent.
     *
     * @throws IllegalStateException when closed, or when a native transport asked for by name is unavailable
     */
    public synchronized LatencyProbes start() {
        if (closed) {
            throw new IllegalStateException("probes: closed (expected: not closed before start)");
        }
        if (driver == null) {
            ProbeDriver started = new ProbeDriver(core, Transport.select(transportPreference), threadName, randomSeed);
            driver = started;
            CompletableFuture<ApplySummary> waiting = pendingResult;
            pendingResult = null;
            CompletableFuture<ApplySummary> applied = apply(started, pendingTargets, pendingSettings);
            if (waiting != null) {
                applied.whenComplete((summary, error) -> {
                    if (error != null) {
                        waiting.completeExceptionally(error);
                    } else {
                        waiting.complete(summary);
                    }
                });
            }
        }
        return this;
    }

    /** Stops every probe and the probe thread. The last table stays readable. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        ProbeDriver running = driver;
        if (running != null) {
            running.close();
        }
    }

    /**
     * Probes what {@code policy} asks of site {@code localSiteId} (see {@link ProbeTargets#fromPolicy}), with the
     * policy's probe settings. Unchanged targets keep their state and schedule.
     *
     * @throws IllegalArgumentException when the local site is not in the policy
     */
    public CompletableFuture<ApplySummary> applyPolicy(Policy policy, String localSiteId) {
        return applyTargets(ProbeTargets.fromPolicy(policy, localSiteId), policy.probes());
    }

    /**
     * Makes the probed targets equal {@code targets} (duplicated ids: the first wins): new ones are added, missing
     * ones removed, changed ones restarted; thresholds in {@code settings} (rise, fall, degraded, ejection) apply to
     * every target at once without a restart. Before {@link #start()} the list is kept and applied at start.
     */
    public synchronized CompletableFuture<ApplySummary> applyTargets(List<ProbeTarget> targets,
                                                                     ProbeSettings settings) {
        List<ProbeTarget> copy = List.copyOf(targets);
        Objects.requireNonNull(settings, "settings");
        ProbeDriver running = driver;
        if (running == null) {
            pendingTargets = copy;
            pendingSettings = settings;
            if (pendingResult == null) {
                pendingResult = new CompletableFuture<>();
            }
            return pendingResult;
        }
        return apply(running, copy, settings);
    }

    private static CompletableFuture<ApplySummary> apply(ProbeDriver driver, List<ProbeTarget> targets,
                                                         ProbeSettings settings) {
        return driver.apply(targets, settings).thenApply(result -> new ApplySummary(
                result.added().size() - result.restarted(), result.removed().size() - result.restarted(),
                result.restarted(), result.unchanged()));
    }

    /** The latest published table. Any thread, lock-free, allocation-free. */
    public ProbeTable table() {
        return core.table();
    }

    /**
     * Reports what the proxy saw on the target in slot {@code index} of a recent table. Any thread; never blocks or
     * allocates; returns false when the report was dropped (not started, or the queue to the probe thread is full).
     */
    public boolean reportOutcome(int index, PassiveOutcome outcome) {
        ProbeDriver running = driver;
        return running != null && running.report(index, outcome);
    }

    /**
     * {@link #reportOutcome} for the target probing {@code endpoint} ({@code host:port}), looked up in the latest
     * table without allocating; false when no target probes it.
     */
    public boolean reportOutcome(CharSequence endpoint, PassiveOutcome outcome) {
        int index = core.table().indexOfEndpoint(endpoint);
        return index >= 0 && reportOutcome(index, outcome);
    }

    /** {@link #reportOutcome} with the HTTP status of a response: 5xx counts as a failure. */
    public boolean reportStatus(int index, int httpStatus) {
        return reportOutcome(index, PassiveOutcome.ofStatus(httpStatus));
    }

    /**
     * Sets (or clears) the operator's drain on a target: its state is DRAINING until cleared, whatever the probes say.
     * {@code target} is a target id, or a {@code host:port} endpoint (then every target probing it). Completes with
     * false when nothing matches.
     */
    public CompletableFuture<Boolean> setDraining(String target, boolean draining) {
        ProbeDriver running = driver;
        if (running == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("probes: not started (expected: start())"));
        }
        return running.setDraining(target, draining);
    }

    /** Adds a listener told about state and ejection changes on the probe thread. */
    public void addListener(ProbeListener listener) {
        core.addListener(listener);
    }

    public void removeListener(ProbeListener listener) {
        core.removeListener(listener);
    }

    /** {@code io_uring}, {@code epoll} or {@code nio} once started, else {@code not started}. */
    public String transportName() {
        ProbeDriver running = driver;
        return running == null ? "not started" : running.transport().name();
    }

    /** CPU time used by the probe thread so far, or -1 before start or when the JVM cannot measure it. */
    public long probeThreadCpuNanos() {
        ProbeDriver running = driver;
        return running == null ? -1 : running.threadCpuNanos();
    }

    /** Connections the probes opened so far (see {@link TargetStatus#connectionsOpened()}). */
    public long connectionsOpenedTotal() {
        ProbeDriver running = driver;
        return running == null ? 0 : running.connectionsOpenedTotal();
    }

    /** Wake-ups of the probe timer so far; each starts or times out every probe due at that moment. */
    public long timerWakeupsTotal() {
        ProbeDriver running = driver;
        return running == null ? 0 : running.timerWakeupsTotal();
    }

    /** Appends the probe metrics in Prometheus text format, for the admin {@code /metrics} endpoint. Any thread. */
    public void appendPrometheus(StringBuilder out) {
        ProbeRendering.appendPrometheus(out, core.table(), counters());
    }

    /** The probe metrics in Prometheus text format. */
    public String prometheus() {
        StringBuilder out = new StringBuilder(1024);
        appendPrometheus(out);
        return out.toString();
    }

    /** Appends the {@code /probes} admin view as one JSON object. Any thread. */
    public void appendJson(StringBuilder out) {
        ProbeRendering.appendJson(out, core.table(), counters());
    }

    /** The {@code /probes} admin view as a JSON string. */
    public String json() {
        StringBuilder out = new StringBuilder(256);
        appendJson(out);
        return out.toString();
    }

    private ProbeRendering.Counters counters() {
        ProbeDriver running = driver;
        return new ProbeRendering.Counters(transportName(), core.probesTotal(), core.probeFailuresTotal(),
                core.passiveReportsTotal(), running == null ? 0 : running.passiveReportsDroppedTotal(),
                core.ejectionsTotal(), core.ejectionsRefusedTotal(), core.listenerErrorsTotal(),
                running == null ? -1 : running.threadCpuNanos(), running == null ? 0 : running.connectionsOpenedTotal(),
                running == null ? 0 : running.timerWakeupsTotal());
    }

    /** Options of a {@link LatencyProbes}; every one has a default. */
    public static final class Builder {
        private ProbeTransport transport = ProbeTransport.AUTO;
        private InstantSource wallClock = InstantSource.system();
        private NanoClock nanoClock = NanoClock.SYSTEM;
        private ProbeSettings settings = ProbeSettings.defaults();
        private String threadName = "vantage-probe";
        private long randomSeed = System.nanoTime();

        private Builder() {
        }

        /** Event loop transport; default AUTO (io_uring, then epoll, then NIO). */
        public Builder transport(ProbeTransport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Wall clock for the timestamps of the admin view; default the system clock. */
        public Builder wallClock(InstantSource wallClock) {
            this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
            return this;
        }

        /** Thresholds used until the first apply; default {@link ProbeSettings#defaults()}. */
        public Builder settings(ProbeSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Name prefix of the probe thread; default {@code vantage-probe}. */
        public Builder threadName(String threadName) {
            this.threadName = Objects.requireNonNull(threadName, "threadName");
            return this;
        }

        /** Seed of the interval jitter, for reproducible schedules in tests. */
        public Builder randomSeed(long randomSeed) {
            this.randomSeed = randomSeed;
            return this;
        }

        public LatencyProbes build() {
            return new LatencyProbes(this);
        }
    }
}
