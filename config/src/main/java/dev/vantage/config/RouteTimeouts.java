package dev.vantage.config;

/**
 * Per-route timeouts towards upstreams.
 *
 * @param connectTimeoutMillis  1..600000, default 1000
 * @param responseTimeoutMillis 1..86400000, default 30000; from request sent to response headers received
 * @param idleTimeoutMillis     1..86400000, default 60000; no bytes in either direction while streaming
 */
public record RouteTimeouts(long connectTimeoutMillis, long responseTimeoutMillis, long idleTimeoutMillis) {

    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 1_000;
    public static final long DEFAULT_RESPONSE_TIMEOUT_MILLIS = 30_000;
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;

    public static RouteTimeouts defaults() {
        return new RouteTimeouts(DEFAULT_CONNECT_TIMEOUT_MILLIS, DEFAULT_RESPONSE_TIMEOUT_MILLIS,
                DEFAULT_IDLE_TIMEOUT_MILLIS);
    }
}
