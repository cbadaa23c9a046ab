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
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.PolicyHolder;
import dev.vantage.replication.ConflictRecord;
import dev.vantage.replication.Volumes;
import dev.vantage.site.internal.DemoOrigin;

/**
 * Two sites of one multi-master resource (eu primary, us replica) in one process on loopback: both accept writes,
 * stream them to each other, and resolve a concurrent write to the same block the same way at both sites.
 */
class MultiMasterSiteTest {

    private static final int BLOCK = 16 * 1024;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private VantageSite eu;
    private VantageSite us;
    private int euAdminPort;
    private int usAdminPort;

    @BeforeEach
    void startSites() throws Exception {
        int[] p = new int[10];
        for (int i = 0; i < p.length; i++) {
            p[i] = freePort();
        }
        euAdminPort = p[2];
        usAdminPort = p[6];
        closeables.add(DemoOrigin.start("127.0.0.1", p[3], "eu-origin"));
        closeables.add(DemoOrigin.start("127.0.0.1", p[7], "us-origin"));
        byte[] seed = new byte[8 * BLOCK];
        new Random(3).nextBytes(seed);
        Files.write(dir.resolve("desktop.img"), seed);
        Path policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, """
                sites:
                  - id: eu
                    location: {latitude: 50.11, longitude: 8.68}
                    replicationAddress: 127.0.0.1:%d
                    adminAddress: 127.0.0.1:%d
                    listeners: [{name: http, address: 127.0.0.1, port: %d}]
                    upstreamGroups: [{name: desktop, upstreams: [127.0.0.1:%d]}]
                  - id: us
                    location: {latitude: 38.9, longitude: -77.0}
                    replicationAddress: 127.0.0.1:%d
                    adminAddress: 127.0.0.1:%d
                    listeners: [{name: http, address: 127.0.0.1, port: %d}]
                    upstreamGroups: [{name: desktop, upstreams: [127.0.0.1:%d]}]
                routes:
                  - name: desktop
                    target: {resource: desktop}
                resources:
                  - id: desktop
                    volumePath: desktop.img
                    blockSizeBytes: 16KiB
                    primarySite: eu
                    mirrors:
                      - {site: eu, role: primary, upstreamGroup: desktop}
                      - {site: us, role: replica, upstreamGroup: desktop}
                    replication:
                      schedule: {kind: interval, intervalMillis: 100ms}
                probes: {intervalMillis: 500ms, timeoutMillis: 200ms}
                """.formatted(p[0], p[2], p[1], p[3], p[4], p[6], p[5], p[7]));
        EmbeddedCoordinator coordinator = new EmbeddedCoordinator();
        closeables.add(coordinator);
        PolicyHolder euHolder = PolicyHolder.load(policyFile);
        PolicyHolder usHolder = PolicyHolder.load(policyFile);
        closeables.add(euHolder);
        closeables.add(usHolder);
        eu = VantageSite.builder(euHolder, "eu").dataDirectory(dir.resolve("eu")).coordinator(coordinator)
                .lifecycleController(false).threads(1).build().start();
        closeables.add(eu);
        us = VantageSite.builder(usHolder, "us").dataDirectory(dir.resolve("us")).coordinator(coordinator)
                .lifecycleController(false).threads(1).build().start();
        closeables.add(us);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Path copy(VantageSite site) {
        return SiteReplication.volumePath(site.dataDirectory(), "desktop");
    }

    private static byte[] block(Path volume, long index) throws IOException {
        byte[] all = Files.readAllBytes(volume);
        return Arrays.copyOfRange(all, (int) index * BLOCK, (int) (index + 1) * BLOCK);
    }

    private static byte[] bytes(int seed) {
        byte[] b = new byte[BLOCK];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void shouldAcceptWritesAtTheReplicaAndStreamThemToThePrimary() throws Exception {
        us.write("desktop", 2L * BLOCK, bytes(20)).get(10, TimeUnit.SECONDS);
        eu.write("desktop", 5L * BLOCK, bytes(50)).get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(block(copy(eu), 2)).isEqualTo(bytes(20));
            assertThat(block(copy(us), 5)).isEqualTo(bytes(50));
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> Volumes.verify(copy(eu), copy(us), BLOCK).identical());
        assertThat(eu.replicationEngine().conflicts().get("desktop")).isEmpty();
    }

    @Test
    void shouldRunTheReplicasStreamToThePrimaryWhenTheOperatorAsks() throws Exception {
        us.write("desktop", 6L * BLOCK, bytes(60)).get(10, TimeUnit.SECONDS);

        List<VantageSite.TriggeredSync> cycles = us.syncNow("desktop", null);

        assertThat(cycles).singleElement().satisfies(c -> {
            assertThat(c.peerId()).isEqualTo("eu");
            assertThat(c.multiMaster()).isTrue();
            assertThat(c.mode()).isEqualTo(dev.vantage.config.ReplicationMode.DELTA);
        });
        cycles.get(0).cycle().get(30, TimeUnit.SECONDS);
        assertThat(block(copy(eu), 6)).as("the triggered cycle started after the write").isEqualTo(bytes(60));
    }

    @Test
    void shouldResolveAConcurrentWriteTheSameWayAtBothSitesAndListTheLoser() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(copy(us))
                && Volumes.verify(copy(eu), copy(us), BLOCK).identical());
        // Both writes start together: each lands before the other's replication cycle can deliver it.
        CyclicBarrier start = new CyclicBarrier(2);
        CompletableFuture<?> atEu = CompletableFuture.runAsync(() -> writeAfter(start, eu, bytes(31)));
        CompletableFuture<?> atUs = CompletableFuture.runAsync(() -> writeAfter(start, us, bytes(32)));
        CompletableFuture.allOf(atEu, atUs).get(20, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(30)).until(() -> Arrays.equals(block(copy(eu), 3), block(copy(us), 3))
                && conflicts().size() >= 1);

        ConflictRecord lost = conflicts().get(0);
        byte[] loser = Files.readAllBytes(lost.loserBytes());
        byte[] winner = Arrays.equals(loser, bytes(31)) ? bytes(32) : bytes(31);
        assertThat(loser).isIn(bytes(31), bytes(32));
        assertThat(block(copy(eu), 3)).isEqualTo(winner);
        assertThat(lost.blockIndex()).isEqualTo(3);
        assertThat(lost.winner().hlc()).isGreaterThanOrEqualTo(lost.loser().hlc());
        int adminPort = lost.detectedAtSite().equals("eu") ? euAdminPort : usAdminPort;
        HttpResponse<String> view = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                + "/conflicts")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(view.statusCode()).isEqualTo(200);
        assertThat(view.body()).contains("\"resource\":\"desktop\"").contains("\"block\":3")
                .contains("\"loser\":{\"site\":\"" + lost.loser().siteId() + "\"");
        await().atMost(Duration.ofSeconds(30)).until(() -> Volumes.verify(copy(eu), copy(us), BLOCK).identical());
    }

    @Test
    void shouldLetEachSiteMergeTheCountsTheOtherLearntThroughItsAdminApi() throws Exception {
        long now = System.currentTimeMillis();
        for (int i = 0; i < 20; i++) {
            assertThat(eu.predictor().offerAccess("alice", "eu", "desktop", now + i * 60_000L, Double.NaN,
                    Double.NaN)).isTrue();
            assertThat(eu.predictor().offerAccess("alice", i % 2 == 0 ? "us" : "eu", "desktop",
                    now + i * 60_000L + 1, Double.NaN, Double.NaN)).isTrue();
        }
        // us pulls eu's learnt counts (GET /federation on eu's admin address) at its next federation pull.
        await().atMost(Duration.ofMillis(VantageSite.FEDERATION_PULL_MILLIS * 3)).until(() ->
                federationMerged(usAdminPort) > 0);
        HttpResponse<String> served = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + euAdminPort
                + "/federation")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).contains("\"siteTransitions\"").doesNotContain("alice");
        assertThat(us.predictor().exportAggregate().get(10, TimeUnit.SECONDS).siteTransitions())
                .as("us learnt eu's site transitions without seeing a single event").isNotEmpty();
    }

    private long federationMerged(int adminPort) throws IOException, InterruptedException {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("vantage_federation_counts_merged_total (\\d+)")
                .matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void writeAfter(CyclicBarrier start, VantageSite site, byte[] data) {
        try {
            start.await(10, TimeUnit.SECONDS);
            site.write("desktop", 3L * BLOCK, data).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("write at " + site.siteId() + " failed", e);
        }
    }

    private List<ConflictRecord> conflicts() {
        List<ConflictRecord> all = new ArrayList<>();
        all.addAll(eu.replicationEngine().conflicts().getOrDefault("desktop", List.of()));
        all.addAll(us.replicationEngine().conflicts().getOrDefault("desktop", List.of()));
        return all;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
