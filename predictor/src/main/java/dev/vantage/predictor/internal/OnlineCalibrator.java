package dev.vantage.predictor.internal;

import java.util.Arrays;

/**
 * Prequential top-label calibration: Platt scaling {@code g = sigmoid(a logit(p) + b)} of the raw confidence
 * {@code p}, fitted by maximum likelihood on every (confidence, top label right?) outcome seen so far, with a
 * Gaussian prior centred on the identity ({@code a = 1, b = 0}) worth {@link #PRIOR_WEIGHT} cases so that a handful
 * of outcomes cannot swing it. Two parameters keep it stable on the tens of cases of the stay-point protocol, where
 * isotonic regression overfits. Callers add an outcome only once it is known (after the predicted event), so a
 * prediction is never calibrated with its own or any later outcome.
 *
 * <p>Refits (Newton's method) when the number of outcomes has grown by 5 % since the last fit.
 * Threading: single writer.
 */
public final class OnlineCalibrator implements ConfidenceCalibration {

    static final double PRIOR_WEIGHT = 10;
    private static final double EPSILON = 1e-4;

    private double[] logits = new double[64];
    private boolean[] correct = new boolean[64];
    private int count;
    private int fittedAt;
    private double slope = 1;
    private double intercept;

    /** Records the outcome of a prediction whose top label had raw confidence {@code confidence}. */
    public void add(double confidence, boolean topLabelRight) {
        if (count == logits.length) {
            logits = Arrays.copyOf(logits, count * 2);
            correct = Arrays.copyOf(correct, count * 2);
        }
        logits[count] = logit(confidence);
        correct[count] = topLabelRight;
        count++;
    }

    public int outcomes() {
        return count;
    }

    public double slope() {
        refitIfStale();
        return slope;
    }

    public double intercept() {
        refitIfStale();
        return intercept;
    }

    @Override
    public double apply(double confidence) {
        refitIfStale();
        return sigmoid(slope * logit(confidence) + intercept);
    }

    private void refitIfStale() {
        if (count > 0 && count >= fittedAt + Math.max(1, fittedAt / 20)) {
            fit();
            fittedAt = count;
        }
    }

    /** Penalised maximum likelihood by Newton's method from the current parameters. */
    private void fit() {
        double a = slope;
        double b = intercept;
        for (int iteration = 0; iteration < 25; iteration++) {
            double ga = PRIOR_WEIGHT * (a - 1);
            double gb = PRIOR_WEIGHT * b;
            double haa = PRIOR_WEIGHT;
            double hab = 0;
            double hbb = PRIOR_WEIGHT;
            for (int i = 0; i < count; i++) {
                double x = logits[i];
                double g = sigmoid(a * x + b);
                double r = g - (correct[i] ? 1 : 0);
                double w = g * (1 - g);
                ga += r * x;
                gb += r;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) {
                break;
            }
            double da = (hbb * ga - hab * gb) / det;
            double db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if (Math.abs(da) + Math.abs(db) < 1e-9) {
                break;
            }
        }
        if (Double.isFinite(a) && Double.isFinite(b)) {
            slope = a;
            intercept = b;
        }
    }

    static double logit(double p) {
        double q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
        return Math.log(q / (1 - q));
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }
}
