package dev.vantage.predictor.internal;

/**
 * Requests per bucket at one site: a double-seasonal Holt-Winters forecast (daily and weekly seasons in buckets,
 * fitted once two days of buckets exist, updated per bucket afterwards) with a 95 % interval from its one-step
 * errors (the conformal quantile of the last week's absolute one-step errors, recomputed when a bucket closes;
 * a Gaussian 1.96 x RMS assumed a normal error and under-covered on M4), and a robust z-score detector over the bucket counts that raises alerts.
 *
 * <p>Threading: owned by the model owner thread.
 */
final class DemandTracker {

    private static final HoltWinters.Params PARAMS = new HoltWinters.Params(0.1, 0, 0.1, 0.1, 1.0, false);

    private final long bucketMillis;
    private final int day;
    private final int week;
    private final double[] history;
    private int historyLength;
    private long bucketStart = Long.MIN_VALUE;
    private long count;
    private HoltWinters hw;
    private final double[] absErrors;
    private int absErrorCount;
    private int absErrorNext;
    private final double[] sortScratch;
    private double upperHalfWidth;
    private boolean halfWidthStale;
    private final RobustAnomalyDetector detector;
    private double lastZ;
    private boolean alertPending;
    private long alertBucketStart;
    private long alertCount;

    DemandTracker(long bucketMillis, double zThreshold) {
        this.bucketMillis = bucketMillis;
        this.day = (int) Math.max(1, 86_400_000L / bucketMillis);
        this.week = day * 7;
        this.history = new double[2 * week];
        this.absErrors = new double[week];
        this.sortScratch = new double[week];
        this.detector = new RobustAnomalyDetector(day, week, week, Math.max(1, day / 24), zThreshold, day / 4, true);
    }

    void record(long timeMillis) {
        long start = Math.floorDiv(timeMillis, bucketMillis) * bucketMillis;
        if (bucketStart == Long.MIN_VALUE) {
            bucketStart = start;
        }
        if (start > bucketStart) {
            // Close the current bucket and any empty ones in between (bounded by one week of buckets).
            long steps = Math.min((start - bucketStart) / bucketMillis, week);
            for (long i = 0; i < steps; i++) {
                close(i == 0 ? count : 0, bucketStart + i * bucketMillis);
            }
            bucketStart = start;
            count = 0;
        }
        if (start == bucketStart) {
            count++;
        }
    }

    private void close(long requests, long startMillis) {
        if (historyLength == history.length) {
            System.arraycopy(history, 1, history, 0, historyLength - 1);
            historyLength--;
        }
        history[historyLength++] = requests;
        if (hw != null) {
            hw.update(requests);
            recordError(Math.abs(hw.lastOneStepError()));
        } else if (historyLength >= 2 * day) {
            hw = HoltWinters.fit(PARAMS, day, week, history, historyLength);
        }
        if (detector.offer(requests)) {
            alertPending = true;
            alertBucketStart = startMillis;
            alertCount = requests;
            lastZ = detector.lastZScore();
        }
    }

    private void recordError(double absError) {
        absErrors[absErrorNext] = absError;
        absErrorNext = (absErrorNext + 1) % absErrors.length;
        absErrorCount = Math.min(absErrorCount + 1, absErrors.length);
        halfWidthStale = true;
    }

    /**
     * The split-conformal quantile {@code ceil((m + 1) level)}-th smallest of {@code m} absolute errors (the
     * largest when there are too few), so that a new error falls within it with probability {@code >= level}.
     */
    static double conformalQuantile(double[] absErrors, int m, double[] scratch, double level) {
        if (m == 0) {
            return 0;
        }
        System.arraycopy(absErrors, 0, scratch, 0, m);
        java.util.Arrays.sort(scratch, 0, m);
        int rank = Math.min(m, (int) Math.ceil((m + 1) * level));
        return scratch[rank - 1];
    }

    /** Point forecast of requests per second for the next bucket, never below the current bucket's rate. */
    double predictedRate(long nowMillis) {
        double perBucket;
        if (hw != null) {
            perBucket = Math.max(0, hw.forecastAt(1));
        } else if (historyLength > 0) {
            perBucket = history[historyLength - 1];
        } else {
            perBucket = 0;
        }
        double rate = perBucket * 1000.0 / bucketMillis;
        long elapsed = nowMillis - bucketStart;
        if (bucketStart != Long.MIN_VALUE && elapsed >= 1000 && elapsed <= bucketMillis) {
            rate = Math.max(rate, count * 1000.0 / elapsed);
        }
        return rate;
    }

    /** Upper end of the 95 % interval of the next bucket's rate. */
    double upperRate(long nowMillis) {
        if (halfWidthStale) {
            // Sorted at most once per closed bucket, on the decision path rather than per event.
            upperHalfWidth = conformalQuantile(absErrors, absErrorCount, sortScratch, 0.95);
            halfWidthStale = false;
        }
        double spread = hw == null ? 0 : upperHalfWidth * 1000.0 / bucketMillis;
        return predictedRate(nowMillis) + spread;
    }

    /** Returns and clears the pending alert, or null. */
    double[] takeAlert() {
        if (!alertPending) {
            return null;
        }
        alertPending = false;
        return new double[] {alertBucketStart, alertCount, lastZ};
    }
}
