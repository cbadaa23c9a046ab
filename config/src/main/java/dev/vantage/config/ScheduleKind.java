package dev.vantage.config;

/**
 * When a resource's scheduled replication cycles run: {@code INTERVAL} every interval; {@code ON_DEMAND} never by
 * the clock, only when asked: by the operator ({@code POST /replication/sync} on the primary's admin API, {@code
 * vantage sync}), by the mirror lifecycle controller (creating, keeping ready and promoting the shadows it manages)
 * or by a quorum write; {@code OFF_PEAK} every interval but only inside the schedule's windows. Whatever the kind,
 * those requests run a cycle at once (right after the stream's running one, if any).
 */
public enum ScheduleKind { INTERVAL, ON_DEMAND, OFF_PEAK }
