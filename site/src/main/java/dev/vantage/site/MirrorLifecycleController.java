package dev.vantage.site;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.vantage.config.Mirror;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.ScheduleKind;
import dev.vantage.config.Site;

/**
 * Turns predictor advice into mirror actions, as ARCHITECTURE.md "Prediction and control" describes:
 * none -&gt; shadow syncing (full) -&gt; shadow ready (delta sync) -&gt; promoting (final sync, epoch + 1 through
 * the {@link Coordinator}) -&gt; primary; the old primary becomes a shadow and is released when no longer
 * predicted (unless the policy pins it). Failed shadows are recreated. Shadows go on spot capacity while the
 * site has some and fall back to on-demand when it runs out.
 *
 * <p>Who starts a shadow's syncs: the controller, for the shadows the predictor placed (the predictor is what asks
 * for them) and for the ones the policy pins under an {@code interval} schedule. A pinned shadow of an
 * {@code on_demand} or {@code off_peak} resource is synced only as its schedule says (by the site's scheduled stream:
 * when the operator, a quorum write or an off-peak window asks), so the controller only follows its state; the final
 * sync of a promotion runs whatever the schedule.
 *
 * <p>Threading: one owner thread calls {@link #applyPolicy} and {@link #tick}; {@link #mirrors} and
 * {@link #recentEvents} are safe from any thread (immutable snapshots).
 */
public final class MirrorLifecycleController {

    /** Where a mirror of a resource at a site is in its life. */
    public enum MirrorState { SHADOW_SYNCING, SHADOW_READY, PROMOTING, PRIMARY }

    /** What a shadow runs on. */
    public enum CapacityKind { SPOT, ON_DEMAND }

    /** Tuning of the controller; thresholds come from the policy's predictor section. */
    public record Settings(double softThreshold, double firmThreshold, double promotionUserShare,
                           long promotionHoldMillis, long releaseHoldMillis, long deltaIntervalMillis) {
        public static Settings defaults() {
            return new Settings(0.7, 0.9, 0.6, 2_000, 10_000, 1_000);
        }
    }

    /** A read-only view of one mirror. */
    public record MirrorView(String resourceId, String siteId, MirrorState state, CapacityKind capacity,
                             boolean pinnedByPolicy, long epoch, int recreations, long lagBlocks) {}

    private static final int MAX_EVENTS = 200;

    private final Coordinator coordinator;
    private final ReplicationActions replication;
    private final PlacementAdvice advice;
    private final InstantSource clock;
    private final Settings settings;

    private final Map<String, Map<String, Tracked>> byResource = new LinkedHashMap<>();
    private final Deque<String> events = new ArrayDeque<>();
    private Policy policy;
    private String ownerSiteId;
    private volatile List<MirrorView> view = List.of();
    private volatile List<String> eventView = List.of();

    public MirrorLifecycleController(Coordinator coordinator, ReplicationActions replication, PlacementAdvice advice,
                                     InstantSource clock, Settings settings) {
        this.coordinator = coordinator;
        this.replication = replication;
        this.advice = advice;
        this.clock = clock;
        this.settings = settings;
    }

    /** Mutable per-mirror bookkeeping, owned by the controller thread. */
    private static final class Tracked {
        final String siteId;
        MirrorState state;
        CapacityKind capacity;
        boolean pinned;
        int recreations;
        long lowSinceMillis = -1;
        long candidateSinceMillis = -1;
        long lastDeltaMillis;
        long lagBlocks;

        Tracked(String siteId, MirrorState state, CapacityKind capacity) {
            this.siteId = siteId;
            this.state = state;
            this.capacity = capacity;
        }
    }

    /**
     * Limits the controller to resources whose current primary is {@code siteId}: when every site runs its own
     * controller (one process per site), each manages what it is primary of, so two controllers never act on one
     * resource. After a promotion the new primary's controller takes over.
     */
    public void manageOnlyResourcesPrimaryAt(String siteId) {
        this.ownerSiteId = siteId;
    }

    /** Adopts a new policy: pinned mirrors of new resources are created, spot capacity is re-checked. */
    public void applyPolicy(Policy newPolicy) {
        this.policy = newPolicy;
        Set<String> live = new HashSet<>();
        for (Resource resource : newPolicy.resources()) {
            live.add(resource.id());
            Map<String, Tracked> mirrors = byResource.computeIfAbsent(resource.id(), r -> new LinkedHashMap<>());
            for (Tracked t : mirrors.values()) {
                t.pinned = resource.mirrorAt(t.siteId).isPresent();
            }
        }
        byResource.keySet().retainAll(live);
        rebalanceSpot();
        publish();
    }

    /** One control step: reads advice and replication progress, acts, and publishes a new view. */
    public void tick() {
        if (policy == null) {
            return;
        }
        long now = clock.millis();
        for (Resource resource : policy.resources()) {
            tickResource(resource, now);
        }
        publish();
    }

    private void tickResource(Resource resource, long now) {
        Map<String, Tracked> mirrors = byResource.computeIfAbsent(resource.id(), r -> new LinkedHashMap<>());
        Coordinator.PrimaryLease lease = coordinator.primary(resource.id())
                .orElseGet(() -> coordinator.registerPrimary(resource.id(), resource.primarySite()));
        String primarySite = lease.siteId();
        if (ownerSiteId != null && !ownerSiteId.equals(primarySite)) {
            mirrors.clear();
            return;
        }

        Tracked primary = mirrors.computeIfAbsent(primarySite, s -> new Tracked(s, MirrorState.PRIMARY, CapacityKind.ON_DEMAND));
        primary.state = MirrorState.PRIMARY;
        primary.pinned = resource.mirrorAt(primarySite).isPresent();

        // Mirrors the policy names always exist.
        for (Mirror m : resource.mirrors()) {
            if (!mirrors.containsKey(m.site()) && policy.site(m.site()).isPresent()) {
                createShadow(resource, mirrors, m.site(), lease, true, "pinned by policy");
            }
        }

        Map<String, PlacementAdvice.SiteOutlook> outlook = new HashMap<>();
        for (PlacementAdvice.SiteOutlook o : advice.outlook(resource.id())) {
            outlook.put(o.siteId(), o);
        }

        for (Site site : policy.sites()) {
            if (site.id().equals(primarySite)) {
                continue;
            }
            PlacementAdvice.SiteOutlook o = outlook.getOrDefault(site.id(),
                    new PlacementAdvice.SiteOutlook(site.id(), 0, 0, 0));
            Tracked t = mirrors.get(site.id());
            if (t == null) {
                if (o.probability() >= settings.firmThreshold() && o.mirroringScore() > 0) {
                    coordinator.reserve(resource.id(), site.id(), Coordinator.Reservation.Kind.FIRM,
                            Duration.ofMillis(settings.releaseHoldMillis()));
                    createShadow(resource, mirrors, site.id(), lease, false,
                            String.format("p=%.2f >= firm %.2f, score %.2f", o.probability(), settings.firmThreshold(), o.mirroringScore()));
                } else if (o.prefetchProbability() >= settings.softThreshold()) {
                    // Prefetching: the site's users are likely to open this resource next; a shadow (spot
                    // capacity first) is cheap next to a cold first open over the WAN.
                    coordinator.reserve(resource.id(), site.id(), Coordinator.Reservation.Kind.SOFT,
                            Duration.ofMillis(settings.releaseHoldMillis()));
                    createShadow(resource, mirrors, site.id(), lease, false,
                            String.format("prefetch: users there likely open it next, p=%.2f >= soft %.2f",
                                    o.prefetchProbability(), settings.softThreshold()));
                } else if (o.probability() >= settings.softThreshold()) {
                    coordinator.reserve(resource.id(), site.id(), Coordinator.Reservation.Kind.SOFT,
                            Duration.ofMillis(settings.releaseHoldMillis()));
                }
                continue;
            }
            advanceShadow(resource, t, lease, now);
            if (!t.pinned && Math.max(o.probability(), o.prefetchProbability()) < settings.softThreshold()
                    && (t.state == MirrorState.SHADOW_READY || t.state == MirrorState.SHADOW_SYNCING)) {
                if (t.lowSinceMillis < 0) {
                    t.lowSinceMillis = now;
                } else if (now - t.lowSinceMillis >= settings.releaseHoldMillis()) {
                    release(resource, mirrors, t);
                }
            } else {
                t.lowSinceMillis = -1;
            }
        }

        considerPromotion(resource, mirrors, lease, outlook, now);
    }

    private void createShadow(Resource resource, Map<String, Tracked> mirrors, String siteId,
                              Coordinator.PrimaryLease lease, boolean pinned, String why) {
        Tracked t = new Tracked(siteId, MirrorState.SHADOW_SYNCING, chooseCapacity(siteId));
        t.pinned = pinned;
        mirrors.put(siteId, t);
        coordinator.addMirrorSite(resource.id(), siteId);
        if (!startsSyncs(resource, t)) {
            event(resource.id() + ": shadow at " + siteId + " on " + t.capacity + " capacity (" + why + "), synced "
                    + "from " + lease.siteId() + " when its " + scheduleName(resource) + " schedule says");
            return;
        }
        replication.startFullSync(resource.id(), lease.siteId(), siteId, lease.epoch());
        event(resource.id() + ": shadow at " + siteId + " on " + t.capacity + " capacity, full sync from "
                + lease.siteId() + " (" + why + ")");
    }

    /** Whether the controller starts {@code t}'s syncs itself (see the class comment). */
    private static boolean startsSyncs(Resource resource, Tracked t) {
        return !t.pinned || resource.replication().schedule().kind() == ScheduleKind.INTERVAL;
    }

    private static String scheduleName(Resource resource) {
        return resource.replication().schedule().kind().name().toLowerCase(Locale.ROOT);
    }

    private void advanceShadow(Resource resource, Tracked t, Coordinator.PrimaryLease lease, long now) {
        if (t.state == MirrorState.PRIMARY) {
            return;
        }
        ReplicationActions.SyncState s = replication.syncState(resource.id(), t.siteId);
        t.lagBlocks = s.lagBlocks();
        boolean startsSyncs = startsSyncs(resource, t);
        if (s.phase() == ReplicationActions.Phase.FAILED && startsSyncs) {
            t.recreations++;
            t.state = MirrorState.SHADOW_SYNCING;
            replication.startFullSync(resource.id(), lease.siteId(), t.siteId, lease.epoch());
            event(resource.id() + ": shadow at " + t.siteId + " failed (" + s.lastError() + "), recreated by full sync");
            return;
        }
        if (t.state == MirrorState.SHADOW_SYNCING && s.phase() == ReplicationActions.Phase.IN_SYNC) {
            t.state = MirrorState.SHADOW_READY;
            t.lastDeltaMillis = now;
            event(resource.id() + ": shadow at " + t.siteId + " ready");
        } else if (startsSyncs && t.state == MirrorState.SHADOW_READY && s.phase() != ReplicationActions.Phase.SYNCING
                && now - t.lastDeltaMillis >= settings.deltaIntervalMillis()) {
            t.lastDeltaMillis = now;
            replication.startDeltaSync(resource.id(), lease.siteId(), t.siteId, lease.epoch());
        }
    }

    private void considerPromotion(Resource resource, Map<String, Tracked> mirrors, Coordinator.PrimaryLease lease,
                                   Map<String, PlacementAdvice.SiteOutlook> outlook, long now) {
        double primaryShare = outlook.containsKey(lease.siteId()) ? outlook.get(lease.siteId()).userShare() : 0;
        Tracked promoting = null;
        Tracked best = null;
        double bestShare = 0;
        for (Tracked t : mirrors.values()) {
            if (t.state == MirrorState.PROMOTING) {
                promoting = t;
            }
            PlacementAdvice.SiteOutlook o = outlook.get(t.siteId);
            if (o == null || t.state != MirrorState.SHADOW_READY) {
                if (t.state != MirrorState.PROMOTING) {
                    t.candidateSinceMillis = -1;
                }
                continue;
            }
            boolean candidate = o.probability() >= settings.firmThreshold()
                    && o.userShare() >= settings.promotionUserShare() && o.userShare() > primaryShare;
            if (!candidate) {
                t.candidateSinceMillis = -1;
            } else if (o.userShare() > bestShare) {
                best = t;
                bestShare = o.userShare();
            }
        }
        if (promoting != null) {
            finishPromotion(resource, mirrors, lease, promoting);
            return;
        }
        if (best == null) {
            return;
        }
        if (best.candidateSinceMillis < 0) {
            best.candidateSinceMillis = now;
        }
        if (now - best.candidateSinceMillis >= settings.promotionHoldMillis()) {
            best.state = MirrorState.PROMOTING;
            replication.startDeltaSync(resource.id(), lease.siteId(), best.siteId, lease.epoch());
            event(resource.id() + ": promoting " + best.siteId + " (user share " + String.format("%.2f", bestShare)
                    + "), final sync from " + lease.siteId());
        }
    }

    private void finishPromotion(Resource resource, Map<String, Tracked> mirrors, Coordinator.PrimaryLease lease,
                                 Tracked promoting) {
        ReplicationActions.SyncState s = replication.syncState(resource.id(), promoting.siteId);
        if (s.phase() == ReplicationActions.Phase.FAILED) {
            promoting.state = MirrorState.SHADOW_SYNCING;
            promoting.recreations++;
            replication.startFullSync(resource.id(), lease.siteId(), promoting.siteId, lease.epoch());
            event(resource.id() + ": promotion of " + promoting.siteId + " aborted, final sync failed (" + s.lastError() + ")");
            return;
        }
        if (s.phase() != ReplicationActions.Phase.IN_SYNC) {
            return;
        }
        try {
            Coordinator.PrimaryLease next = coordinator.promote(resource.id(), promoting.siteId, lease.epoch());
            Tracked old = mirrors.get(lease.siteId());
            promoting.state = MirrorState.PRIMARY;
            promoting.candidateSinceMillis = -1;
            if (old != null) {
                old.state = MirrorState.SHADOW_SYNCING;
                replication.startDeltaSync(resource.id(), next.siteId(), old.siteId, next.epoch());
            }
            event(resource.id() + ": " + promoting.siteId + " is primary at epoch " + next.epoch() + "; "
                    + lease.siteId() + " is now a shadow");
        } catch (Coordinator.StaleEpochException e) {
            promoting.state = MirrorState.SHADOW_READY;
            event(resource.id() + ": promotion of " + promoting.siteId + " lost a race: " + e.getMessage());
        }
    }

    private void release(Resource resource, Map<String, Tracked> mirrors, Tracked t) {
        mirrors.remove(t.siteId);
        coordinator.removeMirrorSite(resource.id(), t.siteId);
        replication.release(resource.id(), t.siteId);
        event(resource.id() + ": shadow at " + t.siteId + " released (no longer predicted)");
    }

    private CapacityKind chooseCapacity(String siteId) {
        int spotFree = spotCapacity(siteId) - spotInUse(siteId);
        return spotFree > 0 ? CapacityKind.SPOT : CapacityKind.ON_DEMAND;
    }

    private int spotCapacity(String siteId) {
        return policy == null ? 0 : policy.site(siteId).map(Site::spotCapacityInstances).orElse(0);
    }

    private int spotInUse(String siteId) {
        int used = 0;
        for (Map<String, Tracked> mirrors : byResource.values()) {
            Tracked t = mirrors.get(siteId);
            if (t != null && t.capacity == CapacityKind.SPOT) {
                used++;
            }
        }
        return used;
    }

    /** When a site loses spot capacity, the shadows beyond it fall back to on-demand. */
    private void rebalanceSpot() {
        Map<String, Integer> budget = new HashMap<>();
        for (Map.Entry<String, Map<String, Tracked>> entry : byResource.entrySet()) {
            for (Tracked t : entry.getValue().values()) {
                if (t.capacity != CapacityKind.SPOT) {
                    continue;
                }
                int left = budget.computeIfAbsent(t.siteId, this::spotCapacity);
                if (left > 0) {
                    budget.put(t.siteId, left - 1);
                } else {
                    t.capacity = CapacityKind.ON_DEMAND;
                    event(entry.getKey() + ": spot capacity gone at " + t.siteId + ", shadow falls back to on-demand");
                }
            }
        }
    }

    private void event(String text) {
        events.addLast(clock.instant() + " " + text);
        while (events.size() > MAX_EVENTS) {
            events.removeFirst();
        }
    }

    private void publish() {
        List<MirrorView> views = new ArrayList<>();
        for (Map.Entry<String, Map<String, Tracked>> entry : byResource.entrySet()) {
            long epoch = coordinator.primary(entry.getKey()).map(Coordinator.PrimaryLease::epoch).orElse(0L);
            for (Tracked t : entry.getValue().values()) {
                views.add(new MirrorView(entry.getKey(), t.siteId, t.state, t.capacity, t.pinned, epoch,
                        t.recreations, t.lagBlocks));
            }
        }
        views.sort(Comparator.comparing(MirrorView::resourceId).thenComparing(MirrorView::siteId));
        view = List.copyOf(views);
        eventView = List.copyOf(events);
    }

    /** Every mirror the controller tracks, sorted by resource then site. */
    public List<MirrorView> mirrors() {
        return view;
    }

    /** The latest actions, oldest first (bounded). */
    public List<String> recentEvents() {
        return eventView;
    }
}
