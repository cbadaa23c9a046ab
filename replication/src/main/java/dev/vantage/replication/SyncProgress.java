package dev.vantage.replication;

/**
 * A live view of a running sync, for progress lines and metrics. Immutable snapshot.
 *
 * @param blocksPlanned  blocks the current attempt considers
 * @param blocksDone     of those, blocks skipped, acknowledged or in flight
 * @param bytesPlanned   bytes of the planned blocks
 * @param bytesDone      bytes of the done blocks
 * @param wireBytes      bytes on the socket so far, all attempts
 * @param attempt        current attempt, from 1
 * @param elapsedNanos   since the sync started
 */
public record SyncProgress(long blocksPlanned, long blocksDone, long bytesPlanned, long bytesDone, long wireBytes,
                           int attempt, long elapsedNanos) {

    /** Throughput of planned data in bytes per second. */
    public double bytesPerSecond() {
        return elapsedNanos <= 0 ? 0 : bytesDone * 1e9 / elapsedNanos;
    }

    /** Estimated seconds to completion, or -1 when unknown. */
    public double etaSeconds() {
        double rate = bytesPerSecond();
        return rate <= 0 ? -1 : (bytesPlanned - bytesDone) / rate;
    }
}
