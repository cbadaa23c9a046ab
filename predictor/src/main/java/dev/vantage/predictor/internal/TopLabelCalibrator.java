package dev.vantage.predictor.internal;

import java.util.Arrays;

/**
 * Maps the raw confidence of a model's top label to a calibrated probability: isotonic regression (pool adjacent
 * violators) of "top label was right" on raw confidence, fitted on validation data only, with each block shrunk
 * towards the raw confidence by {@link #PRIOR_WEIGHT} pseudo-cases so that small validation sets do not overfit.
 * The remaining mass is spread over the other labels in proportion, so the output stays a distribution.
 *
 * <p>Immutable after {@link #fit}; safe to share.
 */
public final class TopLabelCalibrator implements ConfidenceCalibration {

    static final double PRIOR_WEIGHT = 10;

    private final double[] upper;
    private final double[] value;

    private TopLabelCalibrator(double[] upper, double[] value) {
        this.upper = upper;
        this.value = value;
    }

    /** The identity calibrator. */
    public static TopLabelCalibrator identity() {
        return new TopLabelCalibrator(new double[0], new double[0]);
    }

    /** Fits on {@code n} validation pairs (raw confidence, 1 if the top label was right else 0). */
    public static TopLabelCalibrator fit(double[] confidence, boolean[] correct, int n) {
        if (n == 0) {
            return identity();
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(confidence[a], confidence[b]));
        double[] sumY = new double[n];
        double[] sumX = new double[n];
        int[] count = new int[n];
        double[] hi = new double[n];
        int blocks = 0;
        for (int idx = 0; idx < n; idx++) {
            int i = order[idx];
            sumY[blocks] = correct[i] ? 1 : 0;
            sumX[blocks] = confidence[i];
            count[blocks] = 1;
            hi[blocks] = confidence[i];
            blocks++;
            while (blocks > 1 && sumY[blocks - 2] / count[blocks - 2] >= sumY[blocks - 1] / count[blocks - 1]) {
                sumY[blocks - 2] += sumY[blocks - 1];
                sumX[blocks - 2] += sumX[blocks - 1];
                count[blocks - 2] += count[blocks - 1];
                hi[blocks - 2] = hi[blocks - 1];
                blocks--;
            }
        }
        double[] upper = new double[blocks];
        double[] value = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            upper[b] = hi[b];
            double meanX = sumX[b] / count[b];
            value[b] = (sumY[b] + PRIOR_WEIGHT * meanX) / (count[b] + PRIOR_WEIGHT);
        }
        // Shrinkage can break monotonicity slightly; restore it.
        for (int b = 1; b < blocks; b++) {
            value[b] = Math.max(value[b], value[b - 1]);
        }
        return new TopLabelCalibrator(upper, value);
    }

    @Override
    public double apply(double p) {
        if (upper.length == 0) {
            return p;
        }
        int lo = 0;
        int hi = upper.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (upper[mid] < p) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return Math.min(1, Math.max(1e-6, value[lo]));
    }

    public int blocks() {
        return upper.length;
    }
}
