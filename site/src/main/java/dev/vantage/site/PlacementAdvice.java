package dev.vantage.site;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.DecisionSnapshot;

/**
 * The predictor's advice for one resource, as the mirror lifecycle controller reads it: per site, the
 * probability that the resource is needed there within the horizon, the mirroring score
 * ({@code p x benefit - cost}), the share of the resource's users expected there, and the probability that users
 * there open it next (the next-resource model: prefetching, seed 000's "predictive prefetching").
 */
public interface PlacementAdvice {

    /** One site's outlook for one resource. */
    record SiteOutlook(String siteId, double probability, double mirroringScore, double userShare,
                       double prefetchProbability) {
        /** An outlook without a next-resource opinion. */
        public SiteOutlook(String siteId, double probability, double mirroringScore, double userShare) {
            this(siteId, probability, mirroringScore, userShare, 0);
        }
    }

    /** The outlook of every site for which the predictor has an opinion; missing sites count as probability 0. */
    List<SiteOutlook> outlook(String resourceId);

    /**
     * The predictor's outlook for {@code resourceId} with, per site, the next-resource probability from the
     * decisions' prefetch lists; a site that only appears in a prefetch list gets an outlook of its own.
     */
    static List<SiteOutlook> combine(List<dev.vantage.predictor.SiteOutlook> outlook, DecisionSnapshot decisions,
                                     String resourceId) {
        Map<String, SiteOutlook> bySite = new LinkedHashMap<>();
        for (dev.vantage.predictor.SiteOutlook o : outlook) {
            bySite.put(o.siteId(), new SiteOutlook(o.siteId(), o.probability(), o.mirroringScore(), o.userShare()));
        }
        for (Map.Entry<String, List<DecisionSnapshot.Prefetch>> site : decisions.prefetch().entrySet()) {
            for (DecisionSnapshot.Prefetch prefetch : site.getValue()) {
                if (prefetch.resourceId().equals(resourceId)) {
                    SiteOutlook o = bySite.getOrDefault(site.getKey(), new SiteOutlook(site.getKey(), 0, 0, 0));
                    bySite.put(site.getKey(), new SiteOutlook(o.siteId(), o.probability(), o.mirroringScore(),
                            o.userShare(), prefetch.probability()));
                }
            }
        }
        return new ArrayList<>(bySite.values());
    }

    /** No advice at all: only the policy's static mirrors exist. */
    PlacementAdvice NONE = resourceId -> List.of();
}
