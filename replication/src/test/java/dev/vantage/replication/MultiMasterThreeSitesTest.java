package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.ReplicationMode;

/** Three multi-master replicas on loopback, every one streaming to both others at the same time. */
class MultiMasterThreeSitesTest {

    private static final int BLOCK = 16 * 1024;
    private static final int BLOCKS = 12;
    private static final String RESOURCE = "files";
    private static final List<String> SITES = List.of("ap", "eu", "us");

    @TempDir
    Path dir;

    private final Map<String, ReplicationEngine> engines = new LinkedHashMap<>();
    private final Map<String, ReceiverEndpoint> receivers = new LinkedHashMap<>();

    @AfterEach
    void close() {
        engines.values().forEach(ReplicationEngine::close);
    }

    private Path path(String site) {
        return dir.resolve(site).resolve(RESOURCE + ".img");
    }

    private Volume copy(String site) throws IOException {
        return engines.get(site).replicaVolume(RESOURCE, path(site), BLOCK, null);
    }

    /** One round: all six directed streams run at once; returns the block frames they sent. */
    private long round() throws Exception {
        List<CompletableFuture<SyncResult>> running = new ArrayList<>();
        for (String from : SITES) {
            for (String to : SITES) {
                if (!from.equals(to)) {
                    running.add(engines.get(from).sync(SyncRequest.of(RESOURCE, path(from), to,
                            receivers.get(to).address()).withBlockSize(BLOCK, null).withMode(ReplicationMode.DELTA)
                            .withAttempts(5, 100)));
                }
            }
        }
        long frames = 0;
        for (CompletableFuture<SyncResult> f : running) {
            SyncResult r = f.get(60, TimeUnit.SECONDS);
            frames += r.blocksSent() + r.referencesSent();
        }
        return frames;
    }

    private boolean quiet() throws IOException {
        for (String from : SITES) {
            for (String to : SITES) {
                if (!from.equals(to) && copy(from).dirtyCount(to) != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void shouldConvergeThreeReplicasThatWriteAndStreamToEachOtherAtOnce() throws Exception {
        byte[] seed = TestData.compressible(BLOCKS * BLOCK, 5);
        for (String site : SITES) {
            Files.createDirectories(path(site).getParent());
            Files.write(path(site), seed);
            ReplicationEngine engine = ReplicationEngine.create(site);
            engines.put(site, engine);
            copy(site);
            receivers.put(site, engine.startReceiver(new InetSocketAddress("127.0.0.1", 0), id -> path(site)));
        }
        round();
        Set<String> writes = new HashSet<>();
        for (int i = 0; i < SITES.size(); i++) {
            String site = SITES.get(i);
            copy(site).write((long) (1 + i) * BLOCK, TestData.random(BLOCK, 100 + i), 0, BLOCK);
            // Everyone writes block 9 before anyone streams: three concurrent versions of one block.
            copy(site).write(9L * BLOCK, TestData.random(BLOCK, 900 + i), 0, BLOCK);
            writes.add(site);
        }

        int rounds = 0;
        while (!quiet()) {
            assertThat(rounds++).as("rounds before quiescence").isLessThan(6);
            round();
        }

        for (String site : List.of("eu", "us")) {
            assertThat(Volumes.verify(path("ap"), path(site), BLOCK).identical()).as("ap vs %s", site).isTrue();
        }
        for (long b = 0; b < BLOCKS; b++) {
            ConflictResolver.BlockVersion first = copy("ap").version(b);
            for (String site : List.of("eu", "us")) {
                ConflictResolver.BlockVersion v = copy(site).version(b);
                assertThat(v.vector()).as("vector of block %d at %s", b, site).isEqualTo(first.vector());
                assertThat(v.hlc()).as("hlc of block %d at %s", b, site).isEqualTo(first.hlc());
                assertThat(v.siteId()).as("writer of block %d at %s", b, site).isEqualTo(first.siteId());
            }
        }
        for (int i = 0; i < SITES.size(); i++) {
            byte[] own = new byte[BLOCK];
            copy("us").read((long) (1 + i) * BLOCK, own, 0, BLOCK);
            assertThat(own).as("block %d written only at %s", 1 + i, SITES.get(i))
                    .isEqualTo(TestData.random(BLOCK, 100 + i));
        }
        byte[] current = new byte[BLOCK];
        copy("ap").read(9L * BLOCK, current, 0, BLOCK);
        Set<String> accounted = new HashSet<>();
        for (int i = 0; i < SITES.size(); i++) {
            if (java.util.Arrays.equals(current, TestData.random(BLOCK, 900 + i))) {
                accounted.add(SITES.get(i));
            }
        }
        assertThat(accounted).as("block 9 holds one of the three writes").hasSize(1);
        assertThat(copy("ap").version(9).vector())
                .isEqualTo(VersionVector.of(Map.of("ap", 1L, "eu", 1L, "us", 1L)));
        for (String site : SITES) {
            for (ConflictRecord r : copy(site).conflicts()) {
                assertThat(r.blockIndex()).isEqualTo(9);
                byte[] lost = Files.readAllBytes(r.loserBytes());
                assertThat(lost).isEqualTo(TestData.random(BLOCK, 900 + SITES.indexOf(r.loser().siteId())));
                accounted.add(r.loser().siteId());
            }
        }
        assertThat(accounted).as("every write of block 9 is current or kept as a loser").isEqualTo(writes);
        assertThat(round()).as("frames once quiet (no echo)").isZero();
    }
}
