package dev.vantage.proxy.internal.routing;

import static dev.vantage.proxy.internal.routing.RoutingFixtures.groupRoute;
import static dev.vantage.proxy.internal.routing.RoutingFixtures.route;
import static dev.vantage.proxy.internal.routing.RoutingFixtures.stickiness;
import static dev.vantage.proxy.internal.routing.RoutingFixtures.threeSites;
import static dev.vantage.proxy.internal.routing.RoutingFixtures.upstreams;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.RetryOn;
import dev.vantage.config.RetryPolicy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMode;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.StickinessMode;
import dev.vantage.config.Tenant;
import dev.vantage.proxy.MirrorStatus;
import dev.vantage.proxy.RoutingDecision;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.RoutingFailure;
import dev.vantage.proxy.RoutingOutcome;
import dev.vantage.proxy.RoutingProbeView;
import dev.vantage.proxy.RoutingSelector;
import dev.vantage.proxy.RoutingTarget;

class RoutingEngineTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong nanos = new AtomicLong(1_000_000 * MS);
    private final RoutingFixtures.MutableClock wall = new RoutingFixtures.MutableClock();
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final Map<String, MirrorRole> roles = new ConcurrentHashMap<>();
    private final Map<String, Long> lags = new ConcurrentHashMap<>();
    private final Map<String, Double> weights = new ConcurrentHashMap<>();
    private final RoutingDecision decision = new RoutingDecision();
    private final RoutingFixtures.Request request = new RoutingFixtures.Request();

    private final RoutingProbeView probes = new RoutingProbeView() {
        @Override
        public long rttNanos(String endpoint) {
            return RTT_UNKNOWN;
        }

        @Override
        public boolean healthy(String endpoint) {
            return !down.contains(endpoint);
        }
    };

    private final MirrorStatus status = new MirrorStatus() {
        @Override
        public MirrorRole role(String resourceId, String siteId) {
            return roles.get(siteId);
        }

        @Override
        public long replicationLagMillis(String resourceId, String siteId) {
            return lags.getOrDefault(siteId, 0L);
        }
    };

    private RoutingEngine engine(Policy policy) {
        request.clock = nanos::get;
        return RoutingEngine.builder(policy, "a").nanoClock(nanos::get).wallClock(wall).probeView(probes)
                .mirrorStatus(status).weightSource((resource, site) -> weights.getOrDefault(site, 1.0)).build();
    }

    private String send(RoutingSelector selector, Route route) {
        selector.select(route, request, decision);
        return decision.target() == null ? decision.status() + "" : decision.target().key();
    }

    /** Routes and completes one request with the latency the target has in {@code latencyMillis}. */
    private String exchange(RoutingSelector selector, Route route, Map<String, Long> latencyMillis) {
        selector.select(route, request, decision);
        RoutingTarget target = decision.target();
        long latency = latencyMillis.getOrDefault(target.key(), 1L) * MS;
        nanos.addAndGet(latency);
        selector.onResponse(route, target, 200, latency, nanos.get());
        return target.key();
    }

    @Test
    void shouldSendMostTrafficToTheFastestUpstreamAndMoveAwayWhenItSlowsDown() {
        Route web = groupRoute("web", stickiness(StickinessMode.OFF, false));
        RoutingSelector selector = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of())).newSelector();
        Map<String, Long> latency = new HashMap<>(Map.of("a|127.0.0.1:9001", 5L, "a|127.0.0.1:9002", 20L,
                "a|127.0.0.1:9003", 80L));
        for (int i = 0; i < 300; i++) {
            exchange(selector, web, latency);
        }
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 600; i++) {
            counts.merge(exchange(selector, web, latency), 1, Integer::sum);
        }
        assertThat(counts.getOrDefault("a|127.0.0.1:9001", 0)).isGreaterThan(300);
        assertThat(counts.getOrDefault("a|127.0.0.1:9003", 0)).isLessThan(30);

        latency.put("a|127.0.0.1:9001", 100L);
        long start = nanos.get();
        int fastAfterChange = 0;
        int requests = 0;
        while (nanos.get() - start < 2_000 * MS) {
            requests++;
            if (exchange(selector, web, latency).equals("a|127.0.0.1:9001") && nanos.get() - start > 500 * MS) {
                fastAfterChange++;
            }
        }
        // Only the EWMA's occasional re-probe of the slowed upstream remains (at most a tenth of the requests).
        assertThat(fastAfterChange).as("requests to the slowed upstream after the first 0.5 s of %d", requests)
                .isLessThanOrEqualTo(requests / 10);
    }

    @Test
    void shouldFavourTheUpstreamWithTheHigherPredictedWeight() {
        Route web = groupRoute("web", stickiness(StickinessMode.OFF, false));
        Policy policy = threeSites(upstreams(9001, 9002), List.of(web), List.of());
        weights.put("a", 1.0);
        RoutingSelector selector = engine(policy).newSelector();
        Map<String, Long> latency = Map.of("a|127.0.0.1:9001", 10L, "a|127.0.0.1:9002", 10L);
        for (int i = 0; i < 50; i++) {
            exchange(selector, web, latency);
        }
        // Equal latency: the operator weight decides. Give 9002 four times the weight through the policy.
        Policy weighted = threeSites(List.of(dev.vantage.config.Upstream.of("127.0.0.1", 9001),
                new dev.vantage.config.Upstream("127.0.0.1", 9002, 4.0)), List.of(web), List.of());
        RoutingEngine engine = engine(weighted);
        RoutingSelector heavy = engine.newSelector();
        int toHeavy = 0;
        for (int i = 0; i < 400; i++) {
            if (exchange(heavy, web, latency).equals("a|127.0.0.1:9002")) {
                toHeavy++;
            }
        }
        assertThat(toHeavy).isGreaterThan(300);
    }

    @Test
    void shouldKeepACookieUserOnItsTargetAndMoveItOnlyWhenDrainingOrDown() {
        Route web = groupRoute("web", stickiness(StickinessMode.COOKIE, false));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();

        String first = send(selector, web);
        assertThat(decision.setCookie()).isTrue();
        assertThat(decision.setCookieHeader()).startsWith("vantage-affinity=").contains("HttpOnly");
        request.header("Cookie", "theme=dark; vantage-affinity=" + decision.setCookieValue() + "; x=1");
        String cookie = decision.setCookieValue();
        for (int i = 0; i < 50; i++) {
            assertThat(send(selector, web)).isEqualTo(first);
            assertThat(decision.setCookie()).isFalse();
            selector.onResponse(web, decision.target(), 200, 100 * MS, nanos.get());
        }

        String endpoint = first.substring(first.indexOf('|') + 1);
        engine.setDraining("a", endpoint, true);
        String moved = send(selector, web);
        assertThat(moved).isNotEqualTo(first);
        assertThat(decision.moved()).isTrue();
        assertThat(decision.setCookie()).isTrue();

        engine.setDraining("a", endpoint, false);
        request.header("Cookie", "vantage-affinity=" + cookie);
        assertThat(send(selector, web)).isEqualTo(first);
        down.add(endpoint);
        engine.refreshInputs();
        assertThat(send(selector, web)).isNotEqualTo(first);
        assertThat(decision.moved()).isTrue();
    }

    @Test
    void shouldRefreshACookiePastHalfItsLifetimeWithoutMovingTheUser() {
        Route web = groupRoute("web", stickiness(StickinessMode.COOKIE, false));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        String first = send(selector, web);
        String cookie = decision.setCookieValue();
        request.header("Cookie", "vantage-affinity=" + cookie);
        wall.millis += 1_000_000L;
        engine.refreshInputs();
        assertThat(send(selector, web)).isEqualTo(first);
        assertThat(decision.setCookie()).as("less than half of the 3600 s lifetime used").isFalse();

        wall.millis += 900_000L;
        engine.refreshInputs();
        assertThat(send(selector, web)).isEqualTo(first);
        assertThat(decision.setCookie()).as("past half of its lifetime").isTrue();
        assertThat(decision.moved()).isFalse();
        String refreshed = decision.setCookieValue();
        assertThat(refreshed).isNotEqualTo(cookie);

        wall.millis += 1_800_000L;
        engine.refreshInputs();
        assertThat(selector.verifyAffinityCookie(cookie)).as("the old cookie has expired").isNull();
        assertThat(selector.verifyAffinityCookie(refreshed)).isEqualTo(decision.target());
    }

    @Test
    void shouldAnswer503InsteadOfMovingAStrictStickyUser() {
        Route web = groupRoute("web", stickiness(StickinessMode.COOKIE, true));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        String first = send(selector, web);
        request.header("Cookie", "vantage-affinity=" + decision.setCookieValue());

        engine.setDraining("a", first.substring(first.indexOf('|') + 1), true);
        send(selector, web);

        assertThat(decision.outcome()).isEqualTo(RoutingOutcome.REJECT);
        assertThat(decision.status()).isEqualTo(503);
        assertThat(decision.reason()).contains("strict");
    }

    @Test
    void shouldReRouteTamperedAndExpiredCookiesAndNeverTrustThem() {
        Route web = groupRoute("web", stickiness(StickinessMode.COOKIE, false));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        send(selector, web);
        String cookie = decision.setCookieValue();
        RoutingTarget pinned = selector.verifyAffinityCookie(cookie);
        assertThat(pinned).isEqualTo(decision.target());

        char last = cookie.charAt(cookie.length() - 1);
        String tampered = cookie.substring(0, cookie.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertThat(selector.verifyAffinityCookie(tampered)).isNull();
        request.header("Cookie", "vantage-affinity=" + tampered);
        send(selector, web);
        assertThat(decision.setCookie()).as("a tampered cookie gets a fresh one").isTrue();
        assertThat(decision.setCookieValue()).isNotEqualTo(tampered);

        wall.millis += 3_601_000L;
        engine.refreshInputs();
        assertThat(selector.verifyAffinityCookie(cookie)).isNull();
        request.header("Cookie", "vantage-affinity=" + cookie);
        send(selector, web);
        assertThat(decision.setCookie()).as("an expired cookie gets a fresh one").isTrue();
        assertThat(engine.metricsText())
                .contains("vantage_routing_affinity_cookie_total{result=\"bad_signature\"} 2")
                .contains("vantage_routing_affinity_cookie_total{result=\"expired\"} 2");
    }

    @Test
    void shouldMoveAtMostAQuarterOfHeaderStickyUsersWhenAFourthUpstreamIsAdded() {
        Route web = groupRoute("web", stickiness(StickinessMode.HEADER, false));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        Map<String, String> before = assignUsers(selector, web, 2_000);

        engine.reload(threeSites(upstreams(9001, 9002, 9003, 9004), List.of(web), List.of()));
        Map<String, String> after = assignUsers(selector, web, 2_000);
        long moved = before.keySet().stream().filter(u -> !before.get(u).equals(after.get(u))).count();
        assertThat(moved / 2_000.0).isBetween(0.15, 0.32);
        before.keySet().stream().filter(u -> !before.get(u).equals(after.get(u)))
                .forEach(u -> assertThat(after.get(u)).isEqualTo("a|127.0.0.1:9004"));

        engine.reload(threeSites(upstreams(9001, 9003, 9004), List.of(web), List.of()));
        Map<String, String> removed = assignUsers(selector, web, 2_000);
        after.keySet().stream().filter(u -> !after.get(u).equals("a|127.0.0.1:9002"))
                .forEach(u -> assertThat(removed.get(u)).as(u).isEqualTo(after.get(u)));
    }

    private Map<String, String> assignUsers(RoutingSelector selector, Route route, int users) {
        Map<String, String> assignment = new HashMap<>();
        for (int u = 0; u < users; u++) {
            request.header("X-User-Id", "user-" + u);
            String target = send(selector, route);
            selector.onResponse(route, decision.target(), 200, MS, nanos.get());
            assignment.put("user-" + u, target);
        }
        request.header("X-User-Id", null);
        return assignment;
    }

    @Test
    void shouldSendWritesToThePrimaryAndReadsOnlyToMirrorsWithinTheLagBound() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        roles.put("a", MirrorRole.SHADOW);
        roles.put("b", MirrorRole.PRIMARY);
        lags.put("a", 60_000L);
        RoutingSelector selector = engine(threeSites(upstreams(9001), List.of(desk), List.of())).newSelector();

        request.method("PUT");
        assertThat(send(selector, desk)).isEqualTo("b|127.0.0.1:18081");
        request.method("GET");
        assertThat(send(selector, desk)).as("the local mirror lags 60 s, the bound is 5 s").isNotEqualTo("a|127.0.0.1:9001");
    }

    @Test
    void shouldSendWritesToTheLocalReplicaInMultiMasterMode() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        roles.put("a", MirrorRole.REPLICA);
        roles.put("b", MirrorRole.REPLICA);
        roles.put("c", MirrorRole.SHADOW);
        RoutingSelector selector = engine(threeSites(upstreams(9001), List.of(desk), List.of())).newSelector();

        request.method("POST");
        for (int i = 0; i < 20; i++) {
            assertThat(send(selector, desk)).isEqualTo("a|127.0.0.1:9001");
            selector.onResponse(desk, decision.target(), 200, MS, nanos.get());
        }
    }

    @Test
    void shouldNeverForwardARequestThatAlreadyCrossedASite() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        RoutingEngine engine = engine(threeSites(upstreams(9001), List.of(desk), List.of()));
        RoutingSelector selector = engine.newSelector();
        request.header(RoutingDecision.HOP_HEADER, "b").header("X-Device-Location", "40.7,-74.0");

        assertThat(send(selector, desk)).isEqualTo("a|127.0.0.1:9001");

        roles.put("a", MirrorRole.SHADOW);
        roles.put("b", MirrorRole.PRIMARY);
        engine.refreshInputs();
        request.method("POST");
        send(selector, desk);
        assertThat(decision.status()).isEqualTo(503);
        assertThat(engine.metricsText()).contains("vantage_routing_rejected_total{reason=\"hop_loop\"} 1");
    }

    @Test
    void shouldRouteAUserToItsClosestSiteAndSpillWhenThatSiteIsDown() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        RoutingEngine engine = engine(threeSites(upstreams(9001), List.of(desk), List.of()));
        RoutingSelector selector = engine.newSelector();

        request.header("X-Device-Location", "40.7,-74.0");
        assertThat(send(selector, desk)).isEqualTo("c|127.0.0.1:18082");
        request.header("X-Device-Location", "48.9,2.3");
        assertThat(send(selector, desk)).isEqualTo("b|127.0.0.1:18081");
        request.header("X-Device-Location", null);
        assertThat(send(selector, desk)).as("no location: the ingress site").isEqualTo("a|127.0.0.1:9001");

        down.add("127.0.0.1:18082");
        engine.refreshInputs();
        request.header("X-Device-Location", "40.7,-74.0");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            seen.add(send(selector, desk));
        }
        assertThat(seen).doesNotContain("c|127.0.0.1:18082").isNotEmpty();
        assertThat(engine.metricsText()).contains("vantage_routing_spilled_total");
    }

    @Test
    void shouldRedirectToTheChosenSitesPublicUrlInRedirectMode() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.REDIRECT,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        RoutingSelector selector = engine(threeSites(upstreams(9001), List.of(desk), List.of())).newSelector();

        request.header("X-Device-Location", "48.9,2.3");
        send(selector, desk);
        assertThat(decision.outcome()).isEqualTo(RoutingOutcome.REDIRECT);
        assertThat(decision.status()).isEqualTo(307);
        assertThat(decision.redirectLocationPrefix()).isEqualTo("https://b.example");

        request.header("X-Device-Location", "50.1,8.7");
        send(selector, desk);
        assertThat(decision.outcome()).as("the local site serves its own users").isEqualTo(RoutingOutcome.PROXY);
    }

    @Test
    void shouldUseEveryUpstreamInPanicWhenTooFewAreHealthy() {
        Route web = groupRoute("web", stickiness(StickinessMode.OFF, false));
        down.add("127.0.0.1:9001");
        down.add("127.0.0.1:9002");
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(send(selector, web));
            selector.onResponse(web, decision.target(), 200, MS, nanos.get());
        }
        assertThat(seen).contains("a|127.0.0.1:9001", "a|127.0.0.1:9002", "a|127.0.0.1:9003");
        assertThat(engine.metricsText()).contains("vantage_routing_panic_total 200");
    }

    @Test
    void shouldSkipAnUnhealthyUpstreamAboveThePanicThreshold() {
        Route web = groupRoute("web", stickiness(StickinessMode.OFF, false));
        down.add("127.0.0.1:9001");
        RoutingSelector selector = engine(threeSites(upstreams(9001, 9002, 9003), List.of(web), List.of()))
                .newSelector();
        for (int i = 0; i < 200; i++) {
            assertThat(send(selector, web)).isNotEqualTo("a|127.0.0.1:9001");
            selector.onResponse(web, decision.target(), 200, MS, nanos.get());
        }
    }

    @Test
    void shouldShadowTheConfiguredShareOfReadsOnly() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 25, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        RoutingEngine engine = engine(threeSites(upstreams(9001), List.of(desk), List.of()));
        RoutingSelector selector = engine.newSelector();
        int shadowed = 0;
        for (int i = 0; i < 2_000; i++) {
            send(selector, desk);
            RoutingTarget shadow = selector.shadowTarget(desk, request, decision.target());
            if (shadow != null) {
                shadowed++;
                assertThat(shadow.siteId()).isIn("b", "c");
                selector.onShadowResult(desk, shadow, 200, 10, i % 2 == 0 ? 200 : 500, 10, MS);
            }
            selector.onResponse(desk, decision.target(), 200, MS, nanos.get());
        }
        assertThat(shadowed).isBetween(400, 600);
        request.method("POST");
        send(selector, desk);
        assertThat(selector.shadowTarget(desk, request, decision.target())).isNull();
        assertThat(engine.metricsText()).contains("vantage_routing_shadow_requests_total " + shadowed)
                .contains("vantage_routing_shadow_results_total{result=\"status_mismatch\"}");
    }

    @Test
    void shouldAnswer429WithRetryAfterOverTheTenantRate() {
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0, RetryPolicy.defaults(), "acme");
        RoutingEngine engine = engine(threeSites(upstreams(9001), List.of(web), List.of(new Tenant("acme", 5, 2))));
        RoutingSelector selector = engine.newSelector();
        for (int i = 0; i < 5; i++) {
            send(selector, web);
            assertThat(decision.outcome()).isEqualTo(RoutingOutcome.PROXY);
        }
        send(selector, web);
        assertThat(decision.status()).isEqualTo(429);
        assertThat(decision.retryAfterSeconds()).isEqualTo(1);
        assertThat(engine.tryOpenTenantConnection("acme")).isTrue();
        assertThat(engine.tryOpenTenantConnection("acme")).isTrue();
        assertThat(engine.tryOpenTenantConnection("acme")).isFalse();
        assertThat(engine.metricsText()).contains("vantage_tenant_rate_limited_total{tenant=\"acme\"} 1")
                .contains("vantage_tenant_connections_rejected_total{tenant=\"acme\"} 1")
                .contains("vantage_routing_requests_total{route=\"web\",tenant=\"acme\"} 5");
    }

    @Test
    void shouldRetryOnlyIdempotentRequestsWithinTheBudget() {
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0,
                new RetryPolicy(2, 0, Set.of(RetryOn.CONNECT_FAILURE, RetryOn.STATUS_503), 0.2, 0, false),
                Tenant.DEFAULT_ID);
        RoutingSelector selector = engine(threeSites(upstreams(9001, 9002), List.of(web), List.of())).newSelector();
        for (int i = 0; i < 10; i++) {
            send(selector, web);
        }
        assertThat(selector.tryRetry(web, "POST", RoutingFailure.CONNECT_FAILURE, 0)).isFalse();
        assertThat(selector.tryRetry(web, "GET", RoutingFailure.RESET, 0)).as("not in retryOn").isFalse();
        assertThat(selector.tryRetry(web, "GET", RoutingFailure.CONNECT_FAILURE, 2)).as("maxRetries").isFalse();
        assertThat(selector.tryRetry(web, "GET", RoutingFailure.CONNECT_FAILURE, 0)).isTrue();
        assertThat(selector.tryRetry(web, "PUT", RoutingFailure.STATUS_503, 1)).isTrue();
        assertThat(selector.tryRetry(web, "GET", RoutingFailure.CONNECT_FAILURE, 0)).as("10 requests fund 2").isFalse();

        send(selector, web);
        RoutingTarget first = decision.target();
        selector.onFailure(first, RoutingFailure.CONNECT_FAILURE);
        selector.selectAnother(web, request, first, decision);
        assertThat(decision.target()).isNotNull().isNotEqualTo(first);
    }

    @Test
    void shouldHedgeAfterTheRoutesRecentP95AndAfterThePerTryTimeoutUntilEnoughSamples() {
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0,
                new RetryPolicy(2, 250, RetryPolicy.DEFAULT_RETRY_ON, 0.2, 3, true), Tenant.DEFAULT_ID);
        RoutingSelector selector = engine(threeSites(upstreams(9001, 9002), List.of(web), List.of())).newSelector();
        assertThat(selector.hedgeDelayNanos(web, "GET")).as("no samples yet: the per-try timeout").isEqualTo(250 * MS);
        for (int i = 1; i <= 100; i++) {
            send(selector, web);
            selector.onResponse(web, decision.target(), 200, i * MS, nanos.get());
        }
        assertThat(selector.hedgeDelayNanos(web, "GET")).isBetween(94 * MS, 96 * MS);
        assertThat(selector.hedgeDelayNanos(web, "POST")).isEqualTo(-1);
    }

    @Test
    void shouldChargeHedgesToTheRetryBudgetAndLearnFromTheCancelledAttempt() {
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY,
                stickiness(StickinessMode.OFF, false), 0,
                new RetryPolicy(2, 0, RetryPolicy.DEFAULT_RETRY_ON, 0.2, 0, true), Tenant.DEFAULT_ID);
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        for (int i = 0; i < 10; i++) {
            send(selector, web);
            // No time passes, so the budget's deposits do not fade.
            selector.onResponse(web, decision.target(), 200, 5 * MS, nanos.get());
        }
        assertThat(selector.tryHedge(web, "POST")).as("only GET/HEAD are hedged").isFalse();
        assertThat(selector.tryHedge(web, "GET")).isTrue();
        assertThat(selector.tryHedge(web, "GET")).isTrue();
        assertThat(selector.tryHedge(web, "GET")).as("10 requests fund 2 hedges").isFalse();
        assertThat(engine.metricsText()).contains("vantage_routing_hedges_total{result=\"sent\"} 2")
                .contains("vantage_routing_hedges_total{result=\"budget_exhausted\"} 1");

        send(selector, web);
        RoutingTarget slow = decision.target();
        selector.onCancelled(slow, 400 * MS, nanos.get());
        assertThat(engine.routesJson()).as("the cancelled attempt's pending slot is released").doesNotContain(
                "\"pending\":1");
        Set<String> next = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            next.add(exchange(selector, web, Map.of("a|127.0.0.1:9001", 5L, "a|127.0.0.1:9002", 5L)));
        }
        assertThat(next).as("the cancelled wait (400 ms) raised its estimate above the other's 5 ms")
                .doesNotContain(slow.key());
    }

    @Test
    void shouldLeaveTheCookieToThePeerSiteThatServesTheUser() {
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                stickiness(StickinessMode.COOKIE, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        Route report = route("report", RouteTarget.resource("desk"), RouteMode.REDIRECT,
                stickiness(StickinessMode.COOKIE, false), 0, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        RoutingSelector selector = engine(threeSites(upstreams(9001), List.of(desk, report), List.of()))
                .newSelector();

        request.header("X-Device-Location", "48.9,2.3");
        assertThat(send(selector, desk)).isEqualTo("b|127.0.0.1:18081");
        assertThat(decision.setCookie()).as("site b issues the cookie for its own upstream").isFalse();
        send(selector, report);
        assertThat(decision.outcome()).isEqualTo(RoutingOutcome.REDIRECT);
        assertThat(decision.setCookie()).isFalse();

        request.header("X-Device-Location", "50.1,8.7");
        assertThat(send(selector, desk)).isEqualTo("a|127.0.0.1:9001");
        assertThat(decision.setCookie()).as("a local upstream: this site issues it").isTrue();
    }

    @Test
    void shouldExplainEachTargetsScoreInputsInTheRoutesView() {
        Route web = groupRoute("web", stickiness(StickinessMode.OFF, false));
        RoutingEngine engine = engine(threeSites(upstreams(9001, 9002), List.of(web), List.of()));
        RoutingSelector selector = engine.newSelector();
        for (int i = 0; i < 10; i++) {
            exchange(selector, web, Map.of("a|127.0.0.1:9001", 3L, "a|127.0.0.1:9002", 30L));
        }
        String json = engine.routesJson();

        assertThat(json).startsWith("{\"site\":\"a\",\"routes\":[{\"name\":\"web\"")
                .contains("\"endpoint\":\"127.0.0.1:9001\"", "\"observedLatencyMicros\":", "\"predictedLatencyMicros\":",
                        "\"pending\":0", "\"effectiveWeight\":1.0", "\"costPenaltyMicros\":20.0", "\"share\":",
                        "\"selected\":10");
        assertThat(engine.metricsText()).contains("# TYPE vantage_routing_selected_total counter")
                .contains("vantage_routing_selected_total{route=\"web\",tenant=\"default\",site=\"a\",endpoint=\"127.0.0.1:9001\"}");
    }
}
