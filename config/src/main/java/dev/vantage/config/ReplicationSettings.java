package dev.vantage.config;

import java.util.List;

/**
 * How a resource is replicated from its primary to its other mirrors.
 *
 * @param mode        default {@link ReplicationMode#DELTA}
 * @param selections  for {@code SELECTIVE}: what to replicate (at least one)
 * @param schedule    when cycles run
 * @param throttle    bandwidth limits
 * @param compression default {@link Compression#LZ4}
 */
public record ReplicationSettings(ReplicationMode mode, List<Selection> selections, Schedule schedule,
                                  Throttle throttle, Compression compression) {

    public ReplicationSettings {
        mode = mode == null ? ReplicationMode.DELTA : mode;
        selections = selections == null ? List.of() : List.copyOf(selections);
        schedule = schedule == null ? Schedule.defaults() : schedule;
        throttle = throttle == null ? Throttle.unlimited() : throttle;
        compression = compression == null ? Compression.LZ4 : compression;
    }

    public static ReplicationSettings defaults() {
        return new ReplicationSettings(ReplicationMode.DELTA, List.of(), Schedule.defaults(), Throttle.unlimited(),
                Compression.LZ4);
    }
}
