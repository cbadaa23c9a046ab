package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Schedule;
import dev.vantage.config.ScheduleKind;
import dev.vantage.config.TimeWindow;

class ScheduleTest {

    private static final int BLOCK = 4096;
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    /** A Wednesday at 12:00 UTC. */
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private ReplicationEngine source;
    private final ReplicationEngine mirror = ReplicationEngine.create("site-b");

    @AfterEach
    void close() {
        if (source != null) {
            source.close();
        }
        mirror.close();
    }

    private SyncRequest request(Path src, ReceiverEndpoint receiver) {
        return SyncRequest.of("res-1", src, "site-b", receiver.address()).withBlockSize(BLOCK, null)
                .withMode(ReplicationMode.DELTA);
    }

    @Test
    void shouldRunIntervalCyclesThatPickUpNewWrites() throws Exception {
        source = ReplicationEngine.create("site-a", NOON);
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(16 * BLOCK, 1));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        try (ReplicationEngine.ScheduledSync scheduled = source.schedule(request(src, receiver),
                new Schedule(ScheduleKind.INTERVAL, 50, List.of()))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> source.progress("res-1", "site-b")
                    .map(p -> p.phase() == MirrorProgress.Phase.IN_SYNC).orElse(false));
            byte[] patch = TestData.random(100, 2);
            source.volume(src, BLOCK, null).write(5L * BLOCK, patch, 0, patch.length);
            // The mirror's file appears with the first applied block; until then there is nothing to compare.
            await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(java.nio.file.NoSuchFileException.class)
                    .until(() -> Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical());
            assertThat(scheduled.cycles()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void shouldRunOnDemandOnlyWhenTriggered() throws Exception {
        source = ReplicationEngine.create("site-a", NOON);
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(8 * BLOCK, 3));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        try (ReplicationEngine.ScheduledSync scheduled = source.schedule(request(src, receiver),
                new Schedule(ScheduleKind.ON_DEMAND, 10, List.of()))) {
            assertThat(scheduled.cycles()).isZero();
            assertThat(source.progress("res-1", "site-b")).isEmpty();
            SyncResult result = scheduled.trigger().get(30, TimeUnit.SECONDS);
            assertThat(result.blocksSent()).isEqualTo(8);
            assertThat(scheduled.cycles()).isEqualTo(1);
        }
    }

    @Test
    void shouldRunOffPeakCyclesOnlyInsideTheirWindows() throws Exception {
        source = ReplicationEngine.create("site-a", NOON);
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(8 * BLOCK, 4));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        TimeWindow night = new TimeWindow(Set.of(), LocalTime.of(22, 0), LocalTime.of(6, 0), ZoneOffset.UTC);
        TimeWindow lunch = new TimeWindow(Set.of(), LocalTime.of(11, 0), LocalTime.of(13, 0), ZoneOffset.UTC);
        try (ReplicationEngine.ScheduledSync closed = source.schedule(request(src, receiver),
                new Schedule(ScheduleKind.OFF_PEAK, 20, List.of(night)))) {
            // The engine's clock says noon: the night window is closed, so no cycle may start. A cycle that
            // started would show up as progress of the stream; give the scheduler many intervals to misbehave.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> closed.cycles() == 0 && source.progress("res-1", "site-b").isEmpty());
        }
        try (ReplicationEngine.ScheduledSync open = source.schedule(request(src, receiver),
                new Schedule(ScheduleKind.OFF_PEAK, 20, List.of(lunch)))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> open.cycles() >= 1
                    && source.progress("res-1", "site-b").map(p -> p.phase() == MirrorProgress.Phase.IN_SYNC)
                    .orElse(false));
            assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
        }
    }
}
