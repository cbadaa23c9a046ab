package dev.vantage.predictor;

import java.util.List;
import java.util.Map;

/**
 * Everything the predictor decided at one instant, immutable and safe to read from any thread. The mirror
 * lifecycle controller reads {@link #outlook}; the proxy's weight source reads {@link #weight}; zone selection
 * reads the outlook and {@link #loads}.
 *
 * @param createdMillis when it was computed
 * @param horizonMillis the horizon of every probability in it
 * @param outlooks      per resource, every site with a non-zero probability, best first
 * @param loads         per site, the predicted load and the traffic share moved away from it
 * @param alerts        demand anomalies raised since the previous snapshot
 * @param prefetch      per site, resources the users there are likely to use next, with probabilities, best first
 */
public record DecisionSnapshot(long createdMillis, long horizonMillis, Map<String, List<SiteOutlook>> outlooks,
                               Map<String, SiteLoad> loads, List<DemandAlert> alerts,
                               Map<String, List<Prefetch>> prefetch) {

    /** A resource worth prefetching at a site. */
    public record Prefetch(String resourceId, double probability) {}

    public static final DecisionSnapshot EMPTY = new DecisionSnapshot(0, 0, Map.of(), Map.of(), List.of(), Map.of());

    public DecisionSnapshot {
        outlooks = Map.copyOf(outlooks);
        loads = Map.copyOf(loads);
        alerts = List.copyOf(alerts);
        prefetch = Map.copyOf(prefetch);
    }

    /** The outlook of every site for the resource (empty when the predictor has no opinion). */
    public List<SiteOutlook> outlook(String resourceId) {
        return outlooks.getOrDefault(resourceId, List.of());
    }

    /** The outlook of one site for one resource, or null. */
    public SiteOutlook outlook(String resourceId, String siteId) {
        for (SiteOutlook o : outlook(resourceId)) {
            if (o.siteId().equals(siteId)) {
                return o;
            }
        }
        return null;
    }

    /**
     * The predictive load-balancing weight of a site's mirror of a resource (multiplies the operator weight):
     * 1 normally, {@code 1 - shadowShare} at a site predicted to be overloaded, so that a share of its traffic
     * moves to mirrors elsewhere before the overload.
     */
    public double weight(String siteId, String resourceId) {
        SiteLoad load = loads.get(siteId);
        return load == null ? 1.0 : 1.0 - load.shadowShare();
    }
}
