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
 * mean validation sMAPE. The test part is only scored.
 *
 * <p>Prediction intervals are split-conformal: the whole procedure (tune Holt-Winters on the two horizons before
 * an origin, forecast the next horizon with the chosen ensemble) is replayed at three calibration origins
 * ({@code n - h}, {@code n - 2h}, {@code n - 3h}), so their errors are out of sample exactly as the test's are;
 * each error is divided by the series' in-sample seasonal-naive MAE (the MASE scale), and per horizon step the
 * pooled absolute scaled errors of every series (steps within +-2) give the conformal quantile, the
 * {@code ceil((m + 1) level)}-th smallest of the {@code m} errors. A series' half-width at step h is that quantile times its
 * scale. The earlier interval (1.96 x RMS of the errors at the two tuning origins) is reported as
 * {@code *_uncalibrated}: those errors are in-sample for the tuned parameters, hence too narrow.
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
    private record SeriesForecasts(double[][][] validation, double[][] validationActual, double[][][] calibration,
                                   double[][] calibrationActual, double[][] test, double[] testActual, double scale) {}

    /** Nominal levels of the reported prediction intervals. */
    static final double[] LEVELS = {0.8, 0.95};
    /** Calibration origins, in horizons before the end of training. */
    static final int[] CALIBRATION_ORIGINS = {1, 2, 3};
    static final int CONFORMAL_STEP_WINDOW = 2;

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
        int[] chosen = STRATEGIES[bestStrategy];
        double[][] quantiles = new double[LEVELS.length][];
        for (int l = 0; l < LEVELS.length; l++) {
            quantiles[l] = conformalQuantiles(all, chosen, horizon, LEVELS[l]);
        }
        double smape = 0;
        double mase = 0;
        long points = 0;
        long[] covered = new long[LEVELS.length];
        double[] scaledWidth = new double[LEVELS.length];
        double[] msis = new double[LEVELS.length];
        long rawCovered = 0;
        double rawScaledWidth = 0;
        for (SeriesForecasts f : all) {
            double[] point = combine(f.test(), chosen);
            double[] actual = f.testActual();
            smape += smape(actual, point);
            mase += mae(actual, point) / f.scale();
            double[] rawHalfWidth = intervalHalfWidths(f, chosen);
            for (int h = 0; h < actual.length; h++) {
                points++;
                double err = Math.abs(actual[h] - point[h]);
                if (err <= rawHalfWidth[h]) {
                    rawCovered++;
                }
                rawScaledWidth += 2 * rawHalfWidth[h] / f.scale();
                for (int l = 0; l < LEVELS.length; l++) {
                    double half = quantiles[l][h] * f.scale();
                    covered[l] += err <= half ? 1 : 0;
                    scaledWidth[l] += 2 * half / f.scale();
                    double miss = Math.max(0, err - half);
                    msis[l] += (2 * half + 2 / (1 - LEVELS[l]) * miss) / f.scale() / actual.length;
                }
            }
        }
        results.add(new EvalResult(dataset, "ensemble", "smape", smape / n, n));
        results.add(new EvalResult(dataset, "ensemble", "mase", mase / n, n));
        for (int l = 0; l < LEVELS.length; l++) {
            String tag = "pi" + Math.round(LEVELS[l] * 100);
            results.add(new EvalResult(dataset, "ensemble", tag + "_coverage", (double) covered[l] / points, points));
            results.add(new EvalResult(dataset, "ensemble", tag + "_scaled_width", scaledWidth[l] / points, points));
            results.add(new EvalResult(dataset, "ensemble", tag + "_msis", msis[l] / n, n));
        }
        for (int o = 0; o < CALIBRATION_ORIGINS.length; o++) {
            double sum = 0;
            int count = 0;
            for (SeriesForecasts f : all) {
                if (o < f.calibration().length) {
                    sum += smape(f.calibrationActual()[o], combine(f.calibration()[o], chosen));
                    count++;
                }
            }
            if (count > 0) {
                results.add(new EvalResult(dataset, "ensemble", "calibration_smape_origin_minus_" + CALIBRATION_ORIGINS[o] + "h",
                        sum / count, count));
            }
        }
        results.add(new EvalResult(dataset, "ensemble", "pi95_uncalibrated_coverage", (double) rawCovered / points, points));
        results.add(new EvalResult(dataset, "ensemble", "pi95_uncalibrated_scaled_width", rawScaledWidth / points, points));
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
        // Calibration origins replay the whole procedure one, two and three horizons earlier: tune on the two
        // horizons before the origin, forecast the next one. Their errors are out of sample, like the test's.
        int calibrationCount = 0;
        while (calibrationCount < CALIBRATION_ORIGINS.length
                && n - (CALIBRATION_ORIGINS[calibrationCount] + 2) * horizon >= 2 * season + horizon) {
            calibrationCount++;
        }
        double[][][] calibration = new double[calibrationCount][][];
        double[][] calibrationActual = new double[calibrationCount][];
        for (int o = 0; o < calibrationCount; o++) {
            int origin = n - CALIBRATION_ORIGINS[o] * horizon;
            int[] tuning = {origin - 2 * horizon, origin - horizon};
            HoltWinters.Params cAdd = tune(y, tuning, horizon, season, false);
            HoltWinters.Params cMult = positive ? tune(y, tuning, horizon, season, true) : cAdd;
            calibration[o] = allModels(y, origin, horizon, season, cAdd, cMult);
            calibrationActual[o] = Arrays.copyOfRange(y, origin, origin + horizon);
        }
        double[][] test = allModels(y, n, actual.length, season, add, mult);
        double scale = 0;
        for (int i = season; i < n; i++) {
            scale += Math.abs(y[i] - y[i - season]);
        }
        scale = Math.max(scale / (n - season), 1e-9);
        return new SeriesForecasts(validation, validationActual, calibration, calibrationActual, test, actual, scale);
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

    /**
     * Split-conformal quantile of the scaled absolute error per horizon step at the given level, pooled over every
     * series' calibration origins and the steps within {@link #CONFORMAL_STEP_WINDOW}; with no calibration errors
     * (series too short) it falls back to the tuning origins' errors.
     */
    static double[] conformalQuantiles(List<SeriesForecasts> all, int[] strategy, int horizon, double level) {
        double[][] scaled = new double[horizon][];
        int[] count = new int[horizon];
        for (int h = 0; h < horizon; h++) {
            scaled[h] = new double[16];
        }
        boolean any = false;
        for (SeriesForecasts f : all) {
            any |= f.calibration().length > 0;
        }
        for (SeriesForecasts f : all) {
            double[][][] forecasts = any ? f.calibration() : f.validation();
            double[][] actuals = any ? f.calibrationActual() : f.validationActual();
            for (int o = 0; o < forecasts.length; o++) {
                double[] v = combine(forecasts[o], strategy);
                for (int k = 0; k < v.length; k++) {
                    double e = Math.abs(actuals[o][k] - v[k]) / f.scale();
                    for (int h = Math.max(0, k - CONFORMAL_STEP_WINDOW); h <= Math.min(horizon - 1, k + CONFORMAL_STEP_WINDOW); h++) {
                        if (count[h] == scaled[h].length) {
                            scaled[h] = Arrays.copyOf(scaled[h], count[h] * 2);
                        }
                        scaled[h][count[h]++] = e;
                    }
                }
            }
        }
        double[] q = new double[horizon];
        for (int h = 0; h < horizon; h++) {
            int m = count[h];
            if (m == 0) {
                q[h] = Double.POSITIVE_INFINITY;
                continue;
            }
            double[] sorted = Arrays.copyOf(scaled[h], m);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil((m + 1) * level);
            q[h] = rank > m ? Double.POSITIVE_INFINITY : sorted[rank - 1];
        }
        return q;
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
