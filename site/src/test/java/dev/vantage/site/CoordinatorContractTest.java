package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One contract, run against every {@link Coordinator}: {@link EmbeddedCoordinatorContractTest} and, against a real
 * etcd, {@link EtcdCoordinatorContractTest} (top-level classes: Surefire skips nested ones).
 */
abstract class CoordinatorContractTest {

    protected Coordinator coordinator;

    @AfterEach
    void closeCoordinator() {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void shouldRegisterFirstPrimaryOnceAndKeepItForLaterCallers() {
        Coordinator.PrimaryLease first = coordinator.registerPrimary("desktop", "fra");
        Coordinator.PrimaryLease second = coordinator.registerPrimary("desktop", "iad");

        assertThat(second).isEqualTo(first);
        assertThat(coordinator.primary("desktop")).contains(first);
        assertThat(coordinator.mirrorSites("desktop")).containsExactly("fra");
    }

    @Test
    void shouldRaiseEpochOnPromotionAndRejectStaleEpoch() throws Exception {
        Coordinator.PrimaryLease first = coordinator.registerPrimary("desktop", "fra");
        Coordinator.PrimaryLease second = coordinator.promote("desktop", "iad", first.epoch());

        assertThat(second.siteId()).isEqualTo("iad");
        assertThat(second.epoch()).isGreaterThan(first.epoch());
        assertThatThrownBy(() -> coordinator.promote("desktop", "sin", first.epoch()))
                .isInstanceOf(Coordinator.StaleEpochException.class)
                .hasMessageContaining("stale");
        assertThat(coordinator.primary("desktop").orElseThrow().siteId()).isEqualTo("iad");
    }

    @Test
    void shouldLetOnlyOneOfManyRacingPromotionsWin() throws Exception {
        long epoch = coordinator.registerPrimary("desktop", "fra").epoch();
        AtomicInteger wins = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new CopyOnWriteArrayList<>();
            for (String site : List.of("iad", "sin", "syd", "gru")) {
                futures.add(pool.submit(() -> {
                    try {
                        coordinator.promote("desktop", site, epoch);
                        wins.incrementAndGet();
                    } catch (Coordinator.StaleEpochException expected) {
                        // lost the race, as all but one must
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(wins).hasValue(1);
    }

    @Test
    void shouldTrackMirrorSitesAndRefuseToRemoveThePrimary() {
        coordinator.registerPrimary("desktop", "fra");
        assertThat(coordinator.addMirrorSite("desktop", "sin")).isTrue();
        assertThat(coordinator.addMirrorSite("desktop", "sin")).isFalse();
        assertThat(coordinator.mirrorSites("desktop")).containsExactly("fra", "sin");

        assertThat(coordinator.removeMirrorSite("desktop", "sin")).isTrue();
        assertThat(coordinator.mirrorSites("desktop")).containsExactly("fra");
        assertThatThrownBy(() -> coordinator.removeMirrorSite("desktop", "fra"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("primary");
    }

    @Test
    void shouldKeepReservationsUntilTheyExpire() {
        coordinator.reserve("desktop", "sin", Coordinator.Reservation.Kind.FIRM, Duration.ofMinutes(5));
        coordinator.reserve("desktop", "iad", Coordinator.Reservation.Kind.SOFT, Duration.ofMinutes(5));

        assertThat(coordinator.reservations("desktop"))
                .extracting(Coordinator.Reservation::siteId, Coordinator.Reservation::kind)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("iad", Coordinator.Reservation.Kind.SOFT),
                        org.assertj.core.groups.Tuple.tuple("sin", Coordinator.Reservation.Kind.FIRM));
    }

    @Test
    void shouldNotifyWatchersOfPromotions() throws Exception {
        long epoch = coordinator.registerPrimary("desktop", "fra").epoch();
        List<Coordinator.Change> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable handle = coordinator.watch(seen::add)) {
            awaitWatchReady();
            coordinator.promote("desktop", "sin", epoch);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream()
                    .anyMatch(c -> c.primary().map(p -> p.siteId().equals("sin")).orElse(false)));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seen)
                .filteredOn(c -> c.resourceId().equals("desktop"))
                .last().extracting(Coordinator.Change::mirrorSites).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .contains("fra", "sin"));
    }

    /** Gives an asynchronous watch time to be established; embedded watchers are ready at once. */
    protected void awaitWatchReady() {
    }
}
