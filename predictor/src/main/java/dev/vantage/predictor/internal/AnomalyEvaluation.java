package dev.vantage.predictor.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.EvalResult;

/**
 * Anomaly evaluation (NAB windows): a window counts as found when at least one alert falls inside it; reported are
 * window recall and the number of alerts outside every window. Compared: the README baseline (robust z-score of
 * raw values over the last week, threshold 3.5, every exceedance an alert) and the Vantage detector (robust
 * z-score of seasonal residuals, same threshold, at most one alert per day per series).
 *
 * <p>Threading: confined to the calling thread.
 */
public final class AnomalyEvaluation {

    private static final long DAY_MILLIS = 86_400_000L;

    private AnomalyEvaluation() {
    }

    public static List<EvalResult> run(Path series, Path windows, double threshold, String dataset) {
        return run(SeriesCsv.readSeries(series), SeriesCsv.readWindows(windows), threshold, dataset);
    }

    public static List<EvalResult> run(Map<String, SeriesCsv.Series> series, List<SeriesCsv.Window> windows,
                                       double threshold, String dataset) {
        String[] names = {"zscore-raw-week", "zscore-seasonal-residual"};
        List<EvalResult> results = new ArrayList<>();
        for (int m = 0; m < names.length; m++) {
            long found = 0;
            long total = 0;
            long outside = 0;
            long alerts = 0;
            for (SeriesCsv.Series s : series.values()) {
                List<SeriesCsv.Window> mine = new ArrayList<>();
                for (SeriesCsv.Window w : windows) {
                    if (w.series().equals(s.name())) {
                        mine.add(w);
                    }
                }
                long step = medianStepMillis(s.times());
                int day = (int) Math.max(1, DAY_MILLIS / step);
                int week = day * 7;
                RobustAnomalyDetector detector = m == 0
                        ? new RobustAnomalyDetector(day, 0, week, 1, threshold, 0, false)
                        : new RobustAnomalyDetector(day, week, week, Math.max(1, day / 24), threshold, day, true);
                boolean[] hit = new boolean[mine.size()];
                for (int i = 0; i < s.values().length; i++) {
                    if (!detector.offer(s.values()[i])) {
                        continue;
                    }
                    alerts++;
                    boolean inside = false;
                    for (int w = 0; w < mine.size(); w++) {
                        if (s.times()[i] >= mine.get(w).startMillis() && s.times()[i] <= mine.get(w).endMillis()) {
                            inside = true;
                            hit[w] = true;
                        }
                    }
                    if (!inside) {
                        outside++;
                    }
                }
                total += mine.size();
                for (boolean h : hit) {
                    found += h ? 1 : 0;
                }
            }
            results.add(new EvalResult(dataset, names[m], "window_recall", total == 0 ? 0 : (double) found / total, total));
            results.add(new EvalResult(dataset, names[m], "alerts_outside_windows", outside, alerts));
        }
        return results;
    }

    static long medianStepMillis(long[] times) {
        if (times.length < 2) {
            return 1;
        }
        long[] d = new long[times.length - 1];
        for (int i = 1; i < times.length; i++) {
            d[i - 1] = times[i] - times[i - 1];
        }
        Arrays.sort(d);
        return Math.max(1, d[d.length / 2]);
    }
}
