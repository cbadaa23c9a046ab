package dev.vantage.site;

/**
 * What the mirror lifecycle controller asks of the replication engine. Calls return at once; the work runs on
 * the engine's own threads and its progress is read back through {@link #syncState}.
 */
public interface ReplicationActions {

    /** Progress of the replication of one resource towards one site. */
    enum Phase { IDLE, SYNCING, IN_SYNC, FAILED }

    /** A snapshot of one replication stream. */
    record SyncState(Phase phase, long lagBlocks, String lastError) {
        public static final SyncState IDLE = new SyncState(Phase.IDLE, 0, null);
    }

    /**
     * Copies every block the destination lacks (blocks whose hash already matches are skipped). From the moment
     * this returns, {@link #syncState} reports {@link Phase#SYNCING} until the sync ends.
     */
    void startFullSync(String resourceId, String fromSiteId, String toSiteId, long epoch);

    /** Sends the blocks changed since the last cycle; {@link #syncState} reports SYNCING until it ends. */
    void startDeltaSync(String resourceId, String fromSiteId, String toSiteId, long epoch);

    /** The state of the latest sync of {@code resourceId} towards {@code toSiteId}. */
    SyncState syncState(String resourceId, String toSiteId);

    /** Stops replicating to {@code siteId} and frees the mirror's storage there. */
    void release(String resourceId, String siteId);
}
