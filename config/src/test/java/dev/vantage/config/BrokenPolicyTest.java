package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Each broken policy under test resources produces exactly the expected messages, with line and column. */
class BrokenPolicyTest {

    private static final Path DIR = Path.of("src/test/resources/broken");

    /** The messages for {@code name}, with the directory prefix removed so they read as {@code name:line:col ...}. */
    private static List<String> messages(String name) {
        PolicyLoadResult result = PolicyLoader.load(DIR.resolve(name));
        assertThat(result.isValid()).isFalse();
        assertThat(result.policy()).isNull();
        String prefix = DIR + java.io.File.separator;
        return result.problems().stream().map(PolicyProblem::message)
                .map(message -> message.startsWith(prefix) ? message.substring(prefix.length()) : message)
                .toList();
    }

    @Test
    void shouldReportUnknownKeysWithTheClosestKnownKey() {
        assertThat(messages("unknown-key.yaml")).containsExactly(
                "unknown-key.yaml:3:5 sites[0].regoin: unknown key (expected: a known key; did you mean 'region'?)",
                "unknown-key.yaml:10:9 sites[0].upstreamGroups[0].helthCheck: unknown key"
                        + " (expected: a known key; did you mean 'healthCheckPath'?)",
                "unknown-key.yaml:14:1 predicter: unknown key (expected: a known key; did you mean 'predictor'?)",
                "unknown-key.yaml:17:3 probes.interval: unknown key"
                        + " (expected: a known key; did you mean 'intervalMillis'?)",
                "unknown-key.yaml:18:3 probes.timout: unknown key (expected: a known key; did you mean 'timeoutMillis'?)");
    }

    @Test
    void shouldReportEveryMissingReplicationTlsFileWithItsPosition() {
        String dir = DIR.toAbsolutePath() + java.io.File.separator + "certs" + java.io.File.separator;
        assertThat(messages("missing-replication-tls-files.yaml")).containsExactly(
                "missing-replication-tls-files.yaml:7:24 sites[0].replicationTls.certificateFile: certs/fra.pem"
                        + " (expected: an existing file (resolved to " + dir + "fra.pem))",
                "missing-replication-tls-files.yaml:8:23 sites[0].replicationTls.privateKeyFile: certs/fra.key"
                        + " (expected: an existing file (resolved to " + dir + "fra.key))",
                "missing-replication-tls-files.yaml:9:32 sites[0].replicationTls.trustedCertificatesFile: certs/ca.pem"
                        + " (expected: an existing file (resolved to " + dir + "ca.pem))",
                "missing-replication-tls-files.yaml:10:33 sites[0].replicationTls.requireClientCertificate: maybe"
                        + " (expected: true or false)",
                "missing-replication-tls-files.yaml:18:21 sites[1].replicationTls.privateKeyFile: missing"
                        + " (expected: a file path)",
                "missing-replication-tls-files.yaml:18:21 sites[1].replicationTls.trustedCertificatesFile: missing"
                        + " (expected: a file path)",
                "missing-replication-tls-files.yaml:18:39 sites[1].replicationTls.certificateFile: certs/sin.pem"
                        + " (expected: an existing file (resolved to " + dir + "sin.pem))");
    }

    @Test
    void shouldReportASiteWithoutReplicationTlsWhenAnotherSiteHasIt() {
        assertThat(messages("mixed-replication-tls.yaml")).containsExactly(
                "mixed-replication-tls.yaml:14:5 sites[1].replicationTls: absent (expected: set on every site with a"
                        + " replicationAddress, as on sites[0] (a site with TLS refuses plaintext peers))");
    }

    @Test
    void shouldReportDuplicateKeysAtTheSecondOccurrence() {
        assertThat(messages("duplicate-key.yaml")).containsExactly(
                "duplicate-key.yaml:13:5 routes[0].name: duplicate key"
                        + " (expected: each key once per mapping; first at line 10, column 5)");
    }

    @Test
    void shouldReportWrongTypes() {
        assertThat(messages("wrong-type.yaml")).containsExactly(
                "wrong-type.yaml:3:26 sites[0].location.latitude: north (expected: a number -90..90)",
                "wrong-type.yaml:6:32 sites[0].capacityRequestsPerSecond: 4000.5 (expected: an integer)",
                "wrong-type.yaml:7:16 sites[0].listeners: a mapping (expected: a list)",
                "wrong-type.yaml:14:40 routes[0].stickiness.strict: sometimes (expected: true or false)",
                "wrong-type.yaml:15:38 routes[0].timeouts.connectTimeoutMillis: soon"
                        + " (expected: milliseconds, or a duration like 500ms, 2s, 5m, 1h)");
    }

    @Test
    void shouldReportOutOfRangeValuesWithTheRange() {
        assertThat(messages("out-of-range.yaml")).containsExactly(
                "out-of-range.yaml:7:48 sites[0].listeners[0].port: 70000 (expected: 1..65535)",
                "out-of-range.yaml:16:30 routes[0].timeouts.responseTimeoutMillis: -5 (expected: 1..86400000)",
                "out-of-range.yaml:17:25 routes[0].retry.maxRetries: 11 (expected: 0..10)",
                "out-of-range.yaml:17:42 routes[0].retry.budgetRatio: 1.5 (expected: 0..1)",
                "out-of-range.yaml:20:18 probes.timeoutMillis: 2s (expected: 1..1000)",
                "out-of-range.yaml:23:18 predictor.firmThreshold: 0.6 (expected: 0.8..1)");
    }

    @Test
    void shouldReportBadEnumValuesWithTheAllowedValues() {
        assertThat(messages("bad-enum.yaml")).containsExactly(
                "bad-enum.yaml:7:66 sites[0].listeners[0].transport: kqueue (expected: one of auto, io_uring, epoll, nio)",
                "bad-enum.yaml:13:11 routes[0].mode: rewrite (expected: one of proxy, redirect)",
                "bad-enum.yaml:15:24 routes[0].stickiness.mode: sticky (expected: one of off, cookie, header, client_ip)",
                "bad-enum.yaml:16:40 routes[0].retry.retryOn[1]: status_500"
                        + " (expected: one of connect_failure, reset, status_503)");
    }

    @Test
    void shouldReportDanglingRouteTargetsAndTenants() {
        assertThat(messages("dangling-route-target.yaml")).containsExactly(
                "dangling-route-target.yaml:16:24 routes[0].target.resource: dekstop (expected: a resource id: desktop)",
                "dangling-route-target.yaml:18:29 routes[1].target.upstreamGroup: api"
                        + " (expected: an upstream group declared at some site: web, desktop)",
                "dangling-route-target.yaml:20:13 routes[2].tenant: initech (expected: a tenant id: acme, default)");
    }

    @Test
    void shouldReportMirrorsAtUnknownSitesAndAPrimarySiteWithoutPrimaryMirror() {
        assertThat(messages("mirror-unknown-site.yaml")).containsExactly(
                "mirror-unknown-site.yaml:19:18 resources[0].primarySite: iad"
                        + " (expected: a site with a mirror of role primary (the mirror at iad is shadow))",
                "mirror-unknown-site.yaml:21:27 resources[0].mirrors[0].role: primary"
                        + " (expected: shadow or replica (only the mirror at primarySite iad is primary))",
                "mirror-unknown-site.yaml:22:16 resources[0].mirrors[1].site: sin (expected: a site id: fra, iad)",
                "mirror-unknown-site.yaml:23:50 resources[0].mirrors[2].upstreamGroup: vdi"
                        + " (expected: an upstream group at site iad: desktop)");
    }

    @Test
    void shouldReportOverlappingListenersIncludingWildcardsWithinASite() {
        assertThat(messages("overlapping-listeners.yaml")).containsExactly(
                "overlapping-listeners.yaml:8:49 sites[0].listeners[1].port: 127.0.0.1:8080"
                        + " (expected: an address:port that does not overlap site fra listener http (0.0.0.0:8080))",
                "overlapping-listeners.yaml:10:55 sites[0].listeners[3].port: 127.0.0.1:19080"
                        + " (expected: an address:port that does not overlap site fra admin API (127.0.0.1:19080))",
                "overlapping-listeners.yaml:16:25 sites[1].replicationAddress: 127.0.0.1:17080 (expected: an"
                        + " address:port that does not overlap site fra replication endpoint (127.0.0.1:17080))",
                "overlapping-listeners.yaml:20:47 sites[1].listeners[1].port: 127.0.0.1:8443"
                        + " (expected: an address:port that does not overlap site fra listener alt (127.0.0.1:8443))");
    }

    @Test
    void shouldReportProblemsBetweenRoutesResourcesAndTenants() {
        Path volume = DIR.toAbsolutePath().resolve("data/vol.img");
        assertThat(messages("cross-checks.yaml")).containsExactly(
                "cross-checks.yaml:9:15 sites[0].upstreamGroups[1].name: web (expected: a unique upstream group name"
                        + " within the site; already used at sites[0].upstreamGroups[0])",
                "cross-checks.yaml:17:11 routes[0].mode: redirect"
                        + " (expected: a publicUrl at every site that may serve the route (site fra has none))",
                "cross-checks.yaml:18:24 routes[0].target.resource: desktop"
                        + " (expected: a resource of the route's tenant globex (desktop belongs to acme))",
                "cross-checks.yaml:21:20 routes[1].shadowPercent: 10 (expected: 0 for an upstream group target"
                        + " (shadow traffic needs a resource with shadow mirrors))",
                "cross-checks.yaml:29:16 resources[0].mirrors[1].site: fra"
                        + " (expected: at most one mirror per site; already at resources[0].mirrors[0])",
                "cross-checks.yaml:31:17 resources[1].volumePath: data/../data/vol.img"
                        + " (expected: a volume file of its own (resource desktop uses the same file, " + volume + "))",
                "cross-checks.yaml:34:32 resources[1].consistency.writeQuorum: 2"
                        + " (expected: 1..1 (the number of mirrors))");
    }

    @Test
    void shouldReportEveryProblemOfAFileAtOnce() {
        assertThat(messages("many-problems.yaml")).containsExactly(
                "many-problems.yaml:1:12 localSite: ams (expected: a site id: fra)",
                "many-problems.yaml:7:16 sites[0].costPerGb: -0.01 (expected: >= 0)",
                "many-problems.yaml:13:9 sites[1].id: fra (expected: a unique site id; already used at sites[0])",
                "many-problems.yaml:20:39 routes[0].timeouts.responseTimeoutMillis: 0 (expected: 1..86400000)",
                "many-problems.yaml:21:11 routes[1].name: web (expected: a unique route name; already used at routes[0])",
                "many-problems.yaml:22:24 routes[1].target.resource: files (expected: a resource id: desktop)",
                "many-problems.yaml:23:32 routes[1].stickiness.cookieTtlSecond: unknown key"
                        + " (expected: a known key; did you mean 'cookieTtlSeconds'?)",
                "many-problems.yaml:27:21 resources[0].blockSizeBytes: 3KiB (expected: 4096..1048576)",
                "many-problems.yaml:28:18 resources[0].primarySite: fra"
                        + " (expected: a site with a mirror of role primary (the mirror at fra is shadow))",
                "many-problems.yaml:31:25 resources[0].replication.mode: selective"
                        + " (expected: at least one entry in selections for selective mode)",
                "many-problems.yaml:31:49 resources[0].replication.compression: brotli"
                        + " (expected: one of lz4, zstd, none)",
                "many-problems.yaml:32:46 resources[0].consistency.writeQuorum: 3"
                        + " (expected: 1..1 (the number of mirrors))");
    }

    @Test
    void shouldReportAnEmptyFileSelection() {
        assertThat(messages("empty-file-selection.yaml")).containsExactly(
                "empty-file-selection.yaml:22:11 resources[0].replication.selections[1]: neither file nor a block"
                        + " range (expected: either file: PATH or firstBlock and lastBlock)",
                "empty-file-selection.yaml:23:18 resources[0].replication.selections[2].file: '  '"
                        + " (expected: a path inside the volume's ext2/3/4 filesystem or bytes:START-END)");
    }

    @Test
    void shouldReportYamlSyntaxErrorsWithTheirPosition() {
        assertThat(messages("syntax-error.yaml")).containsExactly(
                "syntax-error.yaml:4:23 while parsing a flow mapping; expected ',' or '}', but got :"
                        + " (expected: valid YAML)");
    }

    @Test
    void shouldThrowAnExceptionCarryingEveryProblem() {
        PolicyException thrown = org.assertj.core.api.Assertions.catchThrowableOfType(PolicyException.class,
                () -> PolicyLoader.loadOrThrow(DIR.resolve("bad-enum.yaml")));

        assertThat(thrown.problems()).hasSize(4);
        assertThat(thrown.getMessage()).startsWith("4 problems").contains("routes[0].mode: rewrite");
    }
}
