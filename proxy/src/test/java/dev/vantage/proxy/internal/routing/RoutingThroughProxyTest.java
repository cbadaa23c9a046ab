package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.vantage.config.AffinitySettings;
import dev.vantage.config.GeoPoint;
import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.RetryPolicy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMode;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.Site;
import dev.vantage.config.Stickiness;
import dev.vantage.config.StickinessMode;
import dev.vantage.config.Tenant;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.AccessEvent;
import dev.vantage.proxy.LeakDetectionExtension;
import dev.vantage.proxy.ProxyServer;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.UserLocationSource;

/**
 * The routing engine in the proxy's request path, on loopback with real origins that add a configurable delay.
 */
@ExtendWith(LeakDetectionExtension.class)
class RoutingThroughProxyTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private DelayedOrigin origin(String name, long delayMillis) throws InterruptedException {
        DelayedOrigin origin = new DelayedOrigin(name, delayMillis);
        closeables.add(origin);
        return origin;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Site site(String id, GeoPoint at, int listenPort, List<DelayedOrigin> origins) {
        List<Upstream> upstreams = new ArrayList<>();
        for (DelayedOrigin origin : origins) {
            upstreams.add(Upstream.of("127.0.0.1", origin.port()));
        }
        return new Site(id, "region-" + id, at, null, null, "https://" + id + ".example", 0.02, 0.1, 1000, 0,
                List.of(Listener.http("http", "127.0.0.1", listenPort)), List.of(UpstreamGroup.of("web", upstreams)));
    }

    private static Route route(String name, RouteTarget target, RouteMode mode, StickinessMode stickiness,
                               String tenant) {
        return RoutingFixtures.route(name, target, mode, RoutingFixtures.stickiness(stickiness, false), 0,
                RetryPolicy.defaults(), tenant);
    }

    private ProxyServer proxy(Policy policy, String siteId, RoutingEngine engine) throws InterruptedException {
        ProxyServer proxy = ProxyServer.builder(policy, siteId).threads(1).adminAddress(null)
                .selector(engine.upstreamSelector()).build().start();
        closeables.add(proxy);
        return proxy;
    }

    private HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldSendMostTrafficToTheFastMirrorAndMoveAwayWhenItSlowsDown() throws Exception {
        DelayedOrigin fast = origin("fast", 5);
        DelayedOrigin medium = origin("medium", 20);
        DelayedOrigin slow = origin("slow", 80);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(fast, medium, slow))),
                List.of(), List.of(web), List.of());
        // A 1 s decay (default 2 s) lets a latency spike from this loaded machine fade quickly.
        RoutingEngine engine = RoutingEngine.builder(policy, "a")
                .settings(dev.vantage.proxy.RoutingSettings.defaults().withEwmaDecayMillis(1_000)).build();
        proxy(policy, "a", engine);

        Deque<String> window = new ArrayDeque<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ZERO).until(() -> {
            HttpResponse<String> response = get(port, "/web/x");
            assertThat(response.statusCode()).isEqualTo(200);
            window.addLast(response.body());
            if (window.size() > 100) {
                window.removeFirst();
            }
            long fastCount = window.stream().filter("fast"::equals).count();
            long slowCount = window.stream().filter("slow"::equals).count();
            return window.size() == 100 && fastCount > 50 && slowCount < 5;
        });
        System.out.printf("routing: last 100 requests: fast %d, medium %d, slow %d%n",
                window.stream().filter("fast"::equals).count(), window.stream().filter("medium"::equals).count(),
                window.stream().filter("slow"::equals).count());

        fast.delayMillis(100);
        long changedNanos = System.nanoTime();
        Deque<String> recent = new ArrayDeque<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ZERO).until(() -> {
            String body = get(port, "/web/y").body();
            recent.addLast(body);
            if (recent.size() > 10) {
                recent.removeFirst();
            }
            return recent.size() == 10 && !recent.contains("fast");
        });
        System.out.printf("routing: traffic left the slowed mirror %d ms after the change%n",
                (System.nanoTime() - changedNanos) / 1_000_000);
        assertThat(engine.routesJson()).contains("\"endpoint\":\"127.0.0.1:" + fast.port() + "\"");
    }

    @Test
    void shouldKeepCookieUsersStickyAndReRouteTamperedCookies() throws Exception {
        DelayedOrigin one = origin("one", 0);
        DelayedOrigin two = origin("two", 0);
        DelayedOrigin three = origin("three", 0);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.COOKIE,
                Tenant.DEFAULT_ID);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(one, two, three))),
                List.of(), List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        proxy(policy, "a", engine);

        HttpResponse<String> first = get(port, "/web/");
        String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(Stickiness.DEFAULT_COOKIE_NAME + "=").contains("HttpOnly");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String home = first.body();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> again = get(port, "/web/", "Cookie", cookie);
            assertThat(again.body()).isEqualTo(home);
            assertThat(again.headers().firstValue("Set-Cookie")).isEmpty();
        }

        String value = cookie.substring(cookie.indexOf('=') + 1);
        String tampered = value.substring(0, 20) + (value.charAt(20) == 'x' ? 'y' : 'x') + value.substring(21);
        HttpResponse<String> rerouted = get(port, "/web/", "Cookie", Stickiness.DEFAULT_COOKIE_NAME + "=" + tampered);
        assertThat(rerouted.statusCode()).isEqualTo(200);
        assertThat(rerouted.headers().firstValue("Set-Cookie")).isPresent();
        assertThat(rerouted.headers().firstValue("Set-Cookie").orElseThrow()).doesNotContain(tampered);

        DelayedOrigin homeOrigin = home.equals("one") ? one : home.equals("two") ? two : three;
        engine.setDraining("a", "127.0.0.1:" + homeOrigin.port(), true);
        HttpResponse<String> moved = get(port, "/web/", "Cookie", cookie);
        assertThat(moved.body()).isNotEqualTo(home);
        assertThat(moved.headers().firstValue("Set-Cookie")).isPresent();
    }

    @Test
    void shouldForwardToTheClosestSiteWithAHopHeaderAndNeverForwardTwice() throws Exception {
        DelayedOrigin originA = origin("origin-a", 0);
        DelayedOrigin originB = origin("origin-b", 0);
        int portA = freePort();
        int portB = freePort();
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                null, null, null);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, portA, List.of(originA)),
                site("b", RoutingFixtures.NEW_YORK, portB, List.of(originB))), List.of(), List.of(desk),
                List.of(resource));
        proxy(policy, "a", RoutingEngine.builder(policy, "a").build());
        proxy(policy, "b", RoutingEngine.builder(policy, "b").build());

        HttpResponse<String> nearA = get(portA, "/desk/file", "X-Device-Location", "50.0,8.6");
        assertThat(nearA.body()).isEqualTo("origin-a");
        HttpResponse<String> nearB = get(portA, "/desk/file", "X-Device-Location", "40.7,-74.0");
        assertThat(nearB.body()).isEqualTo("origin-b");
        assertThat(nearB.headers().firstValue("X-Seen-Hop")).contains("a");

        HttpResponse<String> hopped = get(portB, "/desk/file", "X-Device-Location", "50.0,8.6", "X-Vantage-Hop", "a");
        assertThat(hopped.body()).as("a forwarded request is served locally, never sent back").isEqualTo("origin-b");
        HttpResponse<String> write = get(portB, "/desk/file", "X-Vantage-Hop", "a");
        assertThat(write.statusCode()).isEqualTo(200);
    }

    @Test
    void shouldKeepACookieUserOnTheSameUpstreamOfAnotherSiteAndMoveItWhenThatUpstreamDrains() throws Exception {
        DelayedOrigin originA = origin("origin-a", 0);
        DelayedOrigin b1 = origin("b1", 0);
        DelayedOrigin b2 = origin("b2", 0);
        int portA = freePort();
        int portB = freePort();
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.PROXY, StickinessMode.COOKIE,
                Tenant.DEFAULT_ID);
        Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                null, null, null);
        Policy unsigned = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, portA, List.of(originA)),
                site("b", RoutingFixtures.NEW_YORK, portB, List.of(b1, b2))), List.of(), List.of(desk),
                List.of(resource));
        // Every site shares the affinity keys, so a cookie issued at one is accepted at the others.
        Policy policy = new Policy(null, unsigned.sites(), unsigned.tenants(), unsigned.routes(),
                unsigned.resources(), null, null, null, null, null,
                new AffinitySettings(List.of("a shared secret of both sites"), List.of()));
        proxy(policy, "a", RoutingEngine.builder(policy, "a").build());
        RoutingEngine engineB = RoutingEngine.builder(policy, "b").build();
        proxy(policy, "b", engineB);

        HttpResponse<String> first = get(portA, "/desk/file", "X-Device-Location", "40.7,-74.0");
        String home = first.body();
        assertThat(home).as("a New York user is served at site b").isIn("b1", "b2");
        List<String> setCookies = first.headers().allValues("Set-Cookie");
        assertThat(setCookies).as("one cookie, issued by site b for its upstream").hasSize(1);
        String cookie = setCookies.get(0).substring(0, setCookies.get(0).indexOf(';'));
        for (int i = 0; i < 20; i++) {
            // The same New York user reaches site a again: the cookie brings them back to the same upstream at b.
            HttpResponse<String> again = get(portA, "/desk/file", "Cookie", cookie, "X-Device-Location", "40.7,-74.0");
            assertThat(again.body()).isEqualTo(home);
            assertThat(again.headers().allValues("Set-Cookie")).isEmpty();
        }
        // The user travelled to Frankfurt, where site a has a mirror of its own: locality wins over the peer cookie.
        HttpResponse<String> travelled = get(portA, "/desk/file", "Cookie", cookie, "X-Device-Location", "50.0,8.6");
        assertThat(travelled.body()).isEqualTo("origin-a");
        assertThat(travelled.headers().allValues("Set-Cookie")).as("site a issues its own cookie").hasSize(1);
        HttpResponse<String> direct = get(portB, "/desk/file", "Cookie", cookie);
        assertThat(direct.body()).as("site b honours its own cookie without a hop header too").isEqualTo(home);
        assertThat(direct.headers().allValues("Set-Cookie")).isEmpty();

        DelayedOrigin homeOrigin = home.equals("b1") ? b1 : b2;
        engineB.setDraining("b", "127.0.0.1:" + homeOrigin.port(), true);
        HttpResponse<String> moved = get(portA, "/desk/file", "Cookie", cookie, "X-Device-Location", "40.7,-74.0");
        assertThat(moved.body()).as("moved to the other upstream of site b").isIn("b1", "b2").isNotEqualTo(home);
        assertThat(moved.headers().allValues("Set-Cookie")).as("site b re-issues the cookie").hasSize(1);
        String newCookie = moved.headers().allValues("Set-Cookie").get(0);
        newCookie = newCookie.substring(0, newCookie.indexOf(';'));
        assertThat(get(portA, "/desk/file", "Cookie", newCookie, "X-Device-Location", "40.7,-74.0").body())
                .isEqualTo(moved.body());
    }

    @Test
    void shouldCopyTheShadowShareOfReadsToTheShadowMirrorAndCompareTheAnswers() throws Exception {
        DelayedOrigin originA = origin("origin-a", 0);
        DelayedOrigin originB = origin("origin-b", 0);
        int portA = freePort();
        int portB = freePort();
        Route desk = RoutingFixtures.route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                RoutingFixtures.stickiness(StickinessMode.OFF, false), 100, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                null, null, null);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, portA, List.of(originA)),
                site("b", RoutingFixtures.NEW_YORK, portB, List.of(originB))), List.of(), List.of(desk),
                List.of(resource));
        RoutingEngine engineA = RoutingEngine.builder(policy, "a").build();
        closeables.add(engineA);
        proxy(policy, "a", engineA);
        proxy(policy, "b", RoutingEngine.builder(policy, "b").build());

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = get(portA, "/desk/file", "X-Device-Location", "50.0,8.6");
            assertThat(response.body()).as("the user is always answered by the primary").isEqualTo("origin-a");
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(originB.requests()).isEqualTo(5);
            assertThat(engineA.metricsText()).contains("vantage_routing_shadow_requests_total 5")
                    .contains("vantage_routing_shadow_results_total{result=\"match\"} 5");
        });
        HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portA + "/desk/file"))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        assertThat(client.send(post, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("origin-a");
        assertThat(engineA.metricsText()).as("writes are never shadowed")
                .contains("vantage_routing_shadow_requests_total 5");
    }

    @Test
    void shouldCompareShadowBodyLengthsCountedOnTheWireWhateverTheFraming() throws Exception {
        DelayedOrigin originA = origin("origin-a", 0);
        DelayedOrigin originB = origin("origin-b", 0);
        originA.framing(DelayedOrigin.Framing.CHUNKED);
        originB.framing(DelayedOrigin.Framing.CLOSE);
        originA.body("twelve bytes");
        originB.body("twelve bytes");
        int portA = freePort();
        Route desk = RoutingFixtures.route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                RoutingFixtures.stickiness(StickinessMode.OFF, false), 100, RetryPolicy.defaults(), Tenant.DEFAULT_ID);
        Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                null, null, null);
        // Site b's listener is origin b itself: the shadow copy reaches it directly.
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, portA, List.of(originA)),
                site("b", RoutingFixtures.NEW_YORK, originB.port(), List.of(originB))), List.of(), List.of(desk),
                List.of(resource));
        RoutingEngine engineA = RoutingEngine.builder(policy, "a").build();
        closeables.add(engineA);
        proxy(policy, "a", engineA);

        assertThat(get(portA, "/desk/file", "X-Device-Location", "50.0,8.6").body()).isEqualTo("twelve bytes");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(engineA.metricsText())
                .contains("vantage_routing_shadow_results_total{result=\"match\"} 1"));

        originB.body("thirteen byte");
        assertThat(get(portA, "/desk/file", "X-Device-Location", "50.0,8.6").body()).isEqualTo("twelve bytes");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(engineA.metricsText())
                .contains("vantage_routing_shadow_results_total{result=\"length_mismatch\"} 1"));

        originA.framing(DelayedOrigin.Framing.CLOSE);
        originB.framing(DelayedOrigin.Framing.CHUNKED);
        assertThat(get(portA, "/desk/file", "X-Device-Location", "50.0,8.6").body()).isEqualTo("twelve bytes");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(engineA.metricsText())
                .contains("vantage_routing_shadow_results_total{result=\"length_mismatch\"} 2")
                .contains("vantage_routing_shadow_results_total{result=\"match\"} 1"));
    }

    @Test
    void shouldMoveAboutAQuarterOfHeaderUsersWhenAFourthMirrorJoinsAndOnlyTheUsersOfARemovedOne() throws Exception {
        List<DelayedOrigin> origins = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            origins.add(origin("origin-" + i, 0));
        }
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.HEADER,
                Tenant.DEFAULT_ID);
        Policy three = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, origins.subList(0, 3))),
                List.of(), List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(three, "a").build();
        ProxyServer proxy = proxy(three, "a", engine);
        Map<String, String> before = usersOf(port, 300);
        assertThat(Map.copyOf(before).values()).contains("origin-1", "origin-2", "origin-3");

        proxy.updatePolicy(Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, origins)), List.of(),
                List.of(web), List.of()));
        Map<String, String> after = usersOf(port, 300);
        long moved = before.keySet().stream().filter(u -> !before.get(u).equals(after.get(u))).count();
        assertThat(moved).as("users moved of 300").isBetween(30L, 100L);
        before.keySet().stream().filter(u -> !before.get(u).equals(after.get(u)))
                .forEach(u -> assertThat(after.get(u)).isEqualTo("origin-4"));

        proxy.updatePolicy(Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port,
                List.of(origins.get(0), origins.get(2), origins.get(3)))), List.of(), List.of(web), List.of()));
        Map<String, String> removed = usersOf(port, 300);
        after.keySet().stream().filter(u -> !after.get(u).equals("origin-2"))
                .forEach(u -> assertThat(removed.get(u)).as(u).isEqualTo(after.get(u)));
    }

    private Map<String, String> usersOf(int port, int users) throws Exception {
        Map<String, String> assignment = new java.util.HashMap<>();
        for (int u = 0; u < users; u++) {
            assignment.put("user-" + u, get(port, "/web/", "X-User-Id", "user-" + u).body());
        }
        return assignment;
    }

    @Test
    void shouldRedirectToTheChosenSitesPublicUrl() throws Exception {
        DelayedOrigin originA = origin("origin-a", 0);
        DelayedOrigin originB = origin("origin-b", 0);
        int portA = freePort();
        Route desk = route("desk", RouteTarget.resource("desk"), RouteMode.REDIRECT, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                null, null, null);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, portA, List.of(originA)),
                site("b", RoutingFixtures.NEW_YORK, freePort(), List.of(originB))), List.of(), List.of(desk),
                List.of(resource));
        proxy(policy, "a", RoutingEngine.builder(policy, "a").build());

        HttpResponse<String> response = get(portA, "/desk/report?q=1", "X-Device-Location", "40.7,-74.0");
        assertThat(response.statusCode()).isEqualTo(307);
        assertThat(response.headers().firstValue("Location")).contains("https://b.example/desk/report?q=1");
        assertThat(get(portA, "/desk/report", "X-Device-Location", "50.0,8.6").body()).isEqualTo("origin-a");
    }

    @Test
    void shouldAnswer429WithRetryAfterWhenATenantIsOverItsRate() throws Exception {
        DelayedOrigin origin = origin("only", 0);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF, "acme");
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(origin))),
                List.of(new Tenant("acme", 3, 100)), List.of(web), List.of());
        proxy(policy, "a", RoutingEngine.builder(policy, "a").build());

        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> limited = null;
        for (int i = 0; i < 10 && limited == null; i++) {
            HttpResponse<String> response = get(port, "/web/");
            statuses.add(response.statusCode());
            if (response.statusCode() == 429) {
                limited = response;
            }
        }
        assertThat(limited).as("statuses %s", statuses).isNotNull();
        assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v))
                .isPositive());
        assertThat(limited.body()).doesNotContain("Exception");
    }

    @Test
    void shouldAnswer429WithRetryAfterToAConnectionOverItsTenantsConnectionLimit() throws Exception {
        DelayedOrigin origin = origin("only", 0);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF, "acme");
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(origin))),
                List.of(new Tenant("acme", 1000, 2)), List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        proxy(policy, "a", engine);

        try (java.net.Socket first = new java.net.Socket("127.0.0.1", port);
             java.net.Socket second = new java.net.Socket("127.0.0.1", port)) {
            assertThat(exchange(first)).startsWith("HTTP/1.1 200");
            assertThat(exchange(second)).startsWith("HTTP/1.1 200");
            assertThat(exchange(first)).as("an admitted connection keeps being served").startsWith("HTTP/1.1 200");
            try (java.net.Socket third = new java.net.Socket("127.0.0.1", port)) {
                String refused = exchange(third);
                assertThat(refused).startsWith("HTTP/1.1 429").contains("Retry-After: 1", "Connection: close")
                        .doesNotContain("Exception");
                assertThat(third.getInputStream().read()).as("the refused connection is closed").isEqualTo(-1);
            }
        }
        // Both admitted connections closed: their slots are free again.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (java.net.Socket again = new java.net.Socket("127.0.0.1", port)) {
                assertThat(exchange(again)).startsWith("HTTP/1.1 200");
            }
        });
        assertThat(engine.metricsText()).contains("vantage_routing_rejected_total{reason=\"tenant_connections\"} 1");
    }

    /** One GET on a raw keep-alive connection; the response head and body as text. */
    private static String exchange(java.net.Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write("GET /web/ HTTP/1.1\r\nHost: test\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        java.io.InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return head + new String(body, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void shouldRetryIdempotentRequestsOnAnotherMirrorWhenOneIsDown() throws Exception {
        DelayedOrigin live = origin("live", 0);
        int deadPort = freePort();
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Site a = new Site("a", "r", RoutingFixtures.FRANKFURT, null, null, null, 0, 0, 1000, 0,
                List.of(Listener.http("http", "127.0.0.1", port)), List.of(UpstreamGroup.of("web",
                        List.of(Upstream.of("127.0.0.1", deadPort), Upstream.of("127.0.0.1", live.port())))));
        Policy policy = Policy.of(List.of(a), List.of(), List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        proxy(policy, "a", engine);

        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = get(port, "/web/");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("live");
        }
        assertThat(engine.metricsText()).contains("vantage_routing_retries_total{result=\"allowed\"}");
    }

    @Test
    void shouldPutTheResolvedUserLocationAndItsSourceIntoTheAccessEvent() throws Exception {
        DelayedOrigin origin = origin("only", 0);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(origin))), List.of(),
                List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        List<AccessEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        ProxyServer proxy = ProxyServer.builder(policy, "a").threads(1).adminAddress(null)
                .selector(engine.upstreamSelector()).accessSink(events::add).build().start();
        closeables.add(proxy);

        get(port, "/web/", "X-Device-Location", "40.7,-74.0");
        get(port, "/web/", "X-Device-Location", "not a place");
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);

        assertThat(events.get(0).userLocationSource()).isEqualTo(UserLocationSource.HEADER);
        assertThat(events.get(0).userLatitude()).isEqualTo(40.7);
        assertThat(events.get(0).userLongitude()).isEqualTo(-74.0);
        assertThat(events.get(0).hasUserLocation()).isTrue();
        assertThat(events.get(1).userLocationSource()).as("a malformed header falls back to the site")
                .isEqualTo(UserLocationSource.SITE);
        assertThat(events.get(1).userLatitude()).isEqualTo(RoutingFixtures.FRANKFURT.latitude());
        assertThat(events.get(1).hasUserLocation()).isFalse();
    }

    @Test
    void shouldServeTheAdminViewsOfTheEngine() throws Exception {
        DelayedOrigin origin = origin("only", 0);
        int port = freePort();
        Route web = route("web", RouteTarget.upstreamGroup("web"), RouteMode.PROXY, StickinessMode.OFF,
                Tenant.DEFAULT_ID);
        Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, List.of(origin))), List.of(),
                List.of(web), List.of());
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        ProxyServer proxy = ProxyServer.builder(policy, "a").threads(1).adminAddress(new HostPort("127.0.0.1", 0))
                .selector(engine.upstreamSelector()).build();
        engine.installAdmin(proxy.admin());
        proxy.start();
        closeables.add(proxy);
        get(port, "/web/");

        int admin = proxy.adminAddress().getPort();
        assertThat(get(admin, "/routes").body()).contains("\"name\":\"web\"", "\"share\":1.0000");
        assertThat(get(admin, "/metrics").body()).contains("vantage_routing_requests_total{route=\"web\",tenant=\"default\"} 1");
    }
}
