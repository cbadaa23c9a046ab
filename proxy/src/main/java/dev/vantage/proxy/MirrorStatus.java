package dev.vantage.proxy;

import dev.vantage.config.MirrorRole;

/**
 * The live state of each mirror as the replication engine and the lifecycle controller see it: its current role
 * (which may differ from the policy after a promotion) and how far its data trails the primary.
 *
 * <p>Threading: called by the routing refresher thread (never on an event loop); implementations must not block.
 */
public interface MirrorStatus {

    /** Lag reported for a mirror that is not in sync (still syncing, unknown, disconnected). */
    long LAG_UNKNOWN_MILLIS = Long.MAX_VALUE;

    /** The current role of the mirror of {@code resourceId} at {@code siteId}, or {@code null} to keep the policy's. */
    MirrorRole role(String resourceId, String siteId);

    /**
     * How many milliseconds of writes the mirror of {@code resourceId} at {@code siteId} is behind its primary:
     * 0 for the primary and caught-up mirrors, {@link #LAG_UNKNOWN_MILLIS} when not known.
     */
    long replicationLagMillis(String resourceId, String siteId);

    /** The policy's roles, every mirror caught up: for single-site set-ups and before replication is wired. */
    static MirrorStatus configured() {
        return new MirrorStatus() {
            @Override
            public MirrorRole role(String resourceId, String siteId) {
                return null;
            }

            @Override
            public long replicationLagMillis(String resourceId, String siteId) {
                return 0;
            }
        };
    }
}
