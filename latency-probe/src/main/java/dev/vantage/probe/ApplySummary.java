package dev.vantage.probe;

/**
 * What one {@link LatencyProbes#applyTargets} or {@link LatencyProbes#applyPolicy} changed.
 *
 * @param added     new targets
 * @param removed   targets no longer wanted
 * @param restarted targets whose address, kind, path, status, interval or timeout changed (fresh statistics)
 * @param unchanged targets that kept their statistics, state and schedule
 */
public record ApplySummary(int added, int removed, int restarted, int unchanged) {
}
