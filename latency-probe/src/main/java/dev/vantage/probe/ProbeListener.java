package dev.vantage.probe;

/**
 * Told when a target's health state or ejected flag changes. Called on the probe thread after the new table is
 * published: implementations must return quickly and never block (hand the event to a queue).
 */
@FunctionalInterface
public interface ProbeListener {

    /**
     * @param previous the status before the change
     * @param current  the status after it (same index and target)
     */
    void onStatusChange(TargetStatus previous, TargetStatus current);
}
