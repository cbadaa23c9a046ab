package dev.vantage.replication;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides which of two versions of a block wins in multi-master mode. A version that happened after the other
 * (version vectors) wins without a conflict; concurrent versions conflict and are resolved last-writer-wins by
 * (HLC, site id), and the losing version is kept in the conflict log, never silently dropped. Thread-safe.
 */
public final class ConflictResolver {

    /** One version of a block: who wrote it, when, what it knew, and its content hash. */
    public record BlockVersion(long blockIndex, VersionVector vector, Hlc hlc, String siteId, long hashHigh,
                               long hashLow) {
    }

    /** The outcome: the version to keep as current, and the losing version when there was a conflict. */
    public record Resolution(BlockVersion winner, BlockVersion loser, boolean conflict, VersionVector merged) {
    }

    private final List<Resolution> conflicts = new ArrayList<>();

    /** Resolves {@code local} against {@code remote}; conflicts are recorded in {@link #conflicts()}. */
    public synchronized Resolution resolve(BlockVersion local, BlockVersion remote) {
        Resolution r = decide(local, remote);
        if (r.conflict()) {
            conflicts.add(r);
        }
        return r;
    }

    /**
     * Decides without recording. Equal vectors with different content (two copies that started different, or a
     * version whose data a crash lost) are treated as concurrent, so both sides still pick the same winner. Ties
     * of (HLC, site id) fall to the content hash, so the outcome never depends on which side decides.
     */
    public static Resolution decide(BlockVersion local, BlockVersion remote) {
        return decide(local, remote, null);
    }

    /**
     * Like {@link #decide(BlockVersion, BlockVersion)}, but a concurrent write by {@code preferredSite} (the
     * primary under the {@code primary_wins} conflict policy; null for none) beats any other; two writes of the
     * same preference fall back to (HLC, site id). Still a total order on versions, so replicas converge whatever
     * order they resolve in, as long as they share the preference.
     */
    public static Resolution decide(BlockVersion local, BlockVersion remote, String preferredSite) {
        VersionVector merged = local.vector().merge(remote.vector());
        VersionVector.Order order = local.vector().compare(remote.vector());
        boolean sameContent = local.hashHigh() == remote.hashHigh() && local.hashLow() == remote.hashLow();
        if (order == VersionVector.Order.AFTER || (order == VersionVector.Order.EQUAL && sameContent)) {
            return new Resolution(local, null, false, merged);
        }
        if (order == VersionVector.Order.BEFORE) {
            return new Resolution(remote, null, false, merged);
        }
        boolean localWins = lastWriter(local, remote, preferredSite) == local;
        return new Resolution(localWins ? local : remote, localWins ? remote : local, true, merged);
    }

    private static BlockVersion lastWriter(BlockVersion a, BlockVersion b) {
        return lastWriter(a, b, null);
    }

    private static BlockVersion lastWriter(BlockVersion a, BlockVersion b, String preferredSite) {
        if (preferredSite != null) {
            boolean pa = preferredSite.equals(a.siteId());
            if (pa != preferredSite.equals(b.siteId())) {
                return pa ? a : b;
            }
        }
        int c = a.hlc().compareTo(b.hlc());
        if (c == 0) {
            c = a.siteId().compareTo(b.siteId());
        }
        if (c == 0) {
            c = Long.compareUnsigned(a.hashHigh(), b.hashHigh());
        }
        if (c == 0) {
            c = Long.compareUnsigned(a.hashLow(), b.hashLow());
        }
        return c >= 0 ? a : b;
    }

    /** Every conflict resolved so far, with its losing version. */
    public synchronized List<Resolution> conflicts() {
        return List.copyOf(conflicts);
    }
}
