package dev.vantage.config;

import java.util.Objects;

/**
 * Maps matching requests to a resource or an upstream group, with the per-route behaviour.
 *
 * @param name                    unique
 * @param tenant                  owning tenant id, default {@code default}
 * @param match                   request conditions
 * @param target                  resource or upstream group
 * @param mode                    proxy or redirect, default proxy
 * @param timeouts                upstream timeouts
 * @param retry                   retry policy
 * @param stickiness              user stickiness
 * @param shadowPercent           0..100, default 0; share of safe requests also sent to shadow mirrors
 * @param maxReplicationLagMillis 0..86400000, default 5000; reads may go to a mirror whose replication lag is at
 *                                most this (0 = reads only from fully caught-up mirrors)
 */
public record Route(String name, String tenant, RouteMatch match, RouteTarget target, RouteMode mode,
                    RouteTimeouts timeouts, RetryPolicy retry, Stickiness stickiness, double shadowPercent,
                    long maxReplicationLagMillis) {

    public static final long DEFAULT_MAX_REPLICATION_LAG_MILLIS = 5_000;

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        tenant = tenant == null ? Tenant.DEFAULT_ID : tenant;
        match = match == null ? RouteMatch.any() : match;
        mode = mode == null ? RouteMode.PROXY : mode;
        timeouts = timeouts == null ? RouteTimeouts.defaults() : timeouts;
        retry = retry == null ? RetryPolicy.defaults() : retry;
        stickiness = stickiness == null ? Stickiness.off() : stickiness;
    }

    /** A proxy route with default behaviour. */
    public static Route of(String name, RouteMatch match, RouteTarget target) {
        return new Route(name, Tenant.DEFAULT_ID, match, target, RouteMode.PROXY, RouteTimeouts.defaults(),
                RetryPolicy.defaults(), Stickiness.off(), 0, DEFAULT_MAX_REPLICATION_LAG_MILLIS);
    }
}
