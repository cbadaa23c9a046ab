package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.ReplicationMode;

/** The cold-start helpers of short-lived processes: the warm-up and a receiver's preloaded volume. */
class ColdStartTest {

    private static final int BLOCK = 16 * 1024;
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    @Test
    void shouldCompleteTheSendingAndReceivingWarmUpsAndLeaveNoFileBehind() throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        long before;
        try (var files = Files.list(cwd)) {
            before = files.count();
        }
        ReplicationEngine.warmUp(false).get(60, TimeUnit.SECONDS);
        ReplicationEngine.warmUp(true).get(60, TimeUnit.SECONDS);
        try (var files = Files.list(cwd)) {
            assertThat(files.count()).isEqualTo(before);
        }
    }

    @Test
    void shouldAnswerTheFirstSessionFromThePreloadedVolumeAndEndIdentical() throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), content(48));
        Path dst = dir.resolve("dst.img");
        try (ReplicationEngine source = ReplicationEngine.create("a")) {
            try (ReplicationEngine mirror = ReplicationEngine.create("b")) {
                ReceiverEndpoint receiver = mirror.startReceiver(ANY, id -> dst);
                source.sync(SyncRequest.of("res-1", src, "b", receiver.address()).withBlockSize(BLOCK, null)
                        .withAttempts(3, 100)).get(30, TimeUnit.SECONDS);
            }
            byte[] change = TestData.random(100, 5);
            Volume volume = source.volume(src, BLOCK, null);
            volume.write(7L * BLOCK + 11, change, 0, change.length);
            volume.write(30L * BLOCK + 4000, change, 0, change.length);
            volume.force();
            try (ReplicationEngine mirror = ReplicationEngine.create("b")) {
                ReceiverEndpoint receiver = mirror.startReceiver(ANY, id -> dst);
                receiver.preload(dst, BLOCK).get(30, TimeUnit.SECONDS);
                SyncResult delta = source.sync(SyncRequest.of("res-1", src, "b", receiver.address())
                        .withBlockSize(BLOCK, null).withMode(ReplicationMode.DELTA).withAttempts(3, 100))
                        .get(30, TimeUnit.SECONDS);
                assertThat(delta.blocksPlanned()).isEqualTo(2);
                assertThat(delta.blocksSent()).isEqualTo(2);
            }
        }
        assertThat(Volumes.verify(src, dst, BLOCK).identical()).isTrue();
    }

    @Test
    void shouldReopenAPreloadedVolumeWhenTheSessionUsesAnotherBlockSize() throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), content(16));
        Path dst = dir.resolve("dst.img");
        try (ReplicationEngine source = ReplicationEngine.create("a");
             ReplicationEngine mirror = ReplicationEngine.create("b")) {
            ReceiverEndpoint receiver = mirror.startReceiver(ANY, id -> dst);
            receiver.preload(dst, 2 * BLOCK).get(30, TimeUnit.SECONDS);
            SyncResult result = source.sync(SyncRequest.of("res-1", src, "b", receiver.address())
                    .withBlockSize(BLOCK, null).withAttempts(1, 100)).get(30, TimeUnit.SECONDS);
            assertThat(result.blocksSent()).isEqualTo(16);
        }
        assertThat(Volumes.verify(src, dst, BLOCK).identical()).isTrue();
    }

    @Test
    void shouldFailThePreloadOfAPathThatCannotBeAVolume() throws IOException {
        Path notAFile = Files.createDirectories(dir.resolve("a-directory"));
        try (ReplicationEngine mirror = ReplicationEngine.create("b")) {
            ReceiverEndpoint receiver = mirror.startReceiver(ANY, id -> notAFile);
            assertThat(receiver.preload(notAFile, BLOCK)).failsWithin(Duration.ofSeconds(30))
                    .withThrowableThat().withMessageContaining(notAFile.getFileName().toString());
        }
    }

    private static byte[] content(int blocks) {
        byte[] content = new byte[blocks * BLOCK];
        for (int b = 0; b < blocks; b++) {
            byte[] block = b % 2 == 0 ? TestData.random(BLOCK, b) : TestData.compressible(BLOCK, b);
            System.arraycopy(block, 0, content, b * BLOCK, BLOCK);
        }
        return content;
    }
}
