package dev.vantage.proxy.internal.routing;

import java.net.InetAddress;

import dev.vantage.config.MirrorRole;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMode;
import dev.vantage.config.RetryOn;
import dev.vantage.config.Stickiness;
import dev.vantage.config.StickinessMode;
import dev.vantage.proxy.RoutingDecision;
import dev.vantage.proxy.RoutingFailure;
import dev.vantage.proxy.RoutingRequest;
import dev.vantage.proxy.RoutingSelector;
import dev.vantage.proxy.RoutingTarget;

/**
 * One event loop's router. Per target it keeps what this loop has learned: in-flight requests, the peak-EWMA of
 * response times (Finagle's: a slower sample replaces the estimate at once, faster ones pull it down with weight
 * {@code 1 - exp(-elapsed / decay)}; with no samples it decays towards the probe RTT, so an avoided target is retried
 * now and then), consecutive failures and passive ejection. Per route it keeps a retry budget and a latency window.
 *
 * <p>Decision order: tenant rate, hop loop, allowed members (writes: primary or multi-master replicas; reads:
 * replication lag within the route's bound), stickiness (cookie, or consistent hashing with bounded load over the
 * user key), locality (the user's closest sites first, spilling by spare capacity, panic when too few are healthy),
 * then power of two choices on {@code predictedLatency × (pending + 1) / effectiveWeight + costPenalty}.
 *
 * <p>Threading: confined to its event loop; reads the engine's inputs through one volatile load per call. Other
 * threads may read its counters and state for metrics (single writer, racy reads of plain fields are tolerated there).
 */
final class LoopRouter implements RoutingSelector {

    private static final long FLOOR_NANOS = 1_000;
    /**
     * What a failed attempt (refused, reset, timed out, 502/503/504) does to a target's latency estimate: a
     * refused connection is fast, and without a penalty the dead target would win every comparison. Like any peak it
     * decays with the EWMA time constant, so the target is tried again later.
     */
    private static final double FAILURE_PENALTY_NANOS = 500_000_000;

    private final DefaultRoutingEngine engine;
    private final double decayNanos;
    private final double observedShare;
    final RoutingCounters counters = new RoutingCounters();
    private final UserLocation user = new UserLocation();
    private AffinityCookieCodec codec;

    RoutingInputs inputs;
    RoutingSnapshot snapshot;
    // Per target.
    int[] pending;
    double[] ewmaNanos;
    long[] stampNanos;
    boolean[] observed;
    int[] failures;
    long[] ejectedUntilNanos;
    long[] selected;
    // Per plan.
    RetryBudget[] budgets;
    LatencyWindow[] latencies;
    long[] requests;
    long[][] memberSelected;
    // Scratch, sized for the largest plan.
    private boolean[] allowed;
    private boolean[] available;
    private boolean[] eligible;
    private int[] load;
    private int[] candidates;
    private int[] slotAllowed;
    private int[] slotHealthy;
    private long[] slotPending;
    private boolean[] inTier;
    private long random;
    /** Whether the last select call resolved the user's location into {@link #user}. */
    private boolean located;
    /** The latest time this loop was given; never read from a clock on the request path. */
    private long lastNowNanos;

    LoopRouter(DefaultRoutingEngine engine, long seed) {
        this.engine = engine;
        this.decayNanos = engine.settings().ewmaDecayMillis() * 1e6;
        this.observedShare = engine.settings().observedShare();
        this.random = seed == 0 ? 0x9e3779b97f4a7c15L : seed;
        this.codec = engine.newCookieCodec();
        this.lastNowNanos = engine.nanoTime();
        adopt(engine.inputs());
    }

    // ---------------------------------------------------------------- snapshot changes

    private RoutingInputs current() {
        RoutingInputs latest = engine.inputs();
        if (latest != inputs) {
            adopt(latest);
        }
        return latest;
    }

    /** Switches to new inputs; on a new snapshot, carries per-target learning over by target key. */
    private void adopt(RoutingInputs next) {
        RoutingSnapshot old = snapshot;
        inputs = next;
        if (next.snapshot == old) {
            return;
        }
        RoutingSnapshot snap = next.snapshot;
        int n = snap.targets.length;
        int[] newPending = new int[n];
        double[] newEwma = new double[n];
        long[] newStamp = new long[n];
        boolean[] newObserved = new boolean[n];
        int[] newFailures = new int[n];
        long[] newEjected = new long[n];
        long[] newSelected = new long[n];
        for (int i = 0; i < n; i++) {
            int o = old == null ? -1 : old.indexOfKey(snap.targets[i].key());
            if (o >= 0) {
                newPending[i] = pending[o];
                newEwma[i] = ewmaNanos[o];
                newStamp[i] = stampNanos[o];
                newObserved[i] = observed[o];
                newFailures[i] = failures[o];
                newEjected[i] = ejectedUntilNanos[o];
                newSelected[i] = selected[o];
            }
        }
        long now = engine.nanoTime();
        int plans = snap.plans.length;
        RetryBudget[] newBudgets = new RetryBudget[plans];
        LatencyWindow[] newLatencies = new LatencyWindow[plans];
        long[] newRequests = new long[plans];
        long[][] newMemberSelected = new long[plans][];
        int maxMembers = 1;
        int maxSlots = 1;
        for (int p = 0; p < plans; p++) {
            Route route = snap.plans[p].route;
            newBudgets[p] = new RetryBudget(route.retry().budgetRatio(), route.retry().minRetriesPerSecond(), now);
            // Only hedging routes need their p95 (three HdrHistograms, ~75 KB per route and loop).
            newLatencies[p] = route.retry().hedgeReads() ? new LatencyWindow(10_000_000_000L, 95.0, now) : null;
            maxMembers = Math.max(maxMembers, snap.plans[p].members.length);
            newMemberSelected[p] = new long[snap.plans[p].members.length];
            maxSlots = Math.max(maxSlots, snap.plans[p].sites.length);
        }
        pending = newPending;
        ewmaNanos = newEwma;
        stampNanos = newStamp;
        observed = newObserved;
        failures = newFailures;
        ejectedUntilNanos = newEjected;
        selected = newSelected;
        budgets = newBudgets;
        latencies = newLatencies;
        requests = newRequests;
        memberSelected = newMemberSelected;
        allowed = new boolean[maxMembers];
        available = new boolean[maxMembers];
        eligible = new boolean[maxMembers];
        load = new int[maxMembers];
        candidates = new int[maxMembers];
        slotAllowed = new int[maxSlots];
        slotHealthy = new int[maxSlots];
        slotPending = new long[maxSlots];
        inTier = new boolean[maxSlots];
        if (old == null || !engine.sameCookieKeys(old, snap)) {
            codec = engine.newCookieCodec();
        }
        snapshot = snap;
    }

    // ---------------------------------------------------------------- selection

    /** The user location the last {@link #select} or {@link #selectAnother} call resolved, or null. */
    UserLocation lastUserLocation() {
        return located ? user : null;
    }

    @Override
    public void select(Route route, RoutingRequest request, RoutingDecision out) {
        RoutingInputs in = current();
        out.reset();
        located = false;
        RoutePlan plan = snapshot.plan(route);
        if (plan == null) {
            counters.increment(RoutingCounters.NO_TARGET);
            out.reject(503, "no routing plan for route " + route.name(), 0);
            return;
        }
        long now = now(request.startNanos());
        long waitNanos = snapshot.tenantLimits[plan.tenantIndex].tryAcquire(now);
        if (waitNanos > 0) {
            counters.increment(RoutingCounters.TENANT_RATE_LIMITED);
            out.reject(429, "tenant request rate limit", Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L));
            return;
        }
        requests[plan.index]++;
        budgets[plan.index].onRequest(now);
        boolean hop = request.header(RoutingDecision.HOP_HEADER) != null;
        boolean read = HttpMethods.isSafe(request.method());
        int allowedCount = markAllowed(in, plan, read, hop, -1, now);
        if (allowedCount == 0) {
            counters.increment(hop ? RoutingCounters.LOOP_PREVENTED : RoutingCounters.NO_TARGET);
            out.reject(503, hop ? "no local mirror for a forwarded request (hop limit)" : "no mirror may serve this request", 1);
            return;
        }
        boolean redirect = plan.route.mode() == RouteMode.REDIRECT && !hop;
        snapshot.location.resolve(request, user, counters);
        located = true;
        Stickiness stickiness = plan.route.stickiness();
        int chosen = -1;
        boolean moved = false;
        boolean issueCookie = false;
        boolean refreshCookie = false;
        StickinessMode mode = stickiness.mode();
        if (mode == StickinessMode.COOKIE) {
            long range = Cookies.find(request.header("Cookie"), stickiness.cookieName());
            if (range >= 0) {
                int result = codec.verify(request.header("Cookie"), (int) (range >>> 32), (int) range, snapshot,
                        engine.epochSeconds(now));
                countCookie(result);
                if (result == AffinityCookieCodec.OK) {
                    int named = snapshot.identityTarget[codec.lastTargetIndex()];
                    int member = plan.memberOfTarget[named];
                    boolean namedLocal = snapshot.targets[named].local();
                    if (member >= 0 && available[member]
                            && (namedLocal || stickiness.strict() || !localIsClosestAvailable(plan))) {
                        chosen = member;
                        // Sliding expiry: past half its lifetime, the serving site re-issues the cookie.
                        refreshCookie = codec.lastExpiryEpochSeconds() - engine.epochSeconds(now)
                                < stickiness.cookieTtlSeconds() / 2;
                    } else if (member >= 0 && available[member]) {
                        // A user who travelled: of the sites that may serve them now, this one is the closest to
                        // where they are, and locality wins over affinity to a peer site (the cookie is re-issued).
                        moved = true;
                    } else if (hop && !snapshot.targets[named].local()) {
                        // The sending site chose this site over the cookie's: the user is made sticky here.
                        moved = true;
                    } else if (stickiness.strict() && member >= 0) {
                        counters.increment(RoutingCounters.STRICT_REJECTED);
                        out.reject(503, "sticky target unavailable (strict stickiness)", 1);
                        return;
                    } else {
                        moved = true;
                    }
                }
                issueCookie = chosen < 0 || refreshCookie;
            } else {
                issueCookie = true;
            }
        } else if (mode == StickinessMode.HEADER || mode == StickinessMode.CLIENT_IP) {
            long key = userKey(request, stickiness);
            if (key != 0) {
                if (stickiness.strict()) {
                    int home = plan.ring.home(key, allowed);
                    if (home < 0 || !available[home]) {
                        counters.increment(RoutingCounters.STRICT_REJECTED);
                        out.reject(503, "sticky target unavailable (strict stickiness)", 1);
                        return;
                    }
                    chosen = home;
                } else {
                    double u = (Hashing.mix(key ^ 0x5bd1e995L) >>> 11) * 0x1.0p-53;
                    double u2 = (Hashing.mix(key ^ 0x27d4eb2fL) >>> 11) * 0x1.0p-53;
                    int count = gatherCandidates(in, plan, u, u2);
                    for (int m = 0; m < plan.members.length; m++) {
                        eligible[m] = false;
                        load[m] = pending[plan.members[m]];
                    }
                    for (int c = 0; c < count; c++) {
                        eligible[candidates[c]] = true;
                    }
                    chosen = plan.ring.select(key, eligible, load, stickiness.loadFactor());
                }
            }
        }
        if (chosen < 0) {
            chosen = bestMirror(in, plan, now, redirect);
            if (chosen < 0) {
                counters.increment(RoutingCounters.NO_TARGET);
                out.reject(503, "no healthy mirror", 1);
                return;
            }
        }
        if (moved) {
            counters.increment(RoutingCounters.STICKY_MOVED);
        }
        RoutingTarget target = snapshot.targets[plan.members[chosen]];
        if (redirect && !target.local() && target.publicUrl() != null) {
            out.redirect(target);
        } else {
            out.proxy(target);
            pending[target.index()]++;
        }
        selected[target.index()]++;
        memberSelected[plan.index][chosen]++;
        out.moved(moved);
        // Only the site that serves the user names one of its upstreams in the cookie; a peer site issues its own.
        if (issueCookie && target.local()) {
            long ttl = stickiness.cookieTtlSeconds();
            out.cookie(stickiness.cookieName(), codec.issue(snapshot, target.index(), engine.epochSeconds(lastNowNanos) + ttl), ttl);
        }
    }

    /** Targets a retry must avoid: those an earlier attempt of the same request already tried. */
    interface Excluded {
        boolean excluded(RoutingInputs in, int target);
    }

    @Override
    public void selectAnother(Route route, RoutingRequest request, RoutingTarget exclude, RoutingDecision out) {
        current();
        selectAnother(route, request, exclude == null ? -1 : snapshot.indexOf(exclude), null, out);
    }

    /** {@link #selectAnother} avoiding {@code excludedTarget} and every target {@code excluded} names. */
    void selectAnother(Route route, RoutingRequest request, int excludedTarget, Excluded excluded,
                       RoutingDecision out) {
        RoutingInputs in = current();
        out.reset();
        located = false;
        RoutePlan plan = snapshot.plan(route);
        if (plan == null) {
            out.reject(503, "no routing plan for route " + route.name(), 0);
            return;
        }
        long now = now(request.startNanos());
        boolean hop = request.header(RoutingDecision.HOP_HEADER) != null;
        if (markAllowed(in, plan, HttpMethods.isSafe(request.method()), hop, excludedTarget, now) == 0) {
            out.reject(503, "no other mirror may serve this request", 1);
            return;
        }
        if (excluded != null) {
            for (int m = 0; m < plan.members.length; m++) {
                if (excluded.excluded(in, plan.members[m])) {
                    allowed[m] = false;
                    available[m] = false;
                }
            }
        }
        snapshot.location.resolve(request, user, counters);
        located = true;
        int chosen = bestMirror(in, plan, now, false);
        if (chosen < 0) {
            out.reject(503, "no other healthy mirror", 1);
            return;
        }
        RoutingTarget target = snapshot.targets[plan.members[chosen]];
        out.proxy(target);
        pending[target.index()]++;
        selected[target.index()]++;
        memberSelected[plan.index][chosen]++;
    }

    /**
     * Fills {@link #allowed} (may serve this request) and {@link #available} (allowed, healthy, not draining, not
     * ejected) for the plan's members; returns the number allowed.
     */
    private int markAllowed(RoutingInputs in, RoutePlan plan, boolean read, boolean hop, int excludedTarget, long now) {
        int p = plan.index;
        long maxLag = plan.route.maxReplicationLagMillis();
        boolean multiMaster = in.multiMaster[p];
        int count = 0;
        for (int m = 0; m < plan.members.length; m++) {
            int g = plan.members[m];
            MirrorRole role = in.role[p][m];
            boolean ok;
            if (read) {
                ok = role == MirrorRole.PRIMARY || in.lagMillis[p][m] <= maxLag;
            } else {
                ok = role == MirrorRole.PRIMARY || (multiMaster && role == MirrorRole.REPLICA);
            }
            if (hop && !snapshot.targets[g].local()) {
                ok = false;
            }
            if (g == excludedTarget) {
                ok = false;
            }
            allowed[m] = ok;
            available[m] = ok && in.healthy[g] && !in.draining[g] && ejectedUntilNanos[g] - now <= 0
                    && in.proxyAvailable(g);
            if (ok) {
                count++;
            }
        }
        return count;
    }

    /**
     * Whether, of the sites with a member that may serve the request now (after {@link #markAllowed}), this site is
     * the closest to the user's resolved location (ties go to this site).
     */
    private boolean localIsClosestAvailable(RoutePlan plan) {
        double best = -2;
        boolean bestLocal = false;
        for (int m = 0; m < plan.members.length; m++) {
            if (!available[m]) {
                continue;
            }
            int g = plan.members[m];
            int site = snapshot.targetSite[g];
            double d = user.dot(snapshot.siteX[site], snapshot.siteY[site], snapshot.siteZ[site]);
            boolean local = snapshot.targets[g].local();
            if (d > best + 1e-12 || (d >= best - 1e-12 && local)) {
                best = Math.max(best, d);
                bestLocal = local;
            }
        }
        return bestLocal;
    }

    /**
     * Locality: fills {@link #candidates} with the available members of the sites the request should go to and
     * returns how many. {@code u} and {@code u2} are uniform in [0, 1): random per request, or derived from the user
     * key so that sticky users make the same choice every time.
     */
    private int gatherCandidates(RoutingInputs in, RoutePlan plan, double u, double u2) {
        int slots = plan.sites.length;
        int totalAllowed = 0;
        int totalHealthy = 0;
        for (int s = 0; s < slots; s++) {
            slotAllowed[s] = 0;
            slotHealthy[s] = 0;
            slotPending[s] = 0;
        }
        for (int m = 0; m < plan.members.length; m++) {
            if (allowed[m]) {
                int s = plan.memberSlot[m];
                slotAllowed[s]++;
                totalAllowed++;
                if (available[m]) {
                    slotHealthy[s]++;
                    slotPending[s] += pending[plan.members[m]];
                    totalHealthy++;
                }
            }
        }
        if (totalAllowed == 0) {
            return 0;
        }
        RoutingSettingsView settings = engine.view();
        if (totalHealthy < settings.panicThreshold * totalAllowed) {
            counters.increment(RoutingCounters.PANIC);
            for (int m = 0; m < plan.members.length; m++) {
                if (allowed[m] && !available[m]) {
                    available[m] = true;
                    int s = plan.memberSlot[m];
                    slotHealthy[s]++;
                    slotPending[s] += pending[plan.members[m]];
                }
            }
        }
        if (slots == 1) {
            return collectInto(plan, 0, 0);
        }
        double best = -2;
        for (int s = 0; s < slots; s++) {
            if (slotAllowed[s] > 0) {
                int site = plan.sites[s];
                best = Math.max(best, user.dot(snapshot.siteX[site], snapshot.siteY[site], snapshot.siteZ[site]));
            }
        }
        double threshold = settings.toleranceRadians <= 0 ? best - 1e-12
                : Math.cos(Math.min(Math.PI, Math.acos(Math.min(1, best)) + settings.toleranceRadians));
        int tierAllowed = 0;
        int tierHealthy = 0;
        long tierPending = 0;
        for (int s = 0; s < slots; s++) {
            int site = plan.sites[s];
            inTier[s] = slotAllowed[s] > 0
                    && user.dot(snapshot.siteX[site], snapshot.siteY[site], snapshot.siteZ[site]) >= threshold;
            if (inTier[s]) {
                tierAllowed += slotAllowed[s];
                tierHealthy += slotHealthy[s];
                tierPending += slotPending[s];
            }
        }
        double keep = tierAllowed == 0 ? 0 : Math.min(1, (double) tierHealthy / tierAllowed * settings.overprovisioning);
        if (tierHealthy > 0 && tierPending >= (long) tierHealthy * settings.maxPendingPerTarget) {
            keep = 0;
        }
        if (u < keep) {
            return collectTier(plan, slots);
        }
        double totalSpare = 0;
        double totalHealthyOutside = 0;
        for (int s = 0; s < slots; s++) {
            if (!inTier[s] && slotHealthy[s] > 0) {
                totalSpare += Math.max(0, (double) slotHealthy[s] * settings.maxPendingPerTarget - slotPending[s]);
                totalHealthyOutside += slotHealthy[s];
            }
        }
        if (totalHealthyOutside == 0) {
            return collectTier(plan, slots);
        }
        counters.increment(RoutingCounters.SPILLED);
        boolean bySpare = totalSpare > 0;
        double draw = u2 * (bySpare ? totalSpare : totalHealthyOutside);
        int last = -1;
        for (int s = 0; s < slots; s++) {
            if (!inTier[s] && slotHealthy[s] > 0) {
                last = s;
                double w = bySpare ? Math.max(0, (double) slotHealthy[s] * settings.maxPendingPerTarget - slotPending[s])
                        : slotHealthy[s];
                if (draw < w) {
                    return collectInto(plan, s, 0);
                }
                draw -= w;
            }
        }
        return collectInto(plan, last, 0);
    }

    private int collectTier(RoutePlan plan, int slots) {
        int count = 0;
        for (int s = 0; s < slots; s++) {
            if (inTier[s]) {
                count = collectInto(plan, s, count);
            }
        }
        return count;
    }

    private int collectInto(RoutePlan plan, int slot, int count) {
        int[] members = plan.slotMembers[slot];
        for (int i = 0; i < members.length; i++) {
            int m = members[i];
            if (available[m]) {
                candidates[count++] = m;
            }
        }
        return count;
    }

    /** Locality, then power of two choices on the score; the member index, or -1. */
    private int bestMirror(RoutingInputs in, RoutePlan plan, long now, boolean redirect) {
        int count = gatherCandidates(in, plan, nextDouble(), nextDouble());
        if (count == 0) {
            return -1;
        }
        if (count == 1) {
            return candidates[0];
        }
        // Multiply-shift instead of a division: a uniform index in [0, n) from 32 random bits.
        int i = (int) (((nextLong() >>> 32) * count) >>> 32);
        int j = (int) (((nextLong() >>> 32) * (count - 1)) >>> 32);
        if (j >= i) {
            j++;
        }
        int a = candidates[i];
        int b = candidates[j];
        return score(in, plan, b, now, redirect) < score(in, plan, a, now, redirect) ? b : a;
    }

    /** {@code predictedLatency × (pending + 1) / effectiveWeight + costPenalty}, in nanoseconds. */
    double score(RoutingInputs in, RoutePlan plan, int member, long now, boolean redirect) {
        int g = plan.members[member];
        double predicted = predictedNanos(in, g, now);
        if (redirect) {
            predicted += snapshot.userRttNanos(user, snapshot.targetSite[g]);
        }
        return (predicted + FLOOR_NANOS) * (pending[g] + 1) / in.effectiveWeight[plan.index][member]
                + snapshot.costPenaltyNanos[g];
    }

    /** Peak-EWMA of observed response times blended with the probe RTT (or the distance estimate). */
    double predictedNanos(RoutingInputs in, int g, long now) {
        double prior = priorNanos(in, g);
        if (!observed[g]) {
            return prior;
        }
        double decayed = prior + (ewmaNanos[g] - prior) * FastExp.negExp((now - stampNanos[g]) / decayNanos);
        return observedShare * decayed + (1 - observedShare) * prior;
    }

    private double priorNanos(RoutingInputs in, int g) {
        long probe = in.probeRttNanos[g];
        return probe >= 0 ? probe : snapshot.distancePriorNanos[g];
    }

    private void observe(int g, long latencyNanos, long now) {
        if (!observed[g]) {
            observed[g] = true;
            ewmaNanos[g] = latencyNanos;
        } else if (latencyNanos > ewmaNanos[g]) {
            ewmaNanos[g] = latencyNanos;
        } else {
            double w = FastExp.negExp((now - stampNanos[g]) / decayNanos);
            ewmaNanos[g] = ewmaNanos[g] * w + latencyNanos * (1 - w);
        }
        stampNanos[g] = now;
    }

    private long userKey(RoutingRequest request, Stickiness stickiness) {
        if (stickiness.mode() == StickinessMode.HEADER) {
            CharSequence value = request.header(stickiness.headerName());
            return value == null || value.length() == 0 ? 0 : Hashing.hash(value) | 1;
        }
        InetAddress client = request.clientAddress();
        // InetAddress.hashCode() allocates nothing: the address for IPv4, a hash of the bytes for IPv6.
        return client == null ? 0 : Hashing.mix(client.hashCode() * 0x9e3779b97f4a7c15L + client.getClass().hashCode()) | 1;
    }

    private void countCookie(int result) {
        switch (result) {
            case AffinityCookieCodec.OK -> counters.increment(RoutingCounters.COOKIE_VALID);
            case AffinityCookieCodec.GARBLED -> counters.increment(RoutingCounters.COOKIE_GARBLED);
            case AffinityCookieCodec.UNKNOWN_TARGET -> counters.increment(RoutingCounters.COOKIE_UNKNOWN_TARGET);
            case AffinityCookieCodec.BAD_SIGNATURE -> counters.increment(RoutingCounters.COOKIE_BAD_SIGNATURE);
            default -> counters.increment(RoutingCounters.COOKIE_EXPIRED);
        }
    }

    // ---------------------------------------------------------------- feedback

    @Override
    public void onResponse(Route route, RoutingTarget target, int status, long latencyNanos, long nowNanos) {
        current();
        int g = snapshot.indexOf(target);
        if (g < 0) {
            return;
        }
        long now = now(nowNanos);
        release(g);
        if (route != null) {
            RoutePlan plan = snapshot.plan(route);
            if (plan != null) {
                LatencyWindow window = latencies[plan.index];
                if (window != null) {
                    window.record(latencyNanos, now);
                }
            }
        }
        observe(g, latencyNanos, now);
        if (status == 502 || status == 503 || status == 504) {
            fail(g, now);
        } else {
            failures[g] = 0;
        }
    }

    @Override
    public void onFailure(RoutingTarget target, RoutingFailure failure) {
        if (target == null) {
            return;
        }
        current();
        int g = snapshot.indexOf(target);
        if (g < 0) {
            return;
        }
        release(g);
        fail(g, lastNowNanos);
    }

    @Override
    public void onCancelled(RoutingTarget target, long waitedNanos, long nowNanos) {
        current();
        int g = snapshot.indexOf(target);
        if (g < 0) {
            return;
        }
        long now = now(nowNanos);
        release(g);
        if (observed[g] && waitedNanos > ewmaNanos[g]) {
            ewmaNanos[g] = waitedNanos;
            stampNanos[g] = now;
        }
    }

    private void release(int g) {
        if (pending[g] > 0) {
            pending[g]--;
        }
    }

    private void fail(int g, long now) {
        if (!observed[g] || ewmaNanos[g] < FAILURE_PENALTY_NANOS) {
            observed[g] = true;
            ewmaNanos[g] = FAILURE_PENALTY_NANOS;
            stampNanos[g] = now;
        }
        if (++failures[g] >= engine.settings().consecutiveFailuresToEject()) {
            failures[g] = 0;
            ejectedUntilNanos[g] = now + engine.settings().ejectionMillis() * 1_000_000L;
            counters.increment(RoutingCounters.EJECTED);
        }
    }

    // ---------------------------------------------------------------- retries, hedging, shadows

    @Override
    public boolean tryRetry(Route route, CharSequence method, RoutingFailure failure, int retriesSoFar) {
        current();
        RoutePlan plan = snapshot.plan(route);
        if (plan == null || !retryEligible(route, method, failure, retriesSoFar)) {
            counters.increment(RoutingCounters.RETRY_NOT_ELIGIBLE);
            return false;
        }
        if (!budgets[plan.index].tryWithdraw(lastNowNanos)) {
            counters.increment(RoutingCounters.RETRY_BUDGET_EXHAUSTED);
            return false;
        }
        counters.increment(RoutingCounters.RETRY_ALLOWED);
        return true;
    }

    static boolean retryEligible(Route route, CharSequence method, RoutingFailure failure, int retriesSoFar) {
        if (!HttpMethods.isIdempotent(method) || retriesSoFar >= route.retry().maxRetries()) {
            return false;
        }
        return switch (failure) {
            case CONNECT_FAILURE -> route.retry().retryOn().contains(RetryOn.CONNECT_FAILURE);
            case RESET, TIMEOUT -> route.retry().retryOn().contains(RetryOn.RESET);
            case STATUS_503 -> route.retry().retryOn().contains(RetryOn.STATUS_503);
        };
    }

    @Override
    public long perTryTimeoutNanos(Route route) {
        long millis = route.retry().perTryTimeoutMillis() > 0 ? route.retry().perTryTimeoutMillis()
                : route.timeouts().responseTimeoutMillis();
        return millis * 1_000_000L;
    }

    @Override
    public long hedgeDelayNanos(Route route, CharSequence method) {
        current();
        RoutePlan plan = snapshot.plan(route);
        if (plan == null || !plan.hedges || !HttpMethods.isGetOrHead(method)) {
            return -1;
        }
        long perTry = perTryTimeoutNanos(route);
        long p95 = latencies[plan.index].quantileNanos(lastNowNanos);
        return p95 < 0 ? perTry : Math.min(p95, perTry);
    }

    @Override
    public boolean tryHedge(Route route, CharSequence method) {
        current();
        RoutePlan plan = snapshot.plan(route);
        if (plan == null || !plan.hedges || !HttpMethods.isGetOrHead(method)) {
            return false;
        }
        if (!budgets[plan.index].tryWithdraw(lastNowNanos)) {
            counters.increment(RoutingCounters.HEDGE_BUDGET_EXHAUSTED);
            return false;
        }
        counters.increment(RoutingCounters.HEDGE_SENT);
        return true;
    }

    @Override
    public RoutingTarget shadowTarget(Route route, RoutingRequest request, RoutingTarget chosen) {
        RoutingInputs in = current();
        RoutePlan plan = snapshot.plan(route);
        if (plan == null || plan.shadowFraction <= 0 || !HttpMethods.isGetOrHead(request.method())
                || nextDouble() >= plan.shadowFraction) {
            return null;
        }
        int chosenIndex = chosen == null ? -1 : snapshot.indexOf(chosen);
        long now = now(request.startNanos());
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int m = 0; m < plan.members.length; m++) {
            int g = plan.members[m];
            if (g == chosenIndex || in.role[plan.index][m] != MirrorRole.SHADOW || !in.healthy[g] || in.draining[g]
                    || ejectedUntilNanos[g] - now > 0) {
                continue;
            }
            double score = score(in, plan, m, now, false);
            if (score < bestScore) {
                bestScore = score;
                best = g;
            }
        }
        if (best < 0) {
            return null;
        }
        pending[best]++;
        counters.increment(RoutingCounters.SHADOW_SENT);
        return snapshot.targets[best];
    }

    @Override
    public void onShadowResult(Route route, RoutingTarget shadow, int userStatus, long userLengthBytes,
                               int shadowStatus, long shadowLengthBytes, long shadowLatencyNanos) {
        onResponse(null, shadow, shadowStatus, shadowLatencyNanos, lastNowNanos);
        if (userStatus != shadowStatus) {
            counters.increment(RoutingCounters.SHADOW_STATUS_MISMATCH);
        } else if (userLengthBytes >= 0 && shadowLengthBytes >= 0 && userLengthBytes != shadowLengthBytes) {
            counters.increment(RoutingCounters.SHADOW_LENGTH_MISMATCH);
        } else {
            counters.increment(RoutingCounters.SHADOW_MATCH);
        }
    }

    /** Gives back the pending slot of a shadow that {@link #shadowTarget} chose but that was never sent. */
    void cancelShadow(Route route, RoutingTarget shadow) {
        current();
        int g = snapshot.indexOf(shadow);
        if (g >= 0) {
            release(g);
        }
    }

    @Override
    public void onShadowFailure(Route route, RoutingTarget shadow) {
        onFailure(shadow, RoutingFailure.RESET);
        counters.increment(RoutingCounters.SHADOW_FAILED);
    }

    // ---------------------------------------------------------------- cookies

    @Override
    public RoutingTarget verifyAffinityCookie(CharSequence value) {
        current();
        int result = codec.verify(value, 0, value.length(), snapshot, engine.epochSeconds(lastNowNanos));
        countCookie(result);
        return result == AffinityCookieCodec.OK ? snapshot.targets[snapshot.identityTarget[codec.lastTargetIndex()]]
                : null;
    }

    @Override
    public String issueAffinityCookie(RoutingTarget target, long ttlSeconds) {
        current();
        int g = snapshot.indexOf(target);
        if (g < 0) {
            throw new IllegalArgumentException("target: " + target + " (expected: a target of the current policy)");
        }
        return codec.issue(snapshot, g, engine.epochSeconds(lastNowNanos) + ttlSeconds);
    }

    private long now(long nanos) {
        if (nanos - lastNowNanos > 0) {
            lastNowNanos = nanos;
        }
        return lastNowNanos;
    }

    // ---------------------------------------------------------------- randomness (xorshift64*)

    private long nextLong() {
        long x = random;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        random = x;
        return x * 0x2545f4914f6cdd1dL;
    }

    private double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
