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
 * selected block and byte ranges (selective). With a plain-file volume a "file" selection names a byte range
 * {@code bytes:START-END} (inclusive offsets), which covers every block it touches.
 */
public final class BlockPlan {

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
