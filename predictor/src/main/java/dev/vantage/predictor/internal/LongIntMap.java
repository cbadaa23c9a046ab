package dev.vantage.predictor.internal;

import java.util.Arrays;

/**
 * An open-addressing map from {@code long} keys to non-negative {@code int} values (linear probing), built for
 * the model owner's hot path: no boxing, no allocation except when it grows.
 *
 * <p>Threading: single writer, no concurrent readers.
 */
public final class LongIntMap {

    /** Returned by {@link #get} when the key is absent. */
    public static final int MISSING = -1;

    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    public LongIntMap(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, MISSING);
        mask = capacity - 1;
    }

    public int size() {
        return size;
    }

    /** The value of {@code key}, or {@link #MISSING}. */
    public int get(long key) {
        int i = slot(key);
        while (values[i] != MISSING) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return MISSING;
    }

    /** Sets {@code key} to {@code value} (which must be &gt;= 0). */
    public void put(long key, int value) {
        int i = slot(key);
        while (values[i] != MISSING) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        if (++size * 4 > keys.length * 3) {
            grow();
        }
    }

    /** Bytes held by the arrays, for memory metrics. */
    public long footprintBytes() {
        return (long) keys.length * (Long.BYTES + Integer.BYTES);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(values, MISSING);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != MISSING) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
