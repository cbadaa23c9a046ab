package dev.vantage.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class LoadGeneratorTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    private TestHttpServer server;

    @BeforeEach
    void startServer() throws InterruptedException {
        server = new TestHttpServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void shouldChargeAOneSecondStallToEveryRequestScheduledDuringItAndKeepTheRate() throws Exception {
        // Two seconds of warm-up (not measured), then the stall from 1 s to 2 s into the measured 3 s.
        server.stall(3_000, 1_000);
        Path hgrm = dir.resolve("stall.hgrm");
        Path hlog = dir.resolve("stall.hlog");
        LoadOptions options = LoadOptions.openLoop(server.uri("/"), 100, 3).withWarmup(2).withConnections(8, 1)
                .withOutputs(hgrm, hlog);

        LoadResult result = LoadGenerator.run(options, System.out);
        System.out.println(result.loadgenLine());

        // 100 requests are scheduled during the stall; the 50 from its first half wait more than 500 ms.
        // A closed-loop generator would show at most 8 slow requests (one per connection).
        Histogram latency = result.latencyMicros();
        assertThat(result.errors()).isZero();
        assertThat(result.requests()).isBetween(295L, 305L);
        assertThat(result.percentileMicros(99)).isGreaterThanOrEqualTo(800_000);
        assertThat(latency.getCountBetweenValues(500_000, latency.getMaxValue())).isGreaterThanOrEqualTo(30);
        // Nothing scheduled was skipped, and the rate held (a starved machine delays the last responses a bit).
        assertThat(result.achievedRequestsPerSecond()).isGreaterThanOrEqualTo(0.75 * 100);
        assertThat(HgrmFile.read(hgrm).totalCount()).isEqualTo(latency.getTotalCount());
        assertThat(HgrmFile.read(hgrm).valueAt(99)).isGreaterThanOrEqualTo(800.0);
        assertThat(intervalLogCount(hlog)).isEqualTo(latency.getTotalCount());
    }

    @Test
    void shouldRunClosedLoopWhenTheRateIsZero() throws Exception {
        LoadOptions options = new LoadOptions(server.uri("/"), null, 1, 0, 4, 1, 10_000, 2_000, "GET", 0, List.of(),
                "auto", null, null, null);

        LoadResult result = LoadGenerator.run(options, QUIET);

        assertThat(result.targetRequestsPerSecond()).isZero();
        assertThat(result.errors()).isZero();
        assertThat(result.requests()).isPositive().isEqualTo(server.requests());
        assertThat(result.loadgenLine()).startsWith("LOADGEN target_rps=0 achieved_rps=");
    }

    @Test
    void shouldFollowARateScheduleAndSendEveryScheduledRequest() throws Exception {
        LoadOptions options = new LoadOptions(server.uri("/"), RateSchedule.parse("50:1,150:1"), 0, 0, 4, 2, 10_000,
                2_000, "GET", 0, List.of(), "auto", null, null, null);

        LoadResult result = LoadGenerator.run(options, QUIET);

        assertThat(result.targetRequestsPerSecond()).isEqualTo(100.0);
        assertThat(result.requests()).isBetween(195L, 205L);
        assertThat(server.requests()).isEqualTo(result.requests());
    }

    @Test
    void shouldPrintExactlyOneContractLineOnStandardOutput() throws Exception {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(QUIET);
            exitCode = new CommandLine(new LoadGenerator()).execute("--url", server.uri("/x").toString(),
                    "--rate", "40", "--duration", "1", "--connections", "2", "--header", "X-Test: yes");
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }

        assertThat(exitCode).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).matches("LOADGEN target_rps=40 achieved_rps=[0-9.]+ "
                + "requests=\\d+ errors=0 p50_us=\\d+ p90_us=\\d+ p99_us=\\d+ p999_us=\\d+ max_us=\\d+\\R");
        assertThat(server.paths()).containsOnlyKeys("/x");
    }

    @Test
    void shouldRejectABadRateWithTheValueAndTheRange() {
        int exitCode = new CommandLine(new LoadGenerator()).setErr(new java.io.PrintWriter(QUIET))
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    assertThat(ex).hasMessage("--rate: -5.0 (expected: >= 0 requests/s, 0 = closed loop)");
                    return 1;
                }).execute("--url", server.uri("/").toString(), "--rate", "-5", "--duration", "1");

        assertThat(exitCode).isEqualTo(1);
    }

    @Test
    void shouldCountConnectFailuresAndTimeTheQueuedRequestsOut() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        LoadOptions options = LoadOptions.openLoop(URI.create("http://127.0.0.1:" + closedPort + "/"), 50, 1)
                .withConnections(2, 1).withTimeouts(300, 300);

        LoadResult result = LoadGenerator.run(options, QUIET);

        assertThat(result.errorsByKind().get(ErrorKind.CONNECT)).isPositive();
        assertThat(result.errorsByKind().get(ErrorKind.TIMEOUT)).isEqualTo(result.requests());
        assertThat(result.requests()).isBetween(45L, 55L);
        assertThat(result.latencyMicros().getTotalCount()).isZero();
    }

    @Test
    void shouldCountServerErrorsAsStatus5xxAndStillRecordTheirLatency() throws Exception {
        server.status(503);

        LoadResult result = LoadGenerator.run(LoadOptions.openLoop(server.uri("/"), 50, 1).withConnections(2, 1),
                QUIET);

        assertThat(result.errorsByKind().get(ErrorKind.STATUS_5XX)).isEqualTo(result.requests()).isPositive();
        assertThat(result.latencyMicros().getTotalCount()).isEqualTo(result.requests());
        assertThat(result.loadgenLine()).contains("errors=" + result.requests());
    }

    @Test
    void shouldCountConnectionsClosedMidRequestAsResets() throws Exception {
        server.behaviour(TestHttpServer.Behaviour.CLOSE);

        LoadResult result = LoadGenerator.run(LoadOptions.openLoop(server.uri("/"), 50, 1).withConnections(2, 1)
                .withTimeouts(2_000, 500), QUIET);

        assertThat(result.errorsByKind().get(ErrorKind.RESET)).isPositive();
        assertThat(result.errors()).isGreaterThanOrEqualTo(result.requests());
    }

    @Test
    void shouldCountRequestsWithoutAnswerAsTimeouts() throws Exception {
        server.behaviour(TestHttpServer.Behaviour.SILENT);

        LoadResult result = LoadGenerator.run(LoadOptions.openLoop(server.uri("/"), 50, 1).withConnections(2, 1)
                .withTimeouts(200, 500), QUIET);

        assertThat(result.errorsByKind().get(ErrorKind.TIMEOUT)).isEqualTo(result.requests()).isPositive();
        assertThat(result.achievedRequestsPerSecond()).isZero();
    }

    @Test
    void shouldSendTheScenarioMixWithUserKeysAndTracedLocations() throws Exception {
        Path trace = dir.resolve("trace.csv");
        Files.writeString(trace, "user,ts_ms,lat,lon\n"
                + "a,0,39.90,116.30\na,60000,39.91,116.31\na,120000,39.92,116.32\n"
                + "b,0,50.10,8.60\nb,60000,50.11,8.61\nb,120000,50.12,8.62\n");
        Path scenarioFile = dir.resolve("scenario.yaml");
        Files.writeString(scenarioFile, String.join("\n",
                "requests:",
                "  - {method: GET, path: /read, weight: 3}",
                "  - {method: POST, path: /write, weight: 1, bodyBytes: 100}",
                "users: {count: 10, keyHeader: X-User}",
                "trace: {file: trace.csv, speedup: 120}",
                ""));
        server.recordHeader("X-Device-Location");
        LoadOptions options = LoadOptions.openLoop(server.uri("/"), 100, 1).withConnections(2, 1)
                .withScenario(Scenario.load(scenarioFile));

        LoadResult result = LoadGenerator.run(options, QUIET);

        assertThat(result.errors()).isZero();
        assertThat(server.paths().keySet()).containsExactlyInAnyOrder("/read", "/write");
        assertThat(server.paths().get("/read").get()).isGreaterThan(server.paths().get("/write").get());
        Set<String> locations = new HashSet<>(server.headerValues());
        assertThat(locations).hasSizeGreaterThan(2)
                .allMatch(v -> v.matches("(39\\.9[0-2]|50\\.1[0-2])0{4},(116\\.3[0-2]|8\\.6[0-2])0{4}"));
    }

    @Test
    void shouldReportEveryProblemOfAScenarioAtOnce() throws IOException {
        Path scenarioFile = dir.resolve("bad.yaml");
        Files.writeString(scenarioFile, String.join("\n",
                "requests:",
                "  - {method: HEAD, path: nope, weight: -1}",
                "users: {count: 0}",
                ""));

        try {
            Scenario.load(scenarioFile);
            throw new AssertionError("expected the scenario to be rejected");
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).contains("requests[0].method: HEAD", "requests[0].path: nope",
                    "requests[0].weight: -1.0 (expected: > 0)", "users.count: 0 (expected: >= 1)");
        }
    }

    @Test
    void shouldWriteAnHgrmFileThatReadsBackToTheRecordedPercentiles() throws IOException {
        Histogram micros = new Histogram(1, 3_600_000_000L, 3);
        for (long ms = 1; ms <= 1000; ms++) {
            micros.recordValue(ms * 1000);
        }
        Path file = dir.resolve("uniform.hgrm");

        LoadGenerator.writeHgrm(micros, file);
        HgrmFile hgrm = HgrmFile.read(file);

        assertThat(Files.readString(file)).contains("Value     Percentile TotalCount 1/(1-Percentile)");
        assertThat(hgrm.totalCount()).isEqualTo(1000);
        assertThat(hgrm.valueAt(50)).isCloseTo(500.0, org.assertj.core.data.Offset.offset(5.0));
        assertThat(hgrm.valueAt(99)).isCloseTo(990.0, org.assertj.core.data.Offset.offset(10.0));
        assertThat(hgrm.max()).isCloseTo(1000.0, org.assertj.core.data.Offset.offset(10.0));
        assertThat(hgrm.mean()).isCloseTo(500.5, org.assertj.core.data.Offset.offset(5.0));
    }

    private static long intervalLogCount(Path hlog) throws IOException {
        long count = 0;
        HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
        try {
            while (reader.hasNext()) {
                count += ((Histogram) reader.nextIntervalHistogram()).getTotalCount();
            }
        } finally {
            reader.close();
        }
        return count;
    }
}
