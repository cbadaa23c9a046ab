package dev.vantage.site;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator contract against a real etcd (Debian's etcd-server, started by {@link EtcdProcess}); skipped with
 * a visible message when etcd is not installed.
 */
class EtcdCoordinatorContractTest extends CoordinatorContractTest {
    private static EtcdProcess etcd;

    @TempDir
    static Path dir;

    @org.junit.jupiter.api.BeforeAll
    static void startEtcd() throws Exception {
        var binary = EtcdProcess.binary();
        org.junit.jupiter.api.Assumptions.assumeTrue(binary.isPresent(),
                "SKIPPED: etcd is not installed (apt-get install etcd-server); etcd coordinator not tested");
        etcd = EtcdProcess.start(binary.get(), dir.resolve("etcd-data"));
    }

    @org.junit.jupiter.api.AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void create(org.junit.jupiter.api.TestInfo info) {
        // A fresh key prefix per test keeps tests independent on one etcd.
        coordinator = new EtcdCoordinator(etcd.clientUrl(), "/t/" + info.getTestMethod().orElseThrow().getName(),
                java.time.InstantSource.system());
    }

    @Override
    protected void awaitWatchReady() {
        // The gateway has no "watch created" callback we can see from here; a put to an unrelated key
        // under the same prefix proves the stream is live once the watcher reports it.
        List<Coordinator.Change> probe = new CopyOnWriteArrayList<>();
        try (AutoCloseable h = coordinator.watch(probe::add)) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                coordinator.addMirrorSite("warmup-" + System.nanoTime(), "x");
                return !probe.isEmpty();
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
