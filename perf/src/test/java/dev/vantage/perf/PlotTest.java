package dev.vantage.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotTest {

    @TempDir
    Path dir;

    @Test
    void shouldDrawOneLabelledPercentileCurvePerHgrmFileOnANinesAxis() throws IOException {
        Path fast = dir.resolve("fast.hgrm");
        Path slow = dir.resolve("slow.hgrm");
        LoadGenerator.writeHgrm(uniformMicros(1, 10), fast);
        LoadGenerator.writeHgrm(uniformMicros(1, 1000), slow);

        String svg = Plot.percentiles(List.of(fast, slow), List.of("vantage", "haproxy"));

        assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
        assertThat(svg.split("<polyline", -1)).hasSize(3);
        assertThat(svg).contains("vantage (p50 5", "haproxy (p50 50", ">90%<", ">99%<", ">99.9%<");
    }

    @Test
    void shouldDrawThroughputAndLatencyPerIntervalFromAnHlog() throws IOException {
        Path hlog = dir.resolve("run.hlog");
        try (PrintStream out = new PrintStream(Files.newOutputStream(hlog), false, StandardCharsets.UTF_8)) {
            HistogramLogWriter writer = new HistogramLogWriter(out);
            writer.outputLogFormatVersion();
            writer.outputStartTime(1_700_000_000_000L);
            writer.outputLegend();
            for (int second = 0; second < 5; second++) {
                writer.outputIntervalHistogram(second, second + 1, uniformMicros(1, 100 * (second + 1)), 1000.0);
            }
        }

        String svg = Plot.timeline(List.of(hlog), List.of("run"));

        assertThat(svg).contains("Throughput per interval", "Latency per interval", "run p50", "run p99", "run max");
        assertThat(svg.split("<polyline", -1)).hasSize(5);
    }

    @Test
    void shouldLabelTheNinesLikeHdrHistogramsPlotter() {
        assertThat(List.of(0, 1, 2, 3, 5)).map(n -> Plot.percentileLabel(n))
                .containsExactly("0%", "90%", "99%", "99.9%", "99.999%");
    }

    /** {@code count} values per millisecond from 1 to {@code maxMillis} ms, in microseconds. */
    private static Histogram uniformMicros(int count, int maxMillis) {
        Histogram histogram = new Histogram(1, 3_600_000_000L, 3);
        for (int ms = 1; ms <= maxMillis; ms++) {
            histogram.recordValueWithCount(ms * 1000L, count);
        }
        return histogram;
    }
}
