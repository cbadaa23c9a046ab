package dev.vantage.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import io.netty.channel.Channel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.internal.Transport;

/** HTTP checks over kept-alive connections (the default), against real loopback servers. */
class KeptAliveChecksLoopbackTest {

    private static final long INTERVAL_MILLIS = 100;

    private final LoopbackServers servers = new LoopbackServers();

    @AfterEach
    void tearDown() {
        servers.close();
    }

    private LatencyProbes start(ProbeTransport transport) {
        return servers.startProbes(transport, 3);
    }

    private static ProbeSettings settings(int fall) {
        return new ProbeSettings(INTERVAL_MILLIS, INTERVAL_MILLIS, 0.2, 2, fall, 250, 0.5, 30_000, 0.5, 5);
    }

    private static ProbeTarget check(String id, Channel server) {
        return ProbeTarget.http(id, "g", new HostPort("127.0.0.1", LoopbackServers.port(server)), "/healthz", 200,
                INTERVAL_MILLIS, INTERVAL_MILLIS);
    }

    private static long passed(TargetStatus status) {
        return status.probes() - status.probeFailures();
    }

    @ParameterizedTest
    @EnumSource(value = ProbeTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldSendEveryCheckOverOneConnectionWhileTheServerKeepsItOpen(ProbeTransport transport) {
        Assumptions.assumeTrue(Transport.available(transport),
                () -> "transport " + transport + " is not available on this machine");
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(transport);
        probes.applyTargets(List.of(check("web", server)), settings(3)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> passed(probes.table().status(0)) >= 8);

        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(status.rttEwmaNanos()).isPositive();
        // Only a failed check (a timeout on a loaded machine) makes the next one reconnect.
        assertThat(status.connectionsOpened()).as("probes %d, last error %s", status.probes(), status.lastError())
                .isLessThanOrEqualTo(1 + status.probeFailures());
        assertThat(http.connectionsAccepted.get()).isLessThanOrEqualTo(2 + (int) status.probeFailures());
        assertThat(http.requests.get()).isGreaterThanOrEqualTo(8);
        assertThat(probes.json()).contains("\"reuseConnection\":true", "\"connectionsOpened\":");
    }

    @Test
    void shouldReconnectAndStayHealthyWhenTheServerClosesTheConnection() {
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        http.closeEveryNthAnswer = 2;
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(check("web", server)), settings(3)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> passed(probes.table().status(0)) >= 8);

        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(status.connectionsOpened()).as("one connection per two answers").isGreaterThanOrEqualTo(4);
        assertThat(status.connectionsOpened()).isLessThanOrEqualTo(status.probes() / 2 + 1 + status.probeFailures());
        assertThat(status.lastError() == null || status.lastError().contains("timeout"))
                .as("no check failed because of a closed connection: %s", status.lastError()).isTrue();
    }

    @Test
    void shouldReconnectWithoutFailingWhenTheServerClosesIdleConnections() {
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        http.idleCloseMillis = 20;
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(check("web", server)), settings(3)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> passed(probes.table().status(0)) >= 6);

        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(status.connectionsOpened()).as("a new connection after every idle close")
                .isGreaterThanOrEqualTo(passed(status) - 1);
        assertThat(status.lastError() == null || status.lastError().contains("timeout"))
                .as("no check failed because of an idle close: %s", status.lastError()).isTrue();
    }

    @Test
    void shouldMarkTheTargetUnhealthyWithinFallIntervalsWhenTheServerStopsAnswering() {
        int fall = 3;
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        probes.applyTargets(List.of(check("web", server)), settings(fall)).join();
        await().atMost(Duration.ofSeconds(20)).until(() -> probes.table().state(0) == HealthState.HEALTHY);

        http.answering.set(false);
        // fall probes, each at most interval x (1 + jitter) apart and each timing out within one interval, plus
        // slack for a loaded machine.
        long fallBoundMillis = (long) (fall * INTERVAL_MILLIS * 1.2) + INTERVAL_MILLIS;
        await().atMost(Duration.ofMillis(fallBoundMillis + 3_000))
                .until(() -> probes.table().state(0) == HealthState.UNHEALTHY);
        TargetStatus down = probes.table().status(0);
        assertThat(down.lastError()).isEqualTo("timeout: no answer within " + INTERVAL_MILLIS + " ms");
        assertThat(down.consecutiveFailures()).isGreaterThanOrEqualTo(fall);

        http.answering.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> probes.table().status(0).usable());
        assertThat(probes.table().status(0).connectionsOpened())
                .as("a connection whose answer stays missing is replaced").isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldKeepTheConnectionWhenAnAnswerComesAfterTheTimeoutButBeforeTheNextCheck() {
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        http.answerDelayMillis = 150;
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        // Every check times out after 50 ms; its answer comes at 150 ms, well before the next check (>= 320 ms).
        probes.applyTargets(List.of(ProbeTarget.http("slow", "g", new HostPort("127.0.0.1",
                LoopbackServers.port(server)), "/healthz", 200, 400, 50)), settings(3)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> probes.table().status(0).probeFailures() >= 5);

        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(status.lastError()).isEqualTo("timeout: no answer within 50 ms");
        assertThat(status.connectionsOpened()).as("late answers are read and dropped, the connection is kept")
                .isLessThan(status.probeFailures());
    }

    @Test
    void shouldWaitBehindASlowAnswerInsteadOfReconnectingAtEveryCheck() {
        LoopbackServers.KeepAliveHttp http = new LoopbackServers.KeepAliveHttp();
        http.answerDelayMillis = 300;
        Channel server = servers.keepAliveHttp(http);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        // Checks every 200 ms time out after 100 ms; each answer takes 300 ms, so a check often starts while the
        // previous answer is still missing: it waits for it, then asks on the same connection.
        probes.applyTargets(List.of(ProbeTarget.http("slow", "g", new HostPort("127.0.0.1",
                LoopbackServers.port(server)), "/healthz", 200, 200, 100)), settings(3)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> probes.table().status(0).probeFailures() >= 8);

        TargetStatus status = probes.table().status(0);
        assertThat(status.state()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(http.requests.get()).as("requests kept flowing on the connection").isGreaterThanOrEqualTo(3);
        assertThat(http.connectionsAccepted.get()).as("answers keep coming: no reconnect at every check")
                .isLessThan((int) status.probeFailures() / 2);
    }

    @Test
    void shouldKeepTheConnectionOfAnUnchangedTargetAcrossAReload() {
        LoopbackServers.KeepAliveHttp kept = new LoopbackServers.KeepAliveHttp();
        LoopbackServers.KeepAliveHttp other = new LoopbackServers.KeepAliveHttp();
        Channel keptServer = servers.keepAliveHttp(kept);
        Channel otherServer = servers.keepAliveHttp(other);
        LatencyProbes probes = start(ProbeTransport.AUTO);
        ProbeTarget unchanged = check("kept", keptServer);
        probes.applyTargets(List.of(unchanged, check("other", otherServer)), settings(3)).join();
        await().atMost(Duration.ofSeconds(20)).until(() -> probes.table().statuses().stream()
                .allMatch(s -> passed(s) >= 3));
        int index = probes.table().indexOf("kept");
        TargetStatus atReload = probes.table().status(index);

        ApplySummary summary = probes.applyTargets(List.of(unchanged,
                check("other", otherServer).withFreshConnections()), settings(3)).join();

        assertThat(summary).isEqualTo(new ApplySummary(0, 0, 1, 1));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> passed(probes.table().status(index)) >= passed(atReload) + 3);
        TargetStatus after = probes.table().status(index);
        assertThat(after.probes()).as("same statistics: not restarted").isGreaterThan(atReload.probes());
        // Only a failed check (a timeout on a loaded machine) makes the next one reconnect.
        assertThat(after.connectionsOpened() - atReload.connectionsOpened())
                .isLessThanOrEqualTo(after.probeFailures() - atReload.probeFailures() + 1);
        assertThat(after.connectionsOpened()).isLessThanOrEqualTo(1 + after.probeFailures());
        TargetStatus restarted = probes.table().status(probes.table().indexOf("other"));
        assertThat(restarted.target().reuseConnection()).isFalse();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> passed(probes.table().status(probes.table().indexOf("other"))) >= 3);
        TargetStatus fresh = probes.table().status(probes.table().indexOf("other"));
        assertThat(fresh.connectionsOpened()).as("a fresh connection per check").isGreaterThanOrEqualTo(fresh.probes());
    }
}
