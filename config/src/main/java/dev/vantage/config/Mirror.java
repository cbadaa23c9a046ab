package dev.vantage.config;

import java.util.Objects;

/**
 * A copy of a resource at a site plus the upstream group at that site that serves it.
 *
 * @param site          site id
 * @param role          initial role (the lifecycle controller may change it at run time)
 * @param upstreamGroup name of an upstream group at {@code site}
 */
public record Mirror(String site, MirrorRole role, String upstreamGroup) {
    public Mirror {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(upstreamGroup, "upstreamGroup");
        role = role == null ? MirrorRole.SHADOW : role;
    }
}
