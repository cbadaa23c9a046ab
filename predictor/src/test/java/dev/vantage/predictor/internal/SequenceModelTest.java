package dev.vantage.predictor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SequenceModelTest {

    private static SequenceModel trained(int[]... sequences) {
        SequenceModel m = new SequenceModel(3);
        for (int[] s : sequences) {
            for (int i = 0; i < s.length; i++) {
                m.observe(s, i, s[i]);
            }
        }
        return m;
    }

    @Test
    void shouldPredictTheMostFrequentSuccessorOfTheLongestKnownContext() {
        // After 0 1 comes 2 twice; after 1 alone (from 3 1) comes 4 once.
        SequenceModel m = trained(new int[] {0, 1, 2}, new int[] {0, 1, 2}, new int[] {3, 1, 4});
        double[] p = new double[m.alphabetSize() + 1];
        m.predict(new int[] {0, 1}, 2, 3, 0, 1e-6, p);
        assertThat(argmax(p)).isEqualTo(2);
        m.predict(new int[] {3, 1}, 2, 3, 0, 1e-6, p);
        assertThat(argmax(p)).isEqualTo(4);
    }

    @Test
    void shouldBlendWittenBellStyleWithKnownProbabilities() {
        // One context of order 1: symbol 7 followed by 1 (twice) and 2 (once). Order-0: 7 x3, 1 x2, 2 x1.
        SequenceModel m = new SequenceModel(1);
        m.observe(new int[0], 0, 7);
        m.observe(new int[] {7}, 1, 1);
        m.observe(new int[0], 0, 7);
        m.observe(new int[] {7}, 1, 1);
        m.observe(new int[0], 0, 7);
        m.observe(new int[] {7}, 1, 2);
        double[] p = new double[m.alphabetSize() + 1];
        m.predict(new int[] {7}, 1, 1, 0, 1, p);
        // Order 1: T=3, D=2 -> own 2/5 for symbol 1, escape 2/5. Order 0: T=6, D=3 -> 2/9 for 1, escape 3/9.
        // Uniform over 8 symbols + unseen = 9 classes.
        double expected = 2.0 / 5 + 2.0 / 5 * (2.0 / 9 + 3.0 / 9 / 9);
        assertThat(p[1]).isCloseTo(expected, within(1e-12));
        double sum = 0;
        for (double x : p) {
            sum += x;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void shouldMergeIntoExactlyTheModelTrainedOnAllData() {
        int[][] a = {{1, 2, 3, 4}, {2, 3, 4, 5}};
        int[][] b = {{1, 2, 3, 9}, {5, 4, 3, 2, 1}};
        SequenceModel left = trained(a);
        SequenceModel right = trained(b);
        SequenceModel all = trained(a[0], a[1], b[0], b[1]);
        left.mergeFrom(right);
        double[] p1 = new double[all.alphabetSize() + 1];
        double[] p2 = new double[all.alphabetSize() + 1];
        for (int[] h : new int[][] {{1, 2, 3}, {4, 3}, {2}, {}}) {
            left.predict(h, h.length, 3, 0.5, 0.5, p1);
            all.predict(h, h.length, 3, 0.5, 0.5, p2);
            assertThat(p1).containsExactly(p2, within(1e-15));
        }
        assertThat(left.contextCount()).isEqualTo(all.contextCount());
        assertThat(left.entryCount()).isEqualTo(all.entryCount());
    }

    @Test
    void shouldDownWeightSymbolsAlreadyInTheHistoryWithTheRepeatFactor() {
        SequenceModel m = trained(new int[] {0, 1}, new int[] {0, 1}, new int[] {0, 2});
        SequenceBlend plain = new SequenceBlend(1, 0, 1, 1, 1);
        SequenceBlend noRepeat = new SequenceBlend(1, 0, 1, 0.01, 1);
        double[] p = new double[m.alphabetSize() + 1];
        int[] stamp = new int[p.length];
        int[] history = {1, 0};
        plain.predict(m, history, 2, p, stamp, 1);
        assertThat(argmax(p)).isEqualTo(1);
        noRepeat.predict(m, history, 2, p, stamp, 2);
        assertThat(argmax(p)).isEqualTo(2);
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }
}
