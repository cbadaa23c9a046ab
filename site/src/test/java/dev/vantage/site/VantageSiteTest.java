package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.PolicyHolder;
import dev.vantage.site.internal.DemoOrigin;

/** One site assembled from a policy file, exercised through its real listener and admin API on loopback. */
class VantageSiteTest {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private DemoOrigin origin;
    private PolicyHolder holder;
    private VantageSite site;
    private int listenPort;
    private int adminPort;
    private Path policyFile;

    @BeforeEach
    void startSite() throws Exception {
        int originPort = freePort();
        listenPort = freePort();
        adminPort = freePort();
        int replicationPort = freePort();
        origin = DemoOrigin.start("127.0.0.1", originPort, "origin-a");
        policyFile = dir.resolve("policy.yaml");
        Files.writeString(dir.resolve("admin-token"), "s3cret\n");
        Files.writeString(policyFile, """
                sites:
                  - id: here
                    location: {latitude: 52.52, longitude: 13.405}
                    replicationAddress: 127.0.0.1:%d
                    adminAddress: 127.0.0.1:%d
                    listeners:
                      - {name: http, address: 127.0.0.1, port: %d}
                    upstreamGroups:
                      - name: web
                        healthCheckPath: /health
                        upstreams: [127.0.0.1:%d]
                routes:
                  - name: all
                    target: {upstreamGroup: web}
                probes: {intervalMillis: 200ms, timeoutMillis: 100ms}
                admin: {tokenFile: admin-token}
                """.formatted(replicationPort, adminPort, listenPort, originPort));
        holder = PolicyHolder.load(policyFile);
        site = VantageSite.builder(holder, "here").dataDirectory(dir.resolve("data")).threads(1).build().start();
    }

    @AfterEach
    void stop() {
        if (site != null) {
            site.close();
        }
        if (holder != null) {
            holder.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void shouldProxyRequestsToTheUpstreamAndFeedThePredictor() throws Exception {
        HttpResponse<String> response = get(listenPort, "/hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Served-By")).contains("origin-a");
        assertThat(response.body()).contains("served by origin-a for GET /hello");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(get(adminPort, "/metrics").body()).containsPattern("vantage_predictor_access_events_total [1-9]"));
    }

    @Test
    void shouldRefuseMutatingAdminCallsWithoutTheToken() throws Exception {
        HttpResponse<String> reload = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                + "/reload")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(reload.statusCode()).isEqualTo(403);
    }

    @Test
    void shouldExposeProbesRoutesReplicationAndPredictorOnTheAdminApi() throws Exception {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(get(adminPort, "/probes").body()).contains("\"state\":\"healthy\""));

        assertThat(get(adminPort, "/ready").statusCode()).isEqualTo(200);
        assertThat(get(adminPort, "/routes").body()).contains("all");
        assertThat(get(adminPort, "/replication").statusCode()).isEqualTo(200);
        assertThat(get(adminPort, "/predictor").body()).startsWith("{\"createdMillis\":");
    }

    @Test
    void shouldServeAStatusPageWhoseEveryViewIsAJsonEndpointOfTheAdminApi() throws Exception {
        HttpResponse<String> page = get(adminPort, "/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
        assertThat(get(adminPort, "/status").body()).isEqualTo(page.body());
        Matcher views = Pattern.compile("\\[\"[^\"]+\", \"(/[a-z]+)\"\\]").matcher(page.body());
        List<String> paths = new ArrayList<>();
        while (views.find()) {
            paths.add(views.group(1));
        }
        assertThat(paths).contains("/routes", "/probes", "/replication", "/mirrors", "/predictor");
        for (String path : paths) {
            HttpResponse<String> view = get(adminPort, path);
            assertThat(view.statusCode()).as(path).isEqualTo(200);
            assertThat(view.headers().firstValue("Content-Type")).as(path).get().asString().contains("json");
        }
        assertThat(page.body()).as("nothing is loaded from another address").doesNotContain("http://", "https://");
    }

    @Test
    void shouldChooseAZoneWithCapacityOrExplainWhyNone() throws Exception {
        HttpResponse<String> fits = get(adminPort, "/zones?resource=web&capacity=1&lat=52.5&lon=13.4");
        HttpResponse<String> tooBig = get(adminPort, "/zones?resource=web&capacity=1e12");

        assertThat(fits.statusCode()).isEqualTo(200);
        assertThat(fits.body()).contains("\"site\":\"here\"");
        assertThat(tooBig.statusCode()).isEqualTo(409);
        assertThat(tooBig.body()).contains("web");
    }

    @Test
    void shouldRejectAnInvalidReloadAndKeepServingWithTheOldPolicy() throws Exception {
        String valid = Files.readString(policyFile);
        Files.writeString(policyFile, valid.replace("target: {upstreamGroup: web}", "target: {upstreamGroup: nowhere}"));

        HttpResponse<String> reload = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                + "/reload")).header("Authorization", "Bearer s3cret").POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(reload.statusCode()).isEqualTo(422);
        assertThat(reload.body()).contains("policy.yaml:").contains("nowhere");
        assertThat(get(listenPort, "/still-here").statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
