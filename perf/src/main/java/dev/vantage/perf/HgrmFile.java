package dev.vantage.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A percentile distribution read from an {@code .hgrm} file (HdrHistogram's {@code outputPercentileDistribution}
 * text, as written by {@link LoadGenerator#writeHgrm} and by wrk2). Immutable.
 *
 * @param points     (percentile 0..100, value) in file order; values in the file's unit (milliseconds for ours)
 * @param totalCount from the summary line, or the last point's count
 */
public record HgrmFile(List<Point> points, double mean, double max, long totalCount) {

    /** One line of the distribution. */
    public record Point(double percentile, double value, long count) {
    }

    public HgrmFile {
        points = List.copyOf(points);
    }

    public static HgrmFile read(Path file) throws IOException {
        List<Point> points = new ArrayList<>();
        double mean = Double.NaN;
        double max = Double.NaN;
        long total = -1;
        int lineNumber = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNumber++;
            String trimmed = line.trim();
            if (trimmed.startsWith("#[Mean")) {
                mean = field(trimmed, "Mean");
            } else if (trimmed.startsWith("#[Max")) {
                max = field(trimmed, "Max");
                total = (long) field(trimmed, "Total count");
            } else if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !trimmed.startsWith("Value")) {
                String[] f = trimmed.split("\\s+");
                if (f.length < 3) {
                    throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + line
                            + "' (expected: Value Percentile TotalCount [1/(1-Percentile)])");
                }
                try {
                    points.add(new Point(Double.parseDouble(f[1]) * 100, Double.parseDouble(f[0]),
                            Long.parseLong(f[2])));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + line
                            + "' (expected: numbers)", e);
                }
            }
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException(file + ": no percentile lines (expected: an .hgrm distribution)");
        }
        if (total < 0) {
            total = points.get(points.size() - 1).count();
        }
        if (Double.isNaN(max)) {
            max = points.get(points.size() - 1).value();
        }
        return new HgrmFile(points, mean, max, total);
    }

    /** The value at the first line whose percentile is at least {@code percentile}. */
    public double valueAt(double percentile) {
        for (Point point : points) {
            if (point.percentile() >= percentile) {
                return point.value();
            }
        }
        return points.get(points.size() - 1).value();
    }

    private static double field(String line, String name) {
        int at = line.indexOf(name);
        int eq = line.indexOf('=', at);
        int end = eq + 1;
        while (end < line.length() && line.charAt(end) != ',' && line.charAt(end) != ']') {
            end++;
        }
        return Double.parseDouble(line.substring(eq + 1, end).trim());
    }
}
