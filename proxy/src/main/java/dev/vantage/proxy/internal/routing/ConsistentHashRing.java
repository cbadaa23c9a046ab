package dev.vantage.proxy.internal.routing;

import java.util.Arrays;
import java.util.List;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018) over a fixed set of members with
 * virtual nodes. A key goes to the first member clockwise from its hash that is eligible and whose load is below
 * {@code ceil(loadFactor × (totalLoad + 1) / eligibleMembers)}. Members are placed by the hash of their stable key,
 * so adding a member takes about 1/(n+1) of the keys and removing one moves only the keys it had.
 *
 * <p>Threading: immutable after construction; {@link #select} and {@link #home} allocate nothing.
 */
final class ConsistentHashRing {

    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private final long[] points;
    private final int[] owners;
    private final int members;

    /**
     * @param memberKeys      stable identities (e.g. {@code site|host:port}); the member index is the list position
     * @param virtualNodes    points per member, &gt;= 1
     */
    ConsistentHashRing(List<String> memberKeys, int virtualNodes) {
        members = memberKeys.size();
        int n = members * virtualNodes;
        long[] rawPoints = new long[n];
        for (int m = 0; m < members; m++) {
            long base = Hashing.hash(memberKeys.get(m));
            for (int v = 0; v < virtualNodes; v++) {
                int i = m * virtualNodes + v;
                rawPoints[i] = Hashing.mix(base + GOLDEN * (v + 1));
            }
        }
        // Sort point indices by point value (ties broken by member index, deterministic).
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(rawPoints[a], rawPoints[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        points = new long[n];
        owners = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = rawPoints[order[i]];
            owners[i] = order[i] / virtualNodes;
        }
    }

    int members() {
        return members;
    }

    /**
     * The member for {@code keyHash}: the first eligible one clockwise whose load is under the bound, or -1 when no
     * member is eligible.
     *
     * @param eligible   per member
     * @param load       per member, current load (in-flight requests)
     * @param loadFactor &gt;= 1; {@link Double#POSITIVE_INFINITY} disables the bound
     */
    int select(long keyHash, boolean[] eligible, int[] load, double loadFactor) {
        int eligibleCount = 0;
        long totalLoad = 0;
        for (int m = 0; m < members; m++) {
            if (eligible[m]) {
                eligibleCount++;
                totalLoad += load[m];
            }
        }
        if (eligibleCount == 0 || points.length == 0) {
            return -1;
        }
        double capacity = Math.ceil(loadFactor * (totalLoad + 1) / eligibleCount);
        int start = firstAtOrAfter(keyHash);
        int fallback = -1;
        for (int step = 0; step < points.length; step++) {
            int owner = owners[(start + step) % points.length];
            if (eligible[owner]) {
                if (load[owner] < capacity) {
                    return owner;
                }
                if (fallback < 0) {
                    fallback = owner;
                }
            }
        }
        return fallback;
    }

    /** The member that owns {@code keyHash} among {@code allowed} ones, ignoring load: a user's home. */
    int home(long keyHash, boolean[] allowed) {
        if (points.length == 0) {
            return -1;
        }
        int start = firstAtOrAfter(keyHash);
        for (int step = 0; step < points.length; step++) {
            int owner = owners[(start + step) % points.length];
            if (allowed[owner]) {
                return owner;
            }
        }
        return -1;
    }

    private int firstAtOrAfter(long keyHash) {
        int low = 0;
        int high = points.length - 1;
        if (keyHash > points[high]) {
            return 0;
        }
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (points[mid] < keyHash) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }
}
