package dev.vantage.replication;

/**
 * A hybrid logical clock timestamp: wall-clock milliseconds plus a logical counter that orders events within (or
 * behind) one millisecond. Ordered by physical time, then logical counter. Immutable.
 */
public record Hlc(long physicalMillis, int logical) implements Comparable<Hlc> {

    public static final Hlc ZERO = new Hlc(0, 0);

    @Override
    public int compareTo(Hlc other) {
        int c = Long.compare(physicalMillis, other.physicalMillis);
        return c != 0 ? c : Integer.compare(logical, other.logical);
    }
}
