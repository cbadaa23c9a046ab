package dev.vantage.config;

import java.time.Instant;
import java.util.List;

/**
 * Replication bandwidth limits (token bucket) with a lower limit in peak hours.
 *
 * @param bytesPerSecond     &gt;= 0, default 0 = unlimited
 * @param peakBytesPerSecond &gt;= 0, default 0 = same as {@code bytesPerSecond}; applies inside {@code peakHours}
 * @param peakHours          windows in which the peak limit applies
 */
public record Throttle(long bytesPerSecond, long peakBytesPerSecond, List<TimeWindow> peakHours) {

    public Throttle {
        peakHours = peakHours == null ? List.of() : List.copyOf(peakHours);
    }

    public static Throttle unlimited() {
        return new Throttle(0, 0, List.of());
    }

    /** The limit in force at {@code now}; 0 means unlimited. */
    public long bytesPerSecondAt(Instant now) {
        if (peakBytesPerSecond > 0 && TimeWindow.anyContains(peakHours, now)) {
            return peakBytesPerSecond;
        }
        return bytesPerSecond;
    }
}
