package dev.vantage.replication.internal;

import java.util.Arrays;

/**
 * An open-addressing map from a 128-bit block hash to one block index holding that content. Used for dedup
 * (sender: "the destination has this hash somewhere") and reference resolution (receiver). Entries are hints: the
 * block may have been overwritten since, so users verify before relying on one. Not thread-safe; one owner.
 */
public final class HashIndex {

    private long[] highs;
    private long[] lows;
    private long[] indexes;
    private int size;
    private int mask;

    public HashIndex(int expectedEntries) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedEntries * 2 - 1)) << 1;
        allocate(capacity);
    }

    private void allocate(int capacity) {
        highs = new long[capacity];
        lows = new long[capacity];
        indexes = new long[capacity];
        Arrays.fill(indexes, -1);
        mask = capacity - 1;
        size = 0;
    }

    /** Maps the hash to {@code blockIndex} (replacing any earlier index). The unknown hash (0, 0) is ignored. */
    public void put(long high, long low, long blockIndex) {
        if (high == 0 && low == 0) {
            return;
        }
        if ((size + 1) * 2 > highs.length) {
            grow();
        }
        int slot = slot(high, low);
        while (indexes[slot] != -1) {
            if (highs[slot] == high && lows[slot] == low) {
                indexes[slot] = blockIndex;
                return;
            }
            slot = (slot + 1) & mask;
        }
        highs[slot] = high;
        lows[slot] = low;
        indexes[slot] = blockIndex;
        size++;
    }

    /** A block index holding this hash, or -1. */
    public long get(long high, long low) {
        int slot = slot(high, low);
        while (indexes[slot] != -1) {
            if (highs[slot] == high && lows[slot] == low) {
                return indexes[slot];
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    public int size() {
        return size;
    }

    private int slot(long high, long low) {
        long h = high ^ (low * 0x9E3779B97F4A7C15L);
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldHighs = highs;
        long[] oldLows = lows;
        long[] oldIndexes = indexes;
        allocate(highs.length * 2);
        for (int i = 0; i < oldIndexes.length; i++) {
            if (oldIndexes[i] != -1) {
                put(oldHighs[i], oldLows[i], oldIndexes[i]);
            }
        }
    }
}
