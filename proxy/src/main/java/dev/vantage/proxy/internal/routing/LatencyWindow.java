package dev.vantage.proxy.internal.routing;

import org.HdrHistogram.Histogram;

/**
 * A route's recent response-time quantile for hedging: two HdrHistograms that take turns, each covering one
 * window, so the quantile reflects the last one to two windows. The quantile is recomputed on read only when
 * {@link #RECOMPUTE_EVERY} new samples arrived or {@link #RECOMPUTE_AFTER_NANOS} passed since the last time, and on
 * window turns, so most reads cost a few field loads.
 *
 * <p>Threading: not thread-safe; one per route per event loop.
 */
final class LatencyWindow {

    static final int MIN_SAMPLES = 20;
    private static final int RECOMPUTE_EVERY = 64;
    private static final long RECOMPUTE_AFTER_NANOS = 100_000_000L;
    private static final long HIGHEST_TRACKABLE_NANOS = 3_600_000_000_000L;

    private final long windowNanos;
    private final double percentile;
    private Histogram current = new Histogram(1_000, HIGHEST_TRACKABLE_NANOS, 2);
    private Histogram previous = new Histogram(1_000, HIGHEST_TRACKABLE_NANOS, 2);
    private final Histogram merged = new Histogram(1_000, HIGHEST_TRACKABLE_NANOS, 2);
    private long windowStartNanos;
    private int sinceRecompute;
    private long quantileNanos = -1;
    private long recomputedAtNanos;

    LatencyWindow(long windowNanos, double percentile, long nowNanos) {
        this.windowNanos = windowNanos;
        this.percentile = percentile;
        this.windowStartNanos = nowNanos;
    }

    void record(long latencyNanos, long nowNanos) {
        turn(nowNanos);
        current.recordValue(Math.max(1_000, Math.min(HIGHEST_TRACKABLE_NANOS, latencyNanos)));
        sinceRecompute++;
    }

    /** The quantile in nanoseconds, or -1 with fewer than {@link #MIN_SAMPLES} samples. */
    long quantileNanos(long nowNanos) {
        turn(nowNanos);
        if (sinceRecompute > 0 && (sinceRecompute >= RECOMPUTE_EVERY || quantileNanos < 0
                || nowNanos - recomputedAtNanos >= RECOMPUTE_AFTER_NANOS)) {
            recompute(nowNanos);
        }
        return quantileNanos;
    }

    private void turn(long nowNanos) {
        long age = nowNanos - windowStartNanos;
        if (age >= windowNanos) {
            Histogram oldest = previous;
            previous = current;
            current = oldest;
            current.reset();
            if (age >= 2 * windowNanos) {
                previous.reset();
            }
            windowStartNanos = nowNanos;
            recompute(nowNanos);
        }
    }

    private void recompute(long nowNanos) {
        sinceRecompute = 0;
        recomputedAtNanos = nowNanos;
        merged.reset();
        merged.add(current);
        merged.add(previous);
        quantileNanos = merged.getTotalCount() < MIN_SAMPLES ? -1 : merged.getValueAtPercentile(percentile);
    }
}
