package dev.vantage.predictor;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one site shares with the others for federated learning: counts only, never raw traces. Symbols are
 * named ({@link #sites}, {@link #resources}), so sites that learnt resources in a different order still merge
 * exactly: merging B's aggregate into A gives the same counts, and so the same predictions, as training one model
 * on A's and B's data.
 *
 * @param sites             site names, indexed by the site symbols of the counts
 * @param resources         resource names, indexed by the resource symbols of the counts
 * @param siteTransitions   PPM counts of the next site after the previous sites (all users of the site)
 * @param resourceSequences PPM counts of the next resource after the previous resources
 * @param siteByHour        Dirichlet counts of arrivals per (hour of week, site)
 */
public record ModelAggregate(List<String> sites, List<String> resources, List<Count> siteTransitions,
                             List<Count> resourceSequences, List<HourCount> siteByHour) {

    /** {@code count} observations of {@code symbol} after {@code context} (most recent first). */
    public record Count(List<Integer> context, int symbol, int count) {}

    /** {@code count} arrivals at site symbol {@code site} in hour of week {@code hour} (0 = Monday 00:00 UTC). */
    public record HourCount(int hour, int site, int count) {}

    public ModelAggregate {
        sites = List.copyOf(sites);
        resources = List.copyOf(resources);
        siteTransitions = List.copyOf(siteTransitions);
        resourceSequences = List.copyOf(resourceSequences);
        siteByHour = List.copyOf(siteByHour);
    }

    /**
     * The counts keyed by the names they count rather than by this aggregate's symbol numbers, so that two
     * aggregates that learnt the same traffic compare equal whatever order their sites learnt names in: keys
     * {@code r:CONTEXT,->NEXT} (resource sequences), {@code s:CONTEXT,->NEXT} (site transitions), contexts most
     * recent first, and {@code h:HOUR:SITE} (arrivals per hour of week); counts of the same key are summed.
     */
    public Map<String, Integer> countsByName() {
        Map<String, Integer> out = new TreeMap<>();
        for (Count c : resourceSequences) {
            out.merge(key("r:", c, resources), c.count(), Integer::sum);
        }
        for (Count c : siteTransitions) {
            out.merge(key("s:", c, sites), c.count(), Integer::sum);
        }
        for (HourCount h : siteByHour) {
            out.merge("h:" + h.hour() + ":" + sites.get(h.site()), h.count(), Integer::sum);
        }
        return out;
    }

    private static String key(String kind, Count c, List<String> names) {
        StringBuilder k = new StringBuilder(kind);
        c.context().forEach(x -> k.append(names.get(x)).append(','));
        return k.append("->").append(names.get(c.symbol())).toString();
    }
}
