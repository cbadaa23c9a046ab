package dev.vantage.predictor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the evaluation on small slices of the real data (skipped, visibly, when the data folder is absent). */
class PredictorEvaluationTest {

    static Path data() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/data");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static double value(List<EvalResult> results, String model, String metric) {
        return results.stream().filter(r -> r.model().equals(model) && r.metric().equals(metric)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + model + " " + metric + " in " + results)).value();
    }

    private static Path head(Path source, Path target, int lines) throws IOException {
        try (Stream<String> s = Files.lines(source)) {
            Files.write(target, s.limit(lines).toList());
        }
        return target;
    }

    @Test
    void shouldBeatOrderTwoMarkovOnASliceOfFifa(@TempDir Path tmp) throws IOException {
        Path data = data();
        assumeThat(data).as("shared/data folder (predictor data) not found; skipping").isNotNull();
        Path slice = head(data.resolve("sequences/fifa.seq"), tmp.resolve("fifa-slice.seq"), 2500);
        List<EvalResult> r = PredictorEvaluation.sequences(slice);
        double ppm = value(r, "ppm", "top1");
        double markov2 = value(r, "markov-2", "top1");
        assertThat(ppm).isGreaterThan(markov2);
        assertThat(ppm).isBetween(0.1, 0.6);
        assertThat(value(r, "ppm", "top3")).isGreaterThanOrEqualTo(ppm);
        assertThat(value(r, "ppm", "ece")).isLessThan(0.1);
        assertThat(value(r, "ppm", "brier")).isBetween(0.0, 2.0);
    }

    @Test
    void shouldForecastASliceOfM4BetterThanNaive(@TempDir Path tmp) throws IOException {
        Path data = data();
        assumeThat(data).as("shared/data folder (predictor data) not found; skipping").isNotNull();
        // The first 4 series: H1..H4 are 700 training rows and 48 test rows each.
        Path train = head(data.resolve("m4/hourly-dev.csv"), tmp.resolve("m4-slice.csv"), 1 + 4 * 700);
        Path test = head(data.resolve("m4/hourly-dev-test.csv"), tmp.resolve("m4-slice-test.csv"), 1 + 4 * 48);
        List<EvalResult> r = PredictorEvaluation.series(train, test, 48, 24);
        assertThat(value(r, "ensemble", "smape")).isLessThan(value(r, "naive", "smape"));
        assertThat(value(r, "ensemble", "smape")).isBetween(0.0, 40.0);
        assertThat(value(r, "seasonal-naive", "mase")).isPositive();
        assertThat(value(r, "ensemble", "pi95_coverage")).isBetween(0.5, 1.0);
        assertThat(value(r, "ensemble", "pi95_scaled_width")).isGreaterThan(value(r, "ensemble", "pi80_scaled_width"));
    }

    @Test
    void shouldEvaluatePlacesAndAnomaliesOnTheRealFiles() {
        Path data = data();
        assumeThat(data).as("shared/data folder (predictor data) not found; skipping").isNotNull();
        List<EvalResult> places = PredictorEvaluation.places(data.resolve("geolife/places-dev.csv"));
        EvalResult stay = places.stream().filter(x -> x.dataset().endsWith("/stay") && x.metric().equals("top1")
                && x.model().equals("ppm+prior")).findFirst().orElseThrow();
        assertThat(stay.cases()).isBetween(20L, 100L);
        assertThat(stay.value()).isBetween(0.05, 0.9);
        EvalResult fine = places.stream().filter(x -> x.dataset().endsWith("/cell15min") && x.metric().equals("top1")
                && x.model().equals("ppm+kalman")).findFirst().orElseThrow();
        assertThat(fine.cases()).isGreaterThan(200L);
        List<EvalResult> anomalies = PredictorEvaluation.anomalies(data.resolve("nab/series-dev.csv"),
                data.resolve("nab/anomaly_windows-dev.csv"), 3.5);
        assertThat(value(anomalies, "zscore-seasonal-residual", "window_recall")).isGreaterThan(0.5);
        assertThat(value(anomalies, "zscore-seasonal-residual", "alerts_outside_windows"))
                .isLessThan(value(anomalies, "zscore-raw-week", "alerts_outside_windows"));
    }

    @Test
    void shouldReportTheLineOfAMalformedSequence(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("bad.seq");
        Files.writeString(bad, "1 2 3\n4 x 6\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PredictorEvaluation.sequences(bad))
                .hasMessageContaining("bad.seq:2 item 2: 'x' (expected: a non-negative integer)");
    }
}
