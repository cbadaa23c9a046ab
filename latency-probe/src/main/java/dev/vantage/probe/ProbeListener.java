package dev.vantage.probe;

/**
 * Told about probe results and about changes of a target's health state or ejected flag. Called on the probe thread:
 * implementations must return quickly and never block (hand the event to a queue, e.g. the predictor's ring).
 * Exceptions are caught and counted ({@code vantage_probe_listener_errors_total}).
 */
@FunctionalInterface
public interface ProbeListener {

    /**
     * A target's state or ejected flag changed. Called after the table holding {@code current} is published.
     *
     * @param previous the status before the change
     * @param current  the status after it (same index and target)
     */
    void onStatusChange(TargetStatus previous, TargetStatus current);

    /**
     * An active probe completed (before the table is published, which is coalesced over a few milliseconds).
     * {@code status.lastRttNanos()} is this probe's RTT when {@code success}.
     */
    default void onProbeResult(TargetStatus status, boolean success) {
    }
}
