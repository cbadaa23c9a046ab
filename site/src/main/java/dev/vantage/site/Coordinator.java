package dev.vantage.site;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The cluster-wide facts that sites must agree on: who is primary of each resource (with its fencing epoch),
 * which sites hold mirrors, and predictor reservations. One implementation is embedded in-process (one machine,
 * the demo); another keeps the facts in etcd when sites run on many hosts.
 *
 * <p>Every mutation is a compare-and-set on the epoch, so two controllers racing to promote never both win.
 * Implementations are thread-safe; watchers are called on an implementation thread and must not block.
 */
public interface Coordinator extends AutoCloseable {

    /** The primary of a resource and the epoch that fences writes from older primaries. */
    record PrimaryLease(String resourceId, String siteId, long epoch) {}

    /** A predictor reservation of a mirror of a resource at a site. */
    record Reservation(String resourceId, String siteId, Kind kind, long expiresAtMillis) {
        /** Firm reservations pre-mirror; soft ones only warm. */
        public enum Kind { FIRM, SOFT }
    }

    /** A change seen by a watcher. */
    record Change(String resourceId, Optional<PrimaryLease> primary, List<String> mirrorSites) {}

    /** Thrown when a compare-and-set loses against a newer epoch. */
    final class StaleEpochException extends Exception {
        private static final long serialVersionUID = 1L;

        public StaleEpochException(String resourceId, long expectedEpoch, long actualEpoch) {
            super("resource " + resourceId + ": epoch " + expectedEpoch + " is stale (current: " + actualEpoch + ")");
        }
    }

    /** The current primary, or empty when the resource has never been registered. */
    Optional<PrimaryLease> primary(String resourceId);

    /**
     * Registers the first primary of a resource (epoch 1). Returns the existing lease unchanged when the resource
     * is already registered, so every site can call it at start-up.
     */
    PrimaryLease registerPrimary(String resourceId, String siteId);

    /**
     * Moves the primary to {@code newSiteId} when the current epoch is still {@code expectedEpoch}; returns the new
     * lease with epoch + 1 (or a larger etcd revision).
     */
    PrimaryLease promote(String resourceId, String newSiteId, long expectedEpoch) throws StaleEpochException;

    /** The sites that hold a mirror of the resource (primary included), in insertion order. */
    List<String> mirrorSites(String resourceId);

    /** Adds a mirror site; true when it was not there before. */
    boolean addMirrorSite(String resourceId, String siteId);

    /** Removes a mirror site; true when it was there. The primary cannot be removed. */
    boolean removeMirrorSite(String resourceId, String siteId);

    /** Records or refreshes a reservation for {@code ttl}. */
    void reserve(String resourceId, String siteId, Reservation.Kind kind, Duration ttl);

    /** Live (unexpired) reservations of a resource. */
    List<Reservation> reservations(String resourceId);

    /** Registers a watcher of primary and mirror-set changes; returns a handle that removes it. */
    AutoCloseable watch(Consumer<Change> watcher);

    /** A short description for logs and the admin API, e.g. {@code embedded} or {@code etcd http://127.0.0.1:2379}. */
    String describe();

    @Override
    void close();
}
