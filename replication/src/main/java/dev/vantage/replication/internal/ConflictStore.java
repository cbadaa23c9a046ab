package dev.vantage.replication.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.vantage.replication.ConflictRecord;
import dev.vantage.replication.ConflictResolver;
import dev.vantage.replication.Hlc;
import dev.vantage.replication.VersionVector;

/**
 * The losing versions of a multi-master volume, kept in a directory beside it ({@code FILE.conflicts/}): one file of
 * bytes per losing block ({@code NNNNNNNN-block-B.bin}) and one line per conflict in {@code conflicts.log} (tab
 * separated: sequence, block, detected at millis, detected at site, then loser and winner as site, HLC physical,
 * HLC logical, vector, hash high, hash low; then the loser's length and file name). Not thread-safe: the owning
 * volume serialises every call.
 *
 * <p>Invariant: {@link #keep} returns after the bytes, the log line and the directory entry are on stable storage,
 * so a resolution that overwrites or discards a version is applied only once its loser is durable. The same loser
 * (block, writer, HLC, hash) is kept once even when a resent frame makes the volume resolve it again. A torn last
 * line (a crash while appending) is ignored: its resolution was never acknowledged and happens again on resend.
 */
public final class ConflictStore {

    private static final String LOG = "conflicts.log";

    private final Path dir;
    private final List<ConflictRecord> records = new ArrayList<>();
    private final Set<String> kept = new HashSet<>();

    private ConflictStore(Path dir) {
        this.dir = dir;
    }

    /** Opens the store at {@code dir} (created on the first conflict). */
    public static ConflictStore open(Path dir) throws IOException {
        ConflictStore store = new ConflictStore(dir);
        Path log = dir.resolve(LOG);
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                ConflictRecord r = store.parse(line);
                if (r != null) {
                    store.records.add(r);
                    store.kept.add(key(r.blockIndex(), r.loser()));
                }
            }
        }
        return store;
    }

    public Path directory() {
        return dir;
    }

    /** Every conflict kept so far, oldest first. */
    public List<ConflictRecord> records() {
        return List.copyOf(records);
    }

    public int size() {
        return records.size();
    }

    /**
     * Keeps {@code loser} (its bytes are {@code loserBytes} from position to limit) durably; returns the record, or
     * null when this loser was already kept.
     */
    public ConflictRecord keep(long blockIndex, ConflictResolver.BlockVersion winner,
                               ConflictResolver.BlockVersion loser, ByteBuffer loserBytes, String detectedAtSite,
                               long nowMillis) throws IOException {
        String key = key(blockIndex, loser);
        if (kept.contains(key)) {
            return null;
        }
        boolean created = !Files.isDirectory(dir);
        Files.createDirectories(dir);
        if (created) {
            forceDirectory(dir.getParent());
        }
        long sequence = records.size() + 1;
        String name = String.format("%08d-block-%d.bin", sequence, blockIndex);
        Path bytesFile = dir.resolve(name);
        int length = loserBytes.remaining();
        try (FileChannel ch = FileChannel.open(bytesFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer src = loserBytes.duplicate();
            while (src.hasRemaining()) {
                ch.write(src);
            }
            ch.force(true);
        }
        ConflictRecord r = new ConflictRecord(sequence, blockIndex, nowMillis, detectedAtSite, winner, loser, length,
                bytesFile);
        String line = sequence + "\t" + blockIndex + "\t" + nowMillis + "\t" + detectedAtSite + "\t" + fields(loser)
                + "\t" + fields(winner) + "\t" + length + "\t" + name + "\n";
        Path log = dir.resolve(LOG);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer src = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (src.hasRemaining()) {
                ch.write(src);
            }
            ch.force(true);
        }
        forceDirectory(dir);
        records.add(r);
        kept.add(key);
        return r;
    }

    private static String key(long blockIndex, ConflictResolver.BlockVersion v) {
        return blockIndex + "/" + v.siteId() + "/" + v.hlc().physicalMillis() + "." + v.hlc().logical() + "/"
                + v.vector().toWire() + "/" + v.hashHigh() + "/" + v.hashLow();
    }

    private static String fields(ConflictResolver.BlockVersion v) {
        return v.siteId() + "\t" + v.hlc().physicalMillis() + "\t" + v.hlc().logical() + "\t" + v.vector().toWire()
                + "\t" + v.hashHigh() + "\t" + v.hashLow();
    }

    private ConflictRecord parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 18) {
            return null;
        }
        try {
            long block = Long.parseLong(f[1]);
            ConflictResolver.BlockVersion loser = version(block, f, 4);
            ConflictResolver.BlockVersion winner = version(block, f, 10);
            return new ConflictRecord(Long.parseLong(f[0]), block, Long.parseLong(f[2]), f[3], winner, loser,
                    Integer.parseInt(f[16]), dir.resolve(f[17]));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static ConflictResolver.BlockVersion version(long block, String[] f, int at) {
        return new ConflictResolver.BlockVersion(block, VersionVector.parse(f[at + 3]),
                new Hlc(Long.parseLong(f[at + 1]), Integer.parseInt(f[at + 2])), f[at], Long.parseLong(f[at + 4]),
                Long.parseLong(f[at + 5]));
    }

    private static void forceDirectory(Path directory) throws IOException {
        if (directory == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
