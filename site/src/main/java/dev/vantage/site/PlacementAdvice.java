package dev.vantage.site;

import java.util.List;

/**
 * The predictor's advice for one resource, as the mirror lifecycle controller reads it: per site, the
 * probability that the resource is needed there within the horizon, the mirroring score
 * ({@code p x benefit - cost}), and the share of the resource's users expected there.
 */
public interface PlacementAdvice {

    /** One site's outlook for one resource. */
    record SiteOutlook(String siteId, double probability, double mirroringScore, double userShare) {}

    /** The outlook of every site for which the predictor has an opinion; missing sites count as probability 0. */
    List<SiteOutlook> outlook(String resourceId);

    /** No advice at all: only the policy's static mirrors exist. */
    PlacementAdvice NONE = resourceId -> List.of();
}
