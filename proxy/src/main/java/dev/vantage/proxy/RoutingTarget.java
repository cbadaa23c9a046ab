package dev.vantage.proxy;

import dev.vantage.config.HostPort;

/**
 * Where a routing decision sends a request: a local upstream, or a peer site's Vantage ingress (cross-site
 * forwarding with the hop header), together with that site's public URL for redirect mode.
 *
 * @param index      position in the routing snapshot that created it (stable for that snapshot only)
 * @param key        {@code site|host:port}, stable across snapshots
 * @param siteId     the site that serves the request
 * @param endpoint   the upstream (local) or the peer's ingress listener (remote) to connect to
 * @param local      true for an upstream at this site
 * @param publicUrl  the serving site's public URL for 307 redirects without a trailing slash, or {@code null}
 * @param weight     the operator weight (the upstream's; 1.0 for a peer site)
 */
public record RoutingTarget(int index, String key, String siteId, HostPort endpoint, boolean local, String publicUrl,
                            double weight) {

    @Override
    public String toString() {
        return key;
    }
}
