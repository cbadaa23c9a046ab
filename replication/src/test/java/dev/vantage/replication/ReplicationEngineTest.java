package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Compression;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Selection;

class ReplicationEngineTest {

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

    private Path sourceVolume(int blocks) throws IOException {
        byte[] content = new byte[blocks * BLOCK];
        for (int b = 0; b < blocks; b++) {
            byte[] block = b % 2 == 0 ? TestData.random(BLOCK, b) : TestData.compressible(BLOCK, b);
            System.arraycopy(block, 0, content, b * BLOCK, BLOCK);
        }
        return TestData.write(dir.resolve("src.img"), content);
    }

    private SyncRequest request(Path volume, ReceiverEndpoint receiver) {
        return SyncRequest.of("res-1", volume, "site-b", receiver.address()).withBlockSize(BLOCK, null)
                .withAttempts(3, 100);
    }

    private SyncResult run(SyncRequest request) throws Exception {
        return source.sync(request).get(20, TimeUnit.SECONDS);
    }

    @Test
    void shouldCopyEveryBlockOnAFullSyncAndEndIdentical() throws Exception {
        Path src = sourceVolume(64);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = run(request(src, receiver));
        assertThat(result.blocksSent()).isEqualTo(64);
        assertThat(result.framesResent()).as("resent frames, last NACK: %s", result.lastNackReason()).isZero();
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
        MirrorProgress progress = receiver.progress("res-1").orElseThrow();
        assertThat(progress.phase()).isEqualTo(MirrorProgress.Phase.IN_SYNC);
        assertThat(progress.consistentUpToSequence()).isEqualTo(result.lastSequence());
        assertThat(progress.lagBlocks()).isZero();
        assertThat(source.progress("res-1", "site-b").orElseThrow().phase()).isEqualTo(MirrorProgress.Phase.IN_SYNC);
    }

    @Test
    void shouldSendEveryFrameExactlyOnceWhileTheCreditWindowFillsAndDrainsManyTimes() throws Exception {
        // 8 192 frames of 4 KiB against a window of 1 024 frames: the sender waits for credit (and sends FLUSH
        // while it waits) again and again. A control frame built while a block frame was half built once went out
        // in its place, and the receiver NACKed the block as missing.
        int blockBytes = 4096;
        int blocks = 8192;
        byte[] content = TestData.random(blocks * blockBytes, 5);
        Path src = TestData.write(dir.resolve("small-blocks.img"), content);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = run(SyncRequest.of("res-4k", src, "site-b", receiver.address())
                .withBlockSize(blockBytes, null).withCompression(Compression.NONE).withAttempts(1, 100));
        assertThat(result.blocksSent()).isEqualTo(blocks);
        assertThat(result.framesResent()).as("resent frames, last NACK: %s", result.lastNackReason()).isZero();
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-4k.vol"), blockBytes).identical()).isTrue();
    }

    @Test
    void shouldSkipBlocksWhoseHashAlreadyMatchesAtTheDestination() throws Exception {
        Path src = sourceVolume(32);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver));
        byte[] patch = TestData.random(10, 99);
        source.volume(src, BLOCK, null).write(5L * BLOCK + 3, patch, 0, patch.length);
        SyncResult second = run(request(src, receiver));
        assertThat(second.blocksSkipped()).isEqualTo(31);
        assertThat(second.blocksSent()).isEqualTo(1);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldSendOnlyDirtyBlocksInDeltaMode() throws Exception {
        Path src = sourceVolume(48);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver));
        Volume volume = source.volume(src, BLOCK, null);
        assertThat(volume.dirtyCount("site-b")).isZero();
        for (long b : new long[] {2, 17, 40}) {
            byte[] patch = TestData.random(100, b);
            volume.write(b * BLOCK + 50, patch, 0, patch.length);
        }
        SyncResult delta = run(request(src, receiver).withMode(ReplicationMode.DELTA));
        assertThat(delta.blocksPlanned()).isEqualTo(3);
        assertThat(delta.blocksSent()).isEqualTo(3);
        assertThat(volume.dirtyCount("site-b")).isZero();
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldSendAReferenceForABlockTheDestinationHasAtAnotherIndex() throws Exception {
        Path src = sourceVolume(16);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver));
        Volume volume = source.volume(src, BLOCK, null);
        byte[] block3 = new byte[BLOCK];
        volume.read(3L * BLOCK, block3, 0, BLOCK);
        volume.write(9L * BLOCK, block3, 0, BLOCK);
        volume.write(16L * BLOCK, block3, 0, BLOCK);
        SyncResult delta = run(request(src, receiver).withMode(ReplicationMode.DELTA));
        assertThat(delta.referencesSent()).isEqualTo(2);
        assertThat(delta.blocksSent()).isZero();
        assertThat(delta.rawBytesSent()).isZero();
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldDeduplicateRepeatedBlocksWithinOneSync() throws Exception {
        byte[] one = TestData.random(BLOCK, 7);
        byte[] content = new byte[10 * BLOCK];
        for (int b = 0; b < 10; b++) {
            System.arraycopy(one, 0, content, b * BLOCK, BLOCK);
        }
        Path src = TestData.write(dir.resolve("src.img"), content);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = run(request(src, receiver));
        assertThat(result.blocksSent()).isEqualTo(1);
        assertThat(result.referencesSent()).isEqualTo(9);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldCopyOnlySelectedRangesInSelectiveMode() throws Exception {
        Path src = sourceVolume(20);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = run(request(src, receiver).withSelections(List.of(Selection.blocks(2, 4),
                Selection.file("bytes:" + (10L * BLOCK + 1) + "-" + (11L * BLOCK)))));
        assertThat(result.blocksPlanned()).isEqualTo(5);
        assertThat(result.blocksSent()).isEqualTo(5);
        VerifyResult verify = Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK);
        assertThat(verify.differingBlocks()).doesNotContain(2L, 3L, 4L, 10L, 11L).contains(0L, 1L, 5L, 12L);
    }

    @Test
    void shouldShrinkTheDestinationToTheSourceSize() throws Exception {
        Path src = sourceVolume(8);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        TestData.write(dir.resolve("mirror/res-1.vol"), TestData.random(20 * BLOCK + 5, 3));
        run(request(src, receiver));
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldReplicateWithZstd() throws Exception {
        Path src = sourceVolume(16);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncResult result = run(request(src, receiver).withCompression(Compression.ZSTD));
        assertThat(result.wireBytes()).isLessThan(12L * BLOCK);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldRefuseASessionOfAnOlderEpoch() throws Exception {
        Path src = sourceVolume(4);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver).withEpoch(5));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> run(request(src, receiver).withEpoch(4)));
        assertThat(e.getCause()).hasMessageContaining("epoch 4 is older than 5 (fenced)");
        receiver.fence("res-1", 7).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> run(request(src, receiver).withEpoch(6)))
                .hasMessageContaining("epoch 6 is older than 7 (fenced)");
        assertThat(run(request(src, receiver).withEpoch(7)).attempts()).isEqualTo(1);
    }

    @Test
    void shouldDeleteTheMirrorOnRelease() throws Exception {
        Path src = sourceVolume(4);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver));
        assertThat(dir.resolve("mirror/res-1.vol")).exists();
        receiver.release("res-1").get(10, TimeUnit.SECONDS);
        assertThat(dir.resolve("mirror/res-1.vol")).doesNotExist();
        assertThat(dir.resolve("mirror/res-1.vol.vantage")).doesNotExist();
        assertThat(receiver.progress("res-1")).isEmpty();
        assertThat(run(request(src, receiver)).blocksSent()).isEqualTo(4);
    }

    @Test
    void shouldRenderMetricsAndJson() throws Exception {
        Path src = sourceVolume(4);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        run(request(src, receiver));
        assertThat(source.renderPrometheus())
                .contains("vantage_replication_sent_blocks_total{resource=\"res-1\",peer=\"site-b\"} 4")
                .contains("vantage_replication_lag_blocks{resource=\"res-1\",peer=\"site-b\"} 0");
        assertThat(mirror.renderPrometheus()).contains("vantage_replication_received_blocks_total");
        assertThat(mirror.toJson()).startsWith("{\"site\":\"site-b\",\"mirrors\":[{\"resourceId\":\"res-1\"")
                .contains("\"phase\":\"IN_SYNC\"");
    }
}
