package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import dev.vantage.replication.internal.BlockHasher;

/**
 * Random interleavings of local writes and delayed, reordered, duplicated block messages between three multi-master
 * volumes (real files, {@link Volume#applyVersioned}): once every replica has exchanged its blocks with every other,
 * all copies hold the same bytes and versions, and no write is lost: each one is the current content, or was
 * overwritten by a later write at a replica that had seen it, or is kept in a conflict store.
 */
class MultiMasterConvergencePropertyTest {

    private static final int BLOCK = 4096;
    private static final int BLOCKS = 3;
    private static final int REPLICAS = 3;

    /** A block as a message: its bytes and version when it was sent. */
    private record Message(int from, int to, long block, byte[] bytes, ConflictResolver.BlockVersion version) {
    }

    @Provide
    Arbitrary<List<Integer>> schedules() {
        return Arbitraries.integers().between(0, 10_000).list().ofMinSize(5).ofMaxSize(60);
    }

    @Property(tries = 60)
    void shouldConvergeWithoutLosingAWrite(@ForAll("schedules") List<Integer> schedule) throws Exception {
        Path dir = Files.createTempDirectory("vantage-mm-");
        List<Volume> replicas = new ArrayList<>();
        try {
            AtomicLong[] walls = new AtomicLong[REPLICAS];
            for (int r = 0; r < REPLICAS; r++) {
                walls[r] = new AtomicLong(1_000 + 700L * ((r * 7) % 3));
                Path file = dir.resolve("r" + r + ".img");
                Files.write(file, new byte[BLOCKS * BLOCK]);
                Volume v = Volume.open(file, BLOCK, null);
                AtomicLong wall = walls[r];
                v.enableMultiMaster("r" + r, wall::get);
                replicas.add(v);
            }
            List<Message> inFlight = new ArrayList<>();
            Set<Long> superseded = new HashSet<>();
            Set<Long> written = new HashSet<>();
            long nextWrite = 1;
            for (int op : schedule) {
                int kind = op % 3;
                int a = (op / 3) % REPLICAS;
                int b = (op / 9) % REPLICAS;
                long block = (op / 27) % BLOCKS;
                if (kind == 0) {
                    long previous = contentId(replicas.get(a), block);
                    if (previous != 0) {
                        superseded.add(previous);
                    }
                    long id = nextWrite++;
                    written.add(id);
                    walls[a].addAndGet(op % 5);
                    replicas.get(a).write(block * BLOCK, content(id), 0, BLOCK);
                } else if (kind == 1 && a != b) {
                    inFlight.add(snapshot(replicas, a, b, block));
                } else if (kind == 2 && !inFlight.isEmpty()) {
                    Message m = inFlight.get((op / 81) % inFlight.size());
                    if (op % 2 == 0) {
                        inFlight.remove(m); // odd ops leave it queued: delivered again later (a duplicate)
                    }
                    deliver(replicas, m);
                }
            }
            for (Message m : inFlight) {
                deliver(replicas, m);
            }
            int rounds = 0;
            boolean changed = true;
            while (changed) {
                assertThat(rounds++).as("exchange rounds before quiescence").isLessThan(10);
                changed = false;
                for (int from = 0; from < REPLICAS; from++) {
                    for (int to = 0; to < REPLICAS; to++) {
                        for (long block = 0; block < BLOCKS && from != to; block++) {
                            changed |= deliver(replicas, snapshot(replicas, from, to, block))
                                    != Volume.ApplyOutcome.ALREADY_KNOWN;
                        }
                    }
                }
            }

            Set<Long> current = new HashSet<>();
            for (long block = 0; block < BLOCKS; block++) {
                byte[] first = read(replicas.get(0), block);
                ConflictResolver.BlockVersion v0 = replicas.get(0).version(block);
                current.add(ByteBuffer.wrap(first).getLong());
                for (int r = 1; r < REPLICAS; r++) {
                    assertThat(read(replicas.get(r), block)).as("block %d at r%d", block, r).isEqualTo(first);
                    ConflictResolver.BlockVersion v = replicas.get(r).version(block);
                    assertThat(v.vector()).as("vector of block %d at r%d", block, r).isEqualTo(v0.vector());
                    assertThat(v.hlc()).as("hlc of block %d at r%d", block, r).isEqualTo(v0.hlc());
                    assertThat(v.siteId()).as("writer of block %d at r%d", block, r).isEqualTo(v0.siteId());
                }
            }
            Set<Long> kept = new HashSet<>();
            for (Volume v : replicas) {
                for (ConflictRecord c : v.conflicts()) {
                    kept.add(ByteBuffer.wrap(Files.readAllBytes(c.loserBytes())).getLong());
                }
            }
            Statistics.label("conflicts kept").collect(kept.isEmpty() ? "none" : kept.size() < 3 ? "1-2" : ">= 3");
            for (long id : written) {
                assertThat(current.contains(id) || superseded.contains(id) || kept.contains(id))
                        .as("write %d is current, knowingly overwritten or kept as a conflict loser", id).isTrue();
            }
        } finally {
            for (Volume v : replicas) {
                v.close();
            }
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static byte[] content(long writeId) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK);
        while (b.hasRemaining()) {
            b.putLong(writeId);
        }
        return b.array();
    }

    private static byte[] read(Volume v, long block) throws IOException {
        byte[] out = new byte[BLOCK];
        v.read(block * BLOCK, out, 0, BLOCK);
        return out;
    }

    private static long contentId(Volume v, long block) throws IOException {
        return ByteBuffer.wrap(read(v, block)).getLong();
    }

    private static Message snapshot(List<Volume> replicas, int from, int to, long block) throws IOException {
        Volume v = replicas.get(from);
        byte[] bytes = read(v, block);
        long[] hash = new long[2];
        BlockHasher.hash(ByteBuffer.wrap(bytes), 0, bytes.length, hash);
        ConflictResolver.BlockVersion version = v.version(block);
        return new Message(from, to, block, bytes, new ConflictResolver.BlockVersion(block, version.vector(),
                version.hlc(), version.siteId(), hash[0], hash[1]));
    }

    private static Volume.ApplyOutcome deliver(List<Volume> replicas, Message m) throws IOException {
        ConflictResolver.BlockVersion v = m.version();
        return replicas.get(m.to()).applyVersioned(m.block(), ByteBuffer.wrap(m.bytes()), v.hashHigh(), v.hashLow(),
                v.vector(), v.hlc(), v.siteId(), "r" + m.from());
    }
}
