package dev.vantage.perf;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * What one load run does. Immutable.
 *
 * @param url                  {@code http://host:port/path?query}
 * @param schedule             open-loop target rate over the measured window; {@code null} = closed loop
 * @param durationSeconds      the measured window (for open loop: the schedule's total)
 * @param warmupSeconds        before the measured window, at the schedule's first rate; not recorded
 * @param connections          keep-alive connections in total
 * @param threads              event loops (each owns connections / threads connections)
 * @param timeoutMillis        a request without a complete response this long after sending (or queued this
 *                             long after its intended time) fails as {@link ErrorKind#TIMEOUT}
 * @param connectTimeoutMillis per connection attempt
 * @param method               request method (without a scenario)
 * @param bodyBytes            request body size (without a scenario)
 * @param headerLines          extra header lines {@code Name: value} (without a scenario)
 * @param transport            {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}
 * @param scenario             request mix and users, or {@code null}
 * @param hgrmFile             percentile distribution output, or {@code null}
 * @param hlogFile             interval histogram log output, or {@code null}
 */
public record LoadOptions(URI url, RateSchedule schedule, double durationSeconds, double warmupSeconds,
                          int connections, int threads, long timeoutMillis, long connectTimeoutMillis, String method,
                          int bodyBytes, List<String> headerLines, String transport, Scenario scenario, Path hgrmFile,
                          Path hlogFile) {

    public LoadOptions {
        headerLines = headerLines == null ? List.of() : List.copyOf(headerLines);
        method = method == null ? "GET" : method;
        transport = transport == null ? "auto" : transport;
        if (schedule != null) {
            durationSeconds = schedule.totalSeconds();
        }
    }

    /** Open loop at a constant rate with defaults for the rest (16 connections, 10 s timeout). */
    public static LoadOptions openLoop(URI url, double requestsPerSecond, double durationSeconds) {
        return new LoadOptions(url, RateSchedule.constant(requestsPerSecond, durationSeconds), durationSeconds, 0, 16,
                Math.min(2, Runtime.getRuntime().availableProcessors()), 10_000, 2_000, "GET", 0, List.of(), "auto",
                null, null, null);
    }

    public boolean closedLoop() {
        return schedule == null;
    }

    public LoadOptions withConnections(int connectionCount, int threadCount) {
        return new LoadOptions(url, schedule, durationSeconds, warmupSeconds, connectionCount, threadCount,
                timeoutMillis, connectTimeoutMillis, method, bodyBytes, headerLines, transport, scenario, hgrmFile,
                hlogFile);
    }

    public LoadOptions withWarmup(double seconds) {
        return new LoadOptions(url, schedule, durationSeconds, seconds, connections, threads, timeoutMillis,
                connectTimeoutMillis, method, bodyBytes, headerLines, transport, scenario, hgrmFile, hlogFile);
    }

    public LoadOptions withTimeouts(long requestTimeoutMillis, long connectAttemptTimeoutMillis) {
        return new LoadOptions(url, schedule, durationSeconds, warmupSeconds, connections, threads,
                requestTimeoutMillis, connectAttemptTimeoutMillis, method, bodyBytes, headerLines, transport, scenario,
                hgrmFile, hlogFile);
    }

    public LoadOptions withOutputs(Path hgrm, Path hlog) {
        return new LoadOptions(url, schedule, durationSeconds, warmupSeconds, connections, threads, timeoutMillis,
                connectTimeoutMillis, method, bodyBytes, headerLines, transport, scenario, hgrm, hlog);
    }

    public LoadOptions withScenario(Scenario value) {
        return new LoadOptions(url, schedule, durationSeconds, warmupSeconds, connections, threads, timeoutMillis,
                connectTimeoutMillis, method, bodyBytes, headerLines, transport, value, hgrmFile, hlogFile);
    }
}
