package dev.vantage.probe.internal;

import java.net.InetSocketAddress;

import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

/**
 * The mutable state of one target in one incarnation, owned by the probe thread. A restart (changed target) or a
 * removal retires the slot object; results of probes that were in flight for a retired slot are dropped.
 */
public final class TargetSlot {

    static final long NEVER = Long.MIN_VALUE;

    final int index;
    final ProbeTarget target;
    final LatencyStats stats = new LatencyStats();
    final HealthTracker health = new HealthTracker();

    boolean retired;
    int consecutivePassiveFailures;
    boolean ejected;
    long ejectedUntilNanos;
    int ejections;
    long lastEjectionEndNanos = NEVER;
    long probes;
    long probeFailures;
    String lastError;
    long lastProbeEpochMillis;
    long connectionsOpened;
    long stateSinceEpochMillis;
    TargetStatus status;

    /** The target's address when it is an IP literal (never looked up again), else {@code null}. */
    InetSocketAddress resolvedAddress;

    /** {@link ProbeTimers}: when this slot is due (next start, or deadline of the probe in flight), heap index. */
    long timerDueNanos;
    int timerIndex = -1;
    /** The unrounded start time the schedule aims at: intervals are drawn start to start from it. */
    long plannedStartNanos;
    /** The probe in flight, or {@code null}. */
    ProbeInFlight inFlight;
    /** The kept-alive connection of a target that reuses one, or {@code null}. */
    KeptAliveConnection keptAlive;

    TargetSlot(int index, ProbeTarget target) {
        this.index = index;
        this.target = target;
    }

    public int index() {
        return index;
    }

    public ProbeTarget target() {
        return target;
    }

    /** Whether this incarnation was removed or replaced; probe results for it are ignored. */
    public boolean retired() {
        return retired;
    }

    public TargetStatus status() {
        return status;
    }
}
