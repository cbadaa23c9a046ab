package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vantage.config.HttpLimits;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.Route;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Transport;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The admin API, the access log and sinks, and the {@link UpstreamSelector} seam, through real sockets. */
@ExtendWith(LeakDetectionExtension.class)
class ProxyAdminAndSeamTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> get(ProxyServer proxy, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + path))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(ProxyServer proxy, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + path))
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeLiveReadyMetricsConfigAndUpstreams() throws Exception {
        try (TestOrigin origin = new TestOrigin("admin")) {
            ProxyServer proxy = ProxyFixture.start(origin.port());
            try {
                assertThat(get(proxy, "/live").statusCode()).isEqualTo(200);
                assertThat(get(proxy, "/ready").statusCode()).isEqualTo(200);
                HttpResponse<String> metrics = get(proxy, "/metrics");
                assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
                assertThat(metrics.body()).contains("# TYPE vantage_proxy_requests_total counter")
                        .contains("# TYPE vantage_proxy_request_duration_seconds histogram");
                assertThat(get(proxy, "/config").body()).contains("\"id\":\"local\"").contains("\"catch-all\"");
                assertThat(get(proxy, "/upstreams").body()).contains("\"endpoint\":\"127.0.0.1:" + origin.port() + "\"")
                        .contains("\"healthy\":true");
                assertThat(get(proxy, "/nope").statusCode()).isEqualTo(404);
                proxy.drain(java.time.Duration.ofSeconds(1));
                assertThat(get(proxy, "/ready").statusCode()).isEqualTo(503);
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldServeRegisteredPathsAndGuardMutatingCallsWithTheToken() throws Exception {
        try (TestOrigin origin = new TestOrigin("admin")) {
            ProxyServer proxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                    PoolSettings.defaults(), builder -> builder.adminToken("s3cret"), origin.port());
            AtomicInteger reloads = new AtomicInteger();
            proxy.admin().register("GET", "/routes", request -> AdminServer.Response.json("[\"catch-all\"]"));
            proxy.admin().register("POST", "/reload", request -> {
                reloads.incrementAndGet();
                return AdminServer.Response.json("{\"reloaded\":true}");
            });
            proxy.admin().addMetricsSource(out -> out.append("vantage_site_test_total 7\n"));
            try {
                assertThat(get(proxy, "/routes").body()).isEqualTo("[\"catch-all\"]");
                assertThat(post(proxy, "/reload", null).statusCode()).isEqualTo(403);
                assertThat(post(proxy, "/reload", "wrong").statusCode()).isEqualTo(403);
                assertThat(post(proxy, "/reload", "s3cret").body()).isEqualTo("{\"reloaded\":true}");
                assertThat(reloads.get()).isEqualTo(1);
                assertThat(get(proxy, "/reload").statusCode()).isEqualTo(405);
                assertThat(get(proxy, "/metrics").body()).contains("vantage_site_test_total 7");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldWriteAJsonAccessLogAndFeedAccessSinksOffTheEventLoop(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        List<AccessEvent> events = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (TestOrigin origin = new TestOrigin("logged")) {
            ProxyServer proxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                    PoolSettings.defaults(), builder -> builder.accessLog(log).accessSink(event -> {
                        events.add(event);
                        threads.add(Thread.currentThread().getName());
                    }), origin.port());
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("POST /echo-crc?q=\"x\" HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(client.read().status()).isEqualTo(200);
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> events.size() == 1);
                AccessEvent event = events.get(0);
                assertThat(event.status()).isEqualTo(200);
                assertThat(event.method()).isEqualTo("POST");
                assertThat(event.path()).isEqualTo("/echo-crc?q=\"x\"");
                assertThat(event.route()).isEqualTo("catch-all");
                assertThat(event.upstream()).isEqualTo("127.0.0.1:" + origin.port());
                assertThat(event.siteId()).isEqualTo("local");
                assertThat(event.userKey()).isEqualTo("127.0.0.1");
                assertThat(event.requestBytes()).isEqualTo(3);
                assertThat(event.responseBytes()).isPositive();
                assertThat(event.latencyNanos()).isPositive();
                assertThat(threads).containsOnly("vantage-access-log");
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> Files.exists(log)
                        && Files.readString(log).contains("\"status\":200"));
                assertThat(Files.readString(log)).contains("\"path\":\"/echo-crc?q=\\\"x\\\"\"")
                        .contains("\"route\":\"catch-all\"").contains("\"site\":\"local\"");
                assertThat(proxy.metricsText()).contains("vantage_proxy_access_log_dropped_total 0");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldCountDropsInsteadOfBlockingWhenTheAccessRingIsFull() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger received = new AtomicInteger();
        try (TestOrigin origin = new TestOrigin("ring")) {
            ProxyServer proxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                    PoolSettings.defaults(), builder -> builder.accessLogRingBytes(65536).accessSink(event -> {
                        received.incrementAndGet();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }), origin.port());
            int requests = 2_000;
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                for (int i = 0; i < requests; i++) {
                    client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
                String metrics = proxy.metricsText();
                long dropped = Long.parseLong(metrics.replaceAll("(?s).*\nvantage_proxy_access_log_dropped_total (\\d+)\n.*",
                        "$1"));
                assertThat(dropped).as("records dropped while the sink was stuck").isPositive();
                release.countDown();
                Awaitility.await().atMost(10, TimeUnit.SECONDS)
                        .until(() -> received.get() + dropped == requests);
            } finally {
                release.countDown();
                proxy.close();
            }
        }
    }

    @Test
    void shouldLetASelectorRejectWithHeaders() throws Exception {
        UpstreamSelector rejecting = (route, request, selection) -> {
            selection.addResponseHeader("Retry-After", "7");
            selection.reject(429, "slow down");
        };
        try (TestOrigin origin = new TestOrigin("seam")) {
            ProxyServer proxy = startWith(rejecting, origin.port());
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                RawClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(429);
                assertThat(response.header("retry-after")).isEqualTo("7");
                assertThat(response.text()).isEqualTo("slow down\n");
                assertThat(origin.requests.get()).isZero();
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldLetASelectorRedirect() throws Exception {
        UpstreamSelector redirecting = (route, request, selection) ->
                selection.redirect(307, "http://other.example" + request.target());
        try (TestOrigin origin = new TestOrigin("seam")) {
            ProxyServer proxy = startWith(redirecting, origin.port());
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("GET /a/b?c=1 HTTP/1.1\r\nHost: x\r\n\r\n");
                RawClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(307);
                assertThat(response.header("location")).isEqualTo("http://other.example/a/b?c=1");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldRetryOnAnotherUpstreamWhenTheSelectorAsksAndPassItsHeaders() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        List<String> outcomes = new CopyOnWriteArrayList<>();
        UpstreamSelector retrying = new UpstreamSelector() {
            @Override
            public void select(Route route, ProxyRequest request, Selection selection) {
                EndpointGroup group = selection.candidates();
                for (int i = 0; i < group.size(); i++) {
                    if (!selection.isExcluded(group.get(i))) {
                        selection.addUpstreamHeader("X-Attempt", Integer.toString(selection.attempt()));
                        selection.userKey("user-" + request.header("x-user"));
                        selection.forward(group.get(i));
                        return;
                    }
                }
                selection.reject(503, "all tried");
            }

            @Override
            public boolean onAttemptEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream,
                                        AttemptOutcome outcome, int status, long latencyNanos) {
                outcomes.add(upstream.port() + ":" + outcome + ":" + status);
                return outcome != AttemptOutcome.RESPONSE;
            }
        };
        try (TestOrigin origin = new TestOrigin("second")) {
            ProxyServer proxy = startWith(retrying, deadPort, origin.port());
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("GET /head HTTP/1.1\r\nHost: x\r\nX-User: 42\r\n\r\n");
                RawClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).contains("X-Attempt: 1\r\n");
                assertThat(outcomes).containsExactly(deadPort + ":CONNECT_FAILURE:502", origin.port() + ":RESPONSE:200");
                assertThat(proxy.metricsText()).contains("vantage_proxy_retries_total 1");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldSendShadowCopiesOfSafeRequestsAndReportThemWithoutAffectingTheUser() throws Exception {
        List<String> shadows = new CopyOnWriteArrayList<>();
        UpstreamSelector shadowing = new UpstreamSelector() {
            @Override
            public void select(Route route, ProxyRequest request, Selection selection) {
                selection.forward(selection.candidates().get(0));
                boolean dead = request.target().toString().contains("dead");
                selection.shadow(selection.candidates().get(dead ? 2 : 1));
            }

            @Override
            public void onShadowEnd(Route route, UpstreamEndpoint shadow, AttemptOutcome outcome, int status,
                                    long bodyBytes, long latencyNanos) {
                shadows.add(shadow.port() + ":" + outcome + ":" + status + ":" + bodyBytes);
            }
        };
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        try (TestOrigin primary = new TestOrigin("primary"); TestOrigin shadow = new TestOrigin("shadow")) {
            ProxyServer proxy = startWith(shadowing, primary.port(), shadow.port(), deadPort);
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.read().text()).isEqualTo("hello from primary");
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> shadows.size() == 1);
                assertThat(shadows).containsExactly(shadow.port() + ":RESPONSE:200:" + "hello from shadow".length());
                client.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.read(true).status()).isEqualTo(200);
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> shadows.size() == 2);
                assertThat(shadows.get(1)).isEqualTo(shadow.port() + ":RESPONSE:200:0");
                client.send("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
                assertThat(client.read().status()).isEqualTo(200);
                assertThat(shadow.requests.get()).as("the POST was not shadowed").isEqualTo(2);
                client.send("GET /hello?dead HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.read().text()).as("a failing shadow does not fail the user")
                        .isEqualTo("hello from primary");
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> shadows.size() == 3);
                assertThat(shadows.get(2)).isEqualTo(deadPort + ":CONNECT_FAILURE:0:0");
                assertThat(proxy.metricsText()).contains("vantage_proxy_shadow_requests_total 3");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldCountPendingRequestsPerUpstreamForTheSelector() throws Exception {
        try (TestOrigin origin = new TestOrigin("pending")) {
            ProxyServer proxy = ProxyFixture.start(origin.port());
            UpstreamEndpoint endpoint = proxy.topology().endpoints().get(0);
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                client.send("GET /delay?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n");
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> endpoint.pendingRequests() == 1);
                assertThat(client.read().status()).isEqualTo(200);
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> endpoint.pendingRequests() == 0);
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldSkipUnhealthyAndDrainingUpstreamsInTheDefaultSelector() throws Exception {
        try (TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b")) {
            ProxyServer proxy = ProxyFixture.start(a.port(), b.port());
            try (RawClient client = new RawClient(ProxyFixture.port(proxy))) {
                proxy.topology().endpoints().get(0).draining(true);
                for (int i = 0; i < 10; i++) {
                    client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(client.read().text()).isEqualTo("hello from b");
                }
                proxy.topology().endpoints().get(1).healthy(false);
                client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(503);
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void shouldRefuseATlsListenerInsteadOfServingPlainHttp() {
        dev.vantage.config.Policy policy = ProxyFixture.policy(Transport.AUTO, HttpLimits.defaults(),
                RouteTimeouts.defaults(), PoolSettings.defaults(), 9);
        dev.vantage.config.Listener tls = new dev.vantage.config.Listener("https", "127.0.0.1", 0, Transport.AUTO,
                new dev.vantage.config.TlsFiles(Path.of("cert.pem"), Path.of("key.pem")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProxyServer.builder(policy, QuickStart.SITE_ID)
                        .listeners(List.of(tls)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("listener https: tls is set (expected: plain HTTP; terminate TLS in front of this proxy)");
    }

    private static ProxyServer startWith(UpstreamSelector selector, int... ports) throws InterruptedException {
        return ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                PoolSettings.defaults(), builder -> builder.selector(selector), ports);
    }
}
