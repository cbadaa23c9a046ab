package dev.vantage.predictor.internal;

/**
 * How a {@link SequenceModel} turns counts into a distribution: the orders used, the interpolation discount and
 * escape weight, and how much probability a symbol keeps when it already occurs in the current history
 * ({@code repeatFactor}, 1 = no change) or is the most recent symbol ({@code lastFactor}; 0 for collapsed place
 * sequences, where the next place always differs from the current one).
 */
public record SequenceBlend(int order, double discount, double escape, double repeatFactor, double lastFactor) {

    /** Order-k Markov with backoff to lower orders (a tiny escape keeps lower orders only as tie-breakers). */
    public static SequenceBlend markovWithBackoff(int order) {
        return new SequenceBlend(order, 0, 1e-6, 1, 1);
    }

    /** Applies the blend to {@code model} for the given history; writes {@code model.alphabetSize() + 1} entries. */
    public void predict(SequenceModel model, int[] history, int length, double[] out, int[] stamp, int stampValue) {
        model.predict(history, length, order, discount, escape, out);
        if (repeatFactor == 1 && lastFactor == 1) {
            return;
        }
        int v = model.alphabetSize();
        double removed = 0;
        if (length > 0 && lastFactor != 1) {
            int last = history[length - 1];
            if (last >= 0 && last < v) {
                removed += out[last] * (1 - lastFactor);
                out[last] *= lastFactor;
                stamp[last] = stampValue;
            }
        }
        if (repeatFactor != 1) {
            for (int i = 0; i < length; i++) {
                int s = history[i];
                if (s >= 0 && s < v && stamp[s] != stampValue) {
                    stamp[s] = stampValue;
                    removed += out[s] * (1 - repeatFactor);
                    out[s] *= repeatFactor;
                }
            }
        }
        double z = 1 - removed;
        if (z > 1e-12 && z != 1) {
            double inv = 1 / z;
            for (int s = 0; s <= v; s++) {
                out[s] *= inv;
            }
        }
    }
}
