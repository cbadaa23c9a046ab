package dev.vantage.config;

/**
 * When replication cycles run: {@code INTERVAL} every interval; {@code ON_DEMAND} only when asked (admin API,
 * predictor, write quorum); {@code OFF_PEAK} every interval but only inside the schedule's windows.
 */
public enum ScheduleKind { INTERVAL, ON_DEMAND, OFF_PEAK }
