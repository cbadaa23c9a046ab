package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vantage.config.HttpLimits;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Transport;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Proxy semantics through real sockets: header rewriting, bodiless responses, errors, 100-continue, HTTP/1.0. */
@ExtendWith(LeakDetectionExtension.class)
class ProxyBehaviourTest {

    private static TestOrigin origin;
    private static ProxyServer proxy;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("origin");
        proxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), new RouteTimeouts(1_000, 500, 60_000),
                PoolSettings.defaults(), builder -> { }, origin.port());
        port = ProxyFixture.port(proxy);
    }

    @AfterAll
    static void stop() throws IOException {
        proxy.close();
        origin.close();
    }

    private static RawClient.Response exchange(String request) throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send(request);
            return client.read(request.startsWith("HEAD "));
        }
    }

    @Test
    void shouldNotForwardHopByHopRequestFields() throws IOException {
        RawClient.Response response = exchange("GET /head HTTP/1.1\r\nHost: x\r\n"
                + "Connection: X-Private, keep-alive\r\nX-Private: secret\r\nKeep-Alive: 300\r\n"
                + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\r\n");
        String upstreamHead = response.text().toLowerCase();
        assertThat(upstreamHead).doesNotContain("x-private").doesNotContain("keep-alive").doesNotContain("te:")
                .doesNotContain("trailer").doesNotContain("upgrade").doesNotContain("connection");
        assertThat(upstreamHead).contains("x-kept: yes").contains("host: x");
    }

    @Test
    void shouldAddForwardingFields() throws IOException {
        RawClient.Response response = exchange("GET /head HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\n"
                + "X-Forwarded-Proto: https\r\nForwarded: for=10.0.0.1\r\n\r\n");
        assertThat(response.text()).contains("X-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n")
                .contains("X-Forwarded-Proto: http\r\n").doesNotContain("X-Forwarded-Proto: https")
                .contains("Forwarded: for=10.0.0.1\r\n").contains("Forwarded: for=127.0.0.1;proto=http");
    }

    @Test
    void shouldNotForwardHopByHopResponseFields() throws IOException {
        RawClient.Response response = exchange("GET /hop HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers()).doesNotContainKeys("x-secret", "keep-alive", "proxy-connection", "trailer",
                "upgrade", "connection");
        assertThat(response.header("x-kept")).isEqualTo("yes");
        assertThat(response.text()).isEqualTo("ok");
    }

    @Test
    void shouldAnswerHeadWithoutABodyAndKeepTheConnectionUsable() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("HEAD /bytes?n=100 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response head = client.read(true);
            assertThat(head.header("content-length")).isEqualTo("100");
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("hello from origin");
        }
    }

    @Test
    void shouldForward204And304WithoutBodies() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("GET /status?code=204 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(204);
            client.send("GET /status?code=304 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response notModified = client.read();
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.header("etag")).isEqualTo("\"x\"");
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("hello from origin");
        }
    }

    @Test
    void shouldAnswer502WithAShortReasonWhenTheUpstreamIsDown() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        ProxyServer down = ProxyFixture.start(deadPort);
        try (RawClient client = new RawClient(ProxyFixture.port(down))) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).isEqualTo("upstream connection failed\n");
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).as("connection stays usable").isEqualTo(502);
        } finally {
            down.close();
        }
    }

    @Test
    void shouldAnswer504WhenTheUpstreamDoesNotAnswerInTime() throws IOException {
        RawClient.Response response = exchange("GET /delay?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(504);
        assertThat(response.text()).isEqualTo("upstream did not answer in time\n");
    }

    @Test
    void shouldAnswer502WhenTheUpstreamSendsAnInvalidResponse() throws IOException {
        RawClient.Response response = exchange("GET /bad-response HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).isEqualTo("upstream sent an invalid response\n");
    }

    @Test
    void shouldAnswer502WhenTheUpstreamClosesWithoutAnswering() throws IOException {
        assertThat(exchange("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(502);
    }

    @Test
    void shouldRelay100ContinueBeforeTheBody() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("POST /continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(100);
            client.send("hello");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("received=5");
        }
    }

    @Test
    void shouldDechunkForHttp10ClientsAndClose() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("GET /chunked?n=20000 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers()).doesNotContainKey("transfer-encoding");
            assertThat(response.body()).hasSize(20000);
        }
    }

    @Test
    void shouldKeepHttp10ConnectionsAliveWhenAsked() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.header("connection")).isEqualTo("keep-alive");
            client.send("GET /hello HTTP/1.0\r\n\r\n");
            assertThat(client.read().header("connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void shouldRelayACloseDelimitedResponseAndCloseTheClient() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(response.text()).isEqualTo("until close");
        }
    }

    @Test
    void shouldCloseTheClientConnectionWhenAskedTo() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void shouldAnswer404WhenNoRouteMatches() throws Exception {
        proxy.updateRoutes(dev.vantage.config.RouteTable.of(java.util.List.of(dev.vantage.config.Route.of("api",
                dev.vantage.config.RouteMatch.pathPrefix("/api"),
                dev.vantage.config.RouteTarget.upstreamGroup(QuickStart.GROUP)))));
        try {
            assertThat(exchange("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(404);
            assertThat(exchange("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(404);
            assertThat(origin.lastHeads.get("/api/x")).startsWith("GET /api/x HTTP/1.1");
        } finally {
            proxy.updatePolicy(proxy.topology().policy());
        }
    }

    @Test
    void shouldStreamWithBoundedMemoryWhenTheClientReadsSlowly() throws Exception {
        long size = 64L * 1024 * 1024;
        AtomicLong peak = new AtomicLong();
        try (RawClient client = new RawClient(port)) {
            client.send("GET /bytes?n=" + size + " HTTP/1.1\r\nHost: x\r\n\r\n");
            // The client does not read: backpressure must stop the proxy from buffering the body.
            long[] last = {-1};
            Awaitility.await().pollInterval(300, TimeUnit.MILLISECONDS).atMost(20, TimeUnit.SECONDS).until(() -> {
                long used = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
                peak.accumulateAndGet(used, Math::max);
                boolean stable = used == last[0];
                last[0] = used;
                return stable;
            });
            assertThat(peak.get()).as("direct memory while the client is stalled").isLessThan(24L * 1024 * 1024);
            assertThat(client.read().body()).hasSize((int) size);
        }
    }

    @Test
    void shouldDrainGracefully() throws Exception {
        TestOrigin drainOrigin = new TestOrigin("drain");
        ProxyServer draining = ProxyFixture.start(drainOrigin.port());
        int drainPort = ProxyFixture.port(draining);
        try (RawClient idle = new RawClient(drainPort); RawClient busy = new RawClient(drainPort)) {
            idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(idle.read().status()).isEqualTo(200);
            busy.send("GET /delay?ms=700 HTTP/1.1\r\nHost: x\r\n\r\n");
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> drainOrigin.requests.get() == 2);
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return draining.drain(java.time.Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            assertThat(idle.closedByPeer()).as("idle keep-alive connection closed").isTrue();
            RawClient.Response response = busy.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(drained.get(15, TimeUnit.SECONDS)).isTrue();
        } finally {
            draining.close();
            drainOrigin.close();
        }
    }

    @Test
    void shouldQueueRequestsBeyondTheUpstreamConnectionLimit() throws Exception {
        TestOrigin limited = new TestOrigin("limited");
        ProxyServer proxyWithLimit = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                new PoolSettings(1, 2_000, 60_000, 0), builder -> { }, limited.port());
        int limitedPort = ProxyFixture.port(proxyWithLimit);
        try (RawClient first = new RawClient(limitedPort); RawClient second = new RawClient(limitedPort)) {
            first.send("GET /delay?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
            second.send("GET /delay?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(first.read().status()).isEqualTo(200);
            assertThat(second.read().status()).isEqualTo(200);
            assertThat(limited.connections.get()).isEqualTo(1);
        } finally {
            proxyWithLimit.close();
            limited.close();
        }
    }

    @Test
    void shouldWarmUpPooledConnectionsAheadOfDemand() throws Exception {
        TestOrigin warm = new TestOrigin("warm");
        ProxyServer warmProxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                new PoolSettings(8, 1_000, 60_000, 3), builder -> { }, warm.port());
        try {
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> warm.connections.get() == 3);
            try (RawClient client = new RawClient(ProxyFixture.port(warmProxy))) {
                client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            assertThat(warm.connections.get()).isEqualTo(3);
            assertThat(warmProxy.metricsText()).contains("vantage_proxy_pool_reuses_total 1");
        } finally {
            warmProxy.close();
            warm.close();
        }
    }

    @Test
    void shouldSendNewRequestsToTheUpstreamsOfAReloadedPolicy() throws Exception {
        TestOrigin first = new TestOrigin("first");
        TestOrigin second = new TestOrigin("second");
        ProxyServer reloading = ProxyFixture.start(first.port());
        try (RawClient client = new RawClient(ProxyFixture.port(reloading))) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("hello from first");
            reloading.updatePolicy(ProxyFixture.policy(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                    PoolSettings.defaults(), second.port()));
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("hello from second");
        } finally {
            reloading.close();
            first.close();
            second.close();
        }
    }

    @Test
    void shouldReplayAnIdempotentRequestWhenAPooledConnectionTurnsOutClosed() throws Exception {
        TestOrigin flaky = new TestOrigin("flaky");
        ProxyServer replaying = ProxyFixture.start(flaky.port());
        try (RawClient client = new RawClient(ProxyFixture.port(replaying))) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            // /reset makes the origin close the pooled connection without answering.
            client.send("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(502);
            assertThat(flaky.requests.get()).as("the reset request was replayed once on a new connection").isEqualTo(3);
        } finally {
            replaying.close();
            flaky.close();
        }
    }

    @Test
    void shouldCountRequestsAndBytesInMetrics() throws IOException {
        exchange("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        String metrics = proxy.metricsText();
        assertThat(metrics).contains("vantage_proxy_requests_total{code=\"2xx\"}")
                .contains("vantage_proxy_request_duration_seconds_bucket{le=\"+Inf\"}")
                .contains("vantage_proxy_request_duration_seconds_sum")
                .contains("vantage_proxy_response_bytes_total")
                .contains("vantage_proxy_connections_open")
                .contains("vantage_proxy_upstream_connections_open{site=\"local\",group=\"default\"")
                .contains("vantage_proxy_transport_info{transport=\"" + proxy.transportName() + "\"} 1");
        assertThat(new String(metrics.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .doesNotContain("NaN");
    }
}
