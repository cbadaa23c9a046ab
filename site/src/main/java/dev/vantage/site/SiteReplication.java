package dev.vantage.site;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Resource;
import dev.vantage.config.Site;
import dev.vantage.proxy.MirrorStatus;
import dev.vantage.replication.MirrorProgress;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;

/**
 * The replication engines of the sites that run in this process, seen as one: it carries out the mirror lifecycle
 * controller's {@link ReplicationActions} on the engine of the sending site, and answers the proxy's
 * {@link MirrorStatus} questions (role from the coordinator, lag from the engines).
 *
 * <p>Each site keeps its copy of a resource at {@code <site data dir>/volumes/<resource>.img}. A mirror whose lag
 * cannot be known here (another process sends to it) reports an unbounded lag, so reads never go to a mirror that
 * is not proven fresh enough.
 *
 * <p>Threading: thread-safe; the policy is a volatile snapshot.
 */
public final class SiteReplication implements ReplicationActions, MirrorStatus {

    /** Lag reported for a mirror whose freshness this process cannot see. */
    public static final long UNKNOWN_LAG_MILLIS = Long.MAX_VALUE / 4;

    private final Coordinator coordinator;
    private final Map<String, ReplicationEngine> engines = new ConcurrentHashMap<>();
    private final Map<String, Path> dataDirectories = new ConcurrentHashMap<>();
    private final Map<String, Supplier<Policy>> views = new ConcurrentHashMap<>();
    private volatile Policy policy;

    public SiteReplication(Policy policy, Coordinator coordinator) {
        this.policy = policy;
        this.coordinator = coordinator;
    }

    /**
     * Adds a site of this process: its engine, data directory and its own view of the policy (the addresses it
     * reaches its peers at, which differ from the shared policy when the peers sit behind WAN links).
     */
    public void addSite(String siteId, ReplicationEngine engine, Path dataDirectory, Supplier<Policy> view) {
        engines.put(siteId, engine);
        dataDirectories.put(siteId, dataDirectory);
        views.put(siteId, view);
    }

    public void applyPolicy(Policy newPolicy) {
        this.policy = newPolicy;
    }

    /** Where {@code siteId} keeps its copy of {@code resourceId}. */
    public Path volumePath(String siteId, String resourceId) {
        Path dir = dataDirectories.get(siteId);
        if (dir == null) {
            throw new IllegalArgumentException("siteId: " + siteId + " (expected: a site of this process, one of "
                    + dataDirectories.keySet() + ")");
        }
        return volumePath(dir, resourceId);
    }

    static Path volumePath(Path siteDataDirectory, String resourceId) {
        return siteDataDirectory.resolve("volumes").resolve(resourceId.replaceAll("[^A-Za-z0-9._-]", "_") + ".img");
    }

    /**
     * Makes sure the primary's copy exists: seeded from the policy's {@code volumePath} when that file exists,
     * else an empty volume that applications fill.
     */
    public Path preparePrimaryVolume(String siteId, Resource resource) {
        Path target = volumePath(siteId, resource.id());
        try {
            Files.createDirectories(target.getParent());
            if (!Files.exists(target)) {
                Path seed = resource.volumePath();
                if (seed != null && Files.isRegularFile(seed)) {
                    Files.copy(seed, target, StandardCopyOption.COPY_ATTRIBUTES);
                } else {
                    Files.createFile(target);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("preparing volume " + target + " failed", e);
        }
    }

    @Override
    public void startFullSync(String resourceId, String fromSiteId, String toSiteId, long epoch) {
        start(resourceId, fromSiteId, toSiteId, epoch, ReplicationMode.FULL);
    }

    @Override
    public void startDeltaSync(String resourceId, String fromSiteId, String toSiteId, long epoch) {
        start(resourceId, fromSiteId, toSiteId, epoch, ReplicationMode.DELTA);
    }

    private void start(String resourceId, String fromSiteId, String toSiteId, long epoch, ReplicationMode mode) {
        ReplicationEngine engine = engines.get(fromSiteId);
        Supplier<Policy> view = views.get(fromSiteId);
        Policy p = view != null ? view.get() : policy;
        Optional<Resource> resource = p.resource(resourceId);
        Optional<Site> destination = p.site(toSiteId);
        if (engine == null || resource.isEmpty() || destination.isEmpty()
                || destination.get().replicationAddress() == null) {
            return;
        }
        Resource r = resource.get();
        Path source = preparePrimaryVolume(fromSiteId, r);
        InetSocketAddress to = new InetSocketAddress(destination.get().replicationAddress().host(),
                destination.get().replicationAddress().port());
        SyncRequest request = new SyncRequest(resourceId, source, r.blockSizeBytes(), null, toSiteId, to, epoch, mode,
                null, r.replication().compression(), r.replication().throttle(), 5, 500, null);
        engine.sync(request);
    }

    @Override
    public SyncState syncState(String resourceId, String toSiteId) {
        for (ReplicationEngine engine : engines.values()) {
            Optional<MirrorProgress> progress = engine.progress(resourceId, toSiteId);
            if (progress.isPresent()) {
                MirrorProgress m = progress.get();
                Phase phase = switch (m.phase()) {
                    case IDLE -> Phase.IDLE;
                    case SYNCING -> Phase.SYNCING;
                    case IN_SYNC -> Phase.IN_SYNC;
                    case FAILED -> Phase.FAILED;
                };
                return new SyncState(phase, m.lagBlocks(), m.lastError());
            }
        }
        return SyncState.IDLE;
    }

    @Override
    public void release(String resourceId, String siteId) {
        Policy p = policy;
        Optional<Resource> resource = p.resource(resourceId);
        if (resource.isEmpty()) {
            return;
        }
        for (Map.Entry<String, ReplicationEngine> e : engines.entrySet()) {
            Path volume = volumePath(e.getKey(), resourceId);
            if (Files.exists(volume) && !e.getKey().equals(siteId)) {
                try {
                    e.getValue().releasePeer(volume, resource.get().blockSizeBytes(), resourceId, siteId);
                } catch (IOException ex) {
                    throw new UncheckedIOException("releasing " + resourceId + " at " + siteId + " failed", ex);
                }
            }
        }
        Path dir = dataDirectories.get(siteId);
        if (dir != null) {
            try {
                Files.deleteIfExists(volumePath(dir, resourceId));
            } catch (IOException ex) {
                throw new UncheckedIOException("freeing the mirror of " + resourceId + " at " + siteId + " failed", ex);
            }
        }
    }

    // ------------------------------------------------------------------ MirrorStatus

    @Override
    public MirrorRole role(String resourceId, String siteId) {
        Optional<Coordinator.PrimaryLease> lease = coordinator.primary(resourceId);
        if (lease.isPresent()) {
            if (lease.get().siteId().equals(siteId)) {
                return MirrorRole.PRIMARY;
            }
            Optional<Resource> resource = policy.resource(resourceId);
            MirrorRole configured = resource.flatMap(r -> r.mirrorAt(siteId)).map(m -> m.role()).orElse(null);
            if (configured == MirrorRole.REPLICA) {
                return MirrorRole.REPLICA;
            }
            return coordinator.mirrorSites(resourceId).contains(siteId) || configured != null ? MirrorRole.SHADOW : null;
        }
        return policy.resource(resourceId).flatMap(r -> r.mirrorAt(siteId)).map(m -> m.role()).orElse(null);
    }

    @Override
    public long replicationLagMillis(String resourceId, String siteId) {
        MirrorRole role = role(resourceId, siteId);
        if (role == MirrorRole.PRIMARY || role == MirrorRole.REPLICA) {
            return 0;
        }
        for (ReplicationEngine engine : engines.values()) {
            Optional<MirrorProgress> progress = engine.progress(resourceId, siteId);
            if (progress.isPresent()) {
                MirrorProgress m = progress.get();
                if (m.phase() == MirrorProgress.Phase.FAILED || m.phase() == MirrorProgress.Phase.IDLE) {
                    return UNKNOWN_LAG_MILLIS;
                }
                return m.phase() == MirrorProgress.Phase.IN_SYNC && m.lagBlocks() == 0
                        ? 0 : (long) Math.ceil(m.lagSeconds() * 1000);
            }
        }
        return UNKNOWN_LAG_MILLIS;
    }
}
