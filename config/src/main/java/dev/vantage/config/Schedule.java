package dev.vantage.config;

import java.util.List;

/**
 * When replication cycles of a resource run.
 *
 * @param kind           default {@link ScheduleKind#INTERVAL}
 * @param intervalMillis 10..86400000, default 1000; time between cycle starts
 * @param windows        for {@code OFF_PEAK}: the windows in which cycles may run (at least one)
 */
public record Schedule(ScheduleKind kind, long intervalMillis, List<TimeWindow> windows) {

    public static final long DEFAULT_INTERVAL_MILLIS = 1_000;

    public Schedule {
        kind = kind == null ? ScheduleKind.INTERVAL : kind;
        windows = windows == null ? List.of() : List.copyOf(windows);
    }

    public static Schedule defaults() {
        return new Schedule(ScheduleKind.INTERVAL, DEFAULT_INTERVAL_MILLIS, List.of());
    }
}
