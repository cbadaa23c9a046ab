package dev.vantage.proxy;

/** Why one attempt at a target failed, as reported by the proxy to its {@link RoutingSelector}. */
public enum RoutingFailure {
    /** The TCP connect failed or timed out; the request was never sent. Retryable under {@code CONNECT_FAILURE}. */
    CONNECT_FAILURE,
    /** The connection was reset or closed before any response byte arrived. Retryable under {@code RESET}. */
    RESET,
    /** The target answered 503. Retryable under {@code STATUS_503}. */
    STATUS_503,
    /** No response headers within the per-try timeout; the attempt was abandoned. Retried like {@code RESET}. */
    TIMEOUT
}
