package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Compression;
import dev.vantage.config.ReplicationMode;

/** Delta syncs that send only the 4 KiB sub-blocks of a block that differ at the destination (PATCH frames). */
class SubBlockDeltaTest {

    private static final int BLOCK = 64 * 1024;
    private static final int SUB = 4096;
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

    private SyncRequest request(Path volume, InetSocketAddress to) {
        return SyncRequest.of("res-1", volume, "site-b", to).withBlockSize(BLOCK, null).withAttempts(3, 100);
    }

    private Path mirrorFile() {
        return dir.resolve("mirror/res-1.vol");
    }

    private Path syncedSource(ReceiverEndpoint receiver, int length) throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(length, 5));
        source.sync(request(src, receiver.address())).get(60, TimeUnit.SECONDS);
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
        return src;
    }

    private static void writeBehindTheBack(Path file, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    @Test
    void shouldSendOnlyTheChangedSubBlocksOfWritesThroughTheVolumeApi() throws Exception {
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        Path src = syncedSource(receiver, 16 * BLOCK);
        Volume volume = source.volume(src, BLOCK, null);
        volume.write(2L * BLOCK + 3 * SUB + 100, TestData.random(200, 1), 0, 200);
        volume.write(9L * BLOCK + 15 * SUB, TestData.random(SUB, 2), 0, SUB);
        volume.write(12L * BLOCK + 7, TestData.random(10, 3), 0, 10);
        volume.force();

        SyncResult result = source.sync(request(src, receiver.address()).withMode(ReplicationMode.DELTA))
                .get(60, TimeUnit.SECONDS);

        assertThat(result.blocksPlanned()).isEqualTo(3);
        assertThat(result.patchesSent()).isEqualTo(3);
        assertThat(result.rawBytesSent()).isEqualTo(3L * SUB);
        assertThat(result.framesResent()).isZero();
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldPatchBlocksChangedBehindTheVolumesBack() throws Exception {
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        Path src = syncedSource(receiver, 16 * BLOCK);
        // 4 KiB at an unaligned offset: two sub-blocks of block 5; a whole new block 7 is sent whole.
        writeBehindTheBack(src, 5L * BLOCK + 2 * SUB + 1000, TestData.random(SUB, 4));
        writeBehindTheBack(src, 7L * BLOCK, TestData.random(BLOCK, 6));

        SyncResult result = source.sync(request(src, receiver.address()).withMode(ReplicationMode.DELTA)
                .withCompression(Compression.NONE)).get(60, TimeUnit.SECONDS);

        assertThat(result.blocksSent()).isEqualTo(2);
        assertThat(result.patchesSent()).isEqualTo(1);
        assertThat(result.rawBytesSent()).isEqualTo(2L * SUB + BLOCK);
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldPatchAgainstWhatTheDestinationHoldsNow() throws Exception {
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        Path src = syncedSource(receiver, 16 * BLOCK);
        receiver.close();
        // The mirror's block 4 was damaged in one sub-block, the source's changed in another.
        writeBehindTheBack(mirrorFile(), 4L * BLOCK + 9 * SUB + 17, TestData.random(100, 8));
        writeBehindTheBack(src, 4L * BLOCK + 2 * SUB, TestData.random(300, 9));
        ReceiverEndpoint again = mirror.startReceiver(ANY, dir.resolve("mirror"));

        SyncResult result = source.sync(request(src, again.address()).withMode(ReplicationMode.DELTA))
                .get(60, TimeUnit.SECONDS);

        assertThat(result.patchesSent()).isEqualTo(1);
        assertThat(result.rawBytesSent()).isEqualTo(2L * SUB);
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldSendAShortLastBlockWhole() throws Exception {
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        Path src = syncedSource(receiver, 4 * BLOCK + 3 * SUB + 5);
        writeBehindTheBack(src, 4L * BLOCK + SUB, TestData.random(10, 10));

        SyncResult result = source.sync(request(src, receiver.address()).withMode(ReplicationMode.DELTA)
                .withCompression(Compression.NONE)).get(60, TimeUnit.SECONDS);

        assertThat(result.patchesSent()).isZero();
        assertThat(result.rawBytesSent()).isEqualTo(3L * SUB + 5);
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldResendACorruptedPatchWholeAndNeverApplyIt() throws Exception {
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        Path src = syncedSource(receiver, 16 * BLOCK);
        for (int b : new int[] {1, 3, 8}) {
            writeBehindTheBack(src, (long) b * BLOCK + 100, TestData.random(50, b));
        }
        // Frames of the delta session, counted from 1: HELLO, SUBHASH_REQUEST, then the three patches.
        try (FaultyRelay relay = new FaultyRelay(receiver.address(), Set.of(3, 5), Long.MAX_VALUE)) {
            SyncResult result = source.sync(request(src, relay.address()).withMode(ReplicationMode.DELTA)
                    .withCompression(Compression.NONE)).get(60, TimeUnit.SECONDS);
            assertThat(relay.corrupted.get()).isEqualTo(2);
            assertThat(result.patchesSent()).isEqualTo(3);
            assertThat(result.framesResent()).isGreaterThanOrEqualTo(2);
            assertThat(result.attempts()).isEqualTo(1);
        }
        assertThat(Volumes.verify(src, mirrorFile(), BLOCK).identical()).isTrue();
    }
}
