package dev.vantage.config;

import java.util.Objects;

/**
 * An owner of routes and resources with its own limits.
 *
 * @param id                   unique
 * @param maxRequestsPerSecond &gt; 0, per site; default unlimited ({@link Double#POSITIVE_INFINITY})
 * @param maxConnections       &gt;= 1, per site; default {@link Integer#MAX_VALUE}
 */
public record Tenant(String id, double maxRequestsPerSecond, int maxConnections) {

    public static final String DEFAULT_ID = "default";

    public Tenant {
        Objects.requireNonNull(id, "id");
    }

    public static Tenant unlimited(String id) {
        return new Tenant(id, Double.POSITIVE_INFINITY, Integer.MAX_VALUE);
    }
}
