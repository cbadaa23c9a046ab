package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Throttle;

/** {@link ReplicationEngine#syncAfterRunning}: a sync that starts after the running one of its stream, never beside it. */
class SyncAfterRunningTest {

    private static final int BLOCK = 4096;
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

    @Test
    void shouldStartANewSyncRightAfterTheRunningOneInsteadOfJoiningIt() throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(128 * BLOCK, 7));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        // 512 KiB at 256 KiB/s: the first sync runs for more than a second whatever the machine's speed.
        SyncRequest request = SyncRequest.of("res-1", src, "site-b", receiver.address()).withBlockSize(BLOCK, null)
                .withThrottle(new Throttle(256 * 1024, 0, List.of()));
        CompletableFuture<SyncResult> running = source.sync(request);
        assertThat(source.sync(request)).as("sync joins the running one").isSameAs(running);
        byte[] patch = TestData.random(BLOCK, 8);
        source.volume(src, BLOCK, null).write(5L * BLOCK, patch, 0, patch.length);

        CompletableFuture<SyncResult> after = source.syncAfterRunning(request.withMode(ReplicationMode.DELTA));

        assertThat(after).isNotSameAs(running);
        SyncResult result = after.get(60, TimeUnit.SECONDS);
        assertThat(running).as("the running sync ended before the new one").isDone();
        assertThat(result.attempts()).isEqualTo(1);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldRunAtOnceWhenNoSyncOfTheStreamRuns() throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(16 * BLOCK, 9));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncRequest request = SyncRequest.of("res-1", src, "site-b", receiver.address()).withBlockSize(BLOCK, null);

        SyncResult result = source.syncAfterRunning(request).get(60, TimeUnit.SECONDS);

        assertThat(result.blocksSent() + result.referencesSent()).isEqualTo(16);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
    }
}
