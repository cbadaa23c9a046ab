package dev.vantage.site;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-process {@link Coordinator} for sites that share one JVM or one machine (the demo, tests).
 * All state sits behind one monitor; watchers are called after the monitor is released.
 */
public final class EmbeddedCoordinator implements Coordinator {

    private final InstantSource clock;
    private final Map<String, PrimaryLease> primaries = new HashMap<>();
    private final Map<String, LinkedHashSet<String>> mirrors = new HashMap<>();
    private final Map<String, Map<String, Reservation>> reservations = new HashMap<>();
    private final List<Consumer<Change>> watchers = new CopyOnWriteArrayList<>();

    public EmbeddedCoordinator(InstantSource clock) {
        this.clock = clock;
    }

    public EmbeddedCoordinator() {
        this(InstantSource.system());
    }

    @Override
    public synchronized Optional<PrimaryLease> primary(String resourceId) {
        return Optional.ofNullable(primaries.get(resourceId));
    }

    @Override
    public PrimaryLease registerPrimary(String resourceId, String siteId) {
        PrimaryLease lease;
        boolean created;
        synchronized (this) {
            PrimaryLease existing = primaries.get(resourceId);
            created = existing == null;
            lease = created ? new PrimaryLease(resourceId, siteId, 1) : existing;
            if (created) {
                primaries.put(resourceId, lease);
                mirrors.computeIfAbsent(resourceId, r -> new LinkedHashSet<>()).add(siteId);
            }
        }
        if (created) {
            publish(resourceId);
        }
        return lease;
    }

    @Override
    public PrimaryLease promote(String resourceId, String newSiteId, long expectedEpoch) throws StaleEpochException {
        PrimaryLease lease;
        synchronized (this) {
            PrimaryLease current = primaries.get(resourceId);
            long actual = current == null ? 0 : current.epoch();
            if (actual != expectedEpoch) {
                throw new StaleEpochException(resourceId, expectedEpoch, actual);
            }
            lease = new PrimaryLease(resourceId, newSiteId, actual + 1);
            primaries.put(resourceId, lease);
            mirrors.computeIfAbsent(resourceId, r -> new LinkedHashSet<>()).add(newSiteId);
        }
        publish(resourceId);
        return lease;
    }

    @Override
    public synchronized List<String> mirrorSites(String resourceId) {
        return List.copyOf(mirrors.getOrDefault(resourceId, new LinkedHashSet<>()));
    }

    @Override
    public boolean addMirrorSite(String resourceId, String siteId) {
        boolean added;
        synchronized (this) {
            added = mirrors.computeIfAbsent(resourceId, r -> new LinkedHashSet<>()).add(siteId);
        }
        if (added) {
            publish(resourceId);
        }
        return added;
    }

    @Override
    public boolean removeMirrorSite(String resourceId, String siteId) {
        boolean removed;
        synchronized (this) {
            PrimaryLease lease = primaries.get(resourceId);
            if (lease != null && lease.siteId().equals(siteId)) {
                throw new IllegalArgumentException("resource " + resourceId + ": cannot remove the primary site "
                        + siteId + " (expected: promote another site first)");
            }
            LinkedHashSet<String> set = mirrors.get(resourceId);
            removed = set != null && set.remove(siteId);
        }
        if (removed) {
            publish(resourceId);
        }
        return removed;
    }

    @Override
    public synchronized void reserve(String resourceId, String siteId, Reservation.Kind kind, Duration ttl) {
        long expires = clock.millis() + ttl.toMillis();
        reservations.computeIfAbsent(resourceId, r -> new HashMap<>())
                .put(siteId, new Reservation(resourceId, siteId, kind, expires));
    }

    @Override
    public synchronized List<Reservation> reservations(String resourceId) {
        long now = clock.millis();
        Map<String, Reservation> bySite = reservations.getOrDefault(resourceId, Map.of());
        List<Reservation> live = new ArrayList<>();
        for (Reservation r : bySite.values()) {
            if (r.expiresAtMillis() > now) {
                live.add(r);
            }
        }
        live.sort((a, b) -> a.siteId().compareTo(b.siteId()));
        return live;
    }

    @Override
    public AutoCloseable watch(Consumer<Change> watcher) {
        watchers.add(watcher);
        return () -> watchers.remove(watcher);
    }

    @Override
    public String describe() {
        return "embedded";
    }

    @Override
    public void close() {
        watchers.clear();
    }

    private void publish(String resourceId) {
        Change change;
        synchronized (this) {
            change = new Change(resourceId, Optional.ofNullable(primaries.get(resourceId)), mirrorSites(resourceId));
        }
        for (Consumer<Change> w : watchers) {
            w.accept(change);
        }
    }
}
