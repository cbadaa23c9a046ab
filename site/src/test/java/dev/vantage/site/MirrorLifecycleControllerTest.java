package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.ReplicationSettings;
import dev.vantage.config.Resource;
import dev.vantage.config.Schedule;
import dev.vantage.config.ScheduleKind;
import dev.vantage.config.Site;
import dev.vantage.config.TimeWindow;
import dev.vantage.predictor.DecisionSnapshot;
import dev.vantage.site.MirrorLifecycleController.CapacityKind;
import dev.vantage.site.MirrorLifecycleController.MirrorState;
import dev.vantage.site.MirrorLifecycleController.MirrorView;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MirrorLifecycleControllerTest {

    /** Replication whose syncs finish (or fail) when the test says so; it records every call. */
    static final class ScriptedReplication implements ReplicationActions {
        final Map<String, SyncState> states = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public void startFullSync(String resourceId, String fromSiteId, String toSiteId, long epoch) {
            calls.add("full " + resourceId + " " + fromSiteId + "->" + toSiteId + " @" + epoch);
            states.put(toSiteId, new SyncState(Phase.SYNCING, 100, null));
        }

        @Override
        public void startDeltaSync(String resourceId, String fromSiteId, String toSiteId, long epoch) {
            calls.add("delta " + resourceId + " " + fromSiteId + "->" + toSiteId + " @" + epoch);
            states.put(toSiteId, new SyncState(Phase.SYNCING, 3, null));
        }

        @Override
        public SyncState syncState(String resourceId, String toSiteId) {
            return states.getOrDefault(toSiteId, SyncState.IDLE);
        }

        @Override
        public void release(String resourceId, String siteId) {
            calls.add("release " + resourceId + " " + siteId);
            states.remove(siteId);
        }

        void finish(String site) {
            states.put(site, new SyncState(Phase.IN_SYNC, 0, null));
        }

        void fail(String site) {
            states.put(site, new SyncState(Phase.FAILED, 100, "connection reset"));
        }
    }

    private final AtomicLong nowMillis = new AtomicLong(1_000_000);
    private final InstantSource clock = () -> Instant.ofEpochMilli(nowMillis.get());
    private final Map<String, PlacementAdvice.SiteOutlook> outlook = new HashMap<>();
    private ScriptedReplication replication;
    private EmbeddedCoordinator coordinator;
    private MirrorLifecycleController controller;

    private static Site site(String id, int spot) {
        return new Site(id, id + "-region", new GeoPoint(0, 0), null, null, "http://" + id, 0.02, 0.1, 1000, spot,
                List.of(), List.of());
    }

    private static Policy policy(int spotAtSin, Mirror... pinned) {
        return policy(spotAtSin, null, pinned);
    }

    private static Policy policy(int spotAtSin, Schedule schedule, Mirror... pinned) {
        List<Mirror> mirrors = new ArrayList<>(List.of(new Mirror("fra", MirrorRole.PRIMARY, "desktop")));
        mirrors.addAll(List.of(pinned));
        ReplicationSettings replication = schedule == null ? null
                : new ReplicationSettings(null, null, schedule, null, null);
        Resource desktop = new Resource("desktop", null, null, 65_536, "fra", mirrors, replication, null, null);
        return Policy.of(List.of(site("fra", 0), site("iad", 0), site("sin", spotAtSin)), List.of(), List.of(), List.of(desktop));
    }

    @BeforeEach
    void setUp() {
        replication = new ScriptedReplication();
        coordinator = new EmbeddedCoordinator(clock);
        controller = new MirrorLifecycleController(coordinator, replication,
                r -> List.copyOf(outlook.values()), clock,
                new MirrorLifecycleController.Settings(0.7, 0.9, 0.6, 2_000, 10_000, 1_000));
        controller.applyPolicy(policy(1));
    }

    private void predict(String site, double p, double share) {
        outlook.put(site, new PlacementAdvice.SiteOutlook(site, p, p * 10 - 1, share));
    }

    private void advance(long millis) {
        nowMillis.addAndGet(millis);
        controller.tick();
    }

    private Optional<MirrorView> mirror(String site) {
        return controller.mirrors().stream().filter(m -> m.siteId().equals(site)).findFirst();
    }

    @Test
    void shouldLeaveResourcesAloneWhoseManagingSiteIsNotThePrimary() {
        controller.manageOnlyResourcesPrimaryAt("iad");
        predict("sin", 0.95, 0.2);
        advance(100);

        assertThat(replication.calls).isEmpty();
        assertThat(controller.mirrors()).isEmpty();
        assertThat(coordinator.mirrorSites("desktop")).doesNotContain("sin");
    }

    @Test
    void shouldManageResourcesWhosePrimaryIsTheManagingSite() {
        controller.manageOnlyResourcesPrimaryAt("fra");
        predict("sin", 0.95, 0.2);
        advance(100);

        assertThat(replication.calls).contains("full desktop fra->sin @1");
    }

    @Test
    void shouldCreateShadowWithFullSyncWhenProbabilityCrossesFirmThreshold() {
        predict("sin", 0.95, 0.2);
        advance(100);

        assertThat(mirror("sin")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_SYNCING);
        assertThat(replication.calls).contains("full desktop fra->sin @1");
        assertThat(coordinator.mirrorSites("desktop")).contains("sin");
        assertThat(coordinator.reservations("desktop")).anyMatch(r -> r.siteId().equals("sin")
                && r.kind() == Coordinator.Reservation.Kind.FIRM);

        replication.finish("sin");
        advance(100);
        assertThat(mirror("sin")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_READY);
    }

    @Test
    void shouldOnlyReserveSoftlyBetweenSoftAndFirmThresholds() {
        predict("iad", 0.75, 0.1);
        advance(100);

        assertThat(mirror("iad")).isEmpty();
        assertThat(replication.calls).noneMatch(c -> c.contains("->iad"));
        assertThat(coordinator.reservations("desktop")).anyMatch(r -> r.siteId().equals("iad")
                && r.kind() == Coordinator.Reservation.Kind.SOFT);
    }

    @Test
    void shouldPromoteShadowAfterSustainedUserShiftAndFinalSync() {
        predict("sin", 0.95, 0.8);
        predict("fra", 0.3, 0.2);
        advance(100);
        replication.finish("sin");
        advance(100);                       // ready
        advance(1_000);                     // candidate for promotion, hold starts
        assertThat(mirror("sin")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_READY);
        replication.finish("sin");
        advance(2_100);                     // hold elapsed: final sync starts
        assertThat(mirror("sin")).get().extracting(MirrorView::state).isEqualTo(MirrorState.PROMOTING);
        assertThat(coordinator.primary("desktop").orElseThrow().siteId()).isEqualTo("fra");

        replication.finish("sin");
        advance(100);

        Coordinator.PrimaryLease lease = coordinator.primary("desktop").orElseThrow();
        assertThat(lease.siteId()).isEqualTo("sin");
        assertThat(lease.epoch()).isEqualTo(2);
        assertThat(mirror("sin")).get().extracting(MirrorView::state).isEqualTo(MirrorState.PRIMARY);
        assertThat(mirror("fra")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_SYNCING);
        assertThat(replication.calls).contains("delta desktop sin->fra @2");
        assertThat(controller.recentEvents()).anyMatch(e -> e.contains("sin is primary at epoch 2"));
    }

    @Test
    void shouldPrefetchAResourceUsersAreLikelyToOpenNextAndReleaseItWhenTheyNoLongerAre() {
        outlook.put("sin", new PlacementAdvice.SiteOutlook("sin", 0.1, -1, 0.05, 0.8));
        advance(100);

        assertThat(replication.calls).contains("full desktop fra->sin @1");
        assertThat(controller.recentEvents()).anyMatch(e -> e.contains("prefetch") && e.contains("p=0.80"));
        assertThat(coordinator.reservations("desktop")).anyMatch(r -> r.siteId().equals("sin")
                && r.kind() == Coordinator.Reservation.Kind.SOFT);

        outlook.put("sin", new PlacementAdvice.SiteOutlook("sin", 0.1, -1, 0.05, 0.6));
        advance(100);
        assertThat(replication.calls).doesNotContain("full desktop fra->iad @1");
        assertThat(replication.calls).as("below the soft threshold too briefly").doesNotContain("release desktop sin");
        advance(10_000);
        advance(100);
        assertThat(replication.calls).contains("release desktop sin");
    }

    @Test
    void shouldNotPrefetchBelowTheSoftThreshold() {
        outlook.put("sin", new PlacementAdvice.SiteOutlook("sin", 0.1, -1, 0.05, 0.69));
        advance(100);

        assertThat(replication.calls).isEmpty();
        assertThat(mirror("sin")).isEmpty();
    }

    @Test
    void shouldCombineThePredictorsOutlookWithItsPrefetchLists() {
        DecisionSnapshot decisions = new DecisionSnapshot(0, 900_000, Map.of(), Map.of(), List.of(),
                Map.of("sin", List.of(new DecisionSnapshot.Prefetch("desktop", 0.75),
                        new DecisionSnapshot.Prefetch("files", 0.5))));
        List<PlacementAdvice.SiteOutlook> combined = PlacementAdvice.combine(
                List.of(new dev.vantage.predictor.SiteOutlook("fra", 0.9, 3.0, 0.8, 2.0, dev.vantage.predictor.Reservation.FIRM)), decisions,
                "desktop");

        assertThat(combined).containsExactly(new PlacementAdvice.SiteOutlook("fra", 0.9, 3.0, 0.8, 0.0),
                new PlacementAdvice.SiteOutlook("sin", 0, 0, 0, 0.75));
    }

    @Test
    void shouldRecreateAFailedShadow() {
        predict("sin", 0.95, 0.1);
        advance(100);
        replication.fail("sin");
        advance(100);

        assertThat(mirror("sin")).get().satisfies(m -> {
            assertThat(m.state()).isEqualTo(MirrorState.SHADOW_SYNCING);
            assertThat(m.recreations()).isEqualTo(1);
        });
        assertThat(replication.calls.stream().filter(c -> c.equals("full desktop fra->sin @1"))).hasSize(2);
    }

    @Test
    void shouldReleaseUnpinnedShadowOnlyAfterTheHoldTime() {
        predict("sin", 0.95, 0.1);
        advance(100);
        replication.finish("sin");
        advance(100);
        predict("sin", 0.1, 0.0);
        advance(100);
        advance(5_000);
        assertThat(mirror("sin")).isPresent();

        advance(6_000);
        assertThat(mirror("sin")).isEmpty();
        assertThat(replication.calls).contains("release desktop sin");
        assertThat(coordinator.mirrorSites("desktop")).doesNotContain("sin");
    }

    @Test
    void shouldKeepMirrorsPinnedByPolicyEvenWithoutPrediction() {
        controller.applyPolicy(policy(0, new Mirror("iad", MirrorRole.SHADOW, "desktop")));
        advance(100);
        replication.finish("iad");
        advance(100);
        advance(60_000);

        assertThat(mirror("iad")).get().satisfies(m -> {
            assertThat(m.pinnedByPolicy()).isTrue();
            assertThat(m.state()).isEqualTo(MirrorState.SHADOW_READY);
        });
    }

    @Test
    void shouldLeaveTheSyncsOfAPinnedShadowOfAnOnDemandResourceToItsTriggers() {
        controller.applyPolicy(policy(0, new Schedule(ScheduleKind.ON_DEMAND, 1_000, List.of()),
                new Mirror("iad", MirrorRole.SHADOW, "desktop")));
        advance(100);
        advance(5_000);
        assertThat(replication.calls).isEmpty();
        assertThat(mirror("iad")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_SYNCING);
        assertThat(controller.recentEvents()).anyMatch(e -> e.contains("shadow at iad")
                && e.contains("when its on_demand schedule says"));

        // The operator's trigger ran a cycle (the site's stream, not the controller): the shadow is ready, and no
        // periodic delta follows it.
        replication.finish("iad");
        advance(100);
        assertThat(mirror("iad")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_READY);
        advance(60_000);
        replication.fail("iad");
        advance(1_000);
        assertThat(replication.calls).isEmpty();

        // A shadow the predictor places is its own asker: full sync, then deltas.
        predict("sin", 0.95, 0.1);
        advance(100);
        replication.finish("sin");
        advance(100);
        advance(1_500);
        assertThat(replication.calls).containsExactly("full desktop fra->sin @1", "delta desktop fra->sin @1");
    }

    @Test
    void shouldLeaveTheSyncsOfAPinnedShadowOfAnOffPeakResourceToItsWindows() {
        controller.applyPolicy(policy(0, new Schedule(ScheduleKind.OFF_PEAK, 1_000,
                        List.of(new TimeWindow(Set.of(), LocalTime.of(1, 0), LocalTime.of(5, 0), ZoneOffset.UTC))),
                new Mirror("iad", MirrorRole.SHADOW, "desktop")));
        advance(100);
        replication.finish("iad");
        advance(100);
        advance(10_000);
        assertThat(replication.calls).isEmpty();
        assertThat(mirror("iad")).get().extracting(MirrorView::state).isEqualTo(MirrorState.SHADOW_READY);
    }

    @Test
    void shouldStillFullSyncAndRefreshAPinnedShadowOfAnIntervalResource() {
        controller.applyPolicy(policy(0, new Mirror("iad", MirrorRole.SHADOW, "desktop")));
        advance(100);
        replication.finish("iad");
        advance(100);
        advance(1_500);
        assertThat(replication.calls).containsExactly("full desktop fra->iad @1", "delta desktop fra->iad @1");
    }

    @Test
    void shouldPlaceOnSpotAndFallBackToOnDemandWhenSpotCapacityDisappears() {
        predict("sin", 0.95, 0.1);
        advance(100);
        assertThat(mirror("sin")).get().extracting(MirrorView::capacity).isEqualTo(CapacityKind.SPOT);

        controller.applyPolicy(policy(0));

        assertThat(mirror("sin")).get().extracting(MirrorView::capacity).isEqualTo(CapacityKind.ON_DEMAND);
        assertThat(controller.recentEvents()).anyMatch(e -> e.contains("falls back to on-demand"));
    }
}
