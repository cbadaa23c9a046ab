package dev.vantage.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import dev.vantage.config.ReplicationMode;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;
import dev.vantage.replication.SyncResult;
import dev.vantage.replication.Volumes;

/**
 * Full sync as a resident site does it (perf/replication-vs-rsync.sh, "resident" full-sync line): a sender engine and
 * a receiver engine in one long-running JVM, talking the real protocol over loopback TCP, so no JVM start or JIT
 * warm-up is inside the measurement. Each round copies the whole volume to an empty destination (a new resource id,
 * so nothing can be skipped), times it from request to the destination's durable DONE, verifies the copy and deletes
 * it (releasing it at the receiver). Unmeasured rounds first, until the JIT is warm: at least {@value #MIN_WARMUP_ROUNDS},
 * and more (at most {@value #MAX_WARMUP_ROUNDS}) while the JIT compiled for more than {@value #JIT_QUIET_PERCENT} % of
 * the last round's time (on 2 cores, C2 compiling the replication and Netty code took a fifth of the CPU samples of
 * the first measured rounds after 2 warm-up rounds; a site that stays up is past that). Prints one line per round with
 * its JIT time and {@code WARM_FULL median_mbps=.. min_mbps=.. max_mbps=.. resent=..} (MB/s of volume data).
 * Single-threaded driver.
 *
 * <p>Usage: {@code java -cp perf/target/benchmarks.jar dev.vantage.perf.WarmFull SRC_FILE DEST_DIR BLOCK_BYTES ROUNDS}
 */
public final class WarmFull {

    private static final int MIN_WARMUP_ROUNDS = 2;
    private static final int MAX_WARMUP_ROUNDS = 8;
    private static final int JIT_QUIET_PERCENT = 5;

    private WarmFull() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: WarmFull SRC_FILE DEST_DIR BLOCK_BYTES ROUNDS");
            System.exit(2);
        }
        Path source = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int blockSizeBytes = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        if (rounds < 1) {
            System.err.println("ROUNDS: " + rounds + " (expected: >= 1)");
            System.exit(1);
        }
        Files.createDirectories(work);
        double[] mbps = new double[rounds];
        long resent = 0;
        try (ReplicationEngine sender = ReplicationEngine.create("source");
             ReplicationEngine mirror = ReplicationEngine.create("mirror")) {
            ReceiverEndpoint receiver = mirror.startReceiver(new InetSocketAddress("127.0.0.1", 0),
                    work.resolve("mirror"));
            Rounds copies = new Rounds(sender, receiver, source, work, blockSizeBytes);
            int warmUps = 0;
            boolean jitBusy = true;
            while (warmUps < MIN_WARMUP_ROUNDS || (jitBusy && warmUps < MAX_WARMUP_ROUNDS)) {
                jitBusy = copies.run("warm-up", warmUps++).jitBusy();
            }
            for (int round = 0; round < rounds; round++) {
                Round r = copies.run("measured", round);
                mbps[round] = r.mbps();
                resent += r.framesResent();
            }
            receiver.close();
        }
        Arrays.sort(mbps);
        System.out.printf("WARM_FULL median_mbps=%.1f min_mbps=%.1f max_mbps=%.1f resent=%d%n",
                mbps[rounds / 2], mbps[0], mbps[rounds - 1], resent);
    }

    /** One round's speed (MB/s of volume data), frames re-sent, and whether the JIT was busy during it. */
    private record Round(double mbps, long framesResent, boolean jitBusy) {
    }

    /** Full copies of the source to the receiver, one resource id per round. */
    private record Rounds(ReplicationEngine sender, ReceiverEndpoint receiver, Path source, Path work,
                          int blockSizeBytes) {

        /** Copies, times, verifies (exits 1 when the copy differs) and releases one round; prints its line. */
        Round run(String kind, int round) throws Exception {
            String resource = kind + round;
            SyncRequest full = SyncRequest.of(resource, source, "mirror", receiver.address())
                    .withBlockSize(blockSizeBytes, work.resolve("state")).withMode(ReplicationMode.FULL);
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long jitStartMillis = jit.getTotalCompilationTime();
            long start = System.nanoTime();
            SyncResult result = sender.sync(full).get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            long jitMillis = jit.getTotalCompilationTime() - jitStartMillis;
            Path copy = work.resolve("mirror").resolve(resource + ".vol");
            boolean identical = Volumes.verify(source, copy, blockSizeBytes).identical();
            double rate = Files.size(source) / 1e6 / seconds;
            System.out.printf("# %s round %d: %d blocks sent, %d wire bytes, %d re-sent, %.3f s, %.1f MB/s, JIT %d ms,"
                            + " copy %s%n", kind, round, result.blocksSent(), result.wireBytes(),
                    result.framesResent(), seconds, rate, jitMillis, identical ? "identical" : "DIFFERS");
            if (!identical) {
                System.exit(1);
            }
            // Released, which deletes the copy and its state, not just deleted: the receiver keeps the copy open,
            // and the pages of a deleted file that is still open stay allocated (in tmpfs, 1 GiB more memory every
            // round; on this virtual machine, pages the guest never touched before are several times slower to fill).
            receiver.release(resource).get(1, TimeUnit.MINUTES);
            return new Round(rate, result.framesResent(), jitMillis * 100 > JIT_QUIET_PERCENT * seconds * 1000);
        }
    }
}
