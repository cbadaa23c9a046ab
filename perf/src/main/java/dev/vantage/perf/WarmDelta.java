package dev.vantage.perf;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import dev.vantage.config.ReplicationMode;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;
import dev.vantage.replication.SyncResult;
import dev.vantage.replication.Volume;
import dev.vantage.replication.Volumes;

/**
 * Delta sync as a resident site does it (perf/replication-vs-rsync.sh, "warm" line): a sender engine and a receiver
 * engine in one long-running JVM, talking the real protocol over loopback TCP. After a full sync and two unmeasured
 * delta rounds (JIT), each measured round changes a percentage of the blocks through the {@link Volume} API (one run
 * of random bytes at a scattered offset per block, as VolumeChanges does) and times one delta sync from request to
 * the destination's durable DONE; the copy is verified after every round. Prints one line per round and
 * {@code WARM_DELTA median_seconds=.. min_seconds=.. max_seconds=.. blocks=.. wire_bytes=..}. Single-threaded driver.
 *
 * <p>Usage: {@code java -cp perf/target/benchmarks.jar dev.vantage.perf.WarmDelta SRC_FILE WORK_DIR BLOCK_BYTES
 * PERCENT CHANGE_BYTES ROUNDS SEED}
 */
public final class WarmDelta {

    private static final int WARMUP_ROUNDS = 2;

    private WarmDelta() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: WarmDelta SRC_FILE WORK_DIR BLOCK_BYTES PERCENT CHANGE_BYTES ROUNDS SEED");
            System.exit(2);
        }
        Path source = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int blockSizeBytes = Integer.parseInt(args[2]);
        double percent = Double.parseDouble(args[3]);
        int changeBytes = Integer.parseInt(args[4]);
        int rounds = Integer.parseInt(args[5]);
        Random random = new Random(Long.parseLong(args[6]));
        if (changeBytes < 1 || changeBytes > blockSizeBytes || rounds < 1) {
            System.err.println("CHANGE_BYTES: " + changeBytes + " (expected: 1.." + blockSizeBytes
                    + "), ROUNDS: " + rounds + " (expected: >= 1)");
            System.exit(1);
        }
        Files.createDirectories(work);
        try (ReplicationEngine sender = ReplicationEngine.create("source");
             ReplicationEngine mirror = ReplicationEngine.create("mirror")) {
            ReceiverEndpoint receiver = mirror.startReceiver(new InetSocketAddress("127.0.0.1", 0),
                    work.resolve("mirror"));
            SyncRequest full = SyncRequest.of("volume", source, "mirror", receiver.address())
                    .withBlockSize(blockSizeBytes, work.resolve("state")).withMode(ReplicationMode.FULL);
            SyncRequest delta = full.withMode(ReplicationMode.DELTA);
            SyncResult first = sender.sync(full).get(10, TimeUnit.MINUTES);
            System.out.printf("# full sync: %d blocks in %.3f s%n", first.blocksSent(), first.durationNanos() / 1e9);
            Volume volume = sender.volume(source, blockSizeBytes, work.resolve("state"));
            Path copy = work.resolve("mirror").resolve("volume.vol");
            double[] seconds = new double[rounds];
            long blocks = 0;
            long wireBytes = 0;
            for (int round = -WARMUP_ROUNDS; round < rounds; round++) {
                int changed = VolumeChanges.change(volume, blockSizeBytes, percent, changeBytes, random);
                long start = System.nanoTime();
                SyncResult result = sender.sync(delta).get(10, TimeUnit.MINUTES);
                double elapsed = (System.nanoTime() - start) / 1e9;
                boolean identical = Volumes.verify(source, copy, blockSizeBytes).identical();
                System.out.printf("# %s round %d: %d blocks changed, %d sent, %d wire bytes, %.4f s, copy %s%n",
                        round < 0 ? "warm-up" : "measured", round, changed, result.blocksSent(), result.wireBytes(),
                        elapsed, identical ? "identical" : "DIFFERS");
                if (!identical) {
                    System.exit(1);
                }
                if (round >= 0) {
                    seconds[round] = elapsed;
                    blocks = result.blocksSent();
                    wireBytes = result.wireBytes();
                }
            }
            receiver.close();
            Arrays.sort(seconds);
            System.out.printf("WARM_DELTA median_seconds=%.4f min_seconds=%.4f max_seconds=%.4f blocks=%d wire_bytes=%d%n",
                    seconds[rounds / 2], seconds[0], seconds[rounds - 1], blocks, wireBytes);
        }
    }
}
