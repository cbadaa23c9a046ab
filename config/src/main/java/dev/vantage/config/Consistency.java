package dev.vantage.config;

/**
 * Write acknowledgement rule of a resource.
 *
 * @param mode        default {@link ConsistencyMode#ASYNC}
 * @param writeQuorum W: for {@code QUORUM} 1..number of mirrors; ignored (1) for {@code ASYNC}
 */
public record Consistency(ConsistencyMode mode, int writeQuorum) {

    public Consistency {
        mode = mode == null ? ConsistencyMode.ASYNC : mode;
    }

    public static Consistency async() {
        return new Consistency(ConsistencyMode.ASYNC, 1);
    }

    public static Consistency quorum(int writeQuorum) {
        return new Consistency(ConsistencyMode.QUORUM, writeQuorum);
    }
}
