package dev.vantage.predictor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vantage.predictor.internal.AnomalyEvaluation;
import dev.vantage.predictor.internal.ForecastEvaluation;
import dev.vantage.predictor.internal.PlaceEvaluation;
import dev.vantage.predictor.internal.SequenceEvaluation;

/**
 * The evaluation behind {@code vantage predict-eval}: runs every model and baseline on files in the canonical
 * formats of the data README (location traces, {@code .seq} sequences, {@code series,ts,value} series with a
 * {@code -test} file, anomaly windows) and returns one {@link EvalResult} per figure.
 *
 * <p>Stateless; each call reads its files and is confined to the calling thread.
 */
public final class PredictorEvaluation {

    private PredictorEvaluation() {
    }

    /** Next place: stay-point protocol and the finer 15-minute cell protocol. */
    public static List<EvalResult> places(Path trace) {
        return PlaceEvaluation.run(trace, stem(trace));
    }

    /** Next item on a {@code .seq} file. */
    public static List<EvalResult> sequences(Path file) {
        return SequenceEvaluation.run(file, stem(file));
    }

    /** Forecasting: sMAPE and MASE over series, horizon and season in steps. */
    public static List<EvalResult> series(Path train, Path test, int horizon, int season) {
        return ForecastEvaluation.run(train, test, horizon, season, stem(train));
    }

    /** Anomaly windows: recall and alerts outside windows. */
    public static List<EvalResult> anomalies(Path series, Path windows, double zScoreThreshold) {
        return AnomalyEvaluation.run(series, windows, zScoreThreshold, stem(series));
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** A table: one row per (dataset, model), one column per metric. */
    public static String table(List<EvalResult> results) {
        Map<String, Map<String, EvalResult>> rows = new LinkedHashMap<>();
        List<String> metrics = new ArrayList<>();
        for (EvalResult r : results) {
            rows.computeIfAbsent(r.dataset() + " | " + r.model(), k -> new LinkedHashMap<>()).put(r.metric(), r);
            if (!metrics.contains(r.metric())) {
                metrics.add(r.metric());
            }
        }
        StringBuilder b = new StringBuilder();
        String lastDataset = null;
        for (Map.Entry<String, Map<String, EvalResult>> row : rows.entrySet()) {
            String dataset = row.getKey().substring(0, row.getKey().indexOf(" | "));
            if (!dataset.equals(lastDataset)) {
                b.append('\n').append(dataset).append('\n');
                lastDataset = dataset;
            }
            b.append(String.format(Locale.ROOT, "  %-40s", row.getKey().substring(dataset.length() + 3)));
            for (Map.Entry<String, EvalResult> cell : row.getValue().entrySet()) {
                EvalResult r = cell.getValue();
                b.append(String.format(Locale.ROOT, "  %s=%s", r.metric(), format(r)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String format(EvalResult r) {
        String m = r.metric();
        if (m.startsWith("top") || m.endsWith("recall") || m.endsWith("coverage")) {
            return String.format(Locale.ROOT, "%.1f%%(n=%d)", 100 * r.value(), r.cases());
        }
        if (m.startsWith("alerts") || m.equals("chosen") || m.startsWith("kept")) {
            return String.format(Locale.ROOT, "%.0f(of %d)", r.value(), r.cases());
        }
        return String.format(Locale.ROOT, "%.4f", r.value());
    }
}
