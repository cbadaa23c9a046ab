package dev.vantage.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.vantage.config.HostPort;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.internal.Transport;

/** The probes against real servers on loopback. */
class LatencyProbesLoopbackTest {

    private static final long MILLI = 1_000_000L;
    private static final int TRAILING_SAMPLES = 16;

    private final LoopbackServers servers = new LoopbackServers();

    @AfterEach
    void tearDown() {
        servers.close();
    }

    private LatencyProbes start(ProbeTransport transport) {
        return servers.startProbes(transport, 7);
    }

    private static ProbeSettings settings(long intervalMillis, int rise, int fall) {
        return new ProbeSettings(intervalMillis, intervalMillis, 0.2, rise, fall, 250, 0.5, 30_000, 0.5, 5);
    }

    private static HostPort address(Channel server) {
        return new HostPort("127.0.0.1", LoopbackServers.port(server));
    }

    @Test
    void shouldTrackTheRttOfADelayedHttpServerWithinTenPercent() {
        // 20 ms +/- 5 ms: every block of four requests gets 15, 18.3, 21.7 and 25 ms in a random order, so the mean
        // is 20 ms and the EWMA's own sampling noise stays well inside the 10 % being checked.
        SplittableRandom random = new SplittableRandom(11);
        long[] block = {15 * MILLI, 18_333_333, 21_666_667, 25 * MILLI};
        AtomicLong served = new AtomicLong();
        List<Long> serverDelays = Collections.synchronizedList(new ArrayList<>());
        Channel server = servers.http(200, () -> {
            long n = served.getAndIncrement();
            if (n % 4 == 0) {
                for (int i = 3; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    long swap = block[i];
                    block[i] = block[j];
                    block[j] = swap;
                }
            }
            return block[(int) (n % 4)];
        }, serverDelays);
        // The timeout (= interval) stays far above the delay: on a loaded machine the server's own timer runs late,
        // and answers that miss a short timeout would drop out of the client's samples but not the server's mean.
        long intervalMillis = 120;
        int samplesWanted = 64;
        List<Long> clientRtts = new CopyOnWriteArrayList<>();
        // At every 4th sample from the 24th: {EWMA, mean of the last 16 client-measured RTTs, min, jitter}. 16 samples
        // is the EWMA's own memory (2 / weight - 1 = 15): both see the same recent history of a loaded machine.
        List<double[]> checkpoints = new CopyOnWriteArrayList<>();
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.addListener(new ProbeListener() {
            @Override
            public void onStatusChange(TargetStatus previous, TargetStatus current) {
            }

            @Override
            public void onProbeResult(TargetStatus status, boolean success) {
                if (!success || clientRtts.size() >= samplesWanted) {
                    return;
                }
                clientRtts.add(status.lastRttNanos());
                int n = clientRtts.size();
                if (n >= 24 && n % 4 == 0) {
                    double mean = clientRtts.subList(n - TRAILING_SAMPLES, n).stream().mapToLong(Long::longValue)
                            .average().orElseThrow();
                    checkpoints.add(new double[] {status.rttEwmaNanos(), mean, status.rttMinNanos(),
                            status.rttJitterNanos()});
                }
            }
        });
        probes.applyTargets(List.of(ProbeTarget.http("web", "g", address(server), "/healthz", 200, intervalMillis,
                intervalMillis)), settings(intervalMillis, 2, 3)).join();

        await().atMost(Duration.ofSeconds(40)).until(() -> clientRtts.size() >= samplesWanted);

        double serverMeanNanos;
        synchronized (serverDelays) {
            serverMeanNanos = serverDelays.stream().mapToLong(Long::longValue).average().orElseThrow();
        }
        double[] relativeErrors = checkpoints.stream().mapToDouble(c -> Math.abs(c[0] - c[1]) / c[1]).sorted()
                .toArray();
        double[] last = checkpoints.get(checkpoints.size() - 1);
        System.out.printf("EWMA %.3f ms, client-measured mean %.3f ms, server-side mean delay %.3f ms,"
                        + " relative errors at %d checkpoints %s%n", last[0] / 1e6, last[1] / 1e6, serverMeanNanos / 1e6,
                checkpoints.size(), java.util.Arrays.toString(relativeErrors));
        assertThat(serverMeanNanos).as("the server really waited about 20 ms").isGreaterThanOrEqualTo(19.5 * MILLI);
        // The median checkpoint is within 10 %: one scheduling hiccup of a loaded machine may move a single EWMA
        // reading by more (an outlier counts 1/8 in the EWMA but 1/16 in the mean) without breaking the claim.
        assertThat(relativeErrors[relativeErrors.length / 2]).as("median |EWMA - mean| / mean").isLessThanOrEqualTo(0.10);
        assertThat(relativeErrors[relativeErrors.length * 3 / 4]).as("3rd quartile |EWMA - mean| / mean")
                .isLessThanOrEqualTo(0.20);
        assertThat(last[0]).as("EWMA is never below 90 % of the true server delay")
                .isGreaterThanOrEqualTo(0.9 * serverMeanNanos);
        assertThat(last[2]).as("min RTT").isGreaterThanOrEqualTo(14 * MILLI);
        assertThat(last[3]).as("jitter").isPositive();
    }

    @ParameterizedTest
    @EnumSource(value = ProbeTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldMarkAKilledUpstreamUnhealthyWithinFallIntervalsAndBringItBackAfterRiseSuccesses(
            ProbeTransport transport) {
        Assumptions.assumeTrue(Transport.available(transport),
                () -> "transport " + transport + " is not available on this machine");
        int rise = 2;
        int fall = 3;
        long intervalMillis = 100;
        Channel server = servers.acceptOnly(0);
        int port = LoopbackServers.port(server);
        List<TargetStatus[]> changes = new CopyOnWriteArrayList<>();
        LatencyProbes probes = start(transport);
        probes.addListener((previous, current) -> changes.add(new TargetStatus[] {previous, current}));
        probes.applyTargets(List.of(ProbeTarget.tcp("up", "g", new HostPort("127.0.0.1", port), intervalMillis,
                intervalMillis)), settings(intervalMillis, rise, fall)).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().state(0) == HealthState.HEALTHY);
        assertThat(probes.table().rttEwmaNanos(0)).isPositive();

        server.close().syncUninterruptibly();
        // fall probes, each at most interval x (1 + jitter) apart, plus slack for a loaded machine.
        long fallBoundMillis = (long) (fall * intervalMillis * 1.2) + intervalMillis;
        await().atMost(Duration.ofMillis(fallBoundMillis + 3_000))
                .until(() -> probes.table().state(0) == HealthState.UNHEALTHY);
        TargetStatus down = probes.table().status(0);
        assertThat(down.consecutiveFailures()).isGreaterThanOrEqualTo(fall);
        assertThat(down.lastError()).startsWith("connect failed");
        assertThat(down.usable()).isFalse();
        // Listeners run right after the table is published: wait for the event rather than race it.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> changes.stream().anyMatch(c -> c[1].state() == HealthState.UNHEALTHY));
        TargetStatus[] fell = changes.stream().filter(c -> c[1].state() == HealthState.UNHEALTHY).findFirst()
                .orElseThrow();
        assertThat(fell[1].consecutiveFailures()).isEqualTo(fall);

        servers.acceptOnly(port);
        // Up again: HEALTHY, or DEGRADED while the failures are still in the loss window.
        await().atMost(Duration.ofSeconds(10)).until(() -> changes.stream()
                .anyMatch(c -> c[0].state() == HealthState.UNHEALTHY && c[1].usable()));
        TargetStatus[] rose = changes.stream()
                .filter(c -> c[0].state() == HealthState.UNHEALTHY && c[1].usable())
                .findFirst().orElseThrow();
        assertThat(rose[1].state()).isIn(HealthState.HEALTHY, HealthState.DEGRADED);
        assertThat(rose[1].consecutiveSuccesses()).isEqualTo(rise);
        assertThat(probes.transportName()).isEqualTo(Transport.select(transport).name());
    }

    @Test
    void shouldMeasureTheRttOfAnEchoingPeerSite() {
        Channel server = servers.echo();
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(new ProbeTarget("site/us-1", TargetRole.SITE, ProbeTargets.SITES_GROUP,
                address(server), ProbeKind.TCP_ECHO, null, 0, 200, 200)), settings(200, 2, 3)).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().status(0).probes() - probes.table().status(0).probeFailures() >= 2);
        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isIn(HealthState.HEALTHY, HealthState.DEGRADED);
        assertThat(status.rttEwmaNanos()).isPositive();
        assertThat(status.lastError() == null || status.lastError().contains("timeout"))
                .as("no answer was ever a mismatch: %s", status.lastError()).isTrue();
    }

    @Test
    void shouldFailAHealthCheckThatAnswersAnUnexpectedStatus() {
        Channel server = servers.http(503, () -> 0, new CopyOnWriteArrayList<>());
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(ProbeTarget.http("web", "g", address(server), "/healthz", ProbeTarget.ANY_2XX_3XX,
                200, 200)), settings(200, 2, 3)).join();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "status 503 (expected: 2xx or 3xx)".equals(probes.table().status(0).lastError()));
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().state(0) == HealthState.UNHEALTHY);
        assertThat(probes.table().status(0).rttEwmaNanos()).isEqualTo(-1);
    }

    @Test
    void shouldTimeOutAServerThatNeverAnswers() {
        Channel server = servers.silent();
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(ProbeTarget.http("web", "g", address(server), "/healthz", 200, 60, 30)),
                settings(60, 2, 2)).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().state(0) == HealthState.UNHEALTHY);
        assertThat(probes.table().status(0).lastError()).isEqualTo("timeout: no answer within 30 ms");
    }

    @Test
    void shouldEjectFromPassiveReportsButNeverMoreThanTheGroupShareAndReturnAfterTheEjectionTime() {
        Channel first = servers.acceptOnly(0);
        Channel second = servers.acceptOnly(0);
        ProbeSettings settings = new ProbeSettings(1_000, 500, 0.2, 2, 3, 250, 0.1, 300, 0.5, 3);
        CountDownLatch returned = new CountDownLatch(1);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.addListener((previous, current) -> {
            if (previous.ejected() && !current.ejected()) {
                returned.countDown();
            }
        });
        probes.applyTargets(List.of(ProbeTarget.tcp("a", "eu-1/web", address(first), 1_000, 500),
                ProbeTarget.tcp("b", "eu-1/web", address(second), 1_000, 500)), settings).join();
        ProbeTable table = probes.table();
        int a = table.indexOf("127.0.0.1", LoopbackServers.port(first));
        int b = table.indexOf("127.0.0.1", LoopbackServers.port(second));
        String endpointB = "127.0.0.1:" + LoopbackServers.port(second);
        for (int i = 0; i < 3; i++) {
            assertThat(probes.reportStatus(a, 502)).isTrue();
            assertThat(probes.reportOutcome(endpointB, PassiveOutcome.RESET)).isTrue();
        }
        assertThat(probes.reportOutcome("127.0.0.1:1", PassiveOutcome.RESET)).as("no such target").isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().ejected(a));
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(5))
                .until(() -> !probes.table().ejected(b));
        assertThat(probes.prometheus()).contains("vantage_probe_ejections_refused_total 1");
        await().atMost(Duration.ofSeconds(10)).until(() -> returned.await(0, TimeUnit.MILLISECONDS));
        assertThat(probes.table().ejected(a)).isFalse();
        assertThat(probes.table().status(a).ejections()).isEqualTo(1);
    }

    @Test
    void shouldDrainAndUndrainATargetByOperatorCall() {
        Channel server = servers.acceptOnly(0);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(ProbeTarget.tcp("a", "g", address(server), 200, 200)), settings(200, 2, 3))
                .join();
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().state(0) == HealthState.HEALTHY);
        assertThat(probes.setDraining("a", true).join()).isTrue();
        assertThat(probes.table().state(0)).isEqualTo(HealthState.DRAINING);
        assertThat(probes.table().usable(0)).isFalse();
        assertThat(probes.setDraining("a", false).join()).isTrue();
        assertThat(probes.table().state(0)).isEqualTo(HealthState.HEALTHY);
        assertThat(probes.setDraining("missing", true).join()).isFalse();
    }

    @Test
    void shouldApplyTargetsGivenBeforeStart() {
        Channel server = servers.acceptOnly(0);
        LatencyProbes probes = LatencyProbes.builder().build();
        servers.closeAtEnd(probes);
        var applied = probes.applyTargets(List.of(ProbeTarget.tcp("a", "g", address(server), 200, 200)),
                settings(200, 2, 3));
        assertThat(applied).isNotDone();
        assertThat(probes.reportOutcome(0, PassiveOutcome.SERVER_ERROR)).isFalse();
        probes.start();
        assertThat(applied.join()).isEqualTo(new ApplySummary(1, 0, 0, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().state(0) == HealthState.HEALTHY);
    }
}
