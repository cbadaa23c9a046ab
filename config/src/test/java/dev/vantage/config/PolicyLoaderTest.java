package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {

    static final Path EXAMPLES = Path.of("..", "examples");

    private static final String MINIMAL_SITE = """
            sites:
              - id: fra
                location: {latitude: 50.11, longitude: 8.68}
                replicationAddress: 127.0.0.1:17080
                adminAddress: 127.0.0.1:19080
                upstreamGroups:
                  - name: web
                    upstreams: [127.0.0.1:28080]
            """;

    private static Policy parse(String yaml, Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(yaml, "test.yaml", dir);
        assertThat(result.problems()).isEmpty();
        return result.policy();
    }

    @Test
    void shouldLoadEveryExampleAsValid() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(EXAMPLES, "*.yaml")) {
            stream.forEach(files::add);
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("three-site.yaml", "minimal.yaml");
        for (Path file : files) {
            PolicyLoadResult result = PolicyLoader.load(file);
            assertThat(result.problems()).as(file.toString()).isEmpty();
            assertThat(result.isValid()).isTrue();
        }
    }

    @Test
    void shouldLoadTheThreeSiteExampleCompletely() throws Exception {
        Policy policy = PolicyLoader.loadOrThrow(EXAMPLES.resolve("three-site.yaml"));

        assertThat(policy.localSiteId()).isEqualTo("fra");
        assertThat(policy.sites()).extracting(Site::id).containsExactly("fra", "iad", "sin");
        Site sin = policy.site("sin").orElseThrow();
        assertThat(sin.location().latitude()).isEqualTo(1.3521);
        assertThat(sin.adminAddress()).isEqualTo(new HostPort("127.0.0.1", 19082));
        assertThat(sin.listeners().get(0).endpoint()).isEqualTo("127.0.0.1:18082");
        assertThat(policy.upstreamGroup("fra", "desktop").orElseThrow().upstreams())
                .containsExactly(new Upstream("127.0.0.1", 28080, 1.0), new Upstream("127.0.0.1", 28081, 0.5));
        assertThat(policy.upstreamGroup("fra", "desktop").orElseThrow().pool().connectTimeoutMillis()).isEqualTo(500);

        Route desktop = policy.route("desktop").orElseThrow();
        assertThat(desktop.stickiness().mode()).isEqualTo(StickinessMode.COOKIE);
        assertThat(desktop.stickiness().cookieTtlSeconds()).isEqualTo(8 * 3600);
        assertThat(desktop.timeouts().idleTimeoutMillis()).isEqualTo(300_000);
        assertThat(desktop.maxReplicationLagMillis()).isEqualTo(2_000);
        assertThat(policy.route("downloads").orElseThrow().mode()).isEqualTo(RouteMode.REDIRECT);
        assertThat(policy.route("api-v2").orElseThrow().match().headers()).containsEntry("X-Api-Version", "2");
        assertThat(policy.route("files").orElseThrow().retry().retryOn())
                .containsExactlyInAnyOrder(RetryOn.CONNECT_FAILURE, RetryOn.STATUS_503);

        Resource files = policy.resource("files").orElseThrow();
        assertThat(files.blockSizeBytes()).isEqualTo(256 * 1024);
        assertThat(files.replication().mode()).isEqualTo(ReplicationMode.SELECTIVE);
        assertThat(files.replication().selections())
                .containsExactly(Selection.blocks(0, 1023), Selection.file("bytes:8388608-9437183"));
        assertThat(files.replication().schedule().kind()).isEqualTo(ScheduleKind.OFF_PEAK);
        assertThat(files.replication().schedule().intervalMillis()).isEqualTo(300_000);
        assertThat(files.replication().throttle().bytesPerSecond()).isEqualTo(20L * 1024 * 1024);
        assertThat(files.conflictPolicy()).isEqualTo(ConflictPolicy.PRIMARY_WINS);
        assertThat(files.mirrorAt("fra").orElseThrow().role()).isEqualTo(MirrorRole.REPLICA);

        Resource desktopVolume = policy.resource("desktop").orElseThrow();
        assertThat(desktopVolume.consistency()).isEqualTo(Consistency.quorum(2));
        TimeWindow peak = desktopVolume.replication().throttle().peakHours().get(0);
        assertThat(peak.days()).containsExactlyInAnyOrder(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY,
                DayOfWeek.THURSDAY, DayOfWeek.FRIDAY);
        assertThat(peak.start()).isEqualTo(LocalTime.of(8, 0));
        assertThat(peak.zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(policy.predictor().horizonMillis()).isEqualTo(900_000);
        assertThat(policy.httpLimits().maxHeaderBytes()).isEqualTo(16_384);
        assertThat(policy.location().cidrLocations()).hasSize(3);
    }

    @Test
    void shouldRouteRequestsOfTheThreeSiteExample() throws Exception {
        RouteTable table = RouteTable.of(PolicyLoader.loadOrThrow(EXAMPLES.resolve("three-site.yaml")));

        assertThat(table.match("127.0.0.1", "/desktop/session", "GET", name -> null).name()).isEqualTo("desktop");
        assertThat(table.match("127.0.0.1", "/download/big.iso", "GET", name -> null).name()).isEqualTo("downloads");
        assertThat(table.match("127.0.0.1", "/api/users", "GET",
                name -> name.toString().equalsIgnoreCase("X-Api-Version") ? "2" : null).name()).isEqualTo("api-v2");
        assertThat(table.match("127.0.0.1", "/api/users", "GET", name -> null).name()).isEqualTo("web");
    }

    @Test
    void shouldApplyDefaultsToEverythingLeftOut() throws Exception {
        Policy policy = PolicyLoader.loadOrThrow(EXAMPLES.resolve("minimal.yaml"));

        assertThat(policy.probes()).isEqualTo(ProbeSettings.defaults());
        assertThat(policy.predictor()).isEqualTo(PredictorSettings.defaults());
        assertThat(policy.httpLimits()).isEqualTo(HttpLimits.defaults());
        Route all = policy.routes().get(0);
        assertThat(all.tenant()).isEqualTo(Tenant.DEFAULT_ID);
        assertThat(all.timeouts()).isEqualTo(RouteTimeouts.defaults());
        assertThat(all.retry()).isEqualTo(RetryPolicy.defaults());
        assertThat(all.stickiness()).isEqualTo(Stickiness.off());
        assertThat(all.match()).isEqualTo(RouteMatch.any());
        assertThat(policy.sites().get(0).listeners().get(0).transport()).isEqualTo(Transport.AUTO);
    }

    @Test
    void shouldResolveRelativePathsAgainstThePolicyDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("conf/keys"));
        Files.writeString(dir.resolve("conf/keys/token"), "secret-token\n");
        Files.writeString(dir.resolve("conf/policy.yaml"), MINIMAL_SITE + """
                resources:
                  - id: vol
                    volumePath: ../data/vol.img
                    primarySite: fra
                    mirrors: [{site: fra, role: primary, upstreamGroup: web}]
                admin: {tokenFile: keys/token}
                """);

        Policy policy = PolicyLoader.loadOrThrow(dir.resolve("conf/policy.yaml"));

        assertThat(policy.resource("vol").orElseThrow().volumePath())
                .isEqualTo(dir.toAbsolutePath().resolve("data/vol.img"));
        assertThat(policy.admin().tokenFile()).isEqualTo(dir.toAbsolutePath().resolve("conf/keys/token"));
    }

    @Test
    void shouldReportMissingReferencedFiles(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + "admin: {tokenFile: nope.txt}\n", "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message).containsExactly(
                "p.yaml:9:20 admin.tokenFile: nope.txt (expected: an existing file (resolved to "
                        + dir.toAbsolutePath().resolve("nope.txt") + "))");
    }

    @Test
    void shouldReuseProbeConnectionsUnlessThePolicyAsksForFreshOnes(@TempDir Path dir) {
        assertThat(parse(MINIMAL_SITE, dir).probes().reuseConnection()).isTrue();
        assertThat(parse(MINIMAL_SITE + "probes: {reuseConnection: false}\n", dir).probes().reuseConnection())
                .isFalse();
    }

    @Test
    void shouldAcceptDurationsAndSizesWithUnits(@TempDir Path dir) {
        Policy policy = parse(MINIMAL_SITE + """
                probes: {intervalMillis: 1.5s, timeoutMillis: 250ms, ejectionBaseMillis: 1h}
                predictor: {horizonMillis: 1d}
                httpLimits: {maxRequestBodyBytes: 1GB, maxHeaderBytes: 32KiB, requestHeaderTimeoutMillis: 2m}
                """, dir);

        assertThat(policy.probes().intervalMillis()).isEqualTo(1_500);
        assertThat(policy.probes().timeoutMillis()).isEqualTo(250);
        assertThat(policy.probes().ejectionBaseMillis()).isEqualTo(3_600_000);
        assertThat(policy.predictor().horizonMillis()).isEqualTo(86_400_000);
        assertThat(policy.httpLimits().maxRequestBodyBytes()).isEqualTo(1_000_000_000L);
        assertThat(policy.httpLimits().maxHeaderBytes()).isEqualTo(32_768);
        assertThat(policy.httpLimits().requestHeaderTimeoutMillis()).isEqualTo(120_000);
    }

    @Test
    void shouldRejectRateSuffixOnPlainSizes(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + "httpLimits: {maxHeaderBytes: 32KiB/s}\n",
                "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message).containsExactly(
                "p.yaml:9:30 httpLimits.maxHeaderBytes: 32KiB/s (expected: bytes, or a size like 64KiB, 50MiB, 1GB)");
    }

    @Test
    void shouldAcceptEnumValuesInAnyCaseAndWithHyphens(@TempDir Path dir) {
        Policy policy = parse(MINIMAL_SITE.replace("upstreamGroups:", """
                listeners: [{name: a, address: 127.0.0.1, port: 18080, transport: IO-URING}]
                    upstreamGroups:""") + """
                routes:
                  - name: all
                    target: {upstreamGroup: web}
                    stickiness: {mode: Client-IP, strict: true}
                """, dir);

        assertThat(policy.sites().get(0).listeners().get(0).transport()).isEqualTo(Transport.IO_URING);
        assertThat(policy.routes().get(0).stickiness().mode()).isEqualTo(StickinessMode.CLIENT_IP);
        assertThat(policy.routes().get(0).stickiness().strict()).isTrue();
    }

    @Test
    void shouldAllowTheSameWildcardListenerAtDifferentSites(@TempDir Path dir) {
        Policy policy = parse("""
                sites:
                  - id: a
                    location: {latitude: 1, longitude: 2}
                    replicationAddress: 10.0.0.1:7000
                    adminAddress: 10.0.0.1:9000
                    listeners: [{name: http, address: 0.0.0.0, port: 80}]
                  - id: b
                    location: {latitude: 3, longitude: 4}
                    replicationAddress: 10.0.0.2:7000
                    adminAddress: 10.0.0.2:9000
                    listeners: [{name: http, address: 0.0.0.0, port: 80}]
                """, dir);

        assertThat(policy.sites()).hasSize(2);
    }

    @Test
    void shouldReportUnreadableAndEmptyFiles(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.yaml");
        assertThat(PolicyLoader.load(missing).problems()).extracting(PolicyProblem::message)
                .containsExactly(missing + ":1:1 cannot read file: no such file " + missing
                        + " (expected: a readable UTF-8 YAML file)");

        Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'r', 'e', 'g', ':', ' ', (byte) 0xE9, '\n'});
        assertThat(PolicyLoader.load(latin1).problems()).extracting(PolicyProblem::message)
                .containsExactly(latin1 + ":1:1 cannot read file: not UTF-8 (expected: a readable UTF-8 YAML file)");

        Path empty = Files.writeString(dir.resolve("empty.yaml"), "# nothing\n");
        assertThat(PolicyLoader.load(empty).problems()).extracting(PolicyProblem::message)
                .containsExactly(empty + ":1:1 empty document (expected: a policy with at least one site)");
    }

    @Test
    void shouldRequireAtLeastOneSiteAndAMappingAtTheTop(@TempDir Path dir) {
        assertThat(PolicyLoader.parse("tenants: []\n", "p.yaml", dir).problems()).extracting(PolicyProblem::message)
                .containsExactly("p.yaml:1:1 sites: missing (expected: at least one site)");
        assertThat(PolicyLoader.parse("- just\n- a list\n", "p.yaml", dir).problems())
                .extracting(PolicyProblem::message)
                .containsExactly("p.yaml:1:1 a list (expected: a mapping)");
    }

    @Test
    void shouldReportMissingRequiredKeysAtTheirMapping(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse("""
                sites:
                  - id: fra
                    location: {latitude: 50.11}
                """, "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message).containsExactly(
                "p.yaml:2:5 sites[0].replicationAddress: missing (expected: host:port)",
                "p.yaml:2:5 sites[0].adminAddress: missing (expected: host:port)",
                "p.yaml:3:15 sites[0].location.longitude: missing (expected: -180..180)");
    }

    @Test
    void shouldKeepTheSetsOfRouteMethods(@TempDir Path dir) {
        Policy policy = parse(MINIMAL_SITE + """
                routes:
                  - name: all
                    match: {methods: [GET, HEAD], hosts: ["*.example.com", example.com]}
                    target: {upstreamGroup: web}
                """, dir);

        assertThat(policy.routes().get(0).match().methods()).isEqualTo(Set.of("GET", "HEAD"));
        assertThat(policy.routes().get(0).match().hosts()).containsExactly("*.example.com", "example.com");
    }

    @Test
    void shouldReuseAnchoredBlocksKeptUnderXKeys(@TempDir Path dir) {
        Policy policy = parse(MINIMAL_SITE + """
                x-defaults:
                  retry: &retry {maxRetries: 1, retryOn: [reset]}
                routes:
                  - name: a
                    match: {pathPrefix: /a}
                    target: {upstreamGroup: web}
                    retry: *retry
                  - name: b
                    target: {upstreamGroup: web}
                    retry: *retry
                """, dir);

        assertThat(policy.routes()).extracting(Route::retry).allSatisfy(retry -> {
            assertThat(retry.maxRetries()).isEqualTo(1);
            assertThat(retry.retryOn()).containsExactly(RetryOn.RESET);
        });
    }

    @Test
    void shouldReportAnAliasedBlockAtItsAnchorAndEachUseByPath(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + """
                x-defaults:
                  retry: &retry {maxRetries: 99}
                routes:
                  - name: a
                    match: {pathPrefix: /a}
                    target: {upstreamGroup: web}
                    retry: *retry
                """, "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message)
                .containsExactly("p.yaml:10:30 routes[0].retry.maxRetries: 99 (expected: 0..10)");
    }

    @Test
    void shouldRefuseASecondDocument(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + "---\nsites: []\n", "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message)
                .containsExactly("p.yaml:10:1 a second document (expected: one YAML document per policy file)");
    }

    @Test
    void shouldNotSuggestOrAcceptXKeysBelowTheTop(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + "probes: {x-note: fast}\n", "p.yaml", dir);

        assertThat(result.problems()).hasSize(1);
        assertThat(result.problems().get(0).message()).startsWith("p.yaml:9:10 probes.x-note: unknown key");
    }

    @Test
    void shouldRequirePeakHoursForAPeakLimit(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE + """
                resources:
                  - id: vol
                    volumePath: vol.img
                    primarySite: fra
                    mirrors: [{site: fra, role: primary, upstreamGroup: web}]
                    replication:
                      throttle: {bytesPerSecond: 100MiB/s, peakBytesPerSecond: 10MiB/s}
                """, "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message).containsExactly(
                "p.yaml:15:64 resources[0].replication.throttle.peakBytesPerSecond: 10MiB/s"
                        + " (expected: 0, or peakHours with at least one window for the peak limit to apply in)");
    }

    @Test
    void shouldReportEmptyListItems(@TempDir Path dir) {
        PolicyLoadResult result = PolicyLoader.parse(MINIMAL_SITE.replace("upstreams: [127.0.0.1:28080]",
                "upstreams: [127.0.0.1:28080, ~]") + "routes:\n  -\n", "p.yaml", dir);

        assertThat(result.problems()).extracting(PolicyProblem::message).containsExactly(
                "p.yaml:8:38 sites[0].upstreamGroups[0].upstreams[1]: null"
                        + " (expected: host:port or {address: host:port, weight: W})",
                "p.yaml:10:4 routes[0]: null (expected: a mapping)");
    }
}
