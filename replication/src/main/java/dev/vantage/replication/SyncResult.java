package dev.vantage.replication;

/**
 * The outcome of one completed sync (all attempts): the destination durably acknowledged everything planned.
 *
 * @param blocksPlanned         blocks considered in the last attempt (all, dirty or selected)
 * @param blocksSkipped         blocks whose hash already matched at the destination (last attempt)
 * @param blocksSent            blocks sent with a payload, over all attempts
 * @param referencesSent        blocks sent as a reference to content the destination had, over all attempts
 * @param framesResent          frames sent again after a NACK or a timeout, over all attempts
 * @param lastAttemptBlocksSent blocks sent with a payload or as a reference by the last attempt
 * @param rawBytesSent          uncompressed bytes of the blocks sent with a payload
 * @param wireBytes             bytes written to and read from the socket, over all attempts
 * @param attempts              sessions it took (1 when nothing failed)
 * @param lastSequence          the stream's last durable sequence
 * @param durationNanos         wall time
 * @param frameBytesPerSecond   rate of block frames on the wire between the first and the last (what the throttle
 *                              limits), 0 when fewer than two were sent
 * @param lastNackReason        why the destination last asked for a frame again, or {@code null}
 * @param patchesSent           of {@code blocksSent}, those sent as the sub-blocks that differ at the destination
 */
public record SyncResult(long blocksPlanned, long blocksSkipped, long blocksSent, long referencesSent,
                         long framesResent, long lastAttemptBlocksSent, long rawBytesSent, long wireBytes,
                         int attempts, long lastSequence, long durationNanos,
                         double frameBytesPerSecond, String lastNackReason, long patchesSent) {
}
