package dev.vantage.predictor.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Test predictions held back so that they can be scored in time order through an {@link OnlineCalibrator} that
 * learns each outcome only once it is revealed: a prediction made at {@code predictMillis} is calibrated with the
 * validation outcomes plus the outcomes of test predictions revealed at or before {@code predictMillis} (never its
 * own, never a later one), as a deployed model would be.
 *
 * <p>Threading: confined to the calling thread.
 */
final class PrequentialCases {

    /** One test prediction: its distribution (copied), the index of the actual label and the two instants. */
    record Case(long predictMillis, long revealMillis, double[] distribution, int size, int actual) {

        int topLabel() {
            int best = 0;
            for (int i = 1; i < size - 1; i++) {
                if (distribution[i] > distribution[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    private final List<Case> cases = new ArrayList<>();

    void add(long predictMillis, long revealMillis, double[] distribution, int size, int actual) {
        cases.add(new Case(predictMillis, revealMillis, java.util.Arrays.copyOf(distribution, size), size, actual));
    }

    int size() {
        return cases.size();
    }

    /**
     * Scores every case in prediction-time order into {@code out}, calibrated online; the calibrator starts from the
     * given validation pairs ({confidence, 1 if the top label was right else 0}). Returns the calibrator.
     */
    OnlineCalibrator score(List<double[]> validationPairs, ProbabilityScore out) {
        OnlineCalibrator calibrator = new OnlineCalibrator();
        for (double[] pair : validationPairs) {
            calibrator.add(pair[0], pair[1] > 0);
        }
        List<Case> ordered = new ArrayList<>(cases);
        ordered.sort(Comparator.comparingLong(Case::predictMillis));
        PriorityQueue<Case> pending = new PriorityQueue<>(Comparator.comparingLong(Case::revealMillis));
        for (Case c : ordered) {
            while (!pending.isEmpty() && pending.peek().revealMillis() <= c.predictMillis()) {
                Case done = pending.poll();
                int top = done.topLabel();
                calibrator.add(done.distribution()[top], top == done.actual());
            }
            out.addDistribution(c.distribution(), c.size(), c.actual(), calibrator);
            pending.add(c);
        }
        return calibrator;
    }
}
