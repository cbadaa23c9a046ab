package dev.vantage.replication.internal;

import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Selection;
import dev.vantage.replication.Volume;

/**
 * Which blocks a session considers: every block (full), the blocks dirty for the peer after a scan (delta), or the
 * selected block ranges and files (selective). A "file" selection is either a byte range {@code bytes:START-END}
 * of the volume file (inclusive offsets) or a path inside the ext2/3/4 filesystem the volume holds, resolved by
 * {@link ExtFilesystem} each time a session plans (so a file rewritten in place between cycles is followed) to the
 * blocks of its data and of the metadata that maps it. Either covers every volume block it touches.
 */
public final class BlockPlan {

    private static final String BYTES_PREFIX = "bytes:";

    private BlockPlan() {
    }

    /** The candidate block indexes, ascending. */
    public static long[] candidates(Volume volume, ReplicationMode mode, List<Selection> selections, String peerId)
            throws IOException {
        long blocks = volume.blockCount();
        switch (mode) {
            case FULL: {
                long[] all = new long[(int) blocks];
                for (int i = 0; i < all.length; i++) {
                    all[i] = i;
                }
                return all;
            }
            case DELTA: {
                volume.scan();
                long count = volume.dirtyCount(peerId);
                long[] dirty = new long[(int) count];
                int n = 0;
                for (long b = volume.nextDirty(peerId, 0); b >= 0 && n < dirty.length; b = volume.nextDirty(peerId, b + 1)) {
                    dirty[n++] = b;
                }
                return n == dirty.length ? dirty : Arrays.copyOf(dirty, n);
            }
            default: {
                BitSet chosen = new BitSet();
                for (Selection selection : selections) {
                    long first;
                    long last;
                    if (selection.isFile() && !selection.file().startsWith(BYTES_PREFIX)) {
                        chooseFile(volume, selection.file(), chosen);
                        continue;
                    }
                    if (selection.isFile()) {
                        long[] range = parseByteRange(selection.file());
                        first = range[0] / volume.blockSizeBytes();
                        last = range[1] / volume.blockSizeBytes();
                    } else {
                        first = selection.firstBlock();
                        last = selection.lastBlock();
                    }
                    if (first < 0 || last < first) {
                        throw new IllegalArgumentException("selection blocks " + first + ".." + last
                                + " (expected: 0 <= first <= last)");
                    }
                    first = Math.min(first, blocks);
                    last = Math.min(last, blocks - 1);
                    if (first <= last) {
                        chosen.set((int) first, (int) last + 1);
                    }
                }
                return chosen.stream().asLongStream().toArray();
            }
        }
    }

    /**
     * Marks the volume blocks holding {@code path}'s data and the filesystem blocks that map it (inode table block,
     * extent tree or indirect blocks).
     */
    static void chooseFile(Volume volume, String path, BitSet chosen) throws IOException {
        if (path.isBlank()) {
            throw new IllegalArgumentException("file selection: '" + path + "' (expected: bytes:START-END or a path"
                    + " inside the volume's ext2/3/4 filesystem)");
        }
        ExtFilesystem.FileMap map;
        try (ExtFilesystem fs = ExtFilesystem.open(volume.file())) {
            map = fs.resolve(path);
        } catch (IOException e) {
            String message = e.getMessage();
            String shown = path.startsWith("/") ? path : "/" + path;
            throw new IOException("file selection: " + (message.startsWith(shown + ":") ? "" : shown + ": ")
                    + message, e);
        }
        long blocks = volume.blockCount();
        for (ExtFilesystem.DataRange range : map.data()) {
            mark(chosen, range.volumeOffsetBytes(), range.lengthBytes(), volume.blockSizeBytes(), blocks);
        }
        for (long offset : map.metadataOffsets()) {
            mark(chosen, offset, map.blockSizeBytes(), volume.blockSizeBytes(), blocks);
        }
    }

    private static void mark(BitSet chosen, long offsetBytes, long lengthBytes, int blockSizeBytes, long blocks) {
        if (lengthBytes <= 0) {
            return;
        }
        long first = offsetBytes / blockSizeBytes;
        long last = Math.min((offsetBytes + lengthBytes - 1) / blockSizeBytes, blocks - 1);
        if (first <= last) {
            chosen.set((int) first, (int) last + 1);
        }
    }

    /** Parses {@code bytes:START-END} into {START, END}. */
    static long[] parseByteRange(String file) {
        String expected = " (expected: bytes:START-END with 0 <= START <= END, byte offsets in the volume file)";
        if (!file.startsWith("bytes:")) {
            throw new IllegalArgumentException("file selection: '" + file + "'" + expected);
        }
        String[] parts = file.substring("bytes:".length()).split("-", 2);
        try {
            long start = Long.parseLong(parts[0].trim());
            long end = Long.parseLong(parts[1].trim());
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("file selection: '" + file + "'" + expected);
            }
            return new long[] {start, end};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("file selection: '" + file + "'" + expected, e);
        }
    }
}
