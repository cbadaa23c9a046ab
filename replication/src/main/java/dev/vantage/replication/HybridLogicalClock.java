package dev.vantage.replication;

import java.util.function.LongSupplier;

/**
 * Issues {@link Hlc} timestamps that never go backwards even when the wall clock does, and that move past every
 * timestamp received from another site (Kulkarni et al., "Logical Physical Clocks"). Thread-safe (synchronized).
 */
public final class HybridLogicalClock {

    private final LongSupplier wallMillis;
    private long physical;
    private int logical;

    /** A clock reading {@code wallMillis} (inject a fake in tests). */
    public HybridLogicalClock(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    /** A timestamp for a local event (a write). */
    public synchronized Hlc now() {
        long wall = wallMillis.getAsLong();
        if (wall > physical) {
            physical = wall;
            logical = 0;
        } else {
            logical++;
        }
        return new Hlc(physical, logical);
    }

    /** Merges a timestamp received from another site and returns the timestamp of the receive event. */
    public synchronized Hlc update(Hlc received) {
        long wall = wallMillis.getAsLong();
        long previous = physical;
        physical = Math.max(Math.max(previous, received.physicalMillis()), wall);
        if (physical == previous && physical == received.physicalMillis()) {
            logical = Math.max(logical, received.logical()) + 1;
        } else if (physical == previous) {
            logical++;
        } else if (physical == received.physicalMillis()) {
            logical = received.logical() + 1;
        } else {
            logical = 0;
        }
        return new Hlc(physical, logical);
    }
}
