package dev.vantage.replication;

import java.util.Map;
import java.util.TreeMap;

/**
 * Per-site write counters of one block: vector A happened before B when every counter of A is at most B's and one
 * is lower; neither before the other means the writes were concurrent. Immutable.
 */
public final class VersionVector {

    /** How two vectors relate. */
    public enum Order { BEFORE, AFTER, EQUAL, CONCURRENT }

    public static final VersionVector EMPTY = new VersionVector(Map.of());

    private final Map<String, Long> counters;

    private VersionVector(Map<String, Long> counters) {
        this.counters = Map.copyOf(counters);
    }

    public static VersionVector of(Map<String, Long> counters) {
        return new VersionVector(counters);
    }

    /** Every non-zero counter by site id, in site order. */
    public Map<String, Long> counters() {
        return new TreeMap<>(counters);
    }

    /** Whether no site has written (the version of a block nobody wrote through a versioned volume). */
    public boolean isEmpty() {
        return counters.isEmpty();
    }

    /** The wire form {@code site=n,site=n} in site order; empty for {@link #EMPTY}. */
    public String toWire() {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(counters).forEach((site, n) -> b.append(b.length() == 0 ? "" : ",").append(site).append('=')
                .append(n));
        return b.toString();
    }

    /** Parses {@link #toWire()}'s form; site ids are letters, digits, '.', '_' or '-', counters >= 1. */
    public static VersionVector parse(CharSequence wire) {
        Map<String, Long> parsed = new TreeMap<>();
        String text = wire.toString();
        if (text.isEmpty()) {
            return EMPTY;
        }
        for (String entry : text.split(",", -1)) {
            int eq = entry.indexOf('=');
            String site = eq < 0 ? "" : entry.substring(0, eq);
            long n;
            try {
                n = eq < 0 ? 0 : Long.parseLong(entry.substring(eq + 1));
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (!validSiteId(site) || n < 1 || parsed.put(site, n) != null) {
                throw new IllegalArgumentException("version vector entry: '" + entry + "' in '" + text
                        + "' (expected: site=counter, a unique site id of letters, digits, '.', '_' or '-' and a"
                        + " counter >= 1)");
            }
        }
        return new VersionVector(parsed);
    }

    /** Whether {@code siteId} may name a writer in a version vector: 1..64 of letters, digits, '.', '_' or '-'. */
    public static boolean validSiteId(String siteId) {
        return siteId != null && siteId.matches("[A-Za-z0-9._-]{1,64}");
    }

    public long counter(String siteId) {
        return counters.getOrDefault(siteId, 0L);
    }

    /** This vector after a write at {@code siteId}. */
    public VersionVector increment(String siteId) {
        Map<String, Long> next = new TreeMap<>(counters);
        next.merge(siteId, 1L, Long::sum);
        return new VersionVector(next);
    }

    /** The element-wise maximum: what a site knows after applying both. */
    public VersionVector merge(VersionVector other) {
        Map<String, Long> next = new TreeMap<>(counters);
        other.counters.forEach((site, n) -> next.merge(site, n, Math::max));
        return new VersionVector(next);
    }

    /** How this vector relates to {@code other}. */
    public Order compare(VersionVector other) {
        boolean less = false;
        boolean greater = false;
        TreeMap<String, Long> all = new TreeMap<>(counters);
        other.counters.forEach(all::putIfAbsent);
        for (String site : all.keySet()) {
            long a = counter(site);
            long b = other.counter(site);
            less |= a < b;
            greater |= a > b;
        }
        if (less && greater) {
            return Order.CONCURRENT;
        }
        return less ? Order.BEFORE : greater ? Order.AFTER : Order.EQUAL;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionVector v && v.counters.equals(counters);
    }

    @Override
    public int hashCode() {
        return counters.hashCode();
    }

    @Override
    public String toString() {
        return new TreeMap<>(counters).toString();
    }
}
