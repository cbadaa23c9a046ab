package dev.vantage.replication;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.vantage.config.Compression;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Selection;
import dev.vantage.config.Throttle;

/**
 * What to replicate where. Build with {@link #of} and the {@code with...} methods.
 *
 * @param resourceId       the resource (the receiver maps it to its volume)
 * @param volumePath       the source volume file
 * @param blockSizeBytes   block size of the volume
 * @param stateDir         the volume's state directory, or {@code null} for {@code FILE.vantage/}
 * @param peerId           the destination's id (its dirty bitmap is kept under this name), e.g. its site id
 * @param peerAddress      the destination's replication endpoint
 * @param epoch            the resource's current epoch; the receiver refuses older ones
 * @param mode             full, delta or selective
 * @param selections       for selective: block ranges, or byte ranges {@code bytes:START-END} (inclusive) for a file
 * @param compression      payload codec
 * @param throttle         bandwidth limit
 * @param maxAttempts      sessions to try before failing (a disconnect starts a new session that resumes)
 * @param retryDelayMillis pause between attempts
 * @param listener         receives progress snapshots about every 250 ms, or {@code null}
 */
public record SyncRequest(String resourceId, Path volumePath, int blockSizeBytes, Path stateDir, String peerId,
                          InetSocketAddress peerAddress, long epoch, ReplicationMode mode, List<Selection> selections,
                          Compression compression, Throttle throttle, int maxAttempts, long retryDelayMillis,
                          Consumer<SyncProgress> listener) {

    public SyncRequest {
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(volumePath, "volumePath");
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(peerAddress, "peerAddress");
        mode = mode == null ? ReplicationMode.FULL : mode;
        selections = selections == null ? List.of() : List.copyOf(selections);
        compression = compression == null ? Compression.LZ4 : compression;
        throttle = throttle == null ? Throttle.unlimited() : throttle;
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: >= 1)");
        }
        if (mode == ReplicationMode.SELECTIVE && selections.isEmpty()) {
            throw new IllegalArgumentException("selections: empty (expected: at least one for SELECTIVE mode)");
        }
    }

    /** A full sync with LZ4, 64 KiB blocks, epoch 1, no throttle, 5 attempts 500 ms apart. */
    public static SyncRequest of(String resourceId, Path volumePath, String peerId, InetSocketAddress peerAddress) {
        return new SyncRequest(resourceId, volumePath, Volume.DEFAULT_BLOCK_SIZE_BYTES, null, peerId, peerAddress, 1,
                ReplicationMode.FULL, List.of(), Compression.LZ4, Throttle.unlimited(), 5, 500, null);
    }

    public SyncRequest withMode(ReplicationMode newMode) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch, newMode,
                selections, compression, throttle, maxAttempts, retryDelayMillis, listener);
    }

    public SyncRequest withSelections(List<Selection> newSelections) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch,
                ReplicationMode.SELECTIVE, newSelections, compression, throttle, maxAttempts, retryDelayMillis,
                listener);
    }

    public SyncRequest withEpoch(long newEpoch) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, newEpoch, mode,
                selections, compression, throttle, maxAttempts, retryDelayMillis, listener);
    }

    public SyncRequest withCompression(Compression newCompression) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch, mode,
                selections, newCompression, throttle, maxAttempts, retryDelayMillis, listener);
    }

    public SyncRequest withThrottle(Throttle newThrottle) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch, mode,
                selections, compression, newThrottle, maxAttempts, retryDelayMillis, listener);
    }

    public SyncRequest withAttempts(int newMaxAttempts, long newRetryDelayMillis) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch, mode,
                selections, compression, throttle, newMaxAttempts, newRetryDelayMillis, listener);
    }

    public SyncRequest withBlockSize(int newBlockSizeBytes, Path newStateDir) {
        return new SyncRequest(resourceId, volumePath, newBlockSizeBytes, newStateDir, peerId, peerAddress, epoch,
                mode, selections, compression, throttle, maxAttempts, retryDelayMillis, listener);
    }

    public SyncRequest withListener(Consumer<SyncProgress> newListener) {
        return new SyncRequest(resourceId, volumePath, blockSizeBytes, stateDir, peerId, peerAddress, epoch, mode,
                selections, compression, throttle, maxAttempts, retryDelayMillis, newListener);
    }
}
