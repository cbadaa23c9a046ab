package dev.vantage.replication.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The per-block XXH3-128 hashes of a volume, persisted in a side file: a 64-byte header (magic, block size, the
 * volume's size and modification time when the manifest was last made consistent with it) and 16 bytes per block.
 * A hash of (0, 0) means "unknown" (never hashed, or written since). Not thread-safe: the owning volume
 * serialises every call.
 */
public final class BlockManifest implements AutoCloseable {

    private static final long MAGIC = 0x56544D414E494631L; // "VTMANIF1"
    private static final int HEADER_BYTES = 64;
    private static final int ENTRY_BYTES = 16;

    private final Path file;
    private final FileChannel channel;
    private final int blockSizeBytes;
    private long[] hashes;
    private final BitSet unsaved = new BitSet();
    private long recordedSizeBytes = -1;
    private long recordedModifiedNanos = -1;

    private BlockManifest(Path file, FileChannel channel, int blockSizeBytes, long[] hashes) {
        this.file = file;
        this.channel = channel;
        this.blockSizeBytes = blockSizeBytes;
        this.hashes = hashes;
    }

    /**
     * Opens the manifest in {@code file}. A missing file, or one written for another block size, yields a manifest
     * where every hash is unknown and nothing is recorded (a scan will rebuild it).
     */
    public static BlockManifest open(Path file, int blockSizeBytes, long blockCount) throws IOException {
        boolean exists = Files.exists(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        BlockManifest manifest = new BlockManifest(file, channel, blockSizeBytes, new long[(int) (2 * blockCount)]);
        if (exists && channel.size() >= HEADER_BYTES) {
            ByteBuffer header = readFully(channel, 0, HEADER_BYTES);
            if (header.getLong(0) == MAGIC && header.getInt(8) == blockSizeBytes) {
                long entries = (channel.size() - HEADER_BYTES) / ENTRY_BYTES;
                manifest.ensureCapacity(entries);
                ByteBuffer body = readFully(channel, HEADER_BYTES, (int) (entries * ENTRY_BYTES));
                for (int i = 0; i < 2 * entries; i++) {
                    manifest.hashes[i] = body.getLong();
                }
                manifest.recordedSizeBytes = header.getLong(16);
                manifest.recordedModifiedNanos = header.getLong(24);
            } else {
                channel.truncate(0);
            }
        }
        return manifest;
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                break;
            }
        }
        buf.flip();
        return buf;
    }

    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    /** Whether the volume's size and modification time are those recorded when the manifest was last consistent. */
    public boolean matches(long sizeBytes, long modifiedNanos) {
        return sizeBytes == recordedSizeBytes && modifiedNanos == recordedModifiedNanos;
    }

    /** Records the volume's size and modification time at a moment when every hash matches the volume. */
    public void record(long sizeBytes, long modifiedNanos) {
        recordedSizeBytes = sizeBytes;
        recordedModifiedNanos = modifiedNanos;
    }

    /** Forgets the recorded size and time: the next open will rescan. Used before writing blocks. */
    public void invalidateRecord() throws IOException {
        if (recordedSizeBytes != -1) {
            recordedSizeBytes = -1;
            recordedModifiedNanos = -1;
            writeHeader();
            channel.force(false);
        }
    }

    public long high(long index) {
        int i = (int) (2 * index);
        return i + 1 < hashes.length ? hashes[i] : 0;
    }

    public long low(long index) {
        int i = (int) (2 * index);
        return i + 1 < hashes.length ? hashes[i + 1] : 0;
    }

    public boolean isKnown(long index) {
        return high(index) != 0 || low(index) != 0;
    }

    public boolean matches(long index, long high, long low) {
        return high(index) == high && low(index) == low;
    }

    public void set(long index, long high, long low) {
        ensureCapacity(index + 1);
        int i = (int) (2 * index);
        if (hashes[i] != high || hashes[i + 1] != low) {
            hashes[i] = high;
            hashes[i + 1] = low;
            unsaved.set((int) index);
        }
    }

    public void forget(long index) {
        set(index, 0, 0);
    }

    /** Drops entries at and after {@code blockCount} (the volume shrank). */
    public void truncate(long blockCount) throws IOException {
        for (long b = blockCount; 2 * b + 1 < hashes.length; b++) {
            hashes[(int) (2 * b)] = 0;
            hashes[(int) (2 * b + 1)] = 0;
        }
        unsaved.clear((int) blockCount, Math.max((int) blockCount, unsaved.length()));
        channel.truncate(HEADER_BYTES + blockCount * ENTRY_BYTES);
    }

    /** Copies the hashes of blocks {@code first..first+count-1} into {@code out} (two longs each). */
    public void copyTo(long first, int count, long[] out) {
        for (int k = 0; k < count; k++) {
            out[2 * k] = high(first + k);
            out[2 * k + 1] = low(first + k);
        }
    }

    /** Writes changed entries and the header, then forces the file. */
    public void save() throws IOException {
        saveEntries();
        writeHeader();
        channel.force(false);
    }

    /** Writes changed entries, without the header and without forcing. */
    public void saveEntries() throws IOException {
        ByteBuffer run = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = unsaved.nextSetBit(0); b >= 0; ) {
            int end = unsaved.nextClearBit(b);
            int from = b;
            while (from < end) {
                int n = Math.min(end - from, run.capacity() / ENTRY_BYTES);
                run.clear();
                for (int k = 0; k < n; k++) {
                    run.putLong(hashes[2 * (from + k)]).putLong(hashes[2 * (from + k) + 1]);
                }
                run.flip();
                long position = HEADER_BYTES + (long) from * ENTRY_BYTES;
                while (run.hasRemaining()) {
                    position += channel.write(run, position);
                }
                from += n;
            }
            b = unsaved.nextSetBit(end);
        }
        unsaved.clear();
    }

    private void writeHeader() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(0, MAGIC).putInt(8, blockSizeBytes).putLong(16, recordedSizeBytes)
                .putLong(24, recordedModifiedNanos);
        long position = 0;
        while (header.hasRemaining()) {
            position += channel.write(header, position);
        }
    }

    private void ensureCapacity(long blockCount) {
        if (2 * blockCount > hashes.length) {
            hashes = Arrays.copyOf(hashes, (int) Math.max(2 * blockCount, hashes.length * 2L));
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
