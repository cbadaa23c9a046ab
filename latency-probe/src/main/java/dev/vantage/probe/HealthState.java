package dev.vantage.probe;

/** The health of one probe target, as the proxy sees it. */
public enum HealthState {
    /** Registered, no probe has completed yet; the proxy may use it (a new target is innocent until proven guilty). */
    UNKNOWN,
    /** Probes pass and the target is fast and loss-free enough. */
    HEALTHY,
    /** Probes pass but the RTT EWMA or the loss ratio is above its threshold: usable, but a worse choice. */
    DEGRADED,
    /** {@code fall} consecutive probes failed; stays here until {@code rise} consecutive probes pass. */
    UNHEALTHY,
    /** Set by an operator: no new users are sent here, whatever the probes say. */
    DRAINING;

    /** The lower-case name used in JSON and metric labels. */
    public String label() {
        return switch (this) {
            case UNKNOWN -> "unknown";
            case HEALTHY -> "healthy";
            case DEGRADED -> "degraded";
            case UNHEALTHY -> "unhealthy";
            case DRAINING -> "draining";
        };
    }
}
