package dev.vantage.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.vantage.replication.internal.BlockHasher;
import dev.vantage.replication.internal.BlockManifest;
import dev.vantage.replication.internal.ConflictStore;
import dev.vantage.replication.internal.DirtyBitmap;
import dev.vantage.replication.internal.VersionTable;

/**
 * A file of fixed-size blocks with per-peer persistent dirty bitmaps and a manifest of XXH3-128 block hashes, kept
 * in a state directory (by default {@code FILE.vantage/} next to the file). Any plain file is a volume: its blocks
 * are its contents, the last block may be short.
 *
 * <p>Threading: every method that changes state is synchronized on the volume; {@link #readBlock} and
 * {@link #read} use positional reads and may run concurrently with them.
 *
 * <p>Invariants: {@link #write} returns only after the dirty marks of the blocks it touches are durable in every
 * peer's bitmap, so a crash never loses a change. The manifest on disk claims to match the file only when its
 * recorded size and modification time equal the file's; any write clears that record first, so a crash mid-write
 * forces a rescan on the next open.
 *
 * <p>Multi-master ({@link #enableMultiMaster}): every block also has a version (version vector, hybrid logical clock,
 * writer site) in {@code versions.bin} of the state directory. A local {@link #write} ticks the clock and this
 * site's counter and makes the version durable before the data is written; {@link #applyVersioned} compares a
 * replicated version with the local one and applies, skips, or resolves a conflict last-writer-wins by (HLC, site
 * id), keeping the losing bytes durably in {@code FILE.conflicts/} before anything is overwritten or acknowledged.
 */
public final class Volume implements AutoCloseable {

    /** What {@link #applyVersioned} did with a replicated block. */
    public enum ApplyOutcome {
        /** The incoming version came after the local one: written. */
        APPLIED,
        /** The local version already includes the incoming one: nothing written. */
        ALREADY_KNOWN,
        /** Concurrent, the local version won: the incoming one went to the conflict store. */
        CONFLICT_KEPT_LOCAL,
        /** Concurrent, the incoming version won: the local one went to the conflict store, then was overwritten. */
        CONFLICT_TOOK_REMOTE
    }

    public static final int DEFAULT_BLOCK_SIZE_BYTES = 65_536;
    public static final int MIN_BLOCK_SIZE_BYTES = 4_096;
    public static final int MAX_BLOCK_SIZE_BYTES = 1_048_576;
    private static final String STATE_SUFFIX = ".vantage";
    /** Scans hash on this many threads at most (the 2-core machines Vantage runs on). */
    private static final int SCAN_THREADS = 2;
    private static final int SCAN_CHUNK_BLOCKS = 64;

    private final Path file;
    private final Path stateDir;
    private final int blockSizeBytes;
    private final FileChannel channel;
    private final BlockManifest manifest;
    private final Map<String, DirtyBitmap> trackers = new LinkedHashMap<>();
    /** The last peer id {@link #sanitize} was asked for and its key (guarded by this volume's lock). */
    private String lastPeerId;
    private String lastPeerKey;
    private final ByteBuffer scanBuffer;
    private final long[] hashScratch = new long[2];
    private int[] writeGenerations;
    private long trustedModifiedNanos = -1;
    private String siteId;
    private HybridLogicalClock hlc;
    private LongSupplier wallMillis;
    private VersionTable versions;
    private ConflictStore conflictStore;
    private volatile String preferredWriter;

    private Volume(Path file, Path stateDir, int blockSizeBytes, FileChannel channel, BlockManifest manifest,
                   long blockCount) {
        this.file = file;
        this.stateDir = stateDir;
        this.blockSizeBytes = blockSizeBytes;
        this.channel = channel;
        this.manifest = manifest;
        this.scanBuffer = ByteBuffer.allocateDirect(blockSizeBytes);
        this.writeGenerations = new int[(int) Math.max(16, blockCount)];
    }

    /** Opens (creating when missing) {@code file} with 64 KiB blocks and its state in {@code FILE.vantage/}. */
    public static Volume open(Path file) throws IOException {
        return open(file, DEFAULT_BLOCK_SIZE_BYTES, null);
    }

    /**
     * Opens (creating when missing) {@code file} as a volume.
     *
     * @param blockSizeBytes a power of two in 4 KiB..1 MiB
     * @param stateDir       where the manifest and bitmaps live; {@code null} = {@code FILE.vantage/} next to it
     */
    public static Volume open(Path file, int blockSizeBytes, Path stateDir) throws IOException {
        if (blockSizeBytes < MIN_BLOCK_SIZE_BYTES || blockSizeBytes > MAX_BLOCK_SIZE_BYTES
                || Integer.bitCount(blockSizeBytes) != 1) {
            throw new IllegalArgumentException("blockSizeBytes: " + blockSizeBytes
                    + " (expected: a power of two in " + MIN_BLOCK_SIZE_BYTES + ".." + MAX_BLOCK_SIZE_BYTES + ")");
        }
        Path absolute = file.toAbsolutePath();
        Path state = stateDir != null ? stateDir
                : absolute.resolveSibling(absolute.getFileName() + STATE_SUFFIX);
        if (absolute.getParent() != null) {
            Files.createDirectories(absolute.getParent());
        }
        Files.createDirectories(state);
        FileChannel channel = FileChannel.open(absolute, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long blockCount = blocksFor(channel.size(), blockSizeBytes);
        BlockManifest manifest = BlockManifest.open(state.resolve("manifest.bin"), blockSizeBytes, blockCount);
        Volume volume = new Volume(absolute, state, blockSizeBytes, channel, manifest, blockCount);
        long modified = volume.modifiedNanos();
        if (manifest.matches(channel.size(), modified)) {
            volume.trustedModifiedNanos = modified;
        }
        try (DirectoryStream<Path> bitmaps = Files.newDirectoryStream(state, "dirty-*.bitmap")) {
            for (Path bitmap : bitmaps) {
                String name = bitmap.getFileName().toString();
                String peer = name.substring("dirty-".length(), name.length() - ".bitmap".length());
                volume.trackers.put(peer, DirtyBitmap.open(bitmap, blockCount));
            }
        }
        return volume;
    }

    private static long blocksFor(long sizeBytes, int blockSizeBytes) {
        return (sizeBytes + blockSizeBytes - 1) / blockSizeBytes;
    }

    public Path file() {
        return file;
    }

    public Path stateDir() {
        return stateDir;
    }

    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    public long sizeBytes() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException("volume " + file + ": size failed", e);
        }
    }

    public long blockCount() {
        return blocksFor(sizeBytes(), blockSizeBytes);
    }

    /** Length in bytes of block {@code index} in a volume of {@code sizeBytes} (the last one may be short). */
    public int blockLength(long index, long sizeBytes) {
        long start = index * blockSizeBytes;
        return (int) Math.max(0, Math.min(blockSizeBytes, sizeBytes - start));
    }

    // ---------------------------------------------------------------- user API

    /** Reads up to {@code length} bytes at {@code offset}; returns the count read (less at the end of the volume). */
    public int read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
        int total = 0;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, offset + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /**
     * Writes {@code length} bytes at {@code offset} (growing the volume when needed). Returns after the touched
     * blocks' dirty marks are durable; the data itself is durable after {@link #force()}.
     */
    public synchronized void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("write: offset " + offset + ", length " + length
                    + " (expected: >= 0)");
        }
        if (length == 0) {
            return;
        }
        long first = offset / blockSizeBytes;
        long last = (offset + length - 1) / blockSizeBytes;
        boolean trusted = trustedModifiedNanos != -1 && trustedModifiedNanos == modifiedNanos();
        manifest.invalidateRecord();
        for (DirtyBitmap tracker : trackers.values()) {
            tracker.markRange(first, last, true);
        }
        if (versions != null) {
            recordLocalWrites(first, last);
        }
        for (long b = first; b <= last; b++) {
            bumpGeneration(b);
            manifest.forget(b);
        }
        ByteBuffer buf = ByteBuffer.wrap(src, srcOffset, length);
        long position = offset;
        while (buf.hasRemaining()) {
            position += channel.write(buf, position);
        }
        // Bumped before and after the data write: a concurrent reader that saw either value read a torn block.
        for (long b = first; b <= last; b++) {
            bumpGeneration(b);
        }
        trustedModifiedNanos = trusted ? modifiedNanos() : -1;
    }

    /** Makes written data, the manifest and the bitmaps durable. */
    public synchronized void force() throws IOException {
        channel.force(false);
        boolean trusted = trustedModifiedNanos != -1 && trustedModifiedNanos == modifiedNanos();
        rehashUnknown();
        if (trusted) {
            long modified = modifiedNanos();
            manifest.record(sizeBytes(), modified);
            trustedModifiedNanos = modified;
        }
        manifest.save();
        for (DirtyBitmap tracker : trackers.values()) {
            tracker.force();
        }
        if (versions != null) {
            versions.flushPending();
        }
    }

    /**
     * Makes written data durable and writes changed manifest entries without forcing them and without claiming the
     * manifest matches the file: the cheap end of a batch of replicated writes (one fdatasync). A crash before the
     * next {@link #force()} leaves the manifest unclaimed, so the next open rescans.
     */
    public synchronized void forceData() throws IOException {
        channel.force(false);
        prepareForceData();
        if (versions != null) {
            // Dirty marks before versions: a version on disk must never claim a block its peers may not get.
            for (DirtyBitmap tracker : trackers.values()) {
                tracker.force();
            }
            versions.flushPending();
        }
    }

    /**
     * The part of {@link #forceData()} that needs the volume's lock, for a volume that is not multi-master:
     * unclaims the manifest and writes its changed entries. Then {@link #forceDataOnly()} may run on another thread
     * while blocks are still being applied. (A multi-master volume uses {@link #forceData()}: its block versions
     * must reach disk after the data they describe.)
     */
    public synchronized void prepareForceData() throws IOException {
        manifest.invalidateRecord();
        manifest.saveEntries();
    }

    /**
     * Makes every write that completed before this call durable (fdatasync) without holding the volume's lock, so
     * that writes may go on meanwhile; those are not covered.
     */
    public void forceDataOnly() throws IOException {
        channel.force(false);
    }

    /**
     * Brings the manifest up to date with the file. When the file was changed behind the volume's back (its size or
     * modification time is not the one recorded) every block is read and hashed, and blocks whose hash changed are
     * marked dirty for every peer; otherwise only blocks of unknown hash are hashed.
     */
    public synchronized ScanResult scan() throws IOException {
        long start = System.nanoTime();
        long modified = modifiedNanos();
        long size = sizeBytes();
        boolean full = trustedModifiedNanos == -1 || trustedModifiedNanos != modified;
        long blocks = blocksFor(size, blockSizeBytes);
        long hashed = 0;
        long changed = 0;
        long[] todo = new long[(int) blocks];
        int count = 0;
        for (long b = 0; b < blocks; b++) {
            if (full || !manifest.isKnown(b)) {
                todo[count++] = b;
            }
        }
        long[] fresh = hashBlocks(todo, count, size);
        for (int i = 0; i < count; i++) {
            long b = todo[i];
            hashScratch[0] = fresh[2 * i];
            hashScratch[1] = fresh[2 * i + 1];
            hashed++;
            if (!manifest.matches(b, hashScratch[0], hashScratch[1])) {
                if (manifest.isKnown(b) || full) {
                    changed++;
                    for (DirtyBitmap tracker : trackers.values()) {
                        tracker.markRange(b, b, false);
                    }
                    if (versions != null && manifest.isKnown(b)) {
                        // Changed behind the API's back since it was last hashed: a local write. A block of unknown
                        // hash was either written through the API (already versioned) or never hashed (a new copy).
                        versions.set(b, versions.vector(b).increment(siteId), hlc.now(), siteId, false);
                    }
                    bumpGeneration(b);
                }
                manifest.set(b, hashScratch[0], hashScratch[1]);
            }
        }
        manifest.truncate(blocks);
        for (DirtyBitmap tracker : trackers.values()) {
            tracker.force();
        }
        if (versions != null) {
            versions.flushPending();
        }
        manifest.record(size, modified);
        manifest.save();
        trustedModifiedNanos = modified;
        return new ScanResult(hashed, changed, full, System.nanoTime() - start);
    }

    /**
     * Hashes blocks {@code indexes[0..count)} of a volume of {@code size} bytes on up to {@link #SCAN_THREADS}
     * threads (each reading runs of consecutive blocks); returns their hashes, two longs each, in that order.
     */
    private long[] hashBlocks(long[] indexes, int count, long size) throws IOException {
        long[] out = new long[2 * count];
        int threads = Math.min(SCAN_THREADS, Math.min(Runtime.getRuntime().availableProcessors(),
                count / SCAN_CHUNK_BLOCKS));
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        IOException[] failure = new IOException[1];
        Runnable worker = () -> {
            ByteBuffer buffer = threads <= 1 ? scanBuffer : ByteBuffer.allocateDirect(blockSizeBytes);
            long[] h = new long[2];
            try {
                for (int first = next.getAndAdd(SCAN_CHUNK_BLOCKS); first < count;
                     first = next.getAndAdd(SCAN_CHUNK_BLOCKS)) {
                    for (int i = first; i < Math.min(count, first + SCAN_CHUNK_BLOCKS); i++) {
                        int length = readBlock(indexes[i], buffer, size);
                        BlockHasher.hash(buffer, 0, length, h);
                        out[2 * i] = h[0];
                        out[2 * i + 1] = h[1];
                    }
                }
            } catch (IOException e) {
                synchronized (failure) {
                    failure[0] = e;
                }
            }
        };
        if (threads <= 1) {
            worker.run();
        } else {
            Thread[] helpers = new Thread[threads - 1];
            for (int t = 0; t < helpers.length; t++) {
                helpers[t] = new Thread(worker, "vantage-scan-" + t);
                helpers[t].setDaemon(true);
                helpers[t].start();
            }
            worker.run();
            for (Thread t : helpers) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("volume " + file + ": scan interrupted", e);
                }
            }
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        return out;
    }

    /**
     * Records that the manifest matches the file when the file still has the size and modification time it had
     * when a pass that hashed every block (a full sync) began, and no block's hash is unknown: the next
     * {@link #scan()} (or the next process) then trusts it instead of rereading everything. Returns whether it did.
     */
    public synchronized boolean trustIfUnchangedSince(long sizeBytes, long modifiedNanos) throws IOException {
        if (sizeBytes != sizeBytes() || modifiedNanos != modifiedNanos()) {
            return false;
        }
        long blocks = blocksFor(sizeBytes, blockSizeBytes);
        for (long b = 0; b < blocks; b++) {
            if (!manifest.isKnown(b)) {
                return false;
            }
        }
        manifest.truncate(blocks);
        manifest.record(sizeBytes, modifiedNanos);
        manifest.save();
        trustedModifiedNanos = modifiedNanos;
        return true;
    }

    private void rehashUnknown() throws IOException {
        long size = sizeBytes();
        long blocks = blocksFor(size, blockSizeBytes);
        for (long b = 0; b < blocks; b++) {
            if (!manifest.isKnown(b)) {
                int length = readBlock(b, scanBuffer, size);
                BlockHasher.hash(scanBuffer, 0, length, hashScratch);
                manifest.set(b, hashScratch[0], hashScratch[1]);
            }
        }
    }

    // ---------------------------------------------------------------- replication API

    /**
     * Reads block {@code index} into {@code dst} from position 0 (capacity at least the block size), given the
     * volume size; returns the block's length. Thread-safe.
     */
    public int readBlock(long index, ByteBuffer dst, long sizeBytes) throws IOException {
        int length = blockLength(index, sizeBytes);
        dst.clear().limit(length);
        long position = index * blockSizeBytes;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + dst.position());
            if (n < 0) {
                // The file shrank under us: the rest of the block reads as zeros.
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
            }
        }
        dst.flip();
        return length;
    }

    /** Copies the manifest hash of block {@code index} into {@code out[0..1]} ((0, 0) when unknown). */
    public synchronized void manifestHash(long index, long[] out) {
        out[0] = manifest.high(index);
        out[1] = manifest.low(index);
    }

    /** Copies the manifest hashes of blocks {@code first..first+count-1} into {@code out}, two longs each. */
    public synchronized void manifestHashes(long first, int count, long[] out) {
        manifest.copyTo(first, count, out);
    }

    /** The peers that have a dirty bitmap in this volume. */
    public synchronized java.util.Set<String> peers() {
        return java.util.Set.copyOf(trackers.keySet());
    }

    /**
     * Makes sure a dirty bitmap exists for {@code peerId}; a new one starts with every block dirty (the peer has
     * received nothing yet).
     */
    public synchronized void addPeer(String peerId) throws IOException {
        String key = sanitize(peerId);
        if (!trackers.containsKey(key)) {
            trackers.put(key, DirtyBitmap.open(stateDir.resolve("dirty-" + key + ".bitmap"), blockCount()));
        }
    }

    /** Removes the dirty bitmap of {@code peerId}. */
    public synchronized void removePeer(String peerId) throws IOException {
        DirtyBitmap tracker = trackers.remove(sanitize(peerId));
        if (tracker != null) {
            tracker.close();
            Files.deleteIfExists(tracker.file());
        }
    }

    /** The next block at or after {@code from} that is dirty for {@code peerId}, or -1. */
    public synchronized long nextDirty(String peerId, long from) {
        DirtyBitmap tracker = trackers.get(sanitize(peerId));
        return tracker == null ? -1 : tracker.nextDirty(from, blockCount());
    }

    /** Number of blocks dirty for {@code peerId}. */
    public synchronized long dirtyCount(String peerId) {
        DirtyBitmap tracker = trackers.get(sanitize(peerId));
        return tracker == null ? 0 : tracker.count(blockCount());
    }

    public synchronized boolean isDirty(String peerId, long index) {
        DirtyBitmap tracker = trackers.get(sanitize(peerId));
        return tracker != null && tracker.isDirty(index);
    }

    /** The write generation of block {@code index}: it changes every time the block is written or found changed. */
    public synchronized int writeGeneration(long index) {
        return index < writeGenerations.length ? writeGenerations[(int) index] : 0;
    }

    /**
     * Clears the dirty mark of block {@code index} for {@code peerId} unless the block was written again after
     * generation {@code generation} was read. Durable after {@link #forceDirty}.
     */
    public synchronized void clearDirty(String peerId, long index, int generation) {
        DirtyBitmap tracker = trackers.get(sanitize(peerId));
        if (tracker != null && writeGeneration(index) == generation) {
            tracker.clear(index);
        }
    }

    /** Makes the dirty bitmap of {@code peerId} durable. */
    public synchronized void forceDirty(String peerId) {
        DirtyBitmap tracker = trackers.get(sanitize(peerId));
        if (tracker != null) {
            tracker.force();
        }
    }

    /**
     * Writes a replicated block whose content hash is known, without forcing anything; {@link #force()} at the end
     * of a batch makes it durable (data first, then the manifest).
     */
    public synchronized void applyBlock(long index, ByteBuffer data, long hashHigh, long hashLow) throws IOException {
        writeReplicated(index, data, hashHigh, hashLow, null);
    }

    /** Writes a replicated block and marks it dirty for every peer but {@code exceptPeer} (null: every peer). */
    private void writeReplicated(long index, ByteBuffer data, long hashHigh, long hashLow, String exceptPeer)
            throws IOException {
        manifest.invalidateRecord();
        String excluded = exceptPeer == null ? null : sanitize(exceptPeer);
        for (Map.Entry<String, DirtyBitmap> tracker : trackers.entrySet()) {
            if (!tracker.getKey().equals(excluded)) {
                tracker.getValue().markRange(index, index, false);
            }
        }
        bumpGeneration(index);
        boolean trusted = trustedModifiedNanos != -1 && trustedModifiedNanos == modifiedNanos();
        long position = index * blockSizeBytes;
        ByteBuffer src = data.duplicate();
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
        manifest.set(index, hashHigh, hashLow);
        bumpGeneration(index);
        trustedModifiedNanos = trusted ? modifiedNanos() : -1;
    }

    /**
     * Records the hash of block {@code index} as read at write generation {@code generation}; ignored when the
     * block was written since. Saved with the next {@link #saveManifest()}, {@link #force()} or {@link #scan()}.
     */
    public synchronized void recordHash(long index, long hashHigh, long hashLow, int generation) {
        if (writeGeneration(index) == generation) {
            manifest.set(index, hashHigh, hashLow);
        }
    }

    /** Writes the manifest's changed entries to disk. */
    public synchronized void saveManifest() throws IOException {
        manifest.save();
    }

    /** Sets the volume's size (truncating or extending with zeros). */
    public synchronized void resize(long sizeBytes) throws IOException {
        long current = sizeBytes();
        if (sizeBytes == current) {
            return;
        }
        manifest.invalidateRecord();
        boolean trusted = trustedModifiedNanos != -1 && trustedModifiedNanos == modifiedNanos();
        if (sizeBytes < current) {
            channel.truncate(sizeBytes);
        } else {
            channel.write(ByteBuffer.allocate(1), sizeBytes - 1);
        }
        long blocks = blocksFor(sizeBytes, blockSizeBytes);
        manifest.truncate(blocks);
        if (blocks > 0) {
            manifest.forget(blocks - 1);
        }
        for (long b = blocksFor(current, blockSizeBytes); b < blocks; b++) {
            manifest.forget(b);
        }
        trustedModifiedNanos = trusted ? modifiedNanos() : -1;
    }

    private void bumpGeneration(long index) {
        if (index >= writeGenerations.length) {
            writeGenerations = Arrays.copyOf(writeGenerations, (int) Math.max(index + 1, writeGenerations.length * 2L));
        }
        writeGenerations[(int) index]++;
    }

    /** The file's modification time in nanoseconds since the epoch. */
    public long modifiedNanos() {
        try {
            return Files.getLastModifiedTime(file).to(TimeUnit.NANOSECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException("volume " + file + ": stat failed", e);
        }
    }

    /** The file-name-safe key of {@code peerId}; memoised, as the sender clears dirty marks once per block. */
    private String sanitize(String peerId) {
        if (peerId.equals(lastPeerId)) {
            return lastPeerKey;
        }
        StringBuilder key = new StringBuilder(peerId.length());
        for (int i = 0; i < peerId.length(); i++) {
            char c = peerId.charAt(i);
            boolean safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            key.append(safe ? c : '_');
        }
        lastPeerKey = key.toString();
        lastPeerId = peerId;
        return lastPeerKey;
    }

    // ---------------------------------------------------------------- multi-master

    /**
     * Makes this a multi-master copy written by site {@code siteId}: opens (creating when missing) the block
     * versions and the conflict store. Idempotent for the same site.
     *
     * @param wallMillis the wall clock of the hybrid logical clock (inject a fake in tests)
     * @throws IllegalArgumentException when the volume is already multi-master for another site, or the id is bad
     */
    public synchronized void enableMultiMaster(String siteId, LongSupplier wallMillis) throws IOException {
        if (versions != null) {
            if (!this.siteId.equals(siteId)) {
                throw new IllegalArgumentException("siteId: " + siteId + " for volume " + file
                        + " (expected: " + this.siteId + ", the site it is multi-master for)");
            }
            return;
        }
        if (!VersionVector.validSiteId(siteId)) {
            throw new IllegalArgumentException("siteId: '" + siteId
                    + "' (expected: 1..64 letters, digits, '.', '_' or '-' for a multi-master volume)");
        }
        VersionTable table = VersionTable.open(stateDir);
        this.siteId = siteId;
        this.wallMillis = wallMillis;
        this.hlc = new HybridLogicalClock(wallMillis);
        hlc.update(table.maxHlc());
        this.versions = table;
        this.conflictStore = ConflictStore.open(file.resolveSibling(file.getFileName() + ".conflicts"));
        for (long b : table.tornBlocks()) {
            // The record was torn by a crash: its vector is gone. A fresh own counter past any real count makes the
            // block concurrent with whatever peers hold, so resolution keeps both versions instead of losing one.
            Hlc now = hlc.now();
            table.set(b, VersionVector.of(Map.of(siteId, Math.max(1, now.physicalMillis()))), now, siteId, true);
            for (DirtyBitmap tracker : trackers.values()) {
                tracker.markRange(b, b, false);
            }
        }
        table.force();
        for (DirtyBitmap tracker : trackers.values()) {
            tracker.force();
        }
    }

    /**
     * Makes concurrent writes by {@code siteIdOrNull} win conflicts here (the {@code primary_wins} policy; every
     * copy of the volume must prefer the same site); null restores plain last-writer-wins.
     */
    public void preferWriter(String siteIdOrNull) {
        this.preferredWriter = siteIdOrNull;
    }

    /** Whether {@link #enableMultiMaster} was called. */
    public synchronized boolean isMultiMaster() {
        return versions != null;
    }

    /** The site this multi-master copy belongs to, or null when it is not multi-master. */
    public synchronized String multiMasterSiteId() {
        return siteId;
    }

    /** The version of block {@code index} with its manifest hash ((0, 0) when unknown). */
    public synchronized ConflictResolver.BlockVersion version(long index) {
        requireMultiMaster();
        return new ConflictResolver.BlockVersion(index, versions.vector(index), versions.hlc(index),
                versions.writer(index), manifest.high(index), manifest.low(index));
    }

    /** The losing versions kept at this copy, oldest first. */
    public synchronized java.util.List<ConflictRecord> conflicts() {
        return conflictStore == null ? java.util.List.of() : conflictStore.records();
    }

    /** Where the losing versions are kept ({@code FILE.conflicts/}). */
    public Path conflictDirectory() {
        return file.resolveSibling(file.getFileName() + ".conflicts");
    }

    /**
     * Applies a replicated block with its version, received from {@code fromPeer} (a peer id of this volume): when
     * the incoming version came after the local one it is written and marked dirty for every other peer; when the
     * local one includes it nothing is written; when they are concurrent the (HLC, site id) winner becomes current
     * with the merged vector, the loser is kept durably in the conflict store first, and the block is marked dirty
     * for every peer. Durable after {@link #forceData()} or {@link #force()}.
     */
    public synchronized ApplyOutcome applyVersioned(long index, ByteBuffer data, long hashHigh, long hashLow,
                                                    VersionVector vector, Hlc incomingHlc, String writerSite,
                                                    String fromPeer) throws IOException {
        requireMultiMaster();
        hlc.update(incomingHlc);
        ConflictResolver.BlockVersion incoming =
                new ConflictResolver.BlockVersion(index, vector, incomingHlc, writerSite, hashHigh, hashLow);
        long size = sizeBytes();
        if (!manifest.isKnown(index)) {
            int length = readBlock(index, scanBuffer, size);
            BlockHasher.hash(scanBuffer, 0, length, hashScratch);
            manifest.set(index, hashScratch[0], hashScratch[1]);
        }
        ConflictResolver.BlockVersion local = version(index);
        if (local.vector().isEmpty() && vector.isEmpty()
                && (local.hashHigh() != hashHigh || local.hashLow() != hashLow)) {
            // Neither copy was ever written under versioning: an absent or all-zero block holds nothing to keep
            // (a copy that starts empty, a shadow never seeded), so the copy with content wins without a conflict.
            boolean localBlank = isBlank(scanBuffer, readBlock(index, scanBuffer, size));
            boolean incomingBlank = isBlank(data.duplicate(), data.remaining());
            if (localBlank && !incomingBlank) {
                writeReplicated(index, data, hashHigh, hashLow, fromPeer);
                return ApplyOutcome.APPLIED;
            }
            if (incomingBlank && !localBlank) {
                return ApplyOutcome.ALREADY_KNOWN;
            }
        }
        ConflictResolver.Resolution r = ConflictResolver.decide(local, incoming, preferredWriter);
        if (!r.conflict()) {
            if (r.winner() == local) {
                return ApplyOutcome.ALREADY_KNOWN;
            }
            writeReplicated(index, data, hashHigh, hashLow, fromPeer);
            versions.set(index, vector, incomingHlc, writerSite, false);
            return ApplyOutcome.APPLIED;
        }
        if (r.winner() == local) {
            conflictStore.keep(index, local, incoming, data.duplicate(), siteId, wallMillis.getAsLong());
            for (DirtyBitmap tracker : trackers.values()) {
                tracker.markRange(index, index, false);
            }
            bumpGeneration(index);
            versions.set(index, r.merged(), local.hlc(), local.siteId(), false);
            bumpGeneration(index);
            return ApplyOutcome.CONFLICT_KEPT_LOCAL;
        }
        ByteBuffer localBytes = ByteBuffer.allocate(blockSizeBytes);
        int length = blockLength(index, size);
        localBytes.limit(length);
        long position = index * blockSizeBytes;
        while (localBytes.hasRemaining() && channel.read(localBytes, position + localBytes.position()) >= 0) {
            // read the whole local block
        }
        localBytes.flip();
        conflictStore.keep(index, incoming, local, localBytes, siteId, wallMillis.getAsLong());
        writeReplicated(index, data, hashHigh, hashLow, null);
        versions.set(index, r.merged(), incomingHlc, writerSite, false);
        return ApplyOutcome.CONFLICT_TOOK_REMOTE;
    }

    /** Whether the {@code length} bytes from {@code buf}'s position are absent (0) or all zero. */
    private static boolean isBlank(ByteBuffer buf, int length) {
        int start = buf.position();
        for (int i = 0; i < length; i++) {
            if (buf.get(start + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Ticks the clock and this site's counter of every block in first..last; durable before returning. */
    private void recordLocalWrites(long first, long last) throws IOException {
        if (versions.hasPending()) {
            // Replicated versions reach disk only after their data: make both durable before this write's version.
            channel.force(false);
            for (DirtyBitmap tracker : trackers.values()) {
                tracker.force();
            }
            versions.flushPending();
        }
        for (long b = first; b <= last; b++) {
            versions.set(b, versions.vector(b).increment(siteId), hlc.now(), siteId, true);
        }
        versions.force();
    }

    private void requireMultiMaster() {
        if (versions == null) {
            throw new IllegalStateException("volume " + file + " is not multi-master (expected: enableMultiMaster"
                    + " first)");
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (versions != null) {
            versions.close();
        }
        for (DirtyBitmap tracker : trackers.values()) {
            tracker.close();
        }
        manifest.close();
        channel.close();
    }
}
