package dev.vantage.config;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A weekly recurring window of local time, e.g. Monday to Friday 08:00-18:00 Europe/Berlin.
 * The window is half-open [start, end). When {@code end} is not after {@code start} the window crosses
 * midnight and belongs to the day it starts on (Fri 22:00-02:00 covers Saturday 01:00).
 *
 * @param days  days the window starts on; empty = every day
 * @param start local start time, inclusive
 * @param end   local end time, exclusive
 * @param zone  time zone of {@code start} and {@code end}, default UTC
 */
public record TimeWindow(Set<DayOfWeek> days, LocalTime start, LocalTime end, ZoneId zone) {

    public TimeWindow {
        days = days == null || days.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(days));
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        zone = zone == null ? ZoneId.of("UTC") : zone;
    }

    /** Whether {@code instant} falls inside this window. */
    public boolean contains(Instant instant) {
        ZonedDateTime local = instant.atZone(zone);
        LocalTime time = local.toLocalTime();
        DayOfWeek day = local.getDayOfWeek();
        if (start.isBefore(end)) {
            return startsOn(day) && !time.isBefore(start) && time.isBefore(end);
        }
        // Crosses midnight: the evening part belongs to today, the morning part to yesterday's window.
        if (!time.isBefore(start)) {
            return startsOn(day);
        }
        return time.isBefore(end) && startsOn(day.minus(1));
    }

    /** Whether {@code instant} falls inside any of {@code windows}. */
    public static boolean anyContains(Iterable<TimeWindow> windows, Instant instant) {
        for (TimeWindow window : windows) {
            if (window.contains(instant)) {
                return true;
            }
        }
        return false;
    }

    private boolean startsOn(DayOfWeek day) {
        return days.isEmpty() || days.contains(day);
    }
}
