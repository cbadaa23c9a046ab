package dev.vantage.predictor.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.config.PredictorSettings;
import dev.vantage.config.Site;
import dev.vantage.predictor.CalendarHint;
import dev.vantage.predictor.DecisionSnapshot;
import dev.vantage.predictor.DemandAlert;
import dev.vantage.predictor.ModelAggregate;
import dev.vantage.predictor.Reservation;
import dev.vantage.predictor.SiteLoad;
import dev.vantage.predictor.SiteOutlook;

/**
 * The predictor's models and decisions, owned by one thread: per-user place PPMs with an LRU bound, the shared
 * (federated) models (site transitions, resource sequences, site by hour of week), per-site demand forecasts and
 * anomaly detection, calendar hints, and the decision step that turns all of it into a {@link DecisionSnapshot}.
 *
 * <p>Invariants: {@link #onAccess} allocates nothing for a known user, site and resource (a new user allocates
 * its state once); the number of users never exceeds {@code maxUsers} (sampled LRU eviction); the shared models only ever grow by counts,
 * so {@link #exportAggregate} / {@link #merge} are exact.
 *
 * <p>Threading: every method must be called from the owner thread.
 */
public final class PredictorCore {

    static final double RESOURCE_TAU_MILLIS = 86_400_000.0;
    static final double INITIAL_DWELL_MILLIS = 2 * 3_600_000.0;
    static final double HOUR_PRIOR_WEIGHT = 0.1;
    static final long KALMAN_FRESH_MILLIS = 10 * 60_000L;
    static final long FULL_SWEEP_MILLIS = 10_000;
    static final double OVERLOAD_RATIO = 0.8;
    static final int SHARED_SITE_ORDER = 1;
    static final int SHARED_RESOURCE_ORDER = 1;

    private final PredictorSettings settings;
    private final List<Site> sites;
    private final int siteCount;
    private final double[] siteLat;
    private final double[] siteLon;
    private final LongIntMap siteByHash;

    private final List<String> resourceNames = new ArrayList<>();
    private final LongIntMap resourceByHash = new LongIntMap(64);

    private final UserTable users = new UserTable();
    /** Every user, densely packed (each knows its slot), for sampled eviction and iteration. */
    private UserState[] slots = new UserState[64];
    private long touches;
    private final java.util.SplittableRandom evictionRandom = new java.util.SplittableRandom(0x5eed);

    private final SequenceModel siteTransitions;
    private final SequenceModel resourceSequences;
    private final HourOfWeekPrior siteByHour = new HourOfWeekPrior();
    private final DemandTracker[] demand;
    private final Map<Long, List<CalendarHint>> hints = new HashMap<>();

    private final SequenceBlend placeBlend;
    private final SequenceBlend resourceBlend;
    private double[] scratch;
    private double[] scratch2;
    private int[] stamp;
    private final double[] uniformSites;
    private int stampValue;
    private long lastFullSweepMillis = Long.MIN_VALUE;

    private long accessEvents;
    private long unknownSites;
    private long evictions;
    private long gpsOutliers;
    private long alertsRaised;

    public PredictorCore(List<Site> sites, PredictorSettings settings) {
        this.settings = settings;
        this.sites = List.copyOf(sites);
        this.siteCount = sites.size();
        this.siteLat = new double[siteCount];
        this.siteLon = new double[siteCount];
        this.siteByHash = new LongIntMap(Math.max(4, siteCount));
        this.demand = new DemandTracker[siteCount];
        for (int i = 0; i < siteCount; i++) {
            Site s = sites.get(i);
            siteByHash.put(hash(s.id()), i);
            siteLat[i] = s.location() == null ? Double.NaN : s.location().latitude();
            siteLon[i] = s.location() == null ? Double.NaN : s.location().longitude();
            demand[i] = new DemandTracker(300_000, settings.anomalyZScore());
        }
        int order = settings.markovMaxOrder();
        // The shared models see every user's events: keeping them at low order keeps them cache-resident, which
        // is what keeps an update within a microsecond (the per-user models carry the higher orders).
        this.siteTransitions = new SequenceModel(Math.min(order, SHARED_SITE_ORDER), 256, true);
        this.resourceSequences = new SequenceModel(Math.min(order, SHARED_RESOURCE_ORDER), 1024, true);
        this.placeBlend = new SequenceBlend(order, 0, 1, 1, 0);
        this.resourceBlend = new SequenceBlend(order, 0.75, 0.25, 1, 1);
        this.scratch = new double[siteCount + 1];
        this.scratch2 = new double[siteCount + 1];
        this.stamp = new int[siteCount + 1];
        this.uniformSites = new double[siteCount];
        Arrays.fill(uniformSites, 1.0 / Math.max(1, siteCount));
    }

    /** 64-bit hash of a character sequence (FNV-1a over UTF-16 units, then a finaliser); allocation-free. */
    public static long hash(CharSequence text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }

    /** The index of a configured site, or -1. */
    public int siteIndex(long siteHash) {
        return siteByHash.get(siteHash);
    }

    public String siteName(int index) {
        return sites.get(index).id();
    }

    public int siteIndex(CharSequence siteId) {
        return siteByHash.get(hash(siteId));
    }

    /** The index of a resource, interning it on first sight ({@code name} is only read then). */
    public int resourceIndex(long resourceHash, CharSequence name) {
        int r = resourceByHash.get(resourceHash);
        if (r == LongIntMap.MISSING) {
            r = resourceNames.size();
            resourceNames.add(name.toString());
            resourceByHash.put(resourceHash, r);
        }
        return r;
    }

    public int resourceIndex(CharSequence name) {
        return resourceIndex(hash(name), name);
    }

    /** Learns from one access; {@code lat}/{@code lon} are NaN when the event carries no location. */
    public void onAccess(long userHash, int site, int resource, long timeMillis, double lat, double lon) {
        if (site < 0 || site >= siteCount) {
            unknownSites++;
            return;
        }
        accessEvents++;
        UserState u = user(userHash);
        int place = site;
        if (!Double.isNaN(lat) && !Double.isNaN(lon)) {
            if (u.kalman == null) {
                u.kalman = new KalmanFilter2D(0.5, 25, 30 * 60_000L);
            }
            if (!u.kalman.update(timeMillis, lat, lon)) {
                gpsOutliers++;
            }
            int nearest = nearestSite(lat, lon);
            place = nearest >= 0 ? nearest : site;
        }
        if (place != u.currentPlace()) {
            u.places.observe(u.placeHistory, u.placeLength, place);
            siteTransitions.observe(u.placeHistory, u.placeLength, place);
            siteByHour.observe(timeMillis, place);
            if (u.placeLength > 0 && u.arrivedMillis > 0) {
                double dwell = Math.max(60_000, timeMillis - u.arrivedMillis);
                u.meanDwellMillis = 0.8 * u.meanDwellMillis + 0.2 * dwell;
            }
            u.arrivedMillis = timeMillis;
            u.placeLength = UserState.push(u.placeHistory, u.placeLength, place);
        }
        if (resource >= 0) {
            u.use(resource, timeMillis, RESOURCE_TAU_MILLIS, settings.horizonMillis());
            if (resource != u.lastResource()) {
                resourceSequences.observe(u.resourceHistory, u.resourceLength, resource);
                u.resourceLength = UserState.push(u.resourceHistory, u.resourceLength, resource);
            }
        }
        u.lastMillis = timeMillis;
        u.dirty = true;
        demand[site].record(timeMillis);
    }

    private int nearestSite(double lat, double lon) {
        int best = -1;
        double bestD = Double.MAX_VALUE;
        double cos = Math.cos(Math.toRadians(lat));
        for (int i = 0; i < siteCount; i++) {
            if (Double.isNaN(siteLat[i])) {
                continue;
            }
            double dx = (siteLon[i] - lon) * cos;
            double dy = siteLat[i] - lat;
            double d = dx * dx + dy * dy;
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        return best;
    }

    /**
     * The user's state, created on first sight. The bound is kept by sampled LRU eviction (as Redis does): when
     * full, the least recently touched of {@link #EVICTION_SAMPLES} random users goes (of all users
     * when there are at most four times as many). Exact LRU would relink a list
     * node and its two neighbours on every event, three cache misses that cost more than the model update.
     */
    private UserState user(long key) {
        UserState u = users.get(key);
        if (u == null) {
            if (users.size() >= settings.maxUsers()) {
                evictOne();
            }
            u = new UserState(key, settings.markovMaxOrder(), INITIAL_DWELL_MILLIS);
            users.add(u);
            if (users.size() > slots.length) {
                slots = Arrays.copyOf(slots, slots.length * 2);
            }
            u.slot = users.size() - 1;
            slots[u.slot] = u;
        }
        u.touch = ++touches;
        return u;
    }

    static final int EVICTION_SAMPLES = 16;

    private void evictOne() {
        int n = users.size();
        UserState victim = null;
        boolean exact = n <= 4 * EVICTION_SAMPLES;
        for (int i = 0; i < (exact ? n : EVICTION_SAMPLES); i++) {
            UserState candidate = slots[exact ? i : evictionRandom.nextInt(n)];
            if (victim == null || candidate.touch < victim.touch) {
                victim = candidate;
            }
        }
        UserState last = slots[n - 1];
        slots[victim.slot] = last;
        last.slot = victim.slot;
        slots[n - 1] = null;
        users.remove(victim.key);
        evictions++;
    }

    /** Registers a calendar or public-event hint (kept until its window has passed). */
    public void addHint(CalendarHint hint) {
        if (siteIndex(hint.siteId()) < 0) {
            throw new IllegalArgumentException("siteId: " + hint.siteId() + " (expected: a configured site)");
        }
        hints.computeIfAbsent(hash(hint.userKey()), k -> new ArrayList<>()).add(hint);
    }

    /**
     * The user's place distribution over the configured sites within the horizon from {@code nowMillis}, or null
     * when the user is unknown.
     */
    public double[] placeDistribution(CharSequence userKey, long nowMillis) {
        UserState u = users.get(hash(userKey));
        if (u == null) {
            return null;
        }
        double[] out = new double[siteCount];
        placeDistribution(u, nowMillis, out);
        return out;
    }

    /**
     * PPM over the user's own places (unseen mass goes to the shared site-transition model), mixed with the
     * hour-of-week prior, weighted by the chance of moving within the horizon (from the user's mean dwell time),
     * then moved towards the Kalman-predicted site when the user is travelling, then towards calendar hints.
     */
    private void placeDistribution(UserState u, long nowMillis, double[] out) {
        Arrays.fill(out, 0);
        int current = u.currentPlace();
        if (current < 0) {
            return;
        }
        long horizon = settings.horizonMillis();
        int v = u.places.alphabetSize();
        placeBlend.predict(u.places, u.placeHistory, u.placeLength, scratch, stamp, ++stampValue);
        double unseen = scratch[v];
        int gv = siteTransitions.alphabetSize();
        placeBlend.predict(siteTransitions, u.placeHistory, u.placeLength, scratch2, stamp, ++stampValue);
        for (int s = 0; s < siteCount; s++) {
            double own = s < v ? scratch[s] : 0;
            double shared = s < gv ? scratch2[s] : 0;
            out[s] = own + unseen * shared;
        }
        double[] prior = scratch2;
        double[] base = uniformSites;
        siteByHour.predict(nowMillis + horizon / 2, base, siteCount, 1.0, prior);
        prior[current] = 0;
        double z = 0;
        double sum = 0;
        for (int s = 0; s < siteCount; s++) {
            z += prior[s];
            sum += out[s];
        }
        for (int s = 0; s < siteCount; s++) {
            double p = sum > 0 ? out[s] / sum : 0;
            out[s] = (1 - HOUR_PRIOR_WEIGHT) * p + HOUR_PRIOR_WEIGHT * (z > 0 ? prior[s] / z : p);
        }
        double pMove = 1 - Math.exp(-horizon / Math.max(60_000, u.meanDwellMillis));
        for (int s = 0; s < siteCount; s++) {
            out[s] *= pMove;
        }
        out[current] += 1 - pMove;
        KalmanFilter2D k = u.kalman;
        if (k != null && nowMillis - k.lastMillis() <= KALMAN_FRESH_MILLIS && k.speedMetresPerSecond() > 1.0) {
            long at = nowMillis + horizon;
            int target = nearestSite(k.predictLat(at), k.predictLon(at));
            if (target >= 0) {
                for (int s = 0; s < siteCount; s++) {
                    out[s] *= 0.5;
                }
                out[target] += 0.5;
            }
        }
        List<CalendarHint> mine = hints.get(u.key);
        if (mine != null) {
            for (CalendarHint h : mine) {
                if (h.startMillis() <= nowMillis + horizon && h.endMillis() >= nowMillis) {
                    int s = siteIndex(h.siteId());
                    for (int x = 0; x < siteCount; x++) {
                        out[x] *= 1 - h.confidence();
                    }
                    out[s] += h.confidence();
                }
            }
        }
    }

    /** Computes a new decision snapshot at {@code nowMillis}. Allocates; runs at most every decision interval. */
    public DecisionSnapshot decide(long nowMillis) {
        long horizon = settings.horizonMillis();
        boolean sweep = nowMillis - lastFullSweepMillis >= FULL_SWEEP_MILLIS;
        if (sweep) {
            lastFullSweepMillis = nowMillis;
            hints.values().forEach(list -> list.removeIf(h -> h.endMillis() < nowMillis));
            hints.values().removeIf(List::isEmpty);
        }
        int resources = resourceNames.size();
        double[][] logNotNeeded = new double[resources][siteCount];
        double[][] expected = new double[resources][siteCount];
        double[][] share = new double[resources][siteCount];
        double[] shareTotal = new double[resources];
        double[][] prefetch = new double[siteCount][resources];
        double[] dist = new double[siteCount];
        double[] next = new double[resources + 1];
        int[] rstamp = new int[resources + 1];
        int userCount = users.size();
        for (int k = 0; k < userCount; k++) {
            UserState u = slots[k];
            if (u.placeProbability == null || u.dirty || sweep) {
                placeDistribution(u, nowMillis, dist);
                if (u.placeProbability == null) {
                    u.placeProbability = new float[siteCount];
                }
                for (int s = 0; s < siteCount; s++) {
                    u.placeProbability[s] = (float) dist[s];
                }
                u.dirty = false;
            }
            for (int i = 0; i < u.resourceCount; i++) {
                double rate = u.rate(i, nowMillis, RESOURCE_TAU_MILLIS, horizon);
                double pUse = 1 - Math.exp(-rate * horizon);
                if (pUse < 1e-4) {
                    continue;
                }
                int r = u.resource(i);
                shareTotal[r] += pUse;
                for (int s = 0; s < siteCount; s++) {
                    double ps = u.placeProbability[s];
                    if (ps <= 0) {
                        continue;
                    }
                    double p = Math.min(ps * pUse, 0.999999);
                    logNotNeeded[r][s] += Math.log1p(-p);
                    expected[r][s] += ps * rate * horizon;
                    share[r][s] += ps * pUse;
                }
            }
            if (nowMillis - u.lastMillis <= horizon && u.resourceLength > 0 && resources > 0) {
                resourceBlend.predict(resourceSequences, u.resourceHistory, u.resourceLength, next, rstamp, 1);
                int rv = resourceSequences.alphabetSize();
                for (int s = 0; s < siteCount; s++) {
                    double ps = u.placeProbability[s];
                    if (ps > 0.05) {
                        for (int r = 0; r < rv; r++) {
                            prefetch[s][r] = 1 - (1 - prefetch[s][r]) * (1 - ps * next[r]);
                        }
                    }
                }
            }
        }
        Map<String, List<SiteOutlook>> outlooks = new LinkedHashMap<>();
        double horizonHours = horizon / 3_600_000.0;
        for (int r = 0; r < resources; r++) {
            List<SiteOutlook> list = new ArrayList<>();
            for (int s = 0; s < siteCount; s++) {
                double p = 1 - Math.exp(logNotNeeded[r][s]);
                if (p < 1e-6) {
                    continue;
                }
                Site site = sites.get(s);
                double cost = site.costPerInstanceHour() * horizonHours;
                double score = p * settings.benefitPerHit() * expected[r][s] - cost;
                Reservation reservation = p >= settings.firmThreshold() ? Reservation.FIRM
                        : p >= settings.softThreshold() ? Reservation.SOFT : Reservation.NONE;
                list.add(new SiteOutlook(site.id(), p, score, shareTotal[r] > 0 ? share[r][s] / shareTotal[r] : 0,
                        expected[r][s], reservation));
            }
            if (!list.isEmpty()) {
                list.sort((a, b) -> Double.compare(b.probability(), a.probability()));
                outlooks.put(resourceNames.get(r), List.copyOf(list));
            }
        }
        Map<String, SiteLoad> loads = new LinkedHashMap<>();
        List<DemandAlert> alerts = new ArrayList<>();
        for (int s = 0; s < siteCount; s++) {
            Site site = sites.get(s);
            double predicted = demand[s].predictedRate(nowMillis);
            double upper = demand[s].upperRate(nowMillis);
            double capacity = site.capacityRequestsPerSecond();
            double ratio = capacity > 0 ? upper / capacity : 0;
            double shift = ratio > OVERLOAD_RATIO ? Math.min(settings.maxShadowTrafficRatio(), (ratio - OVERLOAD_RATIO) / ratio) : 0;
            loads.put(site.id(), new SiteLoad(site.id(), predicted, upper, capacity, shift));
            double[] alert = demand[s].takeAlert();
            if (alert != null) {
                alertsRaised++;
                alerts.add(new DemandAlert(site.id(), (long) alert[0], (long) alert[1], alert[2]));
            }
        }
        Map<String, List<DecisionSnapshot.Prefetch>> prefetchOut = new LinkedHashMap<>();
        for (int s = 0; s < siteCount; s++) {
            List<DecisionSnapshot.Prefetch> list = new ArrayList<>();
            for (int r = 0; r < resources; r++) {
                if (prefetch[s][r] >= 0.05) {
                    list.add(new DecisionSnapshot.Prefetch(resourceNames.get(r), prefetch[s][r]));
                }
            }
            if (!list.isEmpty()) {
                list.sort((a, b) -> Double.compare(b.probability(), a.probability()));
                prefetchOut.put(sites.get(s).id(), List.copyOf(list.subList(0, Math.min(10, list.size()))));
            }
        }
        return new DecisionSnapshot(nowMillis, horizon, outlooks, loads, alerts, prefetchOut);
    }

    // ------------------------------------------------------------------ federation

    /** The shared models as named counts. */
    public ModelAggregate exportAggregate() {
        List<String> siteNames = new ArrayList<>();
        for (Site s : sites) {
            siteNames.add(s.id());
        }
        List<ModelAggregate.HourCount> hours = new ArrayList<>();
        for (int h = 0; h < HourOfWeekPrior.HOURS_PER_WEEK; h++) {
            for (int s = 0; s < siteCount; s++) {
                int c = siteByHour.count(h, s);
                if (c > 0) {
                    hours.add(new ModelAggregate.HourCount(h, s, c));
                }
            }
        }
        return new ModelAggregate(siteNames, resourceNames, counts(siteTransitions), counts(resourceSequences), hours);
    }

    private static List<ModelAggregate.Count> counts(SequenceModel model) {
        List<ModelAggregate.Count> out = new ArrayList<>();
        model.forEachCount((context, order, symbol, count) -> {
            List<Integer> ctx = new ArrayList<>(order);
            for (int i = 0; i < order; i++) {
                ctx.add(context[i]);
            }
            out.add(new ModelAggregate.Count(List.copyOf(ctx), symbol, count));
        });
        return out;
    }

    /** Adds another site's counts to the shared models, mapping its symbols by name. */
    public void merge(ModelAggregate other) {
        int[] siteMap = new int[other.sites().size()];
        for (int i = 0; i < siteMap.length; i++) {
            siteMap[i] = siteIndex(other.sites().get(i));
            if (siteMap[i] < 0) {
                throw new IllegalArgumentException("aggregate site: " + other.sites().get(i)
                        + " (expected: one of the configured sites)");
            }
        }
        int[] resourceMap = new int[other.resources().size()];
        for (int i = 0; i < resourceMap.length; i++) {
            resourceMap[i] = resourceIndex(other.resources().get(i));
        }
        addCounts(siteTransitions, other.siteTransitions(), siteMap);
        addCounts(resourceSequences, other.resourceSequences(), resourceMap);
        for (ModelAggregate.HourCount h : other.siteByHour()) {
            siteByHour.add(h.hour(), siteMap[h.site()], h.count());
        }
    }

    private static void addCounts(SequenceModel model, List<ModelAggregate.Count> counts, int[] map) {
        int[] ctx = new int[model.maxOrder() + 1];
        for (ModelAggregate.Count c : counts) {
            for (int i = 0; i < c.context().size(); i++) {
                ctx[i] = map[c.context().get(i)];
            }
            model.addCount(ctx, c.context().size(), map[c.symbol()], c.count());
        }
    }

    /** Next-resource distribution of the shared model after the given resources (oldest first), by name. */
    public Map<String, Double> nextResource(List<String> history) {
        int[] h = new int[history.size()];
        for (int i = 0; i < h.length; i++) {
            h[i] = resourceIndex(history.get(i));
        }
        double[] out = new double[resourceSequences.alphabetSize() + 1];
        int[] st = new int[out.length];
        resourceBlend.predict(resourceSequences, h, h.length, out, st, 1);
        Map<String, Double> named = new HashMap<>();
        for (int r = 0; r < out.length - 1; r++) {
            named.put(resourceNames.get(r), out[r]);
        }
        return named;
    }

    // ------------------------------------------------------------------ state access for persistence and metrics

    List<Site> sites() {
        return sites;
    }

    List<String> resourceNames() {
        return resourceNames;
    }

    /** Every user, least recently touched first (so that a restore recreates the same recency order). */
    Iterable<UserState> usersOldestFirst() {
        List<UserState> list = new ArrayList<>(Arrays.asList(slots).subList(0, users.size()));
        list.sort((a, b) -> Long.compare(a.touch, b.touch));
        return list;
    }

    UserState restoreUser(long key) {
        return user(key);
    }

    public int userCount() {
        return users.size();
    }

    public long accessEvents() {
        return accessEvents;
    }

    public long unknownSites() {
        return unknownSites;
    }

    public long evictions() {
        return evictions;
    }

    public long gpsOutliers() {
        return gpsOutliers;
    }

    public long alertsRaised() {
        return alertsRaised;
    }

    /** Approximate heap bytes of the users' state plus the shared models. */
    public long footprintBytes() {
        long bytes = siteTransitions.footprintBytes() + resourceSequences.footprintBytes() + 64L * users.size();
        for (int k = 0; k < users.size(); k++) {
            bytes += slots[k].footprintBytes();
        }
        return bytes;
    }
}
