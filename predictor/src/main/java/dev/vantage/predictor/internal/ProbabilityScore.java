package dev.vantage.predictor.internal;

/**
 * Accumulates the quality of categorical predictions: top-1 and top-3 accuracy, multi-class Brier score,
 * log loss and expected calibration error (15 equal-width bins over the confidence of the top label), and the ECE
 * that a perfectly calibrated forecaster with the same confidences would show on this many cases (its noise floor).
 *
 * <p>Threading: single writer.
 */
public final class ProbabilityScore {

    private static final int BINS = 15;

    private long cases;
    private long top1;
    private long top3;
    private double brierSum;
    private double logLossSum;
    private double confidenceSum;
    private final double[] binConfidence = new double[BINS];
    private final double[] binCorrect = new double[BINS];
    private final long[] binCount = new long[BINS];
    private double[] confidences = new double[64];

    /**
     * Scores one prediction.
     *
     * @param confidence      probability given to the top label
     * @param rankOfActual    0 when the actual label was the top label, 1 or 2 when second or third, else 3+
     * @param probOfActual    probability given to the actual label
     * @param sumOfSquares    sum of the squared probabilities of every label
     */
    public void add(double confidence, int rankOfActual, double probOfActual, double sumOfSquares) {
        cases++;
        boolean correct = rankOfActual == 0;
        if (correct) {
            top1++;
        }
        if (rankOfActual < 3) {
            top3++;
        }
        brierSum += sumOfSquares - 2 * probOfActual + 1;
        confidenceSum += confidence;
        logLossSum += -Math.log(Math.max(probOfActual, 1e-12));
        if (cases > confidences.length) {
            confidences = java.util.Arrays.copyOf(confidences, confidences.length * 2);
        }
        confidences[(int) cases - 1] = confidence;
        int bin = Math.min(BINS - 1, (int) (confidence * BINS));
        binConfidence[bin] += confidence;
        binCorrect[bin] += correct ? 1 : 0;
        binCount[bin]++;
    }

    /**
     * Scores a dense distribution against the actual label index. The last label ({@code size - 1}) is the
     * "not seen before" class: it counts in the Brier score and log loss, but never as a correct top-k answer.
     * With a calibrator, the top label's confidence is replaced by the calibrated one (never below the rescaled
     * runner-up, so the output keeps the prediction's ranking) and the other labels are rescaled proportionally.
     */
    public void addDistribution(double[] p, int size, int actual, ConfidenceCalibration calibrator) {
        int unseen = size - 1;
        int best = 0;
        double sumSq = p[unseen] * p[unseen];
        for (int i = 0; i < unseen; i++) {
            sumSq += p[i] * p[i];
            if (p[i] > p[best]) {
                best = i;
            }
        }
        double second = 0;
        for (int i = 0; i <= unseen; i++) {
            if (i != best && p[i] > second) {
                second = p[i];
            }
        }
        double pa = actual >= 0 && actual < size ? p[actual] : 0;
        int rank = 0;
        if (actual >= unseen || actual < 0) {
            rank = 3;
        } else {
            for (int i = 0; i < unseen && rank < 3; i++) {
                if (i != actual && (p[i] > pa || (p[i] == pa && i < actual))) {
                    rank++;
                }
            }
        }
        double conf = p[best];
        if (calibrator != null) {
            double g = calibrator.apply(conf);
            // Never let the rescaled runner-up overtake the top label: the calibrated output keeps the ranking.
            g = conf < 1 ? Math.max(g, second / (1 - conf + second)) : g;
            double scale = conf < 1 ? (1 - g) / (1 - conf) : 0;
            sumSq = g * g + scale * scale * (sumSq - conf * conf);
            pa = actual == best ? g : scale * pa;
            conf = g;
        }
        add(conf, rank, pa, sumSq);
    }

    public long cases() {
        return cases;
    }

    public double top1() {
        return cases == 0 ? 0 : (double) top1 / cases;
    }

    public double top3() {
        return cases == 0 ? 0 : (double) top3 / cases;
    }

    public double brier() {
        return cases == 0 ? 0 : brierSum / cases;
    }

    public double logLoss() {
        return cases == 0 ? 0 : logLossSum / cases;
    }

    /**
     * Mean ECE over {@code draws} simulated outcome sets in which each case's top label is right with exactly its
     * stated confidence: what a perfectly calibrated model would score on this many cases (fixed seed).
     */
    public double eceNoiseFloor(int draws) {
        if (cases == 0) {
            return 0;
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(0xCA1B);
        double sum = 0;
        double[] conf = new double[BINS];
        double[] right = new double[BINS];
        for (int d = 0; d < draws; d++) {
            java.util.Arrays.fill(conf, 0);
            java.util.Arrays.fill(right, 0);
            for (int i = 0; i < cases; i++) {
                double c = confidences[i];
                int bin = Math.min(BINS - 1, (int) (c * BINS));
                conf[bin] += c;
                right[bin] += random.nextDouble() < c ? 1 : 0;
            }
            double e = 0;
            for (int b = 0; b < BINS; b++) {
                e += Math.abs(right[b] - conf[b]);
            }
            sum += e / cases;
        }
        return sum / draws;
    }

    /**
     * Mean top-label confidence minus top-1 accuracy (calibration in the large): positive when overconfident. Less
     * noisy than the ECE on small samples (one bin instead of fifteen).
     */
    public double calibrationGap() {
        return cases == 0 ? 0 : confidenceSum / cases - top1();
    }

    public double ece() {
        if (cases == 0) {
            return 0;
        }
        double e = 0;
        for (int b = 0; b < BINS; b++) {
            if (binCount[b] > 0) {
                e += Math.abs(binCorrect[b] - binConfidence[b]) / cases;
            }
        }
        return e;
    }
}
