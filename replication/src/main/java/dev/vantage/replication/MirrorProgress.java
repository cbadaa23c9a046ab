package dev.vantage.replication;

/**
 * How far a mirror of a resource is behind its source, as routing and the admin API read it. Immutable.
 *
 * @param resourceId             the resource
 * @param peerId                 the mirror's site (sender view) or the source's peer id (receiver view)
 * @param phase                  what the stream is doing
 * @param epoch                  the epoch of the latest session
 * @param consistentUpToSequence every frame of the stream up to this sequence is durable at the mirror
 * @param lagBlocks              blocks the mirror still lacks
 * @param lagBytes               bytes of those blocks
 * @param lagSeconds             seconds since the mirror last held everything the source had (0 when in sync)
 * @param lastError              the latest failure, or {@code null}
 */
public record MirrorProgress(String resourceId, String peerId, Phase phase, long epoch, long consistentUpToSequence,
                             long lagBlocks, long lagBytes, double lagSeconds, String lastError) {

    /** What a replication stream is doing. */
    public enum Phase { IDLE, SYNCING, IN_SYNC, FAILED }

    /** Whether the mirror may serve reads that tolerate {@code maxLagSeconds} of staleness. */
    public boolean withinLag(double maxLagSeconds) {
        return phase != Phase.FAILED && lagSeconds <= maxLagSeconds;
    }

    /** This progress as one JSON object. */
    public String toJson() {
        return "{\"resourceId\":" + Json.quote(resourceId) + ",\"peerId\":" + Json.quote(peerId)
                + ",\"phase\":\"" + phase + "\",\"epoch\":" + epoch
                + ",\"consistentUpToSequence\":" + consistentUpToSequence + ",\"lagBlocks\":" + lagBlocks
                + ",\"lagBytes\":" + lagBytes + ",\"lagSeconds\":" + String.format(java.util.Locale.ROOT, "%.3f", lagSeconds)
                + ",\"lastError\":" + Json.quote(lastError) + "}";
    }
}
