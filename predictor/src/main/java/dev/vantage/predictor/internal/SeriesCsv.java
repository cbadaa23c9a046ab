package dev.vantage.predictor.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads time series ({@code series,ts,value}, ts an integer step or ISO-8601 UTC) and anomaly windows
 * ({@code series,start,end}). Rows are grouped by series in file order and sorted by time.
 */
public final class SeriesCsv {

    /** One series: times (steps or epoch milliseconds) and values. */
    public record Series(String name, long[] times, double[] values) {}

    /** One labelled anomaly window, inclusive bounds in epoch milliseconds. */
    public record Window(String series, long startMillis, long endMillis) {}

    private SeriesCsv() {
    }

    public static Map<String, Series> readSeries(Path file) {
        Map<String, List<long[]>> times = new LinkedHashMap<>();
        Map<String, List<Double>> values = new LinkedHashMap<>();
        Map<String, List<Long>> t = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        forEachRow(file, (lineNo, p) -> {
            if (p.length != 3) {
                problems.add(file + ":" + lineNo + ": " + p.length + " columns (expected: 3, series,ts,value)");
                return;
            }
            try {
                long ts = parseTime(p[1]);
                double v = Double.parseDouble(p[2].trim());
                t.computeIfAbsent(p[0].trim(), k -> new ArrayList<>()).add(ts);
                values.computeIfAbsent(p[0].trim(), k -> new ArrayList<>()).add(v);
            } catch (NumberFormatException | DateTimeParseException e) {
                problems.add(file + ":" + lineNo + ": '" + String.join(",", p)
                        + "' (expected: ts an integer or ISO-8601 instant, value a number)");
            }
        }, problems);
        times.clear();
        Map<String, Series> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : t.entrySet()) {
            List<Double> vs = values.get(e.getKey());
            Integer[] order = new Integer[vs.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            List<Long> ts = e.getValue();
            java.util.Arrays.sort(order, (a, b) -> Long.compare(ts.get(a), ts.get(b)));
            long[] tt = new long[order.length];
            double[] vv = new double[order.length];
            for (int i = 0; i < order.length; i++) {
                tt[i] = ts.get(order[i]);
                vv[i] = vs.get(order[i]);
            }
            out.put(e.getKey(), new Series(e.getKey(), tt, vv));
        }
        return out;
    }

    public static List<Window> readWindows(Path file) {
        List<Window> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        forEachRow(file, (lineNo, p) -> {
            if (p.length != 3) {
                problems.add(file + ":" + lineNo + ": " + p.length + " columns (expected: 3, series,start,end)");
                return;
            }
            try {
                long start = parseTime(p[1]);
                long end = parseTime(p[2]);
                if (end < start) {
                    problems.add(file + ":" + lineNo + ": end " + p[2] + " (expected: >= start " + p[1] + ")");
                    return;
                }
                out.add(new Window(p[0].trim(), start, end));
            } catch (NumberFormatException | DateTimeParseException e) {
                problems.add(file + ":" + lineNo + ": '" + String.join(",", p) + "' (expected: ISO-8601 instants)");
            }
        }, problems);
        return out;
    }

    static long parseTime(String text) {
        String s = text.trim();
        if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-') && s.indexOf('T') < 0) {
            return Long.parseLong(s);
        }
        return Instant.parse(s).toEpochMilli();
    }

    private interface Row {
        void accept(int lineNo, String[] parts);
    }

    private static void forEachRow(Path file, Row row, List<String> problems) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null && problems.size() < 20) {
                lineNo++;
                if (line.isBlank() || (lineNo == 1 && line.startsWith("series"))) {
                    continue;
                }
                row.accept(lineNo, line.split(","));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
    }
}
