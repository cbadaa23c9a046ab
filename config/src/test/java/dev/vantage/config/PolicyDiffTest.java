package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class PolicyDiffTest {

    private static final Path THREE_SITE = PolicyLoaderTest.EXAMPLES.resolve("three-site.yaml");

    private static Policy threeSite(String from, String to) throws Exception {
        String text = Files.readString(THREE_SITE);
        assertThat(text).contains(from);
        PolicyLoadResult result = PolicyLoader.parse(text.replace(from, to), "changed.yaml",
                THREE_SITE.toAbsolutePath().getParent());
        assertThat(result.problems()).isEmpty();
        return result.policy();
    }

    @Test
    void shouldFindNoChangesBetweenEqualPolicies() throws Exception {
        PolicyDiff diff = PolicyDiff.between(PolicyLoader.loadOrThrow(THREE_SITE), PolicyLoader.loadOrThrow(THREE_SITE));

        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.lines()).isEmpty();
        assertThat(diff).hasToString("no changes");
    }

    @Test
    void shouldNameEveryChangedFieldWithOldAndNewValue() throws Exception {
        Policy before = PolicyLoader.loadOrThrow(THREE_SITE);
        Policy after = threeSite("responseTimeoutMillis: 30s, idleTimeoutMillis: 5m",
                "responseTimeoutMillis: 5s, idleTimeoutMillis: 5m");

        PolicyDiff diff = PolicyDiff.between(before, after);

        assertThat(diff.lines()).containsExactly(
                "~ route desktop: timeouts.responseTimeoutMillis: 30000 -> 5000");
        assertThat(diff.affects(PolicyDiff.ROUTE)).isTrue();
        assertThat(diff.affects(PolicyDiff.SITE)).isFalse();
    }

    @Test
    void shouldListAddedAndRemovedEntities() throws Exception {
        Policy before = PolicyLoader.loadOrThrow(THREE_SITE);
        Policy after = threeSite("  - name: web\n    match: {pathPrefix: /}", "  - name: www\n    match: {pathPrefix: /}");

        assertThat(PolicyDiff.between(before, after).lines()).containsExactly("- route web", "+ route www");
    }

    @Test
    void shouldMatchListenersAndUpstreamGroupsByName() throws Exception {
        Policy before = PolicyLoader.loadOrThrow(THREE_SITE);
        Policy moved = threeSite("    listeners:\n      - name: http\n        address: 127.0.0.1\n        port: 18081",
                "    listeners:\n      - name: http\n        address: 127.0.0.1\n        port: 18091");
        String text = PolicyDiff.between(before, moved).toString();
        Policy after = PolicyLoader.parse(Files.readString(THREE_SITE)
                        .replace("port: 18081", "port: 18091")
                        .replace("upstreams: [127.0.0.1:28180, 127.0.0.1:28181]",
                                "upstreams: [127.0.0.1:28180, {address: 127.0.0.1:28181, weight: 2}]"),
                "changed.yaml", THREE_SITE.toAbsolutePath().getParent()).orThrow();

        assertThat(text).isEqualTo("~ site iad: listeners[http].port: 18081 -> 18091");
        assertThat(PolicyDiff.between(before, after).lines()).containsExactly(
                "~ site iad: listeners[http].port: 18081 -> 18091",
                "~ upstream group iad/desktop: upstreams: [127.0.0.1:28180, 127.0.0.1:28181]"
                        + " -> [127.0.0.1:28180, 127.0.0.1:28181 weight 2]");
    }

    @Test
    void shouldDiffSettingsAndNeverPrintSecrets() throws Exception {
        Policy before = PolicyLoader.loadOrThrow(THREE_SITE);
        Policy after = threeSite("secrets: [demo-affinity-key-0123456789abcdef]",
                "secrets: [another-demo-key-0123456789abcdef]");
        Policy tuned = threeSite("  intervalMillis: 1s\n  timeoutMillis: 300ms",
                "  intervalMillis: 2s\n  timeoutMillis: 300ms");

        assertThat(PolicyDiff.between(before, after).lines())
                .containsExactly("~ settings affinity: secrets: changed (values hidden)");
        assertThat(PolicyDiff.between(before, tuned).lines())
                .containsExactly("~ settings probes: intervalMillis: 1000 -> 2000");
        assertThat(PolicyDiff.between(before, after).toString()).doesNotContain("another-demo-key");
    }

    @Test
    void shouldDescribeResourceChangesInsideNestedSettings() throws Exception {
        Policy before = PolicyLoader.loadOrThrow(THREE_SITE);
        Policy after = threeSite("- {site: iad, role: shadow, upstreamGroup: desktop}",
                "- {site: iad, role: replica, upstreamGroup: desktop}");

        assertThat(PolicyDiff.between(before, after).lines())
                .containsExactly("~ resource desktop: mirrors[iad].role: shadow -> replica");
    }

    @Test
    void shouldCoverEveryComponentOfPolicy() {
        // PolicyDiff.between lists the sections it compares; a new Policy component must be added there too.
        assertThat(java.util.Arrays.stream(Policy.class.getRecordComponents()).map(c -> c.getName()))
                .containsExactly("localSiteId", "sites", "tenants", "routes", "resources", "probes", "predictor",
                        "admin", "httpLimits", "location", "affinity");
    }
}
