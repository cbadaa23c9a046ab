package dev.vantage.config;

/**
 * Keep-alive connection pool settings for one upstream group (per event loop).
 *
 * @param maxConnectionsPerUpstream 1..65536, default 64
 * @param connectTimeoutMillis      1..600000, default 1000
 * @param idleTimeoutMillis         1..86400000, default 60000; idle pooled connections are closed after this
 * @param warmConnections           0..maxConnectionsPerUpstream, default 0; opened ahead of demand
 */
public record PoolSettings(int maxConnectionsPerUpstream, long connectTimeoutMillis, long idleTimeoutMillis,
                           int warmConnections) {

    public static final int DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM = 64;
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 1_000;
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;
    public static final int DEFAULT_WARM_CONNECTIONS = 0;

    public static PoolSettings defaults() {
        return new PoolSettings(DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM, DEFAULT_CONNECT_TIMEOUT_MILLIS,
                DEFAULT_IDLE_TIMEOUT_MILLIS, DEFAULT_WARM_CONNECTIONS);
    }
}
