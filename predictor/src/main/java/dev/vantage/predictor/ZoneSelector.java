package dev.vantage.predictor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.Site;

/**
 * Zone selection as in seed 004: each candidate site gets a combined score
 * {@code preStagingWeight x p(resource needed there) + distanceWeight x 1/(1 + km/100) + costWeight x
 * (1 - cost/maxCost)}; the best-scoring site whose spare capacity (capacity minus predicted load) meets the
 * request wins, else {@link NoZoneAvailableException} says why each site was refused.
 *
 * <p>Stateless and thread-safe.
 */
public final class ZoneSelector {

    /** Weights of the three parts of the score. */
    public record Weights(double preStaging, double distance, double cost) {
        public static Weights defaults() {
            return new Weights(1.0, 1.0, 0.5);
        }
    }

    /** The chosen site with the parts of its score, for explanation. */
    public record ZoneChoice(String siteId, double score, double preStagingScore, double distanceScore,
                             double costScore, double spareRequestsPerSecond) {}

    /** No site can take the requested capacity. */
    public static final class NoZoneAvailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NoZoneAvailableException(String message) {
            super(message);
        }
    }

    private ZoneSelector() {
    }

    /**
     * @param snapshot          the predictor's decisions (pre-staging probabilities and predicted loads)
     * @param resourceId        the resource to place
     * @param userLocation      where the user is, or null (distance then scores 0 for every site)
     * @param requiredRequestsPerSecond capacity the placement needs
     * @param candidates        the sites to consider
     */
    public static ZoneChoice select(DecisionSnapshot snapshot, String resourceId, GeoPoint userLocation,
                                    double requiredRequestsPerSecond, List<Site> candidates, Weights weights) {
        if (candidates.isEmpty()) {
            throw new NoZoneAvailableException("zone for " + resourceId + ": no candidate sites (expected: >= 1)");
        }
        double maxCost = 0;
        for (Site s : candidates) {
            maxCost = Math.max(maxCost, s.costPerInstanceHour());
        }
        List<ZoneChoice> scored = new ArrayList<>();
        for (Site s : candidates) {
            SiteOutlook o = snapshot.outlook(resourceId, s.id());
            double pre = o == null ? 0 : o.probability();
            double dist = userLocation == null || s.location() == null ? 0
                    : 1 / (1 + userLocation.distanceKm(s.location()) / 100);
            double cost = maxCost > 0 ? 1 - s.costPerInstanceHour() / maxCost : 1;
            double score = weights.preStaging() * pre + weights.distance() * dist + weights.cost() * cost;
            SiteLoad load = snapshot.loads().get(s.id());
            double spare = s.capacityRequestsPerSecond() - (load == null ? 0 : load.predictedRequestsPerSecond());
            scored.add(new ZoneChoice(s.id(), score, pre, dist, cost, spare));
        }
        scored.sort((a, b) -> Double.compare(b.score(), a.score()));
        StringBuilder refused = new StringBuilder();
        for (ZoneChoice c : scored) {
            if (c.spareRequestsPerSecond() >= requiredRequestsPerSecond) {
                return c;
            }
            refused.append(String.format(Locale.ROOT, "%s%s spare %.1f rps", refused.length() == 0 ? "" : ", ",
                    c.siteId(), c.spareRequestsPerSecond()));
        }
        throw new NoZoneAvailableException(String.format(Locale.ROOT,
                "zone for %s: no site has %.1f requests/s spare (%s) (expected: at least one site with enough capacity)",
                resourceId, requiredRequestsPerSecond, refused));
    }
}
