package dev.vantage.predictor.internal;

import java.util.Arrays;

/**
 * Robust anomaly detection on a stream of values: each value is compared with a seasonal expectation (the median
 * of the values one, two and three long seasons ago, else short seasons ago, else the previous value) and the residual's robust z-score
 * {@code (r - median) / (1.4826 MAD)} is taken over a trailing window of residuals; an alert is raised when
 * {@code |z|} exceeds the threshold and no alert was raised within the refractory period. The median and MAD are
 * recomputed every {@code refreshEvery} values (a sorted copy of the window), which keeps the cost per value low.
 * With {@code seasonal == false} the raw values are scored instead of residuals (the README baseline).
 *
 * <p>Threading: single writer.
 */
public final class RobustAnomalyDetector {

    static final int LAGS = 3;

    private final int shortSeason;
    private final int longSeason;
    private final int window;
    private final int refreshEvery;
    private final double threshold;
    private final int refractory;
    private final boolean seasonal;

    private final double[] history;
    private final double[] residuals;
    private final double[] sorted;
    private long count;
    private long residualCount;
    private double median;
    private double mad;
    private long lastAlert = Long.MIN_VALUE / 2;
    private double lastZ;

    /**
     * @param shortSeason values per short season (e.g. a day), &gt;= 1
     * @param longSeason  values per long season (e.g. a week), 0 for none
     * @param window      residuals in the trailing window, &gt;= 8
     * @param threshold   robust z-score that raises an alert
     * @param refractory  values after an alert during which no new alert is raised
     */
    public RobustAnomalyDetector(int shortSeason, int longSeason, int window, int refreshEvery, double threshold,
                                 int refractory, boolean seasonal) {
        this.shortSeason = Math.max(1, shortSeason);
        this.longSeason = Math.max(0, longSeason);
        this.window = Math.max(8, window);
        this.refreshEvery = Math.max(1, refreshEvery);
        this.threshold = threshold;
        this.refractory = Math.max(0, refractory);
        this.seasonal = seasonal;
        this.history = new double[LAGS * Math.max(this.longSeason, this.shortSeason) + 1];
        this.residuals = new double[this.window];
        this.sorted = new double[this.window];
    }

    /** Feeds the next value; returns true when it raises an alert. */
    public boolean offer(double value) {
        double expected = seasonal ? expectation(value) : 0;
        history[(int) (count % history.length)] = value;
        long index = count++;
        double r = value - expected;
        boolean alert = false;
        if (residualCount >= Math.min(window, Math.max(8, shortSeason))) {
            if (residualCount % refreshEvery == 0 || mad == 0) {
                refresh();
            }
            double scale = 1.4826 * mad;
            lastZ = scale > 0 ? (r - median) / scale : 0;
            if (Math.abs(lastZ) > threshold && index - lastAlert > refractory) {
                alert = true;
                lastAlert = index;
            }
        }
        residuals[(int) (residualCount % window)] = r;
        residualCount++;
        return alert;
    }

    /**
     * The median of the same phase in the last {@link #LAGS} long seasons (the mean of two when only two exist;
     * else short seasons, else the previous value): one anomalous reference then cannot echo a season later.
     */
    private double expectation(double value) {
        int period = longSeason > 0 && count >= longSeason ? longSeason : count >= shortSeason ? shortSeason : 1;
        if (count == 0) {
            return value;
        }
        double a = Double.NaN;
        double b = Double.NaN;
        double c = Double.NaN;
        for (int k = 1; k <= LAGS && (long) k * period <= count && (long) k * period < history.length; k++) {
            double ref = history[(int) ((count - (long) k * period) % history.length)];
            if (k == 1) {
                a = ref;
            } else if (k == 2) {
                b = ref;
            } else {
                c = ref;
            }
        }
        if (Double.isNaN(b)) {
            return a;
        }
        if (Double.isNaN(c)) {
            return (a + b) / 2;
        }
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** The robust z-score of the last value offered. */
    public double lastZScore() {
        return lastZ;
    }

    private void refresh() {
        int n = (int) Math.min(residualCount, window);
        System.arraycopy(residuals, 0, sorted, 0, n);
        Arrays.sort(sorted, 0, n);
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        for (int i = 0; i < n; i++) {
            sorted[i] = Math.abs(sorted[i] - median);
        }
        Arrays.sort(sorted, 0, n);
        mad = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
