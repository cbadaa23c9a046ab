package dev.vantage.predictor.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.EvalResult;

/**
 * Demand forecasting evaluation (M4 protocol): per series, forecast the test horizon from the training part and
 * average sMAPE and MASE over series. Holt-Winters parameters (additive and multiplicative, double seasonal with
 * a weekly period of 7 short seasons) are chosen per series by grid search on two validation origins at the end
 * of the training part; the ensemble strategy (which combination of models) is chosen once for the whole file by
 * mean validation sMAPE. The test part is only scored. Prediction intervals (95 %) come from the validation
 * errors and their test coverage is reported.
 *
 * <p>Threading: confined to the calling thread.
 */
public final class ForecastEvaluation {

    static final String[] MODELS = {"naive", "seasonal-naive", "seasonal-naive-weekly", "hw-additive",
            "hw-multiplicative", "gru"};
    /** Combinations considered for the ensemble, as indexes into {@link #MODELS}; median when 3+, else mean. */
    static final int[][] STRATEGIES = {{1}, {3}, {4}, {3, 4}, {1, 3, 4}, {2, 3, 4}, {1, 2, 3, 4}, {3, 4, 5}, {1, 3, 4, 5}};

    private static final double[] ALPHAS = {0.02, 0.05, 0.1, 0.2, 0.35};
    private static final double[] BETAS = {0, 0.02};
    private static final double[] GAMMAS = {0.05, 0.15, 0.3};
    private static final double[] OMEGAS = {0.05, 0.15, 0.3};
    private static final int WEEK_IN_SEASONS = 7;

    private ForecastEvaluation() {
    }

    public static List<EvalResult> run(Path train, Path test, int horizon, int season, String dataset) {
        return run(SeriesCsv.readSeries(train), SeriesCsv.readSeries(test), horizon, season, dataset);
    }

    /** Per-series forecasts of every model at the validation origins and on the test horizon. */
    private record SeriesForecasts(double[][][] validation, double[][] validationActual, double[][] test,
                                   double[] testActual, double scale) {}

    public static List<EvalResult> run(Map<String, SeriesCsv.Series> train, Map<String, SeriesCsv.Series> test,
                                       int horizon, int season, String dataset) {
        if (horizon < 1 || season < 1) {
            throw new IllegalArgumentException("horizon, season: " + horizon + ", " + season + " (expected: >= 1)");
        }
        List<SeriesForecasts> all = new ArrayList<>();
        for (SeriesCsv.Series s : train.values()) {
            SeriesCsv.Series t = test.get(s.name());
            if (t == null || t.values().length == 0 || s.values().length < 2 * season + 2 * horizon) {
                continue;
            }
            all.add(forecastSeries(s.values(), Arrays.copyOf(t.values(), Math.min(horizon, t.values().length)),
                    horizon, season));
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException(dataset + ": no series with a test part and at least 2 x season + 2 x "
                    + "horizon training values (expected: >= 1)");
        }
        // Choose the ensemble strategy on validation sMAPE across all series.
        int bestStrategy = 0;
        double bestValidation = Double.MAX_VALUE;
        double[] strategyValidation = new double[STRATEGIES.length];
        for (int k = 0; k < STRATEGIES.length; k++) {
            double sum = 0;
            int count = 0;
            for (SeriesForecasts f : all) {
                for (int o = 0; o < f.validation().length; o++) {
                    sum += smape(f.validationActual()[o], combine(f.validation()[o], STRATEGIES[k]));
                    count++;
                }
            }
            strategyValidation[k] = sum / count;
            if (strategyValidation[k] < bestValidation) {
                bestValidation = strategyValidation[k];
                bestStrategy = k;
            }
        }
        List<EvalResult> results = new ArrayList<>();
        int n = all.size();
        for (int m = 0; m < MODELS.length; m++) {
            double smape = 0;
            double mase = 0;
            for (SeriesForecasts f : all) {
                smape += smape(f.testActual(), f.test()[m]);
                mase += mae(f.testActual(), f.test()[m]) / f.scale();
            }
            results.add(new EvalResult(dataset, MODELS[m], "smape", smape / n, n));
            results.add(new EvalResult(dataset, MODELS[m], "mase", mase / n, n));
        }
        double smape = 0;
        double mase = 0;
        long covered = 0;
        long points = 0;
        for (SeriesForecasts f : all) {
            double[] point = combine(f.test(), STRATEGIES[bestStrategy]);
            smape += smape(f.testActual(), point);
            mase += mae(f.testActual(), point) / f.scale();
            double[] halfWidth = intervalHalfWidths(f, STRATEGIES[bestStrategy]);
            for (int h = 0; h < f.testActual().length; h++) {
                points++;
                if (Math.abs(f.testActual()[h] - point[h]) <= halfWidth[h]) {
                    covered++;
                }
            }
        }
        results.add(new EvalResult(dataset, "ensemble", "smape", smape / n, n));
        results.add(new EvalResult(dataset, "ensemble", "mase", mase / n, n));
        results.add(new EvalResult(dataset, "ensemble", "pi95_coverage", (double) covered / points, points));
        results.add(new EvalResult(dataset, "ensemble", "validation_smape", bestValidation, n));
        results.add(new EvalResult(dataset, "ensemble[" + strategyName(STRATEGIES[bestStrategy]) + "]", "chosen", 1, n));
        boolean gruHelps = false;
        for (int m : STRATEGIES[bestStrategy]) {
            gruHelps |= m == 5;
        }
        results.add(new EvalResult(dataset, "gru", "kept_in_ensemble", gruHelps ? 1 : 0, n));
        return results;
    }

    static String strategyName(int[] strategy) {
        StringBuilder b = new StringBuilder(strategy.length >= 3 ? "median:" : "mean:");
        for (int i = 0; i < strategy.length; i++) {
            b.append(i == 0 ? "" : "+").append(MODELS[strategy[i]]);
        }
        return b.toString();
    }

    private static SeriesForecasts forecastSeries(double[] y, double[] actual, int horizon, int season) {
        int n = y.length;
        int[] origins = n - 2 * horizon >= 2 * season + horizon ? new int[] {n - 2 * horizon, n - horizon} : new int[] {n - horizon};
        boolean positive = true;
        for (double v : y) {
            positive &= v > 0;
        }
        HoltWinters.Params add = tune(y, origins, horizon, season, false);
        HoltWinters.Params mult = positive ? tune(y, origins, horizon, season, true) : add;
        double[][][] validation = new double[origins.length][][];
        double[][] validationActual = new double[origins.length][];
        for (int o = 0; o < origins.length; o++) {
            validation[o] = allModels(y, origins[o], horizon, season, add, mult);
            validationActual[o] = Arrays.copyOfRange(y, origins[o], origins[o] + horizon);
        }
        double[][] test = allModels(y, n, actual.length, season, add, mult);
        double scale = 0;
        for (int i = season; i < n; i++) {
            scale += Math.abs(y[i] - y[i - season]);
        }
        scale = Math.max(scale / (n - season), 1e-9);
        return new SeriesForecasts(validation, validationActual, test, actual, scale);
    }

    /** Forecasts of every model from {@code y[0..origin)}. */
    private static double[][] allModels(double[] y, int origin, int horizon, int season, HoltWinters.Params add,
                                        HoltWinters.Params mult) {
        double[][] out = new double[MODELS.length][horizon];
        int week = season * WEEK_IN_SEASONS;
        for (int h = 0; h < horizon; h++) {
            out[0][h] = y[origin - 1];
            out[1][h] = y[origin - season + (h % season)];
            out[2][h] = origin >= week ? y[origin - week + (h % week)] : out[1][h];
        }
        HoltWinters.fit(add, season, week, y, origin).forecast(horizon, out[3]);
        HoltWinters.fit(mult, season, week, y, origin).forecast(horizon, out[4]);
        GruForecaster.forecast(y, origin, season, horizon, out[5]);
        return out;
    }

    private static HoltWinters.Params tune(double[] y, int[] origins, int horizon, int season, boolean multiplicative) {
        HoltWinters.Params best = null;
        double bestScore = Double.MAX_VALUE;
        double[] f = new double[horizon];
        for (double a : ALPHAS) {
            for (double b : BETAS) {
                for (double g : GAMMAS) {
                    for (double w : OMEGAS) {
                        HoltWinters.Params p = new HoltWinters.Params(a, b, g, w, b > 0 ? 0.9 : 1.0, multiplicative);
                        double score = 0;
                        for (int origin : origins) {
                            HoltWinters.fit(p, season, season * WEEK_IN_SEASONS, y, origin).forecast(horizon, f);
                            score += smape(Arrays.copyOfRange(y, origin, origin + horizon), f);
                        }
                        if (score < bestScore) {
                            bestScore = score;
                            best = p;
                        }
                    }
                }
            }
        }
        return best;
    }

    /** Median of the chosen models when there are three or more, else their mean. */
    static double[] combine(double[][] forecasts, int[] strategy) {
        int horizon = forecasts[strategy[0]].length;
        double[] out = new double[horizon];
        double[] tmp = new double[strategy.length];
        for (int h = 0; h < horizon; h++) {
            for (int i = 0; i < strategy.length; i++) {
                tmp[i] = forecasts[strategy[i]][h];
            }
            if (strategy.length >= 3) {
                Arrays.sort(tmp);
                int mid = tmp.length / 2;
                out[h] = tmp.length % 2 == 1 ? tmp[mid] : (tmp[mid - 1] + tmp[mid]) / 2;
            } else {
                double s = 0;
                for (double v : tmp) {
                    s += v;
                }
                out[h] = s / tmp.length;
            }
        }
        return out;
    }

    /** 95 % half-widths per step: 1.96 x RMS validation error over steps within +-6 of h, all origins. */
    private static double[] intervalHalfWidths(SeriesForecasts f, int[] strategy) {
        int horizon = f.testActual().length;
        double[] out = new double[horizon];
        for (int h = 0; h < horizon; h++) {
            double sq = 0;
            int c = 0;
            for (int o = 0; o < f.validation().length; o++) {
                double[] v = combine(f.validation()[o], strategy);
                for (int k = Math.max(0, h - 6); k <= Math.min(v.length - 1, h + 6); k++) {
                    double e = f.validationActual()[o][k] - v[k];
                    sq += e * e;
                    c++;
                }
            }
            out[h] = 1.96 * Math.sqrt(sq / Math.max(1, c));
        }
        return out;
    }

    static double smape(double[] actual, double[] forecast) {
        double s = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i]) + Math.abs(forecast[i]);
            s += d == 0 ? 0 : 2 * Math.abs(actual[i] - forecast[i]) / d;
        }
        return 100 * s / actual.length;
    }

    static double mae(double[] actual, double[] forecast) {
        double s = 0;
        for (int i = 0; i < actual.length; i++) {
            s += Math.abs(actual[i] - forecast[i]);
        }
        return s / actual.length;
    }
}
