package dev.vantage.predictor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Site;

class PredictorTest {

    private final TestSites.ManualClock clock = new TestSites.ManualClock();
    private final List<Site> sites = TestSites.sites(3);

    /** Runs the owner's duty cycle on this thread until the task's future completes. */
    private static <T> T await(Predictor p, java.util.concurrent.CompletableFuture<T> f) {
        for (int i = 0; i < 1_000 && !f.isDone(); i++) {
            p.doWork();
        }
        return f.join();
    }

    /** Drives the owner's duty cycle until the ring and task queue are empty, then forces a decision. */
    private static DecisionSnapshot settle(Predictor p, TestSites.ManualClock clock) {
        while (p.doWork() > 0) {
            clock.millis += 0;
        }
        clock.millis += 1_000;
        p.doWork();
        return p.snapshot();
    }

    /** Commuter: home s0 in the morning, work s1, home again, for many days; uses resource "desk" everywhere. */
    private void commute(Predictor p, String user, int days) {
        for (int d = 0; d < days; d++) {
            long day = clock.millis;
            p.offerAccess(user, "s0", "desk", day, Double.NaN, Double.NaN);
            p.offerAccess(user, "s1", "desk", day + 3_600_000L, Double.NaN, Double.NaN);
            p.offerAccess(user, "s1", "mail", day + 5 * 3_600_000L, Double.NaN, Double.NaN);
            p.offerAccess(user, "s0", "desk", day + 10 * 3_600_000L, Double.NaN, Double.NaN);
            clock.millis += 86_400_000L;
            while (p.doWork() > 0) {
                clock.millis += 0;
            }
        }
    }

    @Test
    void shouldPredictTheNextSiteOfARegularUserAndReserveIt() {
        Predictor p = Predictor.create(sites, TestSites.settings(1000), clock);
        for (int u = 0; u < 20; u++) {
            commute(p, "user-" + u, 1);
        }
        commute(p, "regular", 30);
        // A busy morning at s0: 40 users work on "desk" every 10 minutes for two hours.
        long t = clock.millis;
        for (int k = 0; k <= 12; k++) {
            for (int u = 0; u < 40; u++) {
                p.offerAccess("office-" + u, "s0", "desk", t + k * 600_000L, Double.NaN, Double.NaN);
            }
            while (p.doWork() > 0) {
                clock.millis += 0;
            }
        }
        clock.millis = t + 12 * 600_000L;
        DecisionSnapshot snap = settle(p, clock);
        assertThat(snap.outlook("desk")).isNotEmpty();
        SiteOutlook home = snap.outlook("desk", "s0");
        assertThat(home).isNotNull();
        assertThat(home.probability()).isGreaterThan(0.9);
        assertThat(home.reservation()).isEqualTo(Reservation.FIRM);
        Map<String, Double> places = await(p, p.placeDistribution("regular"));
        assertThat(places.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-6));
        assertThat(places.get("s0")).isGreaterThan(places.get("s2"));
        assertThat(places.get("s1")).isGreaterThan(places.get("s2"));
    }

    @Test
    void shouldShiftTheUserTowardsTheSiteOfACalendarHint() {
        Predictor p = Predictor.create(sites, TestSites.settings(1000), clock);
        commute(p, "traveller", 5);
        settle(p, clock);
        double before = await(p, p.placeDistribution("traveller")).get("s2");
        await(p, p.addHint(new CalendarHint("traveller", "s2", clock.millis, clock.millis + 3_600_000L, 0.8)));
        double after = await(p, p.placeDistribution("traveller")).get("s2");
        assertThat(after).isGreaterThan(before + 0.7);
        assertThatThrownBy(() -> new CalendarHint("x", "s2", 10, 5, 0.5))
                .hasMessageContaining("endMillis: 5 (expected: >= startMillis 10)");
    }

    @Test
    void shouldMoveAGpsTravellerTowardsTheSiteAhead() {
        Predictor p = Predictor.create(sites, TestSites.settings(1000), clock);
        // Driving east from s0 (lon 2.0) at about 30 m/s; in 15 minutes ~27 km further east (still nearest s0 or s1).
        long t = clock.millis;
        for (int i = 0; i < 60; i++) {
            double lon = 2.0 + i * 10 * 30 / (111_320 * Math.cos(Math.toRadians(48)));
            p.offerAccess("driver", "s0", "desk", t + i * 10_000L, 48.0, 2.0 + (lon - 2.0) * 20);
        }
        clock.millis = t + 600_000L;
        settle(p, clock);
        Map<String, Double> places = await(p, p.placeDistribution("driver"));
        assertThat(places.get("s2")).isGreaterThan(0.4);
    }

    @Test
    void shouldBoundUsersWithTheLruAndExposeMetrics() {
        Predictor p = Predictor.create(sites, TestSites.settings(10), clock);
        for (int u = 0; u < 25; u++) {
            p.offerAccess("u" + u, "s0", "desk", clock.millis, Double.NaN, Double.NaN);
        }
        settle(p, clock);
        String metrics = p.metricsText();
        assertThat(metrics).contains("vantage_predictor_users 10\n");
        assertThat(metrics).contains("vantage_predictor_user_evictions_total 15\n");
        assertThat(metrics).contains("vantage_predictor_access_events_total 25\n");
        assertThat(metrics).contains("# TYPE vantage_predictor_dropped_events_total counter");
        assertThat(await(p, p.placeDistribution("u0"))).isEmpty();
        assertThat(await(p, p.placeDistribution("u24"))).isNotEmpty();
    }

    @Test
    void shouldCountDropsWhenTheRingIsFullWithoutBlocking() {
        Predictor p = new Predictor(sites, TestSites.settings(10), clock, 4096);
        int accepted = 0;
        for (int i = 0; i < 1000; i++) {
            if (p.offerAccess("u", "s0", "desk", i, Double.NaN, Double.NaN)) {
                accepted++;
            }
        }
        assertThat(accepted).isLessThan(1000);
        assertThat(p.droppedEvents()).isEqualTo(1000 - accepted);
        assertThat(p.metricsText()).contains("vantage_predictor_dropped_events_total " + (1000 - accepted));
    }

    @Test
    void shouldShiftTrafficAwayFromASitePredictedToOverload() {
        List<Site> small = List.of(TestSites.site("busy", 48, 2, 0.1, 10), TestSites.site("idle", 48, 3, 0.1, 1000));
        Predictor p = Predictor.create(small, TestSites.settings(1000), clock);
        long t = clock.millis;
        // 30 requests per second at a site whose capacity is 10.
        for (int i = 0; i < 300; i++) {
            p.offerAccess("u" + (i % 7), "busy", "desk", t + i * 33L, Double.NaN, Double.NaN);
        }
        clock.millis = t + 10_000;
        DecisionSnapshot snap = settle(p, clock);
        assertThat(snap.loads().get("busy").predictedRequestsPerSecond()).isGreaterThan(10);
        assertThat(snap.weight("busy", "desk")).isCloseTo(0.8, within(1e-9));
        assertThat(snap.weight("idle", "desk")).isEqualTo(1.0);
        assertThat(p.weight("busy", "desk")).isEqualTo(snap.weight("busy", "desk"));
    }

    @Test
    void shouldRunOnItsOwnThreadAndPublishSnapshots() {
        try (Predictor p = Predictor.create(sites, TestSites.settings(100), java.time.InstantSource.system()).start()) {
            long now = System.currentTimeMillis();
            p.offerAccess("u", "s1", "desk", now, Double.NaN, Double.NaN);
            org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
                    .until(() -> !p.snapshot().outlook("desk").isEmpty());
            assertThat(p.snapshot().outlook("desk").get(0).siteId()).isEqualTo("s1");
        }
    }

    @Test
    void shouldRestoreTheSameModelAfterARestart(@TempDir Path dir) {
        Predictor p = Predictor.create(sites, TestSites.settings(1000), clock);
        commute(p, "a", 10);
        commute(p, "b", 3);
        settle(p, clock);
        Path file = dir.resolve("predictor.state");
        await(p, p.save(file));
        Predictor restored = Predictor.create(sites, TestSites.settings(1000), clock);
        await(restored, restored.restore(file));
        settle(restored, clock);
        assertThat(await(restored, restored.exportAggregate())).isEqualTo(await(p, p.exportAggregate()));
        assertThat(await(restored, restored.placeDistribution("a"))).isEqualTo(await(p, p.placeDistribution("a")));
        assertThat(await(restored, restored.placeDistribution("b"))).isEqualTo(await(p, p.placeDistribution("b")));
        assertThat(restored.snapshot().outlooks()).isEqualTo(p.snapshot().outlooks());
        assertThat(restored.metricsText()).contains("vantage_predictor_users 2\n");
    }
}
