package dev.vantage.proxy;

/** How one attempt to an upstream ended, as reported to {@link UpstreamSelector#onAttemptEnd}. */
public enum AttemptOutcome {
    /** Response headers arrived; the status is reported alongside. */
    RESPONSE,
    /** The TCP connection could not be established (refused, unreachable, connect timeout). */
    CONNECT_FAILURE,
    /** The connection closed or reset before a complete response head arrived. */
    RESET,
    /** No response head within the response timeout. */
    TIMEOUT,
    /**
     * Abandoned without a response head because the other attempt of a hedged request answered first (its
     * connection is closed, never pooled); the latency is how long it had waited, a lower bound of its real one.
     */
    CANCELLED
}
