package dev.vantage.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints a summary of JMH JSON result files ({@code perf/jmh.sh}): one {@code JMH} line per benchmark with its
 * score, error and allocation per operation, and one {@code RESULT} line per benchmark whose baseline is the
 * {@code SmokeBenchmark} floor of the same run (the cost of an empty benchmark call).
 * {@code JmhSummary [--floor FLOOR.json] RESULT.json...}: with {@code --floor}, the floor is read from that file
 * and only the other files are summarised.
 */
public final class JmhSummary {

    private JmhSummary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || (args[0].equals("--floor") && args.length < 3)) {
            System.err.println("usage: JmhSummary [--floor FLOOR.json] RESULT.json...");
            System.exit(2);
        }
        JsonMapper json = JsonMapper.builder().build();
        int first = 0;
        double floor = Double.NaN;
        if (args[0].equals("--floor")) {
            floor = floorOf(json.readTree(Files.readString(Path.of(args[1]))));
            first = 2;
        }
        for (int i = first; i < args.length; i++) {
            JsonNode results = json.readTree(Files.readString(Path.of(args[i])));
            if (Double.isNaN(floor)) {
                floor = floorOf(results);
            }
            summarise(results, floor);
        }
    }

    private static double floorOf(JsonNode results) {
        for (JsonNode r : results) {
            if (r.path("benchmark").asString("").endsWith("SmokeBenchmark.increment")) {
                return number(r.path("primaryMetric").path("score"));
            }
        }
        return Double.NaN;
    }

    private static void summarise(JsonNode results, double floor) {
        for (JsonNode r : results) {
            String benchmark = r.path("benchmark").asString("").replace("dev.vantage.perf.jmh.", "");
            StringBuilder params = new StringBuilder();
            for (String name : r.path("params").propertyNames()) {
                params.append(params.length() == 0 ? "" : ",").append(name).append('=')
                        .append(r.path("params").path(name).asString());
            }
            String name = "jmh." + benchmark + (params.length() == 0 ? "" : "[" + params + "]");
            JsonNode primary = r.path("primaryMetric");
            double score = number(primary.path("score"));
            double error = number(primary.path("scoreError"));
            String unit = primary.path("scoreUnit").asString("");
            double alloc = Double.NaN;
            for (String metric : r.path("secondaryMetrics").propertyNames()) {
                if (metric.endsWith("gc.alloc.rate.norm")) {
                    alloc = number(r.path("secondaryMetrics").path(metric).path("score"));
                }
            }
            System.out.printf(Locale.ROOT, "JMH %-60s %12.3f ± %8.3f %-8s alloc %s%n", name, score,
                    Double.isNaN(error) ? 0 : error, unit,
                    Double.isNaN(alloc) ? "n/a" : String.format(Locale.ROOT, "%.1f B/op", alloc));
            if (!Double.isNaN(floor) && floor > 0 && !benchmark.endsWith("SmokeBenchmark.increment")) {
                System.out.printf(Locale.ROOT, "RESULT name=%s target=time value=%.3f unit=%s baseline=%.3f ratio=%.2f%n",
                        name.replace(' ', '_'), score, unit, floor, score / floor);
            }
        }
    }

    /** JMH writes "NaN" as a string when a score has no error bound (one iteration). */
    private static double number(JsonNode node) {
        if (node.isNumber()) {
            return node.asDouble();
        }
        try {
            return Double.parseDouble(node.asString(""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
