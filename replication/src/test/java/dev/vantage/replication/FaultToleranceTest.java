package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Compression;
import dev.vantage.config.Throttle;

class FaultToleranceTest {

    private static final int BLOCK = 16 * 1024;
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    private final ReplicationEngine source = ReplicationEngine.create("site-a");
    private final ReplicationEngine mirror = ReplicationEngine.create("site-b");

    @AfterEach
    void close() {
        source.close();
        mirror.close();
    }

    private Path randomVolume(int blocks) throws IOException {
        return TestData.write(dir.resolve("src.img"), TestData.random(blocks * BLOCK, 42));
    }

    private SyncRequest request(Path volume, InetSocketAddress to) {
        return SyncRequest.of("res-1", volume, "site-b", to).withBlockSize(BLOCK, null).withAttempts(5, 100);
    }

    @Test
    void shouldDetectFlippedBitsResendAndNeverApplyThem() throws Exception {
        Path src = randomVolume(64);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        try (FaultyRelay relay = new FaultyRelay(receiver.address(), Set.of(6, 11, 12, 30), Long.MAX_VALUE)) {
            SyncResult result = source.sync(request(src, relay.address()).withCompression(Compression.NONE))
                    .get(60, TimeUnit.SECONDS);
            assertThat(relay.corrupted.get()).isEqualTo(4);
            assertThat(result.framesResent()).isGreaterThanOrEqualTo(4);
            assertThat(result.attempts()).isEqualTo(1);
            assertThat(mirror.renderPrometheus()).containsPattern("vantage_replication_rejected_frames_total\\{[^}]*\\} [4-9]");
        }
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldResumeAfterADisconnectMidBatchWithoutStartingOver() throws Exception {
        Path src = randomVolume(256);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        try (FaultyRelay relay = new FaultyRelay(receiver.address(), Set.of(), (5L << 20) / 2 + 12345)) {
            SyncResult result = source.sync(request(src, relay.address()).withCompression(Compression.NONE))
                    .get(60, TimeUnit.SECONDS);
            assertThat(relay.connections()).isEqualTo(2);
            assertThat(result.attempts()).isEqualTo(2);
            assertThat(result.lastAttemptBlocksSent()).isPositive().isLessThan(256);
        }
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldHoldTheThrottledRateWithinTenPercent() throws Exception {
        long limit = 2L << 20;
        Path src = randomVolume(6 * 64);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = source.sync(request(src, receiver.address()).withCompression(Compression.NONE)
                .withThrottle(new Throttle(limit, 0, java.util.List.of()))).get(60, TimeUnit.SECONDS);
        assertThat(result.frameBytesPerSecond()).isCloseTo(limit, within(limit * 0.10));
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }
}
