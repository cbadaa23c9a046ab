package dev.vantage.predictor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vantage.config.Site;
import dev.vantage.predictor.internal.PredictorCore;

class FederationTest {

    private final List<Site> sites = TestSites.sites(4);

    private record Access(String user, String site, String resource, long time) {}

    private static List<Access> traffic(String prefix, int users, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Access> out = new ArrayList<>();
        long t = 1_700_000_000_000L;
        for (int u = 0; u < users; u++) {
            for (int i = 0; i < 40; i++) {
                String site = "s" + (random.nextInt(3) + (u % 2));
                String resource = prefix + "-r" + random.nextInt(6);
                out.add(new Access(prefix + u, site, resource, t + i * 600_000L + u));
            }
        }
        return out;
    }

    private PredictorCore trained(List<Access> accesses) {
        PredictorCore core = new PredictorCore(sites, TestSites.settings(1000));
        for (Access a : accesses) {
            core.onAccess(PredictorCore.hash(a.user()), core.siteIndex(a.site()), core.resourceIndex(a.resource()),
                    a.time(), Double.NaN, Double.NaN);
        }
        return core;
    }

    /** Counts keyed by names, so models that numbered resources differently compare equal. */
    @Test
    void shouldMergeSiteAggregatesIntoExactlyTheModelTrainedOnAllData() {
        List<Access> siteA = traffic("alpha", 12, 1);
        List<Access> siteB = traffic("beta", 9, 2);
        // Both sites also see some shared resources, learnt in a different order at each site.
        siteA.addAll(traffic("shared", 3, 3));
        List<Access> all = new ArrayList<>(siteB);
        all.addAll(siteA);
        all.sort(Comparator.comparing(Access::user).thenComparingLong(Access::time));

        PredictorCore a = trained(siteA);
        PredictorCore b = trained(siteB);
        PredictorCore central = trained(all);
        a.merge(b.exportAggregate());

        assertThat(a.exportAggregate().countsByName()).isEqualTo(central.exportAggregate().countsByName());
        for (List<String> history : List.of(List.of("alpha-r1", "alpha-r2"), List.of("beta-r0"),
                List.of("shared-r3", "shared-r1", "shared-r2"), List.<String>of())) {
            assertThat(a.nextResource(history)).isEqualTo(central.nextResource(history));
        }
    }
}
