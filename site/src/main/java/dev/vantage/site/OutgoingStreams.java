package dev.vantage.site;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.vantage.config.ReplicationMode;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;

/**
 * The replication streams a site sends, per resource and peer: the one-way streams of the resources it is primary
 * of and the multi-master streams from its writable copies, each with its schedule and the request a cycle runs.
 *
 * <p>Threading: one writer (the site's housekeeping thread) replaces the whole set at each topology change; readers
 * on any thread see one complete set through a volatile reference, never a half-built one. A replaced set's
 * schedules are closed after the swap, so a cycle started from it just before still completes.
 */
final class OutgoingStreams implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OutgoingStreams.class.getName());

    /**
     * One stream: {@code request} (resource, peer, epoch, mode) and the schedule that runs its cycles.
     *
     * @param multiMaster whether it streams a versioned (multi-master) copy
     */
    record Stream(SyncRequest request, boolean multiMaster, ReplicationEngine.ScheduledSync schedule) {

        String resourceId() {
            return request.resourceId();
        }

        String peerId() {
            return request.peerId();
        }

        ReplicationMode mode() {
            return request.mode();
        }
    }

    /** Resource id to its streams, in policy order; immutable. */
    private volatile Map<String, List<Stream>> byResource = Map.of();

    /** Swaps in {@code streams} (the new topology's) and closes the schedules of the ones they replace. */
    void replace(List<Stream> streams) {
        Map<String, List<Stream>> grouped = new LinkedHashMap<>();
        for (Stream s : streams) {
            grouped.computeIfAbsent(s.resourceId(), k -> new ArrayList<>()).add(s);
        }
        grouped.replaceAll((resourceId, list) -> List.copyOf(list));
        Map<String, List<Stream>> previous = byResource;
        byResource = Map.copyOf(grouped);
        closeAll(previous);
    }

    /** The streams sent for {@code resourceId}, empty when none. */
    List<Stream> of(String resourceId) {
        return byResource.getOrDefault(resourceId, List.of());
    }

    /** Closes every schedule; the set is empty afterwards. */
    @Override
    public void close() {
        Map<String, List<Stream>> previous = byResource;
        byResource = Map.of();
        closeAll(previous);
    }

    private static void closeAll(Map<String, List<Stream>> streams) {
        for (List<Stream> list : streams.values()) {
            for (Stream s : list) {
                try {
                    s.schedule().close();
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "closing the replication schedule of " + s.resourceId() + " to " + s.peerId()
                            + " failed", e);
                }
            }
        }
    }
}
