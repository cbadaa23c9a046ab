package dev.vantage.probe.internal;

import dev.vantage.probe.HealthState;

/**
 * The rise/fall state machine of one target. Single-threaded (the probe thread).
 *
 * <p>Rules: a new target (UNKNOWN) goes up on its first success (like Envoy at startup) and down after {@code fall}
 * failures; an up target (HEALTHY or DEGRADED, chosen by the caller's quality verdict) goes UNHEALTHY after
 * {@code fall} consecutive failures; an UNHEALTHY target comes back after {@code rise} consecutive successes.
 * DRAINING is an operator overlay: while set it is the published state, and the probes keep running underneath so
 * that undraining returns the true state at once.
 */
public final class HealthTracker {

    private HealthState probedState = HealthState.UNKNOWN;
    private boolean draining;
    private int consecutiveSuccesses;
    private int consecutiveFailures;

    /** Records a passed probe; {@code degraded} says whether the RTT or loss is over its threshold. */
    public void onSuccess(boolean degraded, int rise) {
        consecutiveSuccesses = consecutiveSuccesses == Integer.MAX_VALUE ? consecutiveSuccesses
                : consecutiveSuccesses + 1;
        consecutiveFailures = 0;
        HealthState up = degraded ? HealthState.DEGRADED : HealthState.HEALTHY;
        switch (probedState) {
            case UNKNOWN, HEALTHY, DEGRADED -> probedState = up;
            case UNHEALTHY -> {
                if (consecutiveSuccesses >= rise) {
                    probedState = up;
                }
            }
            default -> throw new IllegalStateException("probedState: " + probedState);
        }
    }

    /** Records a failed probe; {@code degraded} is the quality verdict including this loss. */
    public void onFailure(boolean degraded, int fall) {
        consecutiveFailures = consecutiveFailures == Integer.MAX_VALUE ? consecutiveFailures
                : consecutiveFailures + 1;
        consecutiveSuccesses = 0;
        if (probedState != HealthState.UNHEALTHY && consecutiveFailures >= fall) {
            probedState = HealthState.UNHEALTHY;
        } else if (probedState == HealthState.HEALTHY || probedState == HealthState.DEGRADED) {
            probedState = degraded ? HealthState.DEGRADED : HealthState.HEALTHY;
        }
    }

    /** Re-evaluates an up target against changed thresholds. */
    public void requalify(boolean degraded) {
        if (probedState == HealthState.HEALTHY || probedState == HealthState.DEGRADED) {
            probedState = degraded ? HealthState.DEGRADED : HealthState.HEALTHY;
        }
    }

    public void setDraining(boolean draining) {
        this.draining = draining;
    }

    public boolean draining() {
        return draining;
    }

    /** The published state: DRAINING while drained, else what the probes say. */
    public HealthState state() {
        return draining ? HealthState.DRAINING : probedState;
    }

    /** What the probes say, ignoring draining. */
    public HealthState probedState() {
        return probedState;
    }

    public int consecutiveSuccesses() {
        return consecutiveSuccesses;
    }

    public int consecutiveFailures() {
        return consecutiveFailures;
    }
}
