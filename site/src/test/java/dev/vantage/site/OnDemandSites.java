package dev.vantage.site;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.vantage.config.PolicyHolder;

/**
 * Three sites of one policy on loopback for the on-demand trigger's tests: {@code eu} is the primary of resource
 * {@code desktop} (16 KiB blocks, delta, {@code on_demand} schedule), {@code us} and {@code ap} hold shadows of it.
 * Sites start only when a test asks ({@link #start}), so a site left down is an unreachable mirror.
 */
final class OnDemandSites implements AutoCloseable {

    static final int BLOCK = 16 * 1024;
    static final int BLOCKS = 32;
    static final String TOKEN = "s3cret";

    private static final List<String> SITES = List.of("eu", "us", "ap");

    private final Path dir;
    private final Path policyFile;
    private final Map<String, Integer> adminPorts = new LinkedHashMap<>();
    private final EmbeddedCoordinator coordinator = new EmbeddedCoordinator();
    private final Map<String, VantageSite> started = new LinkedHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    OnDemandSites(Path dir) throws IOException {
        this(dir, "");
    }

    /** With {@code replicationExtra}, one more line of the resource's {@code replication} block (e.g. a throttle). */
    OnDemandSites(Path dir, String replicationExtra) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        byte[] seed = new byte[BLOCKS * BLOCK];
        new Random(11).nextBytes(seed);
        Files.write(dir.resolve("desktop.img"), seed);
        Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
        StringBuilder sites = new StringBuilder();
        int[] ports = freePorts(4 * SITES.size());
        int next = 0;
        for (String id : SITES) {
            int admin = ports[next++];
            adminPorts.put(id, admin);
            sites.append("""
                      - id: %s
                        location: {latitude: 50.0, longitude: 8.0}
                        replicationAddress: 127.0.0.1:%d
                        adminAddress: 127.0.0.1:%d
                        listeners: [{name: http, address: 127.0.0.1, port: %d}]
                        upstreamGroups: [{name: desktop, upstreams: [127.0.0.1:%d]}]
                    """.formatted(id, ports[next++], admin, ports[next++], ports[next++]));
        }
        policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, "sites:\n" + sites + """
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
                      - {site: us, role: shadow, upstreamGroup: desktop}
                      - {site: ap, role: shadow, upstreamGroup: desktop}
                    replication:
                      mode: delta
                      schedule: {kind: on_demand}
                %s
                probes: {intervalMillis: 500ms, timeoutMillis: 200ms}
                admin: {tokenFile: admin-token}
                """.formatted(replicationExtra.isEmpty() ? "" : "      " + replicationExtra));
        closeables.add(coordinator);
    }

    /** Starts site {@code id} (its own policy holder, the shared coordinator, no lifecycle controller). */
    VantageSite start(String id) throws Exception {
        PolicyHolder holder = PolicyHolder.load(policyFile);
        closeables.add(holder);
        VantageSite site = VantageSite.builder(holder, id).dataDirectory(dir.resolve(id)).coordinator(coordinator)
                .lifecycleController(false).threads(1).build().start();
        closeables.add(site);
        started.put(id, site);
        return site;
    }

    VantageSite site(String id) {
        return started.get(id);
    }

    String adminAddress(String id) {
        return "127.0.0.1:" + adminPorts.get(id);
    }

    Path tokenFile() {
        return dir.resolve("admin-token");
    }

    /** Site {@code id}'s copy of the resource. */
    Path copy(String id) {
        return SiteReplication.volumePath(dir.resolve(id), "desktop");
    }

    /** {@code POST /replication/sync?QUERY} on site {@code id}'s admin API, with the token. */
    HttpResponse<String> postSync(String id, String query) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + adminAddress(id) + "/replication/sync"
                        + (query.isEmpty() ? "" : "?" + query))).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Rewrites the policy file (sites see it at their next reload). */
    void rewritePolicy(java.util.function.UnaryOperator<String> change) throws IOException {
        String before = Files.readString(policyFile);
        String after = change.apply(before);
        if (after.equals(before)) {
            throw new IllegalArgumentException("policy change: none (expected: a different policy)");
        }
        Files.writeString(policyFile, after);
    }

    /** {@code POST /reload} on site {@code id}'s admin API, with the token. */
    HttpResponse<String> postReload(String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + adminAddress(id) + "/reload"))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** {@code count} distinct free ports: all held open together, so the system cannot hand one out twice. */
    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }
}
