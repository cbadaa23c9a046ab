package dev.vantage.predictor.internal;

/**
 * Short-term demand forecasting with a {@link Gru}: the series is standardised on its training part, the network
 * learns z(t+1) from (z(t), z(t+1-season), z(t+1-week)) online over {@link #EPOCHS} passes, and forecasts
 * recursively (its own predictions feed later steps). Deterministic (fixed seed).
 */
public final class GruForecaster {

    static final int HIDDEN = 8;
    static final int EPOCHS = 3;
    static final double LEARNING_RATE = 0.01;

    private GruForecaster() {
    }

    /** Forecasts {@code horizon} values after {@code y[0..origin)} into {@code out}. */
    public static void forecast(double[] y, int origin, int season, int horizon, double[] out) {
        int week = season * 7;
        double mean = 0;
        for (int i = 0; i < origin; i++) {
            mean += y[i];
        }
        mean /= origin;
        double var = 0;
        for (int i = 0; i < origin; i++) {
            var += (y[i] - mean) * (y[i] - mean);
        }
        double sd = Math.max(Math.sqrt(var / origin), 1e-9);
        double[] z = new double[origin + horizon];
        for (int i = 0; i < origin; i++) {
            z[i] = (y[i] - mean) / sd;
        }
        Gru gru = new Gru(3, HIDDEN, LEARNING_RATE, 42);
        double[] x = new double[3];
        int start = Math.max(season, 1);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            gru.resetState();
            for (int t = start - 1; t < origin - 1; t++) {
                inputs(z, t, season, week, x);
                gru.step(x, z[t + 1], true);
            }
        }
        // Warm the state over the whole history without learning, then roll forward.
        gru.resetState();
        for (int t = start - 1; t < origin - 1; t++) {
            inputs(z, t, season, week, x);
            gru.step(x, 0, false);
        }
        for (int h = 0; h < horizon; h++) {
            int t = origin - 1 + h;
            inputs(z, t, season, week, x);
            z[t + 1] = gru.step(x, 0, false);
            out[h] = mean + sd * z[t + 1];
        }
    }

    private static void inputs(double[] z, int t, int season, int week, double[] x) {
        x[0] = z[t];
        x[1] = t + 1 - season >= 0 ? z[t + 1 - season] : z[t];
        x[2] = t + 1 - week >= 0 ? z[t + 1 - week] : x[1];
    }
}
