package dev.vantage.perf.internal;

/** A growable FIFO of primitive longs (no boxing); single-threaded. */
final class LongRing {

    private long[] values;
    private int head;
    private int size;

    LongRing(int initialCapacity) {
        values = new long[Integer.highestOneBit(Math.max(2, initialCapacity - 1)) << 1];
    }

    void add(long value) {
        if (size == values.length) {
            long[] bigger = new long[values.length << 1];
            for (int i = 0; i < size; i++) {
                bigger[i] = values[(head + i) & (values.length - 1)];
            }
            values = bigger;
            head = 0;
        }
        values[(head + size) & (values.length - 1)] = value;
        size++;
    }

    long peek() {
        if (size == 0) {
            throw new IllegalStateException("ring is empty");
        }
        return values[head];
    }

    long poll() {
        long value = peek();
        head = (head + 1) & (values.length - 1);
        size--;
        return value;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }
}
