package dev.vantage.proxy.internal;

import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.UpstreamEndpoint;
import java.util.List;

/**
 * Renders the proxy's counters in the Prometheus text format (version 0.0.4): sums over every loop's
 * {@link LoopMetrics} and pool counters. Runs on the admin thread; reads are opaque, never locked.
 */
public final class ProxyMetrics {

    private ProxyMetrics() {
    }

    /** Appends every proxy metric family to {@code out}. */
    public static void write(ProxyEngine engine, StringBuilder out) {
        List<LoopContext> loops = engine.loops();
        String transport = engine.transport().name();
        family(out, "vantage_proxy_transport_info", "gauge", "Event loop transport in use (value 1).");
        out.append("vantage_proxy_transport_info{transport=\"").append(transport).append("\"} 1\n");
        family(out, "vantage_proxy_event_loops", "gauge", "Number of proxy event loops.");
        out.append("vantage_proxy_event_loops ").append(loops.size()).append('\n');

        family(out, "vantage_proxy_requests_total", "counter", "Completed requests by status class.");
        String[] classes = {"1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int c = 0; c < classes.length; c++) {
            out.append("vantage_proxy_requests_total{code=\"").append(classes[c]).append("\"} ")
                    .append(sum(loops, LoopMetrics.REQUESTS_1XX + c)).append('\n');
        }
        family(out, "vantage_proxy_request_duration_seconds", "histogram",
                "Time from complete request head to last response byte written.");
        long cumulative = 0;
        for (int b = 0; b < LoopMetrics.LATENCY_BUCKETS_SECONDS.length; b++) {
            for (LoopContext loop : loops) {
                cumulative += loop.metrics.bucket(b);
            }
            out.append("vantage_proxy_request_duration_seconds_bucket{le=\"")
                    .append(LoopMetrics.LATENCY_BUCKETS_SECONDS[b]).append("\"} ").append(cumulative).append('\n');
        }
        long count = sum(loops, LoopMetrics.LATENCY_COUNT);
        out.append("vantage_proxy_request_duration_seconds_bucket{le=\"+Inf\"} ").append(count).append('\n');
        out.append("vantage_proxy_request_duration_seconds_sum ")
                .append(sum(loops, LoopMetrics.LATENCY_SUM_NANOS) / 1e9).append('\n');
        out.append("vantage_proxy_request_duration_seconds_count ").append(count).append('\n');

        counter(out, "vantage_proxy_request_body_bytes_total", "Request body bytes received from clients.",
                sum(loops, LoopMetrics.REQUEST_BODY_BYTES));
        counter(out, "vantage_proxy_response_bytes_total", "Response bytes (head and body) sent to clients.",
                sum(loops, LoopMetrics.RESPONSE_BYTES));
        long accepted = sum(loops, LoopMetrics.CONNECTIONS_ACCEPTED);
        long closed = sum(loops, LoopMetrics.CONNECTIONS_CLOSED);
        counter(out, "vantage_proxy_connections_accepted_total", "Client connections accepted.", accepted);
        family(out, "vantage_proxy_connections_open", "gauge", "Client connections open now.");
        out.append("vantage_proxy_connections_open ").append(accepted - closed).append('\n');
        counter(out, "vantage_proxy_rejected_requests_total",
                "Requests rejected by the HTTP parser or its limits (400, 408, 413, 414, 417, 431, 501, 505).",
                sum(loops, LoopMetrics.REJECTED_REQUESTS));
        counter(out, "vantage_proxy_request_header_timeouts_total", "Request heads not received in time (408).",
                sum(loops, LoopMetrics.HEADER_TIMEOUTS));
        counter(out, "vantage_proxy_upstream_timeouts_total", "Upstream responses not received in time (504).",
                sum(loops, LoopMetrics.UPSTREAM_TIMEOUTS));
        counter(out, "vantage_proxy_retries_total", "Requests retried on another upstream.",
                sum(loops, LoopMetrics.RETRIES));
        counter(out, "vantage_proxy_tunnels_total", "Connections switched to a tunnel (101 Switching Protocols).",
                sum(loops, LoopMetrics.TUNNELS));
        counter(out, "vantage_proxy_shadow_requests_total", "Shadow copies of requests sent (responses dropped).",
                sum(loops, LoopMetrics.SHADOW_REQUESTS));
        counter(out, "vantage_proxy_hedges_sent_total",
                "Hedged copies of slow GET/HEAD requests sent to a second upstream.",
                sum(loops, LoopMetrics.HEDGES_SENT));
        counter(out, "vantage_proxy_hedges_won_total",
                "Hedged requests answered by the hedge (the first attempt was cancelled).",
                sum(loops, LoopMetrics.HEDGES_WON));
        counter(out, "vantage_proxy_pool_reuses_total", "Requests sent on a reused keep-alive upstream connection.",
                sum(loops, LoopMetrics.POOL_REUSES));

        ProxyTopology topology = engine.topology();
        family(out, "vantage_proxy_upstream_connections_open", "gauge",
                "Upstream connections open or being opened, per upstream.");
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            long open = 0;
            for (LoopContext loop : loops) {
                UpstreamPool pool = poolOf(loop, endpoint);
                open += pool == null ? 0 : pool.open();
            }
            upstreamSample(out, "vantage_proxy_upstream_connections_open", endpoint, open);
        }
        family(out, "vantage_proxy_upstream_connections_idle", "gauge", "Idle pooled upstream connections.");
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            long idle = 0;
            for (LoopContext loop : loops) {
                UpstreamPool pool = poolOf(loop, endpoint);
                idle += pool == null ? 0 : pool.idle();
            }
            upstreamSample(out, "vantage_proxy_upstream_connections_idle", endpoint, idle);
        }
        family(out, "vantage_proxy_upstream_connects_total", "counter", "Upstream connections opened.");
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            long connects = 0;
            for (LoopContext loop : loops) {
                UpstreamPool pool = poolOf(loop, endpoint);
                connects += pool == null ? 0 : pool.connects();
            }
            upstreamSample(out, "vantage_proxy_upstream_connects_total", endpoint, connects);
        }
        family(out, "vantage_proxy_upstream_connect_failures_total", "counter", "Failed upstream connects.");
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            long failures = 0;
            for (LoopContext loop : loops) {
                UpstreamPool pool = poolOf(loop, endpoint);
                failures += pool == null ? 0 : pool.connectFailures();
            }
            upstreamSample(out, "vantage_proxy_upstream_connect_failures_total", endpoint, failures);
        }
        family(out, "vantage_proxy_upstream_pending_requests", "gauge", "Requests in flight per upstream.");
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            upstreamSample(out, "vantage_proxy_upstream_pending_requests", endpoint, endpoint.pendingRequests());
        }
        AccessLog log = engine.accessLog();
        counter(out, "vantage_proxy_access_log_written_total", "Access records written or handed to sinks.",
                log.written());
        counter(out, "vantage_proxy_access_log_dropped_total", "Access records dropped because the ring was full.",
                log.dropped());
        counter(out, "vantage_proxy_access_sink_errors_total", "Exceptions thrown by access sinks or log writes.",
                log.sinkErrors());
    }

    static UpstreamPool poolOf(LoopContext loop, UpstreamEndpoint endpoint) {
        UpstreamPool[] pools = loop.pools();
        if (endpoint.index() >= pools.length) {
            return null;
        }
        UpstreamPool pool = pools[endpoint.index()];
        return pool != null && pool.endpoint == endpoint ? pool : null;
    }

    /** Pool statistics of {@code endpoint} summed over loops: open, idle, reused, connects, connect failures. */
    public static long[] poolStats(ProxyEngine engine, UpstreamEndpoint endpoint) {
        long[] stats = new long[5];
        for (LoopContext loop : engine.loops()) {
            UpstreamPool pool = poolOf(loop, endpoint);
            if (pool != null) {
                stats[0] += pool.open();
                stats[1] += pool.idle();
                stats[2] += pool.reused();
                stats[3] += pool.connects();
                stats[4] += pool.connectFailures();
            }
        }
        return stats;
    }

    private static void upstreamSample(StringBuilder out, String name, UpstreamEndpoint endpoint, long value) {
        out.append(name).append("{site=\"").append(endpoint.siteId()).append("\",group=\"")
                .append(endpoint.groupName()).append("\",upstream=\"").append(endpoint.endpoint()).append("\"} ")
                .append(value).append('\n');
    }

    private static long sum(List<LoopContext> loops, int slot) {
        long total = 0;
        for (LoopContext loop : loops) {
            total += loop.metrics.get(slot);
        }
        return total;
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        family(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }
}
