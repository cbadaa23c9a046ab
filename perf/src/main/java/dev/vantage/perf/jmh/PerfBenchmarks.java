package dev.vantage.perf.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.vantage.config.Route;
import dev.vantage.config.RouteMatch;
import dev.vantage.config.RouteTable;
import dev.vantage.config.RouteTarget;

/**
 * Per-request hot paths available in main: the route lookup of {@code config.RouteTable} and the latency
 * recording into HdrHistogram that the proxy and the load generator do for every request. Run with
 * {@code -prof gc}: each should allocate 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PerfBenchmarks {

    /** A route table of {@code routeCount} routes: specific API routes, a wildcard static route, a catch-all. */
    @State(Scope.Thread)
    public static class Routes {
        @Param({"8", "64"})
        public int routeCount;

        RouteTable table;
        Function<CharSequence, String> headerLookup;

        @Setup
        public void setUp() {
            List<Route> routes = new ArrayList<>();
            for (int i = 0; i < routeCount - 2; i++) {
                routes.add(Route.of("api-" + i, new RouteMatch(List.of("api" + i + ".example.com",
                        "*.svc" + i + ".example.com"), "/api/v" + i, Map.of("X-Tenant", "t" + i),
                        Set.of("GET", "POST")), RouteTarget.upstreamGroup("g" + i)));
            }
            routes.add(Route.of("static", new RouteMatch(List.of("*.example.com"), "/static", Map.of(), Set.of("GET")),
                    RouteTarget.upstreamGroup("static")));
            routes.add(Route.of("catch-all", RouteMatch.any(), RouteTarget.upstreamGroup("default")));
            table = RouteTable.of(routes);
            Map<String, String> requestHeaders = Map.of("X-Tenant", "none");
            headerLookup = name -> requestHeaders.get(name.toString());
        }
    }

    /** Latency sinks: a multi-writer {@link Recorder} and a plain {@link Histogram}, microsecond values. */
    @State(Scope.Thread)
    public static class Latencies {
        final Recorder recorder = new Recorder(1, 3_600_000_000L, 3);
        final Histogram histogram = new Histogram(1, 3_600_000_000L, 3);
        long value;

        long next() {
            value = (value + 977) & 0xFFFFF;
            return value + 1;
        }
    }

    /** A request that fails every specific route (path, then host or header) and ends at the catch-all. */
    @Benchmark
    public Route routeMatchCatchAll(Routes routes) {
        return routes.table.match("www.example.com:8080", "/home/index.html?x=1", "GET", routes.headerLookup);
    }

    /** A request for the wildcard-host static route. */
    @Benchmark
    public Route routeMatchStatic(Routes routes) {
        return routes.table.match("cdn.example.com", "/static/app.js", "GET", routes.headerLookup);
    }

    /** What every completed request costs the latency recorder of the proxy and of the load generator. */
    @Benchmark
    public void recorderRecord(Latencies latencies) {
        latencies.recorder.recordValue(latencies.next());
    }

    /** The same into a plain single-threaded Histogram (no writer phaser). */
    @Benchmark
    public void histogramRecord(Latencies latencies) {
        latencies.histogram.recordValue(latencies.next());
    }
}
