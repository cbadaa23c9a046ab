package dev.vantage.predictor.internal;

/**
 * An open-addressing map from {@code long} keys to non-negative {@code int} values (linear probing), built for
 * the model owner's hot path: no boxing, no allocation except when it grows. Keys and values are interleaved in one
 * array, so that a lookup of a cold map costs one cache miss rather than one per array.
 *
 * <p>Threading: single writer, no concurrent readers.
 */
public final class LongIntMap {

    /** Returned by {@link #get} when the key is absent. */
    public static final int MISSING = -1;

    /** Slot i holds its key at {@code 2i} and its value at {@code 2i + 1} ({@link #MISSING} when empty). */
    private long[] table;
    private int size;
    private int mask;

    public LongIntMap(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize * 2 - 1)) << 1;
        table = newTable(capacity);
        mask = capacity - 1;
    }

    private static long[] newTable(int capacity) {
        long[] t = new long[2 * capacity];
        for (int i = 1; i < t.length; i += 2) {
            t[i] = MISSING;
        }
        return t;
    }

    public int size() {
        return size;
    }

    /** The value of {@code key}, or {@link #MISSING}. */
    public int get(long key) {
        long[] t = table;
        int i = slot(key);
        long value;
        while ((value = t[2 * i + 1]) != MISSING) {
            if (t[2 * i] == key) {
                return (int) value;
            }
            i = (i + 1) & mask;
        }
        return MISSING;
    }

    /** Sets {@code key} to {@code value} (which must be &gt;= 0). */
    public void put(long key, int value) {
        long[] t = table;
        int i = slot(key);
        while (t[2 * i + 1] != MISSING) {
            if (t[2 * i] == key) {
                t[2 * i + 1] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        t[2 * i] = key;
        t[2 * i + 1] = value;
        if (++size * 4 > (mask + 1) * 3) {
            grow();
        }
    }

    /** Bytes held by the array, for memory metrics. */
    public long footprintBytes() {
        return (long) table.length * Long.BYTES;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] old = table;
        int capacity = (mask + 1) * 2;
        table = newTable(capacity);
        mask = capacity - 1;
        size = 0;
        for (int i = 0; i < old.length; i += 2) {
            if (old[i + 1] != MISSING) {
                put(old[i], (int) old[i + 1]);
            }
        }
    }
}
