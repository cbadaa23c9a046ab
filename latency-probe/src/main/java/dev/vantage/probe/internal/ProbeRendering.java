package dev.vantage.probe.internal;

import dev.vantage.probe.HealthState;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

/** Renders a probe table as Prometheus text (for {@code /metrics}) and as JSON (for {@code /probes}). Stateless. */
public final class ProbeRendering {

    private static final HealthState[] STATES = HealthState.values();

    private ProbeRendering() {
    }

    /** Global counters that are not part of the table. */
    public record Counters(String transport, long probesTotal, long probeFailuresTotal, long passiveReportsTotal,
                           long passiveReportsDroppedTotal, long ejectionsTotal, long ejectionsRefusedTotal,
                           long listenerErrorsTotal, long threadCpuNanos, long connectionsOpenedTotal,
                           long timerWakeupsTotal) {
    }

    /** Appends every probe metric in the Prometheus text exposition format 0.0.4. */
    public static void appendPrometheus(StringBuilder out, ProbeTable table, Counters counters) {
        int[] perState = new int[STATES.length];
        int ejected = 0;
        for (TargetStatus status : table.statuses()) {
            perState[status.state().ordinal()]++;
            if (status.ejected()) {
                ejected++;
            }
        }
        header(out, "vantage_probe_targets", "gauge", "Probe targets by health state.");
        for (HealthState state : STATES) {
            out.append("vantage_probe_targets{state=\"").append(state.label()).append("\"} ")
                    .append(perState[state.ordinal()]).append('\n');
        }
        header(out, "vantage_probe_targets_ejected", "gauge", "Probe targets ejected by outlier detection.");
        out.append("vantage_probe_targets_ejected ").append(ejected).append('\n');
        counter(out, "vantage_probe_probes_total", "Active probes completed.", counters.probesTotal());
        counter(out, "vantage_probe_probe_failures_total", "Active probes failed.", counters.probeFailuresTotal());
        counter(out, "vantage_probe_passive_reports_total", "Passive results received from the proxy.",
                counters.passiveReportsTotal());
        counter(out, "vantage_probe_passive_reports_dropped_total", "Passive results dropped because the ring was full.",
                counters.passiveReportsDroppedTotal());
        counter(out, "vantage_probe_ejections_total", "Outlier ejections.", counters.ejectionsTotal());
        counter(out, "vantage_probe_ejections_refused_total",
                "Ejections refused because the group was at its maxEjectedRatio.", counters.ejectionsRefusedTotal());
        counter(out, "vantage_probe_connections_opened_total", "Connections opened by the active probes.",
                counters.connectionsOpenedTotal());
        counter(out, "vantage_probe_timer_wakeups_total", "Wake-ups of the probe timer (each runs every due probe).",
                counters.timerWakeupsTotal());
        counter(out, "vantage_probe_listener_errors_total", "Exceptions thrown by state change listeners.",
                counters.listenerErrorsTotal());
        if (counters.threadCpuNanos() >= 0) {
            header(out, "vantage_probe_thread_cpu_seconds_total", "counter", "CPU time used by the probe thread.");
            out.append("vantage_probe_thread_cpu_seconds_total ");
            appendDecimal(out, counters.threadCpuNanos(), 1_000_000_000L, 9);
            out.append('\n');
        }

        header(out, "vantage_probe_rtt_ewma_seconds", "gauge", "EWMA round-trip time of the active probes.");
        for (TargetStatus status : table.statuses()) {
            if (status.rttEwmaNanos() >= 0) {
                seconds(out, "vantage_probe_rtt_ewma_seconds", status, status.rttEwmaNanos());
            }
        }
        header(out, "vantage_probe_rtt_min_seconds", "gauge", "Minimum round-trip time over the loss window.");
        for (TargetStatus status : table.statuses()) {
            if (status.rttMinNanos() >= 0) {
                seconds(out, "vantage_probe_rtt_min_seconds", status, status.rttMinNanos());
            }
        }
        header(out, "vantage_probe_rtt_jitter_seconds", "gauge", "RFC 3550 interarrival jitter of the round-trip time.");
        for (TargetStatus status : table.statuses()) {
            if (status.rttEwmaNanos() >= 0) {
                seconds(out, "vantage_probe_rtt_jitter_seconds", status, status.rttJitterNanos());
            }
        }
        header(out, "vantage_probe_loss_ratio", "gauge", "Failed probes over probes in the loss window.");
        for (TargetStatus status : table.statuses()) {
            labels(out.append("vantage_probe_loss_ratio"), status).append(' ').append(status.lossRatio()).append('\n');
        }
        header(out, "vantage_probe_state", "gauge", "1 for the target's current health state, 0 for the others.");
        for (TargetStatus status : table.statuses()) {
            for (HealthState state : STATES) {
                labels(out.append("vantage_probe_state"), status, state).append(' ')
                        .append(status.state() == state ? 1 : 0).append('\n');
            }
        }
        header(out, "vantage_probe_ejected", "gauge", "1 while outlier detection has ejected the target.");
        for (TargetStatus status : table.statuses()) {
            labels(out.append("vantage_probe_ejected"), status).append(' ').append(status.ejected() ? 1 : 0)
                    .append('\n');
        }
        header(out, "vantage_probe_target_probes_total", "counter", "Active probes of the target since it (re)started.");
        for (TargetStatus status : table.statuses()) {
            labels(out.append("vantage_probe_target_probes_total"), status).append(' ').append(status.probes())
                    .append('\n');
        }
        header(out, "vantage_probe_target_probe_failures_total", "counter",
                "Failed active probes of the target since it (re)started.");
        for (TargetStatus status : table.statuses()) {
            labels(out.append("vantage_probe_target_probe_failures_total"), status).append(' ')
                    .append(status.probeFailures()).append('\n');
        }
        header(out, "vantage_probe_target_connections_opened_total", "counter",
                "Connections the probes of the target opened since it (re)started (reconnects, for reused ones).");
        for (TargetStatus status : table.statuses()) {
            labels(out.append("vantage_probe_target_connections_opened_total"), status).append(' ')
                    .append(status.connectionsOpened()).append('\n');
        }
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void seconds(StringBuilder out, String name, TargetStatus status, long nanos) {
        labels(out.append(name), status).append(' ');
        appendDecimal(out, nanos, 1_000_000_000L, 9);
        out.append('\n');
    }

    private static StringBuilder labels(StringBuilder out, TargetStatus status) {
        return labels(out, status, null);
    }

    private static StringBuilder labels(StringBuilder out, TargetStatus status, HealthState state) {
        ProbeTarget target = status.target();
        out.append("{target=\"");
        escapeLabel(out, target.id());
        out.append("\",group=\"");
        escapeLabel(out, target.group());
        out.append("\",role=\"").append(target.role().label());
        out.append("\",kind=\"").append(target.kind().label());
        out.append("\",address=\"");
        escapeLabel(out, target.address().toString());
        if (state != null) {
            out.append("\",state=\"").append(state.label());
        }
        return out.append("\"}");
    }

    private static void escapeLabel(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    /** Appends {@code value / unit} with {@code digits} decimals, exactly (no floating point). */
    static void appendDecimal(StringBuilder out, long value, long unit, int digits) {
        if (value < 0) {
            out.append('-');
            value = -value;
        }
        out.append(value / unit).append('.');
        String fraction = Long.toString(value % unit);
        for (int i = fraction.length(); i < digits; i++) {
            out.append('0');
        }
        out.append(fraction);
    }

    /** Appends the admin view: {@code {"transport":..,"generation":..,"targets":[{...},...]}}. */
    public static void appendJson(StringBuilder out, ProbeTable table, Counters counters) {
        out.append("{\"transport\":");
        jsonString(out, counters.transport());
        out.append(",\"generation\":").append(table.generation());
        out.append(",\"probesTotal\":").append(counters.probesTotal());
        out.append(",\"probeFailuresTotal\":").append(counters.probeFailuresTotal());
        out.append(",\"ejectionsTotal\":").append(counters.ejectionsTotal());
        out.append(",\"ejectionsRefusedTotal\":").append(counters.ejectionsRefusedTotal());
        out.append(",\"passiveReportsDroppedTotal\":").append(counters.passiveReportsDroppedTotal());
        out.append(",\"targets\":[");
        boolean first = true;
        for (TargetStatus status : table.statuses()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            appendJson(out, status);
        }
        out.append("]}");
    }

    private static void appendJson(StringBuilder out, TargetStatus status) {
        ProbeTarget target = status.target();
        out.append("{\"index\":").append(status.index());
        out.append(",\"id\":");
        jsonString(out, target.id());
        out.append(",\"role\":\"").append(target.role().label()).append('"');
        out.append(",\"group\":");
        jsonString(out, target.group());
        out.append(",\"address\":");
        jsonString(out, target.address().toString());
        out.append(",\"kind\":\"").append(target.kind().label()).append('"');
        if (target.healthCheckPath() != null) {
            out.append(",\"healthCheckPath\":");
            jsonString(out, target.healthCheckPath());
        }
        out.append(",\"intervalMillis\":").append(target.intervalMillis());
        out.append(",\"timeoutMillis\":").append(target.timeoutMillis());
        out.append(",\"reuseConnection\":").append(target.reuseConnection());
        out.append(",\"state\":\"").append(status.state().label()).append('"');
        out.append(",\"usable\":").append(status.usable());
        out.append(",\"ejected\":").append(status.ejected());
        if (status.ejected()) {
            out.append(",\"ejectedUntilEpochMillis\":").append(status.ejectedUntilEpochMillis());
        }
        out.append(",\"ejections\":").append(status.ejections());
        millis(out, "rttEwmaMillis", status.rttEwmaNanos());
        millis(out, "rttMinMillis", status.rttMinNanos());
        millis(out, "rttJitterMillis", status.rttEwmaNanos() < 0 ? -1 : status.rttJitterNanos());
        millis(out, "lastRttMillis", status.lastRttNanos());
        out.append(",\"lossRatio\":").append(status.lossRatio());
        out.append(",\"consecutiveSuccesses\":").append(status.consecutiveSuccesses());
        out.append(",\"consecutiveFailures\":").append(status.consecutiveFailures());
        out.append(",\"consecutivePassiveFailures\":").append(status.consecutivePassiveFailures());
        out.append(",\"probes\":").append(status.probes());
        out.append(",\"probeFailures\":").append(status.probeFailures());
        out.append(",\"connectionsOpened\":").append(status.connectionsOpened());
        out.append(",\"lastError\":");
        if (status.lastError() == null) {
            out.append("null");
        } else {
            jsonString(out, status.lastError());
        }
        out.append(",\"lastProbeEpochMillis\":").append(status.lastProbeEpochMillis());
        out.append(",\"stateSinceEpochMillis\":").append(status.stateSinceEpochMillis());
        out.append('}');
    }

    private static void millis(StringBuilder out, String name, long nanos) {
        out.append(",\"").append(name).append("\":");
        if (nanos < 0) {
            out.append("null");
        } else {
            appendDecimal(out, nanos, 1_000_000L, 6);
        }
    }

    static void jsonString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
