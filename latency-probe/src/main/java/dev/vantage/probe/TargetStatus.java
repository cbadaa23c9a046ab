package dev.vantage.probe;

/**
 * The published state of one target: an immutable value, built by the probe thread and read by anyone.
 *
 * @param index                    slot in the {@link ProbeTable}; stable while the target exists
 * @param target                   what is probed
 * @param state                    health state
 * @param ejected                  whether passive outlier detection has taken the target out of rotation
 * @param ejectedUntilEpochMillis  when the current ejection ends (wall clock), or 0 when not ejected
 * @param ejections                how many times the target was ejected (the multiplier of the next ejection time)
 * @param rttEwmaNanos             exponentially weighted moving average RTT, or -1 before the first success
 * @param rttMinNanos              smallest RTT over the loss window, or -1 when none succeeded in it
 * @param rttJitterNanos           RFC 3550 interarrival jitter of the RTT samples, 0 before two samples
 * @param lastRttNanos             the latest RTT sample, or -1
 * @param lossRatio                failed probes / probes over the loss window, 0..1
 * @param consecutiveSuccesses     active probes passed in a row
 * @param consecutiveFailures      active probes failed in a row
 * @param consecutivePassiveFailures passive failures (5xx, connect failures, resets) reported in a row
 * @param probes                   active probes completed since the target (re)started
 * @param probeFailures            of which failed
 * @param lastError                the latest probe failure, e.g. {@code connect refused}, or {@code null}
 * @param lastProbeEpochMillis     when the latest probe completed (wall clock), or 0
 * @param stateSinceEpochMillis    when {@link #state()} last changed (wall clock)
 * @param connectionsOpened        connections the probes of this target opened since it (re)started: one per probe
 *                                 for connect probes and fresh checks; for a check that reuses its connection, the
 *                                 first one plus every reconnect (the server closed it, or it failed)
 */
public record TargetStatus(int index, ProbeTarget target, HealthState state, boolean ejected,
                           long ejectedUntilEpochMillis, int ejections, long rttEwmaNanos, long rttMinNanos,
                           long rttJitterNanos, long lastRttNanos, double lossRatio, int consecutiveSuccesses,
                           int consecutiveFailures, int consecutivePassiveFailures, long probes, long probeFailures,
                           String lastError, long lastProbeEpochMillis, long stateSinceEpochMillis,
                           long connectionsOpened) {

    /** A status without a count of connections (tests and tools that build tables by hand). */
    public TargetStatus(int index, ProbeTarget target, HealthState state, boolean ejected, long ejectedUntilEpochMillis,
                        int ejections, long rttEwmaNanos, long rttMinNanos, long rttJitterNanos, long lastRttNanos,
                        double lossRatio, int consecutiveSuccesses, int consecutiveFailures,
                        int consecutivePassiveFailures, long probes, long probeFailures, String lastError,
                        long lastProbeEpochMillis, long stateSinceEpochMillis) {
        this(index, target, state, ejected, ejectedUntilEpochMillis, ejections, rttEwmaNanos, rttMinNanos,
                rttJitterNanos, lastRttNanos, lossRatio, consecutiveSuccesses, consecutiveFailures,
                consecutivePassiveFailures, probes, probeFailures, lastError, lastProbeEpochMillis, stateSinceEpochMillis,
                0);
    }

    /** Whether the proxy may send new requests here: not unhealthy, not draining, not ejected. */
    public boolean usable() {
        return !ejected && (state == HealthState.HEALTHY || state == HealthState.DEGRADED
                || state == HealthState.UNKNOWN);
    }
}
