package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.PredictorSettings;
import dev.vantage.config.Site;
import dev.vantage.predictor.ModelAggregate;
import dev.vantage.predictor.Predictor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three sites learn from their own users and pull each other's counts (as JSON, as {@code GET /federation} serves
 * them) in several rounds with new traffic in between: every site ends with exactly the shared-model counts of one
 * predictor fed all three sites' traffic - nothing missing, nothing counted twice.
 */
class FederationTest {

    private static final Pattern EVENTS = Pattern.compile("vantage_predictor_access_events_total (\\d+)");

    private final List<Site> sites = List.of(site("fra", 50.1, 8.7), site("iad", 38.9, -77.4), site("sin", 1.35, 103.8));
    private final List<Predictor> predictors = new ArrayList<>();

    private static Site site(String id, double lat, double lon) {
        return new Site(id, id + "-region", new GeoPoint(lat, lon), null, null, "http://" + id, 0.02, 0.1, 1000, 0,
                List.of(), List.of());
    }

    private Predictor predictor() {
        Predictor p = Predictor.create(sites, PredictorSettings.defaults(), InstantSource.system()).start();
        predictors.add(p);
        return p;
    }

    @AfterEach
    void close() {
        predictors.forEach(Predictor::close);
    }

    private record Access(String user, String site, String resource, long time) {}

    private static List<Access> traffic(String site, String prefix, int users, long seed, long start) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Access> out = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            for (int i = 0; i < 30; i++) {
                String at = random.nextInt(4) == 0 ? "sin" : site;
                out.add(new Access(prefix + u, at, "r" + random.nextInt(5), start + i * 600_000L + u));
            }
        }
        return out;
    }

    private static void feed(Predictor p, List<Access> accesses) {
        long before = events(p);
        for (Access a : accesses) {
            assertThat(p.offerAccess(a.user(), a.site(), a.resource(), a.time(), Double.NaN, Double.NaN)).isTrue();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> events(p) == before + accesses.size());
    }

    private static long events(Predictor p) {
        Matcher m = EVENTS.matcher(p.metricsText());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void shouldGiveEverySiteExactlyTheCountsOfAllTrafficAfterRepeatedPulls() {
        String[] ids = {"fra", "iad", "sin"};
        List<Predictor> local = List.of(predictor(), predictor(), predictor());
        List<Federation> federation = local.stream().map(Federation::new).toList();
        Predictor central = predictor();
        long t = 1_700_000_000_000L;
        for (int round = 0; round < 3; round++) {
            for (int s = 0; s < 3; s++) {
                List<Access> traffic = traffic(ids[s], ids[s] + round + "-u", 4 + s, 31L * round + s, t);
                feed(local.get(s), traffic);
                feed(central, traffic);
            }
            t += 86_400_000L;
            // Every site pulls every peer, twice: the second pull finds nothing new.
            for (int pass = 0; pass < 2; pass++) {
                for (int s = 0; s < 3; s++) {
                    for (int peer = 0; peer < 3; peer++) {
                        if (peer != s) {
                            String served = Federation.toJson(federation.get(peer).localAggregate());
                            long added = federation.get(s).absorb(ids[peer], Federation.fromJson(served));
                            if (pass == 1) {
                                assertThat(added).as("second pull of %s by %s", ids[peer], ids[s]).isZero();
                            }
                        }
                    }
                }
            }
        }
        Map<String, Integer> expected = central.exportAggregate().join().countsByName();
        assertThat(expected).isNotEmpty();
        for (int s = 0; s < 3; s++) {
            assertThat(local.get(s).exportAggregate().join().countsByName()).as("site %s", ids[s]).isEqualTo(expected);
            assertThat(federation.get(s).countsMerged()).isPositive();
        }
    }
}
