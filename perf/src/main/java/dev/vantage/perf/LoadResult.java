package dev.vantage.perf;

import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;

/**
 * The outcome of one load run. Latencies are in microseconds, measured from the intended send time.
 *
 * @param targetRequestsPerSecond   the intended rate over the measured window, 0 for closed loop
 * @param achievedRequestsPerSecond responses completed inside the measured window per second of it
 * @param requests                  measured requests that completed or failed
 * @param errorsByKind              every kind, zero included
 * @param latencyMicros             latencies of measured requests that got a response (any status)
 * @param transport                 io_uring, epoll or nio
 */
public record LoadResult(double targetRequestsPerSecond, double achievedRequestsPerSecond, long requests,
                         Map<ErrorKind, Long> errorsByKind, Histogram latencyMicros, double measuredSeconds,
                         long sent, String transport) {

    public long errors() {
        long total = 0;
        for (long count : errorsByKind.values()) {
            total += count;
        }
        return total;
    }

    public long percentileMicros(double percentile) {
        return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(percentile);
    }

    /** The machine-readable line of the {@code perf/loadgen} contract. */
    public String loadgenLine() {
        return "LOADGEN target_rps=" + number(targetRequestsPerSecond)
                + " achieved_rps=" + number(achievedRequestsPerSecond)
                + " requests=" + requests
                + " errors=" + errors()
                + " p50_us=" + percentileMicros(50)
                + " p90_us=" + percentileMicros(90)
                + " p99_us=" + percentileMicros(99)
                + " p999_us=" + percentileMicros(99.9)
                + " max_us=" + (latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue());
    }

    /** {@code connect=0 timeout=3 ...}, every kind. */
    public String errorSummary() {
        StringBuilder out = new StringBuilder();
        for (ErrorKind kind : ErrorKind.values()) {
            out.append(out.length() == 0 ? "" : " ").append(kind.label()).append('=')
                    .append(errorsByKind.getOrDefault(kind, 0L));
        }
        return out.toString();
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
