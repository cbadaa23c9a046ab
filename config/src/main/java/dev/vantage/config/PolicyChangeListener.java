package dev.vantage.config;

/**
 * Told about every applied policy change. Called on the reloading thread, after the new snapshot is visible to
 * readers, one change at a time and in order; it should hand heavy work to its own thread.
 */
@FunctionalInterface
public interface PolicyChangeListener {

    void onPolicyChange(PolicySnapshot previous, PolicySnapshot current, PolicyDiff diff);
}
