package dev.vantage.config;

import java.util.List;
import java.util.Objects;

/**
 * A named set of upstreams at one site that serve the same content.
 *
 * @param name            unique within the site
 * @param upstreams       at least one
 * @param pool            connection pool settings
 * @param healthCheckPath HTTP path the probes GET, or {@code null} for a TCP connect probe
 */
public record UpstreamGroup(String name, List<Upstream> upstreams, PoolSettings pool, String healthCheckPath) {

    public UpstreamGroup {
        Objects.requireNonNull(name, "name");
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        pool = pool == null ? PoolSettings.defaults() : pool;
    }

    public static UpstreamGroup of(String name, List<Upstream> upstreams) {
        return new UpstreamGroup(name, upstreams, PoolSettings.defaults(), null);
    }
}
