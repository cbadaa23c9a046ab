package dev.vantage.predictor.internal;

/**
 * Accumulates the quality of categorical predictions: top-1 and top-3 accuracy, multi-class Brier score,
 * log loss and expected calibration error (15 equal-width bins over the confidence of the top label).
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
    private final double[] binConfidence = new double[BINS];
    private final double[] binCorrect = new double[BINS];
    private final long[] binCount = new long[BINS];

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
        logLossSum += -Math.log(Math.max(probOfActual, 1e-12));
        int bin = Math.min(BINS - 1, (int) (confidence * BINS));
        binConfidence[bin] += confidence;
        binCorrect[bin] += correct ? 1 : 0;
        binCount[bin]++;
    }

    /**
     * Scores a dense distribution against the actual label index. The last label ({@code size - 1}) is the
     * "not seen before" class: it counts in the Brier score and log loss, but never as a correct top-k answer.
     */
    public void addDistribution(double[] p, int size, int actual, TopLabelCalibrator calibrator) {
        int unseen = size - 1;
        int best = 0;
        double sumSq = p[unseen] * p[unseen];
        for (int i = 0; i < unseen; i++) {
            sumSq += p[i] * p[i];
            if (p[i] > p[best]) {
                best = i;
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
