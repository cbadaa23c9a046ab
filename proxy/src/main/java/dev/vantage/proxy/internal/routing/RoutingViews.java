package dev.vantage.proxy.internal.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vantage.proxy.RoutingTarget;

/**
 * Renders the routing state for people and scrapers: Prometheus text (tenant-labelled) and the JSON of the admin
 * {@code /routes} view with, per route and target, the score inputs and the share of traffic.
 *
 * <p>Threading: runs on the admin thread; reads the selectors' single-writer state without synchronisation, so the
 * figures are a close, not an atomic, picture.
 */
final class RoutingViews {

    private RoutingViews() {
    }

    /** Aggregated state of one route member over every event loop. */
    private record MemberState(long pending, long selected, double predictedNanos, double observedNanos,
                               boolean ejected, double score) {
    }

    private static MemberState member(DefaultRoutingEngine engine, RoutingInputs in, RoutePlan plan, int m, long now) {
        int g = plan.members[m];
        long pending = 0;
        long selected = 0;
        boolean ejected = false;
        LoopRouter newest = null;
        for (LoopRouter loop : engine.selectors()) {
            if (loop.snapshot != in.snapshot) {
                continue;
            }
            pending += loop.pending[g];
            selected += loop.memberSelected[plan.index][m];
            ejected |= loop.ejectedUntilNanos[g] - now > 0;
            if (loop.observed[g] && (newest == null || loop.stampNanos[g] - newest.stampNanos[g] > 0)) {
                newest = loop;
            }
        }
        double predicted;
        double observed;
        if (newest != null) {
            predicted = newest.predictedNanos(in, g, now);
            observed = newest.ewmaNanos[g];
        } else {
            long probe = in.probeRttNanos[g];
            predicted = probe >= 0 ? probe : in.snapshot.distancePriorNanos[g];
            observed = -1;
        }
        double score = (predicted + 1_000) * (pending + 1) / in.effectiveWeight[plan.index][m]
                + in.snapshot.costPenaltyNanos[g];
        return new MemberState(pending, selected, predicted, observed, ejected, score);
    }

    static String metrics(DefaultRoutingEngine engine) {
        RoutingInputs in = engine.inputs();
        RoutingSnapshot snap = in.snapshot;
        long now = engine.nanoTime();
        StringBuilder out = new StringBuilder(4096);
        Map<String, StringBuilder> families = new LinkedHashMap<>();
        List<LoopRouter> loops = engine.selectors();
        for (int c = 0; c < RoutingCounters.COUNT; c++) {
            long sum = 0;
            for (LoopRouter loop : loops) {
                sum += loop.counters.get(c);
            }
            String name = RoutingCounters.NAMES[c][0];
            String labels = RoutingCounters.NAMES[c][1];
            family(families, name, "counter", "Routing events by kind.")
                    .append(name).append(labels.isEmpty() ? "" : "{" + labels + "}").append(' ').append(sum).append('\n');
        }
        for (RoutePlan plan : snap.plans) {
            String routeLabels = "route=\"" + escape(plan.route.name()) + "\",tenant=\""
                    + escape(snap.tenantIds[plan.tenantIndex]) + "\"";
            long requests = 0;
            for (LoopRouter loop : loops) {
                if (loop.snapshot == snap) {
                    requests += loop.requests[plan.index];
                }
            }
            family(families, "vantage_routing_requests_total", "counter", "Requests routed per route.")
                    .append("vantage_routing_requests_total{").append(routeLabels).append("} ").append(requests).append('\n');
            for (int m = 0; m < plan.members.length; m++) {
                RoutingTarget t = snap.targets[plan.members[m]];
                MemberState s = member(engine, in, plan, m, now);
                String labels = "{" + routeLabels + ",site=\"" + escape(t.siteId()) + "\",endpoint=\""
                        + escape(t.endpoint().toString()) + "\"}";
                sample(families, "vantage_routing_selected_total", "counter",
                        "Requests sent to each route target.", labels, s.selected);
                sample(families, "vantage_routing_pending_requests", "gauge",
                        "In-flight requests per route target.", labels, s.pending);
                sample(families, "vantage_routing_predicted_latency_seconds", "gauge",
                        "Predicted latency (peak-EWMA blended with probe RTT) per route target.", labels,
                        s.predictedNanos / 1e9);
                sample(families, "vantage_routing_effective_weight", "gauge",
                        "Operator weight times predictor weight per route target.", labels,
                        in.effectiveWeight[plan.index][m]);
                sample(families, "vantage_routing_target_healthy", "gauge",
                        "1 when the target is healthy, not draining and not ejected.", labels,
                        in.healthy[plan.members[m]] && !in.draining[plan.members[m]] && !s.ejected ? 1 : 0);
                long lag = in.lagMillis[plan.index][m];
                sample(families, "vantage_routing_replication_lag_seconds", "gauge",
                        "Replication lag of the mirror behind the primary (+Inf when unknown).", labels,
                        lag == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : lag / 1e3);
            }
        }
        for (int t = 0; t < snap.tenantIds.length; t++) {
            TenantLimits limits = snap.tenantLimits[t];
            String labels = "{tenant=\"" + escape(snap.tenantIds[t]) + "\"}";
            sample(families, "vantage_tenant_rate_limited_total", "counter",
                    "Requests answered 429 because the tenant was over its request rate.", labels, limits.rejectedRate());
            sample(families, "vantage_tenant_connections_rejected_total", "counter",
                    "Connections refused because the tenant was at its connection limit.", labels,
                    limits.rejectedConnections());
            sample(families, "vantage_tenant_open_connections", "gauge", "Open client connections per tenant.", labels,
                    limits.openConnections());
        }
        for (StringBuilder family : families.values()) {
            out.append(family);
        }
        return out.toString();
    }

    private static StringBuilder family(Map<String, StringBuilder> families, String name, String type, String help) {
        return families.computeIfAbsent(name, n -> new StringBuilder()
                .append("# HELP ").append(n).append(' ').append(help).append('\n')
                .append("# TYPE ").append(n).append(' ').append(type).append('\n'));
    }

    private static void sample(Map<String, StringBuilder> families, String name, String type, String help,
                               String labels, double value) {
        family(families, name, type, help).append(name).append(labels).append(' ').append(number(value)).append('\n');
    }

    private static String number(double value) {
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    static String routes(DefaultRoutingEngine engine) {
        RoutingInputs in = engine.inputs();
        RoutingSnapshot snap = in.snapshot;
        long now = engine.nanoTime();
        StringBuilder out = new StringBuilder(4096);
        out.append("{\"site\":").append(quote(snap.localSiteId)).append(",\"routes\":[");
        for (int p = 0; p < snap.plans.length; p++) {
            RoutePlan plan = snap.plans[p];
            MemberState[] states = new MemberState[plan.members.length];
            long total = 0;
            for (int m = 0; m < states.length; m++) {
                states[m] = member(engine, in, plan, m, now);
                total += states[m].selected;
            }
            out.append(p == 0 ? "" : ",").append("{\"name\":").append(quote(plan.route.name()))
                    .append(",\"tenant\":").append(quote(snap.tenantIds[plan.tenantIndex]))
                    .append(",\"target\":").append(quote(plan.route.target().toString()))
                    .append(",\"mode\":").append(quote(plan.route.mode().name().toLowerCase(Locale.ROOT)))
                    .append(",\"stickiness\":").append(quote(plan.route.stickiness().mode().name().toLowerCase(Locale.ROOT)))
                    .append(",\"multiMaster\":").append(in.multiMaster[p])
                    .append(",\"maxReplicationLagMillis\":").append(plan.route.maxReplicationLagMillis())
                    .append(",\"selected\":").append(total)
                    .append(",\"targets\":[");
            for (int m = 0; m < states.length; m++) {
                int g = plan.members[m];
                RoutingTarget t = snap.targets[g];
                MemberState s = states[m];
                long lag = in.lagMillis[p][m];
                out.append(m == 0 ? "" : ",").append("{\"site\":").append(quote(t.siteId()))
                        .append(",\"endpoint\":").append(quote(t.endpoint().toString()))
                        .append(",\"local\":").append(t.local())
                        .append(",\"role\":").append(quote(in.role[p][m].name().toLowerCase(Locale.ROOT)))
                        .append(",\"healthy\":").append(in.healthy[g])
                        .append(",\"draining\":").append(in.draining[g])
                        .append(",\"ejected\":").append(s.ejected)
                        .append(",\"replicationLagMillis\":").append(lag == Long.MAX_VALUE ? "null" : Long.toString(lag))
                        .append(",\"probeRttMicros\":").append(in.probeRttNanos[g] < 0 ? "null" : micros(in.probeRttNanos[g]))
                        .append(",\"distancePriorMicros\":").append(micros(snap.distancePriorNanos[g]))
                        .append(",\"observedLatencyMicros\":").append(s.observedNanos < 0 ? "null" : micros(s.observedNanos))
                        .append(",\"predictedLatencyMicros\":").append(micros(s.predictedNanos))
                        .append(",\"pending\":").append(s.pending)
                        .append(",\"operatorWeight\":").append(t.weight())
                        .append(",\"predictorWeight\":").append(in.predictorWeight[p][m])
                        .append(",\"effectiveWeight\":").append(in.effectiveWeight[p][m])
                        .append(",\"costPenaltyMicros\":").append(micros(snap.costPenaltyNanos[g]))
                        .append(",\"score\":").append(micros(s.score))
                        .append(",\"selected\":").append(s.selected)
                        .append(",\"share\":").append(total == 0 ? "0" : String.format(Locale.ROOT, "%.4f",
                                (double) s.selected / total))
                        .append('}');
            }
            out.append("]}");
        }
        return out.append("]}").toString();
    }

    private static String micros(double nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }

    private static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
