package dev.vantage.probe.internal;

import java.util.Arrays;

/**
 * The one timer of the probe thread: a binary min-heap of target slots by {@link TargetSlot#timerDueNanos}, where
 * each live slot has exactly one entry (its next probe start while idle, its probe deadline while a probe is in
 * flight). The driver keeps a single event-loop timer armed at the earliest entry instead of one task per probe and
 * one per timeout. Starts are rounded down and deadlines up to a grid ({@link #gridNanos}), so that the probes of
 * 1 000 targets wake the thread about 100 times a second, not 2 000. Probe thread only; not thread-safe.
 */
final class ProbeTimers {

    /** Grid of targets probed every 200 ms or slower: a start may come up to 10 ms early, a timeout 10 ms late. */
    static final long COARSE_GRID_NANOS = 10_000_000L;
    /** Grid of faster targets. */
    static final long FINE_GRID_NANOS = 1_000_000L;

    private TargetSlot[] heap = new TargetSlot[16];
    private int size;

    /** The rounding grid of a target whose period (interval or timeout) is {@code periodMillis}. */
    static long gridNanos(long periodMillis) {
        if (periodMillis >= 200) {
            return COARSE_GRID_NANOS;
        }
        return periodMillis >= 20 ? FINE_GRID_NANOS : 1;
    }

    static long roundDown(long nanos, long gridNanos) {
        return nanos - Math.floorMod(nanos, gridNanos);
    }

    static long roundUp(long nanos, long gridNanos) {
        long down = roundDown(nanos, gridNanos);
        return down == nanos ? nanos : down + gridNanos;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest due time, or {@link Long#MAX_VALUE} when empty. */
    long peekDueNanos() {
        return size == 0 ? Long.MAX_VALUE : heap[0].timerDueNanos;
    }

    /** Removes and returns the slot due first. */
    TargetSlot poll() {
        TargetSlot first = heap[0];
        removeAt(0);
        return first;
    }

    /** Enters {@code slot} with due time {@code dueNanos}, or moves it there when already entered. */
    void schedule(TargetSlot slot, long dueNanos) {
        if (slot.timerIndex >= 0) {
            long before = slot.timerDueNanos;
            slot.timerDueNanos = dueNanos;
            if (dueNanos - before < 0) {
                siftUp(slot.timerIndex);
            } else {
                siftDown(slot.timerIndex);
            }
            return;
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        slot.timerDueNanos = dueNanos;
        slot.timerIndex = size;
        heap[size++] = slot;
        siftUp(size - 1);
    }

    /** Takes {@code slot} out; nothing when it is not entered. */
    void remove(TargetSlot slot) {
        if (slot.timerIndex >= 0) {
            removeAt(slot.timerIndex);
        }
    }

    /** Every entered slot, in no particular order (a copy). */
    TargetSlot[] slots() {
        return Arrays.copyOf(heap, size);
    }

    private void removeAt(int index) {
        TargetSlot removed = heap[index];
        removed.timerIndex = -1;
        size--;
        if (index == size) {
            heap[size] = null;
            return;
        }
        TargetSlot last = heap[size];
        heap[size] = null;
        heap[index] = last;
        last.timerIndex = index;
        siftDown(index);
        if (heap[index] == last) {
            siftUp(index);
        }
    }

    private void siftUp(int index) {
        TargetSlot slot = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            TargetSlot above = heap[parent];
            if (above.timerDueNanos - slot.timerDueNanos <= 0) {
                break;
            }
            heap[index] = above;
            above.timerIndex = index;
            index = parent;
        }
        heap[index] = slot;
        slot.timerIndex = index;
    }

    private void siftDown(int index) {
        TargetSlot slot = heap[index];
        int half = size >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            int right = child + 1;
            if (right < size && heap[right].timerDueNanos - heap[child].timerDueNanos < 0) {
                child = right;
            }
            if (slot.timerDueNanos - heap[child].timerDueNanos <= 0) {
                break;
            }
            heap[index] = heap[child];
            heap[index].timerIndex = index;
            index = child;
        }
        heap[index] = slot;
        slot.timerIndex = index;
    }
}
