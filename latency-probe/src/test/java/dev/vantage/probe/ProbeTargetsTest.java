package dev.vantage.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;
import dev.vantage.config.Policy;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.ProbeSettings;
import dev.vantage.config.Site;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;

class ProbeTargetsTest {

    static Site site(String id, HostPort replication, HostPort admin, List<UpstreamGroup> groups) {
        return new Site(id, "region", null, replication, admin, null, 0, 0, 1000, 0, List.of(), groups);
    }

    static Policy policy(ProbeSettings probes, Site... sites) {
        return new Policy(null, List.of(sites), List.of(), List.of(), List.of(), probes, null, null, null, null,
                null);
    }

    @Test
    void shouldProbeEveryLocalUpstreamAndEveryOtherSite() {
        UpstreamGroup web = new UpstreamGroup("web", List.of(Upstream.of("10.0.0.1", 80), Upstream.of("10.0.0.2", 80)),
                PoolSettings.defaults(), "/healthz");
        UpstreamGroup cache = UpstreamGroup.of("cache", List.of(Upstream.of("10.0.0.3", 6379)));
        UpstreamGroup remote = UpstreamGroup.of("web", List.of(Upstream.of("10.1.0.1", 80)));
        ProbeSettings probes = new ProbeSettings(2_000, 300, 0.1, 2, 3, 250, 0.1, 30_000, 0.5, 5);
        Policy policy = policy(probes,
                site("eu-1", new HostPort("10.0.9.9", 7000), null, List.of(web, cache)),
                site("us-1", new HostPort("10.1.9.9", 7000), new HostPort("10.1.9.9", 9000), List.of(remote)),
                site("ap-1", null, new HostPort("10.2.9.9", 9000), List.of()),
                site("xx-1", null, null, List.of()));

        List<ProbeTarget> targets = ProbeTargets.fromPolicy(policy, "eu-1");

        assertThat(targets).extracting(ProbeTarget::id).containsExactly(
                "upstream/eu-1/web/10.0.0.1:80", "upstream/eu-1/web/10.0.0.2:80", "upstream/eu-1/cache/10.0.0.3:6379",
                "site/us-1", "site/ap-1");
        ProbeTarget first = targets.get(0);
        assertThat(first.kind()).isEqualTo(ProbeKind.HTTP);
        assertThat(first.healthCheckPath()).isEqualTo("/healthz");
        assertThat(first.group()).isEqualTo("eu-1/web");
        assertThat(first.intervalMillis()).isEqualTo(2_000);
        assertThat(first.timeoutMillis()).isEqualTo(300);
        assertThat(targets.get(2).kind()).isEqualTo(ProbeKind.TCP_CONNECT);
        assertThat(first.reuseConnection()).as("HTTP checks keep their connection by default").isTrue();
        assertThat(targets.get(2).kind()).isEqualTo(ProbeKind.TCP_CONNECT);
        assertThat(targets.get(2).reuseConnection()).isFalse();
        ProbeTarget usSite = targets.get(3);
        assertThat(usSite.role()).isEqualTo(TargetRole.SITE);
        assertThat(usSite.kind()).as("a peer site is checked over its admin port").isEqualTo(ProbeKind.HTTP);
        assertThat(usSite.address()).isEqualTo(new HostPort("10.1.9.9", 9000));
        assertThat(usSite.healthCheckPath()).isEqualTo(ProbeTargets.SITE_LIVE_PATH);
        assertThat(usSite.expectedStatus()).isEqualTo(200);
        assertThat(usSite.reuseConnection()).isTrue();
        assertThat(targets.get(4).address()).isEqualTo(new HostPort("10.2.9.9", 9000));
        assertThat(targets.get(4).group()).isEqualTo(ProbeTargets.SITES_GROUP);
    }

    @Test
    void shouldOpenAFreshConnectionPerCheckWhenThePolicySaysSo() {
        UpstreamGroup web = new UpstreamGroup("web", List.of(Upstream.of("10.0.0.1", 80)), PoolSettings.defaults(),
                "/healthz");
        ProbeSettings fresh = ProbeSettings.defaults().withReuseConnection(false);
        Policy policy = policy(fresh,
                site("eu-1", new HostPort("10.0.9.9", 7000), null, List.of(web)),
                site("us-1", new HostPort("10.1.9.9", 7000), new HostPort("10.1.9.9", 9000), List.of()));

        assertThat(ProbeTargets.fromPolicy(policy, "eu-1")).extracting(ProbeTarget::reuseConnection)
                .containsExactly(false, false);
    }

    @Test
    void shouldFallBackToATcpConnectOfTheReplicationPortForASiteWithoutAdminAddress() {
        Policy policy = policy(null, site("eu-1", null, null, List.of()),
                site("us-1", new HostPort("10.1.9.9", 7000), null, List.of()));

        ProbeTarget site = ProbeTargets.fromPolicy(policy, "eu-1").get(0);

        assertThat(site.kind()).isEqualTo(ProbeKind.TCP_CONNECT);
        assertThat(site.address()).isEqualTo(new HostPort("10.1.9.9", 7000));
    }

    @Test
    void shouldNameTheKnownSitesWhenTheLocalSiteIsMissing() {
        Policy policy = policy(null, site("eu-1", null, null, List.of()));
        assertThatThrownBy(() -> ProbeTargets.fromPolicy(policy, "mars"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("localSiteId: mars (expected: one of [eu-1])");
    }

    @Test
    void shouldRejectInvalidTargetsWithTheValueAndTheLimit() {
        HostPort address = new HostPort("h", 1);
        assertThatThrownBy(() -> ProbeTarget.tcp("t", "g", address, 100, 200))
                .hasMessage("t timeoutMillis: 200 (expected: 1..100)");
        assertThatThrownBy(() -> ProbeTarget.http("t", "g", address, "health", 0, 100, 50))
                .hasMessage("t healthCheckPath: health (expected: a path starting with / for an HTTP probe)");
        assertThatThrownBy(() -> ProbeTarget.http("t", "g", address, "/", 42, 100, 50))
                .hasMessage("t expectedStatus: 42 (expected: 100..599, or 0 for any 2xx/3xx)");
    }
}
