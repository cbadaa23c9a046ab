package dev.vantage.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import io.netty.channel.Channel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.vantage.config.HostPort;
import dev.vantage.config.Policy;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.ProbeSettings;
import dev.vantage.config.Site;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;

/** Targets follow policy reloads; the admin views render what is probed. */
class PolicyReloadLoopbackTest {

    private final LoopbackServers servers = new LoopbackServers();
    private final LatencyProbes probes = LatencyProbes.builder().randomSeed(3).build().start();

    @AfterEach
    void tearDown() {
        probes.close();
        servers.close();
    }

    private static final ProbeSettings FAST = new ProbeSettings(200, 200, 0.2, 2, 3, 250, 0.5, 30_000, 0.5, 5);

    private static Policy policy(List<Upstream> upstreams, String healthCheckPath, HostPort peerReplication) {
        UpstreamGroup web = new UpstreamGroup("web", upstreams, PoolSettings.defaults(), healthCheckPath);
        Site local = new Site("eu-1", "eu", null, null, null, null, 0, 0, 1000, 0, List.of(), List.of(web));
        Site peer = new Site("us-1", "us", null, peerReplication, null, null, 0, 0, 1000, 0, List.of(), List.of());
        return new Policy("eu-1", List.of(local, peer), List.of(), List.of(), List.of(), FAST, null, null, null, null,
                null);
    }

    private static Upstream upstream(Channel server) {
        return Upstream.of("127.0.0.1", LoopbackServers.port(server));
    }

    @Test
    void shouldKeepUnchangedTargetsProbingAcrossAReloadAndRestartOnlyChangedOnes() {
        Channel a = servers.acceptOnly(0);
        Channel b = servers.acceptOnly(0);
        Channel c = servers.acceptOnly(0);
        Channel peer = servers.acceptOnly(0);
        Channel otherPeer = servers.acceptOnly(0);
        HostPort peerAddress = new HostPort("127.0.0.1", LoopbackServers.port(peer));
        ApplySummary first = probes.applyPolicy(policy(List.of(upstream(a), upstream(b)), null, peerAddress), null)
                .join();
        assertThat(first).isEqualTo(new ApplySummary(3, 0, 0, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().statuses().stream()
                .allMatch(s -> s.probes() >= 4 && s.state() == HealthState.HEALTHY));
        ProbeTable before = probes.table();
        String idA = "upstream/eu-1/web/" + upstream(a).endpoint();
        String idB = "upstream/eu-1/web/" + upstream(b).endpoint();
        int indexA = before.indexOf(idA);
        long probesOfA = before.status(indexA).probes();

        HostPort movedPeer = new HostPort("127.0.0.1", LoopbackServers.port(otherPeer));
        ApplySummary second = probes.applyPolicy(policy(List.of(upstream(a), upstream(c)), null, movedPeer), "eu-1")
                .join();

        assertThat(second).isEqualTo(new ApplySummary(1, 1, 1, 1));
        ProbeTable after = probes.table();
        assertThat(after.indexOf(idA)).isEqualTo(indexA);
        TargetStatus keptA = after.status(indexA);
        assertThat(keptA.probes()).isGreaterThanOrEqualTo(probesOfA);
        assertThat(keptA.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(after.indexOf(idB)).isEqualTo(-1);
        TargetStatus restartedPeer = after.status(after.indexOf("site/us-1"));
        assertThat(restartedPeer.target().address()).isEqualTo(movedPeer);
        assertThat(restartedPeer.probes()).isLessThan(4);
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().statuses().stream()
                .allMatch(s -> s.state() == HealthState.HEALTHY));
    }

    @Test
    void shouldRestartTargetsWhoseHealthCheckChanges() {
        Channel a = servers.acceptOnly(0);
        probes.applyPolicy(policy(List.of(upstream(a)), null, null), null).join();
        ApplySummary summary = probes.applyPolicy(policy(List.of(upstream(a)), "/healthz", null), null).join();
        assertThat(summary).isEqualTo(new ApplySummary(0, 0, 1, 0));
        assertThat(probes.table().status(0).target().kind()).isEqualTo(ProbeKind.HTTP);
    }

    @Test
    void shouldRenderTheAdminJsonAndThePrometheusMetrics() {
        Channel a = servers.acceptOnly(0);
        probes.applyPolicy(policy(List.of(upstream(a)), null, null), null).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().status(0).probes() >= 2);

        JsonNode json = JsonMapper.builder().build().readTree(probes.json());
        assertThat(json.get("transport").asString()).isEqualTo(probes.transportName());
        JsonNode target = json.get("targets").get(0);
        assertThat(target.get("id").asString()).isEqualTo("upstream/eu-1/web/" + upstream(a).endpoint());
        assertThat(target.get("state").asString()).isEqualTo("healthy");
        assertThat(target.get("kind").asString()).isEqualTo("tcp");
        assertThat(target.get("rttEwmaMillis").asDouble()).isPositive();
        JsonNode lastError = target.get("lastError");
        assertThat(lastError.isNull() || lastError.asString().contains("timeout")).as("lastError %s", lastError)
                .isTrue();

        String metrics = probes.prometheus();
        String labels = "{target=\"upstream/eu-1/web/" + upstream(a).endpoint()
                + "\",group=\"eu-1/web\",role=\"upstream\",kind=\"tcp\",address=\"" + upstream(a).endpoint() + "\"";
        assertThat(metrics).contains("# TYPE vantage_probe_rtt_ewma_seconds gauge\n");
        assertThat(metrics).contains("vantage_probe_rtt_ewma_seconds" + labels + "} 0.");
        assertThat(metrics).contains("vantage_probe_state" + labels + ",state=\"healthy\"} 1\n");
        assertThat(metrics).contains("vantage_probe_state" + labels + ",state=\"unhealthy\"} 0\n");
        assertThat(metrics).contains("vantage_probe_targets{state=\"healthy\"} 1\n");
        assertThat(metrics).contains("vantage_probe_thread_cpu_seconds_total ");
        for (String line : metrics.split("\n")) {
            assertThat(line).matches("# (HELP|TYPE) .*|[a-z_]+(\\{.*\\})? -?[0-9.]+(E-?[0-9]+)?|[a-z_]+(\\{.*\\})? NaN");
        }
    }
}
