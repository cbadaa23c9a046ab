package dev.vantage.site;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vantage.config.ConsistencyMode;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Resource;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;

/**
 * Writes to the primary copy of a resource under the resource's consistency rule (ARCHITECTURE.md, "Consistency"):
 * {@code async} acknowledges once the primary's write and its dirty marks are durable; {@code quorum} with W
 * acknowledges once W copies hold the write durably, the primary counting as one, by pushing a delta sync to every
 * mirror and waiting for the first W - 1 durable acknowledgements.
 *
 * <p>A sync already running towards a mirror may have planned its blocks before this write, so each mirror gets a
 * sync that starts after the write ({@link ReplicationEngine#syncAfterRunning}: right after any running one, at once
 * when none runs); its durable ack therefore covers the write.
 *
 * <p>Threading: thread-safe; the returned future completes on a replication thread.
 */
public final class QuorumWriter {

    /** How a write was acknowledged. */
    public record WriteAck(int copiesHolding, int copiesRequired, List<String> mirrorsAcknowledged) {}

    private final ReplicationEngine engine;

    public QuorumWriter(ReplicationEngine engine) {
        this.engine = engine;
    }

    /**
     * Writes {@code data} at {@code offset} of the primary volume {@code volume} and acknowledges per the resource's
     * consistency rule.
     *
     * @param mirrors the other copies: site id to its replication endpoint
     * @param epoch   the resource's current epoch (mirrors refuse older ones)
     * @return completes with the acknowledgement, or exceptionally when too many mirrors failed to reach W
     */
    public CompletableFuture<WriteAck> write(Resource resource, Path volume, long offset, byte[] data,
                                             Map<String, InetSocketAddress> mirrors, long epoch) throws IOException {
        engine.volume(volume, resource.blockSizeBytes(), null).write(offset, data, 0, data.length);
        int required = resource.consistency().mode() == ConsistencyMode.QUORUM
                ? Math.max(1, resource.consistency().writeQuorum()) : 1;
        if (required > mirrors.size() + 1) {
            return CompletableFuture.failedFuture(new IllegalStateException("resource " + resource.id()
                    + ": writeQuorum " + required + " (expected: <= " + (mirrors.size() + 1) + " copies)"));
        }
        if (required == 1) {
            return CompletableFuture.completedFuture(new WriteAck(1, 1, List.of()));
        }
        CompletableFuture<WriteAck> ack = new CompletableFuture<>();
        List<String> acknowledged = new ArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        int mirrorsNeeded = required - 1;
        for (Map.Entry<String, InetSocketAddress> mirror : mirrors.entrySet()) {
            SyncRequest request = SyncRequest.of(resource.id(), volume, mirror.getKey(), mirror.getValue())
                    .withBlockSize(resource.blockSizeBytes(), null)
                    .withEpoch(epoch)
                    .withMode(ReplicationMode.DELTA)
                    .withCompression(resource.replication().compression());
            engine.syncAfterRunning(request)
                    .whenComplete((result, error) -> {
                        synchronized (acknowledged) {
                            if (error == null) {
                                acknowledged.add(mirror.getKey());
                                if (acknowledged.size() == mirrorsNeeded) {
                                    ack.complete(new WriteAck(required, required, List.copyOf(acknowledged)));
                                }
                            } else if (mirrors.size() - failures.incrementAndGet() < mirrorsNeeded) {
                                ack.completeExceptionally(new IOException("resource " + resource.id()
                                        + ": only " + acknowledged.size() + " of " + mirrorsNeeded
                                        + " mirrors needed for writeQuorum " + required + " acknowledged ("
                                        + error.getMessage() + ")", error));
                            }
                        }
                    });
        }
        return ack;
    }
}
