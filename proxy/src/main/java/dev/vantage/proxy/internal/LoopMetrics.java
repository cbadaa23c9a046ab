package dev.vantage.proxy.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counters of one event loop. Single writer (the loop thread) with opaque stores, so the admin thread reads
 * untorn, eventually consistent values without any lock or CAS on the request path.
 */
public final class LoopMetrics {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    /** Upper bounds of the request duration histogram, seconds (the Prometheus {@code le} labels). */
    public static final double[] LATENCY_BUCKETS_SECONDS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final long[] LATENCY_BUCKETS_NANOS = new long[LATENCY_BUCKETS_SECONDS.length];

    static {
        for (int i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
            LATENCY_BUCKETS_NANOS[i] = Math.round(LATENCY_BUCKETS_SECONDS[i] * 1e9);
        }
    }

    public static final int REQUESTS_1XX = 0;
    public static final int REQUESTS_2XX = 1;
    public static final int REQUESTS_3XX = 2;
    public static final int REQUESTS_4XX = 3;
    public static final int REQUESTS_5XX = 4;
    public static final int REQUEST_BODY_BYTES = 5;
    public static final int RESPONSE_BYTES = 6;
    public static final int CONNECTIONS_ACCEPTED = 7;
    public static final int CONNECTIONS_CLOSED = 8;
    public static final int UPSTREAM_CONNECTS = 9;
    public static final int UPSTREAM_CONNECT_FAILURES = 10;
    public static final int UPSTREAM_CLOSES = 11;
    public static final int POOL_REUSES = 12;
    public static final int UPSTREAM_TIMEOUTS = 13;
    public static final int REJECTED_REQUESTS = 14;
    public static final int RETRIES = 15;
    public static final int LATENCY_SUM_NANOS = 16;
    public static final int LATENCY_COUNT = 17;
    public static final int HEADER_TIMEOUTS = 18;
    public static final int TUNNELS = 19;
    public static final int SHADOW_REQUESTS = 20;
    public static final int HEDGES_SENT = 21;
    public static final int HEDGES_WON = 22;
    private static final int BUCKETS = 23;
    private static final int SIZE = BUCKETS + LATENCY_BUCKETS_SECONDS.length;

    private final long[] slots = new long[SIZE];

    void increment(int slot) {
        SLOT.setOpaque(slots, slot, (long) SLOT.getOpaque(slots, slot) + 1);
    }

    void add(int slot, long delta) {
        SLOT.setOpaque(slots, slot, (long) SLOT.getOpaque(slots, slot) + delta);
    }

    void recordResponse(int status, long latencyNanos) {
        int statusClass = status / 100 - 1;
        increment(statusClass < 0 ? REQUESTS_5XX : Math.min(statusClass, REQUESTS_5XX));
        add(LATENCY_SUM_NANOS, latencyNanos);
        increment(LATENCY_COUNT);
        for (int i = 0; i < LATENCY_BUCKETS_NANOS.length; i++) {
            if (latencyNanos <= LATENCY_BUCKETS_NANOS[i]) {
                increment(BUCKETS + i);
                return;
            }
        }
    }

    /** The current value of a counter (any thread). */
    public long get(int slot) {
        return (long) SLOT.getOpaque(slots, slot);
    }

    /** Requests that fell in latency bucket {@code index} (not cumulative). */
    public long bucket(int index) {
        return get(BUCKETS + index);
    }
}
