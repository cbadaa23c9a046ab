package dev.vantage.replication;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running replication receiver of one site. Thread-safe: progress is read from immutable snapshots.
 */
public interface ReceiverEndpoint extends AutoCloseable {

    /** The bound address (the real port when 0 was asked for). */
    InetSocketAddress address();

    /** "Consistent up to sequence N" and lag of the local mirror of {@code resourceId}, when it had a session. */
    Optional<MirrorProgress> progress(String resourceId);

    /** Progress of every resource received here. */
    List<MirrorProgress> progress();

    /**
     * Refuses sessions and frames of {@code resourceId} with an epoch below {@code epoch} from now on; the future
     * completes once the new minimum is durable.
     */
    CompletableFuture<Void> fence(String resourceId, long epoch);

    /**
     * Opens the volume file {@code volumeFile} (blocks of {@code blockSizeBytes}) and brings its manifest up to date
     * now, so that the first session writing to it is answered without that delay; completes when done.
     */
    CompletableFuture<Void> preload(java.nio.file.Path volumeFile, int blockSizeBytes);

    /** Drops the local mirror of {@code resourceId} (session, volume file and state); completes when gone. */
    CompletableFuture<Void> release(String resourceId);

    /** Stops listening and closes the volumes. */
    @Override
    void close();
}
