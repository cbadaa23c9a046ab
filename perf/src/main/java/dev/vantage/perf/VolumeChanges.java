package dev.vantage.perf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import dev.vantage.replication.Volume;

/**
 * Benchmark workload of perf/replication-vs-rsync.sh: changes a percentage of a volume's blocks, one run of random
 * bytes at a scattered offset in each, through the {@link Volume} API, so that every peer's dirty bitmap records
 * them (the case of a site that writes through Vantage), then makes everything durable. Prints how many blocks it
 * changed. Single-threaded.
 *
 * <p>Usage: {@code java -cp perf/target/benchmarks.jar dev.vantage.perf.VolumeChanges FILE BLOCK_BYTES PERCENT
 * CHANGE_BYTES SEED}
 */
public final class VolumeChanges {

    private VolumeChanges() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: VolumeChanges FILE BLOCK_BYTES PERCENT CHANGE_BYTES SEED");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int blockSizeBytes = Integer.parseInt(args[1]);
        double percent = Double.parseDouble(args[2]);
        int changeBytes = Integer.parseInt(args[3]);
        if (changeBytes < 1 || changeBytes > blockSizeBytes) {
            System.err.println("CHANGE_BYTES: " + changeBytes + " (expected: 1.." + blockSizeBytes + ")");
            System.exit(1);
        }
        Random random = new Random(Long.parseLong(args[4]));
        try (Volume volume = Volume.open(file, blockSizeBytes, null)) {
            System.out.println(change(volume, blockSizeBytes, percent, changeBytes, random));
        }
    }

    /**
     * Writes {@code changeBytes} random bytes at a random offset inside {@code percent} % of the volume's blocks
     * (distinct blocks, at least one) through the volume API, then makes them durable.
     *
     * @return how many blocks were changed
     */
    static int change(Volume volume, int blockSizeBytes, double percent, int changeBytes, Random random)
            throws IOException {
        long blocks = volume.sizeBytes() / blockSizeBytes;
        int count = (int) Math.max(1, Math.round(blocks * percent / 100));
        long[] chosen = random.longs(0, blocks).distinct().limit(count).sorted().toArray();
        byte[] bytes = new byte[changeBytes];
        for (long block : chosen) {
            random.nextBytes(bytes);
            long offset = block * blockSizeBytes + random.nextInt(blockSizeBytes - changeBytes + 1);
            volume.write(offset, bytes, 0, changeBytes);
        }
        volume.force();
        return chosen.length;
    }
}
