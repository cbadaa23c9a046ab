package dev.vantage.replication.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import dev.vantage.replication.Hlc;
import dev.vantage.replication.VersionVector;

/**
 * The persistent version of every block of a multi-master volume: its version vector, hybrid logical clock and
 * writer site, in fixed 152-byte records of {@code versions.bin} (little-endian: u64 HLC physical millis, u32 HLC
 * logical, u16 writer slot + 1 (0 = never written), u16 zero, 16 x u64 counters by site slot, u32 CRC32C of the 144
 * bytes before, u32 zero), with the site of each slot in {@code versions.sites}, one id per line, append-only.
 * Not thread-safe: the owning volume serialises every call.
 *
 * <p>Invariants: a slot never changes site once its line is durable, so a record never names a site that a crash
 * forgot. {@link #set} with {@code writeNow} writes the record at once and the volume forces it with {@link #force()}
 * before it writes the data (local writes: the version is durable before the write is acknowledged). Without
 * {@code writeNow} (replicated applies) the record is only written by {@link #flushPending()}, which the volume calls
 * after the data is durable, so a replicated version on disk is never ahead of the data it describes. A record whose checksum fails (a crash tore it) is reported by
 * {@link #tornBlocks()}; the volume then treats the block as written locally, which can only cause a spurious
 * conflict (both versions kept), never a silent loss.
 */
public final class VersionTable implements AutoCloseable {

    /** Most distinct writer sites one volume records. */
    public static final int MAX_SITES = 16;
    static final int RECORD_BYTES = 152;
    private static final int CRC_OFFSET = 144;

    private final Path file;
    private final Path sitesFile;
    private final FileChannel channel;
    private final List<String> sites = new ArrayList<>();
    private final Map<String, Integer> slots = new TreeMap<>();
    private final ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private final BitSet pending = new BitSet();
    private final List<Long> torn = new ArrayList<>();
    private long[] physical = new long[0];
    private int[] logical = new int[0];
    private short[] writer = new short[0];
    private long[] counters = new long[0];
    private Hlc maxHlc = Hlc.ZERO;

    private VersionTable(Path file, Path sitesFile, FileChannel channel) {
        this.file = file;
        this.sitesFile = sitesFile;
        this.channel = channel;
    }

    /** Opens (creating when missing) the table in {@code stateDir}. */
    public static VersionTable open(Path stateDir) throws IOException {
        Path sitesFile = stateDir.resolve("versions.sites");
        Path file = stateDir.resolve("versions.bin");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        VersionTable table = new VersionTable(file, sitesFile, channel);
        if (Files.exists(sitesFile)) {
            for (String line : Files.readAllLines(sitesFile, StandardCharsets.UTF_8)) {
                // A torn last line (crash while appending) names no record yet: records are written after it.
                if (VersionVector.validSiteId(line) && !table.slots.containsKey(line)) {
                    table.slots.put(line, table.sites.size());
                    table.sites.add(line);
                }
            }
        }
        table.load();
        return table;
    }

    private void load() throws IOException {
        long blocks = channel.size() / RECORD_BYTES;
        ensureCapacity(blocks);
        ByteBuffer all = ByteBuffer.allocate((int) (blocks * RECORD_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        while (all.hasRemaining() && channel.read(all, all.position()) > 0) {
            // read the whole table
        }
        for (int b = 0; b < blocks; b++) {
            int at = b * RECORD_BYTES;
            boolean zero = true;
            for (int k = 0; k < RECORD_BYTES && zero; k += 8) {
                zero = all.getLong(at + k) == 0;
            }
            if (zero) {
                continue;
            }
            crc.reset();
            crc.update(all.array(), at, CRC_OFFSET);
            int writerSlot = all.getShort(at + 12);
            if ((int) crc.getValue() != all.getInt(at + CRC_OFFSET) || writerSlot > sites.size()) {
                torn.add((long) b);
                continue;
            }
            physical[b] = all.getLong(at);
            logical[b] = all.getInt(at + 8);
            writer[b] = (short) writerSlot;
            for (int s = 0; s < MAX_SITES; s++) {
                long n = all.getLong(at + 16 + 8 * s);
                if (n != 0 && s >= sites.size()) {
                    torn.add((long) b);
                    Arrays.fill(counters, b * MAX_SITES, (b + 1) * MAX_SITES, 0);
                    physical[b] = 0;
                    logical[b] = 0;
                    writer[b] = 0;
                    break;
                }
                counters[b * MAX_SITES + s] = n;
            }
            Hlc h = new Hlc(physical[b], logical[b]);
            if (h.compareTo(maxHlc) > 0) {
                maxHlc = h;
            }
        }
    }

    /** Blocks whose record a crash tore, found at open. */
    public List<Long> tornBlocks() {
        return List.copyOf(torn);
    }

    /** The highest HLC recorded for any block (a restarted clock starts past it). */
    public Hlc maxHlc() {
        return maxHlc;
    }

    /** The version vector of block {@code index} ({@link VersionVector#EMPTY} when never written). */
    public VersionVector vector(long index) {
        if (index >= writer.length) {
            return VersionVector.EMPTY;
        }
        Map<String, Long> map = new TreeMap<>();
        int base = (int) index * MAX_SITES;
        for (int s = 0; s < sites.size(); s++) {
            if (counters[base + s] != 0) {
                map.put(sites.get(s), counters[base + s]);
            }
        }
        return map.isEmpty() ? VersionVector.EMPTY : VersionVector.of(map);
    }

    public Hlc hlc(long index) {
        return index >= writer.length ? Hlc.ZERO : new Hlc(physical[(int) index], logical[(int) index]);
    }

    /** The site whose write block {@code index} holds, or "" when never written. */
    public String writer(long index) {
        int slot = index >= writer.length ? 0 : writer[(int) index];
        return slot == 0 ? "" : sites.get(slot - 1);
    }

    /** The counter of {@code siteId} in block {@code index}'s vector. */
    public long counter(long index, String siteId) {
        Integer slot = slots.get(siteId);
        return slot == null || index >= writer.length ? 0 : counters[(int) index * MAX_SITES + slot];
    }

    /**
     * Sets the version of block {@code index}. With {@code writeNow} the record is written at once (durable after
     * {@link #force()}); otherwise it is kept for {@link #flushPending()}.
     */
    public void set(long index, VersionVector vector, Hlc hlc, String writerSite, boolean writeNow) throws IOException {
        ensureCapacity(index + 1);
        int b = (int) index;
        int base = b * MAX_SITES;
        long[] next = new long[MAX_SITES];
        for (Map.Entry<String, Long> e : vector.counters().entrySet()) {
            next[slotOf(e.getKey())] = e.getValue();
        }
        System.arraycopy(next, 0, counters, base, MAX_SITES);
        physical[b] = hlc.physicalMillis();
        logical[b] = hlc.logical();
        writer[b] = (short) (writerSite.isEmpty() ? 0 : slotOf(writerSite) + 1);
        if (hlc.compareTo(maxHlc) > 0) {
            maxHlc = hlc;
        }
        if (writeNow) {
            writeRecord(b);
            pending.clear(b);
        } else {
            pending.set(b);
        }
    }

    /** Whether replicated versions wait for {@link #flushPending()}. */
    public boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Makes every record written so far durable. */
    public void force() throws IOException {
        channel.force(false);
    }

    /** Writes every pending record and forces the table. */
    public void flushPending() throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        for (int b = pending.nextSetBit(0); b >= 0; b = pending.nextSetBit(b + 1)) {
            writeRecord(b);
        }
        channel.force(false);
        pending.clear();
    }

    private int slotOf(String site) throws IOException {
        Integer slot = slots.get(site);
        if (slot != null) {
            return slot;
        }
        if (!VersionVector.validSiteId(site)) {
            throw new IllegalArgumentException("writer site: '" + site
                    + "' (expected: 1..64 letters, digits, '.', '_' or '-')");
        }
        if (sites.size() >= MAX_SITES) {
            throw new IllegalStateException("version table " + file + ": site " + site + " would be writer site "
                    + (sites.size() + 1) + " (expected: at most " + MAX_SITES + " sites write one volume)");
        }
        Files.writeString(sitesFile, site + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        slots.put(site, sites.size());
        sites.add(site);
        return sites.size() - 1;
    }

    private void writeRecord(int b) throws IOException {
        record.clear();
        record.putLong(physical[b]).putInt(logical[b]).putShort(writer[b]).putShort((short) 0);
        for (int s = 0; s < MAX_SITES; s++) {
            record.putLong(counters[b * MAX_SITES + s]);
        }
        crc.reset();
        crc.update(record.array(), 0, CRC_OFFSET);
        record.putInt((int) crc.getValue()).putInt(0);
        record.flip();
        long position = (long) b * RECORD_BYTES;
        while (record.hasRemaining()) {
            position += channel.write(record, position);
        }
    }

    private void ensureCapacity(long blocks) {
        if (blocks <= writer.length) {
            return;
        }
        int n = (int) Math.max(blocks, Math.max(16, writer.length * 2L));
        physical = Arrays.copyOf(physical, n);
        logical = Arrays.copyOf(logical, n);
        writer = Arrays.copyOf(writer, n);
        counters = Arrays.copyOf(counters, n * MAX_SITES);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
