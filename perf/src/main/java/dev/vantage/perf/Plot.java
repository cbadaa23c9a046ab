package dev.vantage.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

import dev.vantage.perf.internal.SvgChart;

/**
 * {@code perf/plot OUT.svg FILE[=LABEL]...}: draws {@code .hgrm} files as latency-by-percentile curves (the
 * percentile axis is log-scaled in 1/(1-p), as HdrHistogram's plotter: 90 %, 99 %, 99.9 %... equally spaced), or
 * {@code .hlog} interval logs of {@code perf/loadgen} (values in microseconds) as throughput and latency over
 * time. No dependencies beyond HdrHistogram.
 */
public final class Plot {

    private static final int MAX_NINES = 6;

    private Plot() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !args[0].endsWith(".svg")) {
            System.err.println("usage: perf/plot OUT.svg FILE.hgrm[=LABEL]...   (latency percentile curves)");
            System.err.println("       perf/plot OUT.svg FILE.hlog[=LABEL]...   (throughput and latency over time)");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Path> files = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            Path file = Path.of(eq < 0 ? args[i] : args[i].substring(0, eq));
            files.add(file);
            labels.add(eq < 0 ? file.getFileName().toString().replaceAll("\\.(hgrm|hlog)$", "") : args[i].substring(eq + 1));
        }
        try {
            boolean logs = files.get(0).toString().endsWith(".hlog");
            String svg = logs ? timeline(files, labels) : percentiles(files, labels);
            Files.writeString(out, svg, StandardCharsets.UTF_8);
            System.err.println("plot: wrote " + out);
        } catch (IllegalArgumentException e) {
            System.err.println("plot: " + e.getMessage());
            System.exit(1);
        }
    }

    /** An SVG of the latency percentile curves of {@code .hgrm} files (values in milliseconds). */
    public static String percentiles(List<Path> files, List<String> labels) throws IOException {
        List<SvgChart.Series> series = new ArrayList<>();
        double xMax = 1;
        double yMax = 0;
        for (int f = 0; f < files.size(); f++) {
            HgrmFile hgrm = HgrmFile.read(files.get(f));
            List<double[]> points = new ArrayList<>();
            for (HgrmFile.Point point : hgrm.points()) {
                if (point.percentile() >= 100) {
                    continue;
                }
                double x = Math.min(MAX_NINES, Math.log10(100 / (100 - point.percentile())));
                points.add(new double[] {x, point.value()});
                xMax = Math.max(xMax, x);
                yMax = Math.max(yMax, point.value());
            }
            double[] xs = new double[points.size()];
            double[] ys = new double[points.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = points.get(i)[0];
                ys[i] = points.get(i)[1];
            }
            series.add(new SvgChart.Series(String.format(Locale.ROOT, "%s (p50 %s ms, p99 %s ms, max %s ms, n=%d)",
                    labels.get(f), SvgChart.number(hgrm.valueAt(50)), SvgChart.number(hgrm.valueAt(99)),
                    SvgChart.number(hgrm.max()), hgrm.totalCount()), xs, ys));
        }
        double nines = Math.ceil(xMax);
        double[] ticks = new double[(int) nines + 1];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i;
        }
        return new SvgChart().add(new SvgChart.Panel("Latency by percentile", "percentile", "latency (ms)", series,
                nines, ticks, Plot::percentileLabel, yMax)).render();
    }

    /** An SVG of throughput and p50/p99/max latency per interval of {@code .hlog} files (values in microseconds). */
    public static String timeline(List<Path> files, List<String> labels) throws IOException {
        List<SvgChart.Series> rates = new ArrayList<>();
        List<SvgChart.Series> latencies = new ArrayList<>();
        double tMax = 0;
        double rateMax = 0;
        double latencyMax = 0;
        for (int f = 0; f < files.size(); f++) {
            List<double[]> rows = new ArrayList<>();
            HistogramLogReader reader = new HistogramLogReader(files.get(f).toFile());
            try {
                double first = Double.NaN;
                EncodableHistogram next;
                while ((next = reader.nextIntervalHistogram()) != null) {
                    if (!(next instanceof Histogram)) {
                        continue;
                    }
                    Histogram h = (Histogram) next;
                    double start = h.getStartTimeStamp() / 1000.0;
                    double end = h.getEndTimeStamp() / 1000.0;
                    if (Double.isNaN(first)) {
                        first = start;
                    }
                    double length = end - start;
                    if (length < 0.1) {
                        continue; // a last sliver of an interval (the drain) would show a meaningless rate
                    }
                    long count = h.getTotalCount();
                    rows.add(new double[] {end - first, count / length,
                        count == 0 ? 0 : h.getValueAtPercentile(50) / 1000.0,
                        count == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0,
                        count == 0 ? 0 : h.getMaxValue() / 1000.0});
                }
            } finally {
                reader.close();
            }
            if (rows.isEmpty()) {
                throw new IllegalArgumentException(files.get(f) + ": no interval histograms (expected: an .hlog file)");
            }
            double[] t = column(rows, 0);
            rates.add(new SvgChart.Series(labels.get(f), t, column(rows, 1)));
            String[] names = {"p50", "p99", "max"};
            for (int c = 0; c < 3; c++) {
                latencies.add(new SvgChart.Series(labels.get(f) + " " + names[c], t, column(rows, 2 + c)));
            }
            for (double[] row : rows) {
                tMax = Math.max(tMax, row[0]);
                rateMax = Math.max(rateMax, row[1]);
                latencyMax = Math.max(latencyMax, Math.max(row[3], row[4]));
            }
        }
        double[] tTicks = SvgChart.niceTicks(tMax, 10);
        double tAxis = tTicks[tTicks.length - 1];
        return new SvgChart()
                .add(new SvgChart.Panel("Throughput per interval", "time (s)", "responses/s", rates, tAxis, tTicks,
                        SvgChart::number, rateMax))
                .add(new SvgChart.Panel("Latency per interval (from intended send time)", "time (s)", "latency (ms)",
                        latencies, tAxis, tTicks, SvgChart::number, latencyMax))
                .render();
    }

    private static double[] column(List<double[]> rows, int index) {
        double[] values = new double[rows.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = rows.get(i)[index];
        }
        return values;
    }

    /** 0 -> 0%, 1 -> 90%, 2 -> 99%, 3 -> 99.9%... */
    static String percentileLabel(double nines) {
        int n = (int) Math.round(nines);
        if (n == 0) {
            return "0%";
        }
        if (n == 1) {
            return "90%";
        }
        return "99" + (n > 2 ? "." + "9".repeat(n - 2) : "") + "%";
    }
}
