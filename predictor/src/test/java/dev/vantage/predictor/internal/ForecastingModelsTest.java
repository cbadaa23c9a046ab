package dev.vantage.predictor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForecastingModelsTest {

    private static double[] seasonal(int n, boolean multiplicative) {
        double[] y = new double[n];
        for (int t = 0; t < n; t++) {
            double day = Math.sin(2 * Math.PI * t / 24);
            double week = (t / 24) % 7 >= 5 ? 1 : 0;
            y[t] = multiplicative ? 100 * (1 + 0.5 * day) * (1 - 0.3 * week) : 100 + 30 * day - 20 * week;
        }
        return y;
    }

    @Test
    void shouldForecastADoubleSeasonalSeriesAlmostExactly() {
        double[] y = seasonal(24 * 7 * 4 + 48, false);
        int origin = y.length - 48;
        double[] f = new double[48];
        HoltWinters.fit(new HoltWinters.Params(0.1, 0, 0.1, 0.1, 1, false), 24, 168, y, origin).forecast(48, f);
        double[] actual = java.util.Arrays.copyOfRange(y, origin, y.length);
        assertThat(ForecastEvaluation.smape(actual, f)).isLessThan(2.0);
    }

    @Test
    void shouldForecastAMultiplicativeSeriesBetterThanSeasonalNaiveAcrossTheWeekend() {
        double[] y = seasonal(24 * 7 * 4 + 48, true);
        int origin = 24 * 7 * 4 + 24 * 4; // forecast from Friday 00:00 into the weekend
        double[] hw = new double[48];
        HoltWinters.fit(new HoltWinters.Params(0.1, 0, 0.1, 0.2, 1, true), 24, 168, y, origin - 24 * 4).forecast(48, hw);
        assertThat(hw[0]).isPositive();
        double[] f = new double[48];
        HoltWinters.fit(new HoltWinters.Params(0.1, 0, 0.1, 0.2, 1, true), 24, 168, y, y.length - 48).forecast(48, f);
        double[] naive = new double[48];
        for (int h = 0; h < 48; h++) {
            naive[h] = y[y.length - 48 - 24 + (h % 24)];
        }
        double[] actual = java.util.Arrays.copyOfRange(y, y.length - 48, y.length);
        assertThat(ForecastEvaluation.smape(actual, f)).isLessThanOrEqualTo(ForecastEvaluation.smape(actual, naive) + 1e-9);
    }

    @Test
    void shouldRaiseOneAlertForASpikeInASeasonalSeries() {
        RobustAnomalyDetector d = new RobustAnomalyDetector(24, 168, 168, 1, 3.5, 24, true);
        double[] y = seasonal(24 * 7 * 4, false);
        java.util.Random noise = new java.util.Random(7);
        int alerts = 0;
        int alertAt = -1;
        for (int t = 0; t < y.length; t++) {
            double v = y[t] + noise.nextGaussian() + (t == 24 * 7 * 2 + 5 ? 200 : 0);
            // The first week has no weekly reference yet (the weekend start looks anomalous then).
            if (d.offer(v) && t >= 24 * 7) {
                alerts++;
                alertAt = t;
            }
        }
        assertThat(alerts).isEqualTo(1);
        assertThat(alertAt).isEqualTo(24 * 7 * 2 + 5);
    }

    @Test
    void shouldLearnASineWithTheGruBetterThanTheMean() {
        double[] y = new double[24 * 30 + 24];
        for (int t = 0; t < y.length; t++) {
            y[t] = 50 + 20 * Math.sin(2 * Math.PI * t / 24);
        }
        double[] f = new double[24];
        GruForecaster.forecast(y, y.length - 24, 24, 24, f);
        double[] actual = java.util.Arrays.copyOfRange(y, y.length - 24, y.length);
        double[] mean = new double[24];
        java.util.Arrays.fill(mean, 50);
        assertThat(ForecastEvaluation.mae(actual, f)).isLessThan(ForecastEvaluation.mae(actual, mean));
    }

    @Test
    void shouldCombineByMedianForThreeModelsAndMeanForTwo() {
        double[][] forecasts = {{1}, {2}, {10}};
        assertThat(ForecastEvaluation.combine(forecasts, new int[] {0, 1, 2})).containsExactly(2.0);
        assertThat(ForecastEvaluation.combine(forecasts, new int[] {0, 2})).containsExactly(5.5);
    }

    @Test
    void shouldCoverNoisySeasonalSeriesAtAboutTheNominalLevelWithConformalIntervals() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        java.util.Map<String, SeriesCsv.Series> train = new java.util.LinkedHashMap<>();
        java.util.Map<String, SeriesCsv.Series> test = new java.util.LinkedHashMap<>();
        int n = 24 * 7 * 4;
        for (int k = 0; k < 20; k++) {
            double[] clean = seasonal(n + 48, k % 2 == 0);
            double noise = 2 + k;
            double[] y = new double[n + 48];
            for (int t = 0; t < y.length; t++) {
                // Box-Muller: Gaussian noise whose size differs per series.
                double g = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
                y[t] = Math.max(1, clean[t] + noise * g);
            }
            train.put("s" + k, new SeriesCsv.Series("s" + k, new long[n], java.util.Arrays.copyOf(y, n)));
            test.put("s" + k, new SeriesCsv.Series("s" + k, new long[48], java.util.Arrays.copyOfRange(y, n, n + 48)));
        }
        java.util.List<dev.vantage.predictor.EvalResult> r = ForecastEvaluation.run(train, test, 48, 24, "synthetic");
        java.util.function.Function<String, Double> metric = name -> r.stream()
                .filter(x -> x.model().equals("ensemble") && x.metric().equals(name)).findFirst().orElseThrow().value();
        assertThat(metric.apply("pi95_coverage")).isBetween(0.90, 0.995);
        assertThat(metric.apply("pi80_coverage")).isBetween(0.70, 0.90);
        assertThat(metric.apply("pi95_scaled_width")).isGreaterThan(metric.apply("pi80_scaled_width"));
    }

    @Test
    void shouldTakeTheConformalRankOfTheAbsoluteErrors() {
        double[] errors = new double[100];
        for (int i = 0; i < errors.length; i++) {
            errors[i] = 100 - i;
        }
        double[] scratch = new double[100];
        // ceil(101 x 0.95) = 96th smallest of 1..100.
        assertThat(DemandTracker.conformalQuantile(errors, 100, scratch, 0.95)).isEqualTo(96);
        assertThat(DemandTracker.conformalQuantile(errors, 10, scratch, 0.95)).isEqualTo(100);
        assertThat(DemandTracker.conformalQuantile(errors, 0, scratch, 0.95)).isZero();
    }
}
