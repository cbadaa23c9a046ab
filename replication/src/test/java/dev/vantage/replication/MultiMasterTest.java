package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Throttle;

/** Two multi-master replicas ("eu", "us") on loopback, each streaming its dirty blocks to the other. */
class MultiMasterTest {

    private static final int BLOCK = 16 * 1024;
    private static final int BLOCKS = 16;
    private static final String RESOURCE = "desktop";
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    private final ManualClock euClock = new ManualClock(2_000_000);
    private final ManualClock usClock = new ManualClock(1_000_000);
    private ReplicationEngine eu;
    private ReplicationEngine us;
    private ReceiverEndpoint euReceiver;
    private ReceiverEndpoint usReceiver;

    @AfterEach
    void close() {
        if (eu != null) {
            eu.close();
        }
        if (us != null) {
            us.close();
        }
    }

    /** A wall clock the test moves; replicas' HLCs read it, so the test decides which concurrent write is later. */
    static final class ManualClock extends Clock {
        final AtomicLong millis;

        ManualClock(long startMillis) {
            millis = new AtomicLong(startMillis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }
    }

    private Path volumePath(String site) {
        return dir.resolve(site).resolve(RESOURCE + ".img");
    }

    private ReceiverEndpoint startSite(String site, ReplicationEngine engine, int port) throws IOException {
        Files.createDirectories(volumePath(site).getParent());
        if (!Files.exists(volumePath(site))) {
            Files.write(volumePath(site), new byte[BLOCKS * BLOCK]);
        }
        engine.replicaVolume(RESOURCE, volumePath(site), BLOCK, null);
        return engine.startReceiver(new InetSocketAddress("127.0.0.1", port), id -> volumePath(site));
    }

    private void startBoth() throws IOException {
        eu = ReplicationEngine.create("eu", euClock);
        us = ReplicationEngine.create("us", usClock);
        euReceiver = startSite("eu", eu, 0);
        usReceiver = startSite("us", us, 0);
    }

    private Volume volume(ReplicationEngine engine, String site) throws IOException {
        return engine.replicaVolume(RESOURCE, volumePath(site), BLOCK, null);
    }

    private SyncRequest stream(String from, String to, ReceiverEndpoint receiver) {
        return SyncRequest.of(RESOURCE, volumePath(from), to, receiver.address()).withBlockSize(BLOCK, null)
                .withMode(ReplicationMode.DELTA).withAttempts(3, 100);
    }

    private SyncResult euToUs() throws Exception {
        return eu.sync(stream("eu", "us", usReceiver)).get(30, TimeUnit.SECONDS);
    }

    private SyncResult usToEu() throws Exception {
        return us.sync(stream("us", "eu", euReceiver)).get(30, TimeUnit.SECONDS);
    }

    /** Streams both ways until neither side has a dirty block for the other; returns the frames sent. */
    private long converge() throws Exception {
        long frames = 0;
        for (int round = 0; round < 5; round++) {
            SyncResult a = euToUs();
            SyncResult b = usToEu();
            frames += a.blocksSent() + a.referencesSent() + b.blocksSent() + b.referencesSent();
            if (volume(eu, "eu").dirtyCount("us") == 0 && volume(us, "us").dirtyCount("eu") == 0) {
                return frames;
            }
        }
        throw new AssertionError("replicas did not quiesce within 5 rounds: eu has "
                + volume(eu, "eu").dirtyCount("us") + " dirty blocks for us, us has "
                + volume(us, "us").dirtyCount("eu") + " for eu");
    }

    private static byte[] block(int seed) {
        return TestData.random(BLOCK, seed);
    }

    private static byte[] read(Volume v, long blockIndex) throws IOException {
        byte[] out = new byte[BLOCK];
        v.read(blockIndex * BLOCK, out, 0, BLOCK);
        return out;
    }

    private void assertReplicasAgree() throws IOException {
        assertThat(Volumes.verify(volumePath("eu"), volumePath("us"), BLOCK).identical()).isTrue();
        Volume a = volume(eu, "eu");
        Volume b = volume(us, "us");
        for (long i = 0; i < BLOCKS; i++) {
            ConflictResolver.BlockVersion va = a.version(i);
            ConflictResolver.BlockVersion vb = b.version(i);
            assertThat(vb.vector()).as("vector of block %d", i).isEqualTo(va.vector());
            assertThat(vb.hlc()).as("hlc of block %d", i).isEqualTo(va.hlc());
            assertThat(vb.siteId()).as("writer of block %d", i).isEqualTo(va.siteId());
        }
    }

    @Test
    void shouldConvergeToTheHlcWinnerAndKeepTheLoserWhenBothReplicasWriteTheSameBlock() throws Exception {
        startBoth();
        converge();
        // us writes later in real time, but eu's clock is ahead: by (HLC, site) eu's write is the last writer.
        volume(us, "us").write(3L * BLOCK, block(30), 0, BLOCK);
        volume(eu, "eu").write(3L * BLOCK, block(31), 0, BLOCK);

        converge();

        assertReplicasAgree();
        assertThat(read(volume(us, "us"), 3)).isEqualTo(block(31));
        assertThat(volume(us, "us").version(3).siteId()).isEqualTo("eu");
        assertThat(volume(us, "us").version(3).vector()).isEqualTo(VersionVector.of(java.util.Map.of("eu", 1L,
                "us", 1L)));
        List<ConflictRecord> lost = volume(us, "us").conflicts();
        assertThat(lost).hasSize(1);
        ConflictRecord record = lost.get(0);
        assertThat(record.blockIndex()).isEqualTo(3);
        assertThat(record.loser().siteId()).isEqualTo("us");
        assertThat(record.winner().siteId()).isEqualTo("eu");
        assertThat(Files.readAllBytes(record.loserBytes())).isEqualTo(block(30));
        assertThat(record.loserBytes()).startsWith(volumePath("us").resolveSibling(RESOURCE + ".img.conflicts"));
        // eu streamed first: us resolved the conflict and sent back the merged version, which eu simply applied.
        assertThat(volume(eu, "eu").conflicts()).allMatch(r -> r.loser().siteId().equals("us"));
        assertThat(us.conflictsJson()).contains("\"resource\":\"desktop\"").contains("\"site\":\"us\"");
        assertThat(us.renderPrometheus()).contains("vantage_replication_conflicts_kept{resource=\"desktop\"} 1");
    }

    @Test
    void shouldMergeWritesToDifferentBlocksFromBothReplicas() throws Exception {
        startBoth();
        volume(eu, "eu").write(1L * BLOCK, block(11), 0, BLOCK);
        volume(us, "us").write(5L * BLOCK + 100, block(15), 0, 1000);
        volume(us, "us").write(9L * BLOCK, block(19), 0, BLOCK);

        converge();

        assertReplicasAgree();
        assertThat(Arrays.equals(read(volume(eu, "eu"), 1), block(11))).isTrue();
        assertThat(read(volume(eu, "eu"), 9)).isEqualTo(block(19));
        assertThat(Arrays.copyOfRange(read(volume(eu, "eu"), 5), 100, 1100)).isEqualTo(Arrays.copyOf(block(15), 1000));
        assertThat(volume(eu, "eu").conflicts()).isEmpty();
        assertThat(volume(us, "us").conflicts()).isEmpty();
    }

    @Test
    void shouldNotEchoAReplicatedBlockBackToItsSender() throws Exception {
        startBoth();
        converge();
        for (int b = 0; b < 4; b++) {
            volume(eu, "eu").write((long) b * BLOCK, block(40 + b), 0, BLOCK);
        }

        SyncResult out = euToUs();
        assertThat(out.blocksSent()).isEqualTo(4);
        assertThat(volume(us, "us").dirtyCount("eu")).as("blocks us would send back to eu").isZero();
        SyncResult back = usToEu();
        assertThat(back.blocksSent() + back.referencesSent()).isZero();
        assertThat(converge()).as("frames after quiescence").isZero();
        assertReplicasAgree();
    }

    @Test
    void shouldResumeAStreamAfterTheReceivingReplicaRestartsAndConverge() throws Exception {
        startBoth();
        converge();
        int blocks = BLOCKS;
        for (int b = 0; b < blocks; b++) {
            volume(eu, "eu").write((long) b * BLOCK, block(100 + b), 0, BLOCK);
        }
        volume(us, "us").write(0, block(7), 0, 10);
        int usPort = usReceiver.address().getPort();
        long durableBefore = usReceiver.progress().stream().filter(p -> p.resourceId().equals(RESOURCE))
                .mapToLong(MirrorProgress::consistentUpToSequence).max().orElseThrow();
        // About 4 blocks a second, so the restart lands mid-stream.
        SyncRequest slow = stream("eu", "us", usReceiver).withThrottle(new Throttle(4L * BLOCK, 0, List.of()))
                .withAttempts(40, 100);
        CompletableFuture<SyncResult> running = eu.sync(slow);
        await().atMost(Duration.ofSeconds(20)).until(() -> usReceiver.progress().stream()
                .anyMatch(p -> p.resourceId().equals(RESOURCE) && p.consistentUpToSequence() >= durableBefore + 3));

        us.close();
        us = ReplicationEngine.create("us", usClock);
        usReceiver = startSite("us", us, usPort);

        SyncResult result = running.get(60, TimeUnit.SECONDS);
        assertThat(result.attempts()).isGreaterThan(1);
        assertThat(result.lastAttemptBlocksSent()).as("blocks sent after the restart").isLessThan(blocks);
        converge();
        assertReplicasAgree();
        for (int b = 1; b < blocks; b++) {
            assertThat(read(volume(us, "us"), b)).as("block %d", b).isEqualTo(block(100 + b));
        }
    }

    @Test
    void shouldDropTheSharedCopyOnReleaseAndRebuildItOnTheNextSession() throws Exception {
        startBoth();
        volume(eu, "eu").write(4L * BLOCK, block(44), 0, BLOCK);
        converge();
        Volume before = volume(us, "us");

        usReceiver.release(RESOURCE).get(10, TimeUnit.SECONDS);

        assertThat(volumePath("us")).doesNotExist();
        assertThat(usReceiver.progress()).isEmpty();
        assertThat(us.conflicts()).doesNotContainKey(RESOURCE);
        // eu still thinks us is in sync: a full sync rebuilds the copy from nothing.
        SyncResult rebuilt = eu.sync(stream("eu", "us", usReceiver).withMode(ReplicationMode.FULL))
                .get(30, TimeUnit.SECONDS);
        assertThat(rebuilt.blocksSent() + rebuilt.referencesSent()).isEqualTo(BLOCKS);
        assertThat(volume(us, "us")).isNotSameAs(before);
        assertThat(read(volume(us, "us"), 4)).isEqualTo(block(44));
        assertReplicasAgree();
    }
}
