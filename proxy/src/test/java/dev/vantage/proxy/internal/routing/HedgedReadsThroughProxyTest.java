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
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.vantage.config.GeoPoint;
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
import dev.vantage.config.StickinessMode;
import dev.vantage.config.Tenant;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.LeakDetectionExtension;
import dev.vantage.proxy.ProxyServer;
import dev.vantage.proxy.RoutingEngine;

/**
 * Hedged reads and per-try timeouts in the proxy's request path, on loopback with real origins. The resource has a local mirror at site
 * a (Frankfurt), which locality always picks first, and a mirror at site b (New York) whose ingress address is a
 * second origin, so a hedge is the only way a read reaches b. The local origin answers quickly while the route
 * learns its p95, then becomes slow.
 */
@ExtendWith(LeakDetectionExtension.class)
class HedgedReadsThroughProxyTest {

    private static final int WARM_UP_REQUESTS = 30;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private DelayedOrigin origin(String name) throws InterruptedException {
        DelayedOrigin origin = new DelayedOrigin(name, 0);
        closeables.add(origin);
        return origin;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The proxy of site a; site b's listener is {@code remote} itself (what site a forwards to). */
    private final class Setup {
        final DelayedOrigin local;
        final DelayedOrigin remote;
        final int port;
        final RoutingEngine engine;
        final ProxyServer proxy;

        Setup(RetryPolicy retry) throws Exception {
            local = origin("local");
            remote = origin("remote");
            port = freePort();
            Route desk = RoutingFixtures.route("desk", RouteTarget.resource("desk"), RouteMode.PROXY,
                    RoutingFixtures.stickiness(StickinessMode.OFF, false), 0, retry, Tenant.DEFAULT_ID);
            Resource resource = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                    List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web")),
                    null, null, null);
            Policy policy = Policy.of(List.of(site("a", RoutingFixtures.FRANKFURT, port, local),
                    site("b", RoutingFixtures.NEW_YORK, remote.port(), remote)), List.of(), List.of(desk),
                    List.of(resource));
            engine = RoutingEngine.builder(policy, "a").build();
            closeables.add(engine);
            proxy = ProxyServer.builder(policy, "a").threads(1).adminAddress(null)
                    .selector(engine.upstreamSelector()).build().start();
            closeables.add(proxy);
        }

        /** Enough quick answers from the local mirror for the route's p95 to be known (and small). */
        void warmUp() throws Exception {
            for (int i = 0; i < WARM_UP_REQUESTS; i++) {
                assertThat(get(port).statusCode()).isEqualTo(200);
            }
        }
    }

    private static Site site(String id, GeoPoint at, int listenPort, DelayedOrigin origin) {
        return new Site(id, "region-" + id, at, null, null, "https://" + id + ".example", 0.02, 0.1, 1000, 0,
                List.of(Listener.http("http", "127.0.0.1", listenPort)),
                List.of(UpstreamGroup.of("web", List.of(Upstream.of("127.0.0.1", origin.port())))));
    }

    private static RetryPolicy retry(boolean hedge, double budgetRatio, int minRetriesPerSecond) {
        return new RetryPolicy(2, 0, RetryPolicy.DEFAULT_RETRY_ON, budgetRatio, minRetriesPerSecond, hedge);
    }

    private static RetryPolicy perTry(long perTryTimeoutMillis, boolean hedge) {
        return new RetryPolicy(2, perTryTimeoutMillis, RetryPolicy.DEFAULT_RETRY_ON, 0.2, 3, hedge);
    }

    private static long openConnections(Setup setup, DelayedOrigin origin) {
        return counter(setup.proxy.metricsText(), "vantage_proxy_upstream_connections_open{site=\""
                + (origin == setup.local ? "a" : "b") + "\",group=\"" + (origin == setup.local ? "web" : "ingress")
                + "\",upstream=\"127.0.0.1:" + origin.port() + "\"}");
    }

    private HttpResponse<String> get(int port) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/desk/file"))
                .header("X-Device-Location", "50.0,8.6").timeout(Duration.ofSeconds(20)).GET().build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static long counter(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in metrics");
    }

    @Test
    void shouldAnswerFromTheHedgeWhenTheFirstMirrorIsSlowAndCloseTheLosingConnection() throws Exception {
        Setup setup = new Setup(retry(true, 0.2, 3));
        setup.warmUp();
        long remoteBefore = setup.remote.requests();
        setup.local.delayMillis(3_000);

        long startNanos = System.nanoTime();
        HttpResponse<String> response = get(setup.port);
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).as("the hedge to site b answered").isEqualTo("remote");
        assertThat(setup.remote.requests()).isEqualTo(remoteBefore + 1);
        // An order of magnitude only: the hedge goes out after the route's p95 of quick answers, not after 3 s.
        assertThat(elapsedMillis).as("client latency in ms").isLessThan(1_500);
        String metrics = setup.proxy.metricsText();
        assertThat(counter(metrics, "vantage_proxy_hedges_won_total")).isPositive();
        assertThat(counter(metrics, "vantage_proxy_hedges_sent_total"))
                .isGreaterThanOrEqualTo(counter(metrics, "vantage_proxy_hedges_won_total"));
        assertThat(counter(setup.engine.metricsText(), "vantage_routing_hedges_total{result=\"sent\"}"))
                .isPositive();
        // The cancelled first attempt's connection is closed, never pooled: nothing stays open towards it.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(openConnections(setup, setup.local))
                .isZero());
        setup.local.delayMillis(0);
        assertThat(get(setup.port).statusCode()).as("the connection to the client stays usable").isEqualTo(200);
    }

    @Test
    void shouldSendNoSecondRequestWhenTheRouteDoesNotHedge() throws Exception {
        Setup setup = new Setup(retry(false, 0.2, 3));
        setup.warmUp();
        setup.local.delayMillis(300);

        HttpResponse<String> response = get(setup.port);

        assertThat(response.body()).isEqualTo("local");
        assertThat(setup.remote.requests()).as("requests that reached site b").isZero();
        assertThat(setup.local.requests()).isEqualTo(WARM_UP_REQUESTS + 1);
        assertThat(counter(setup.proxy.metricsText(), "vantage_proxy_hedges_sent_total")).isZero();
    }

    @Test
    void shouldSendNoHedgeWhenTheRetryBudgetIsExhausted() throws Exception {
        Setup setup = new Setup(retry(true, 0, 0));
        setup.warmUp();
        setup.local.delayMillis(300);

        HttpResponse<String> response = get(setup.port);

        assertThat(response.body()).isEqualTo("local");
        assertThat(setup.remote.requests()).as("requests that reached site b").isZero();
        assertThat(counter(setup.proxy.metricsText(), "vantage_proxy_hedges_sent_total")).isZero();
        assertThat(counter(setup.engine.metricsText(), "vantage_routing_hedges_total{result=\"budget_exhausted\"}"))
                .isPositive();
    }

    @Test
    void shouldRelayTheFirstAttemptWhenItAnswersBeforeTheHedgeAndCloseTheHedgesConnection() throws Exception {
        Setup setup = new Setup(retry(true, 0.2, 3));
        setup.warmUp();
        long remoteBefore = setup.remote.requests();
        // The hedge goes out after the warm-up's p95 (milliseconds), long before the first attempt answers.
        setup.local.delayMillis(1_000);
        setup.remote.delayMillis(10_000);

        HttpResponse<String> response = get(setup.port);

        assertThat(response.body()).as("one response: the first attempt's").isEqualTo("local");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(setup.remote.requests()).as("the hedge went out").isEqualTo(remoteBefore + 1);
            assertThat(openConnections(setup, setup.remote)).as("the cancelled hedge's connection is closed")
                    .isZero();
        });
        setup.local.delayMillis(0);
        assertThat(get(setup.port).body()).isEqualTo("local");
        assertThat(counter(setup.proxy.metricsText(), "vantage_proxy_hedges_won_total")).isZero();
    }

    @Test
    void shouldHedgeAtThePerTryTimeoutWhileTheRouteHasTooFewSamples() throws Exception {
        Setup setup = new Setup(perTry(200, true));
        setup.local.delayMillis(3_000);

        long startNanos = System.nanoTime();
        HttpResponse<String> response = get(setup.port);
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        assertThat(response.body()).isEqualTo("remote");
        assertThat(elapsedMillis).as("client latency in ms (an order of magnitude only)").isLessThan(1_500);
        assertThat(setup.local.requests()).as("the first attempt was not retried, it was hedged").isEqualTo(1);
        String metrics = setup.proxy.metricsText();
        assertThat(counter(metrics, "vantage_proxy_hedges_won_total")).isEqualTo(1);
        assertThat(counter(metrics, "vantage_proxy_retries_total")).isZero();
    }

    @Test
    void shouldRetryOnAnotherMirrorAfterThePerTryTimeoutWhenTheRouteDoesNotHedge() throws Exception {
        Setup setup = new Setup(perTry(200, false));
        setup.local.delayMillis(3_000);

        HttpResponse<String> response = get(setup.port);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).as("the retry went to the other mirror").isEqualTo("remote");
        String metrics = setup.proxy.metricsText();
        assertThat(counter(metrics, "vantage_proxy_upstream_timeouts_total")).isEqualTo(1);
        assertThat(counter(metrics, "vantage_proxy_retries_total")).isEqualTo(1);
        assertThat(counter(metrics, "vantage_proxy_hedges_sent_total")).isZero();
    }
}
