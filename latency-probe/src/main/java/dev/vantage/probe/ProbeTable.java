package dev.vantage.probe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of every probe target's status, indexed by slot. The probe thread builds a new table and
 * publishes it through a volatile reference; readers on any thread (the proxy's event loops) keep the reference they
 * read and look up without locks and without allocation ({@link #indexOf(String, int)}, {@link #status(int)} and the
 * primitive accessors allocate nothing).
 *
 * <p>Invariant: a slot's index does not change while its target exists; a slot freed by a reload may later be given
 * to a new target, so readers resolve indexes again after a policy reload (or compare {@link TargetStatus#target()}).
 */
public final class ProbeTable {

    /** The table with no targets. */
    public static final ProbeTable EMPTY = of(new TargetStatus[0]);

    private final long generation;
    private final TargetStatus[] slots;
    private final Index index;

    private ProbeTable(long generation, TargetStatus[] slots, Index index) {
        this.generation = generation;
        this.slots = slots;
        this.index = index;
    }

    /**
     * A table over {@code statuses} (copied); entry {@code i} must be {@code null} or have index {@code i}.
     *
     * @throws IllegalArgumentException when an entry's index differs from its position
     */
    public static ProbeTable of(TargetStatus... statuses) {
        TargetStatus[] copy = statuses.clone();
        return new ProbeTable(0, copy, new Index(copy));
    }

    /**
     * The next generation of this table with new statuses (copied). The lookup index is shared when every slot holds
     * the same target as before, and rebuilt otherwise.
     */
    public ProbeTable next(TargetStatus[] statuses) {
        TargetStatus[] copy = statuses.clone();
        boolean sameTargets = copy.length == slots.length;
        for (int i = 0; sameTargets && i < copy.length; i++) {
            TargetStatus before = slots[i];
            TargetStatus after = copy[i];
            sameTargets = before == null ? after == null
                    : after != null && (before.target() == after.target() || before.target().equals(after.target()));
        }
        return new ProbeTable(generation + 1, copy, sameTargets ? index : new Index(copy));
    }

    /** Increases with every published table. */
    public long generation() {
        return generation;
    }

    /** Number of slots, used or free: valid indexes are {@code 0..size()-1}. */
    public int size() {
        return slots.length;
    }

    /** Number of targets (used slots). */
    public int targetCount() {
        return index.count;
    }

    /** The status in slot {@code index}, or {@code null} when the slot is free or out of range. */
    public TargetStatus status(int index) {
        return index >= 0 && index < slots.length ? slots[index] : null;
    }

    /** The slot of the first target probing {@code host:port} (lowest index), or -1. Allocation-free. */
    public int indexOf(String host, int port) {
        int[] table = index.endpointSlots;
        int mask = table.length - 1;
        for (int i = Index.hash(host, port) & mask; ; i = (i + 1) & mask) {
            int slotPlusOne = table[i];
            if (slotPlusOne == 0) {
                return -1;
            }
            TargetStatus status = slots[slotPlusOne - 1];
            if (status.target().address().port() == port && status.target().address().host().equals(host)) {
                return slotPlusOne - 1;
            }
        }
    }

    /**
     * The slot of the first target probing {@code endpoint}, written {@code host:port} or {@code [v6]:port}, or -1
     * (also for text that is not an endpoint). Allocation-free: meant for callers that hold endpoint strings.
     */
    public int indexOfEndpoint(CharSequence endpoint) {
        int colon = -1;
        for (int i = endpoint.length() - 1; i >= 0; i--) {
            if (endpoint.charAt(i) == ':') {
                colon = i;
                break;
            }
        }
        return colon <= 0 || colon == endpoint.length() - 1 ? -1 : indexOfEndpoint(endpoint, colon);
    }

    private int indexOfEndpoint(CharSequence endpoint, int colon) {
        int port = 0;
        for (int i = colon + 1; i < endpoint.length(); i++) {
            char c = endpoint.charAt(i);
            if (c < '0' || c > '9' || port > 65535) {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        if (port > 65535) {
            return -1;
        }
        int hostStart = 0;
        int hostEnd = colon;
        if (endpoint.charAt(0) == '[' && endpoint.charAt(colon - 1) == ']') {
            hostStart = 1;
            hostEnd = colon - 1;
        }
        // The same hash as String.hashCode() over the host's characters.
        int hostHash = 0;
        for (int i = hostStart; i < hostEnd; i++) {
            hostHash = 31 * hostHash + endpoint.charAt(i);
        }
        int[] table = index.endpointSlots;
        int mask = table.length - 1;
        for (int i = Index.hash(hostHash, port) & mask; ; i = (i + 1) & mask) {
            int slotPlusOne = table[i];
            if (slotPlusOne == 0) {
                return -1;
            }
            ProbeTarget target = slots[slotPlusOne - 1].target();
            if (target.address().port() == port && regionEquals(target.address().host(), endpoint, hostStart,
                    hostEnd)) {
                return slotPlusOne - 1;
            }
        }
    }

    private static boolean regionEquals(String host, CharSequence text, int start, int end) {
        if (host.length() != end - start) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            if (host.charAt(i) != text.charAt(start + i)) {
                return false;
            }
        }
        return true;
    }

    /** The slot of the target with this {@link ProbeTarget#id()}, or -1. */
    public int indexOf(String targetId) {
        Integer slot = index.byId.get(targetId);
        return slot == null ? -1 : slot;
    }

    /** The state in slot {@code index}, or {@code null} when the slot is free. */
    public HealthState state(int index) {
        TargetStatus status = status(index);
        return status == null ? null : status.state();
    }

    /** Whether the proxy may send new requests to slot {@code index} (false for a free slot). */
    public boolean usable(int index) {
        TargetStatus status = status(index);
        return status != null && status.usable();
    }

    /** Whether slot {@code index} is ejected by outlier detection (false for a free slot). */
    public boolean ejected(int index) {
        TargetStatus status = status(index);
        return status != null && status.ejected();
    }

    /** RTT EWMA of slot {@code index} in nanoseconds, or -1 when unknown. */
    public long rttEwmaNanos(int index) {
        TargetStatus status = status(index);
        return status == null ? -1 : status.rttEwmaNanos();
    }

    /** Windowed minimum RTT of slot {@code index} in nanoseconds, or -1 when unknown. */
    public long rttMinNanos(int index) {
        TargetStatus status = status(index);
        return status == null ? -1 : status.rttMinNanos();
    }

    /** RFC 3550 jitter of slot {@code index} in nanoseconds (0 when unknown). */
    public long rttJitterNanos(int index) {
        TargetStatus status = status(index);
        return status == null ? 0 : status.rttJitterNanos();
    }

    /** Loss ratio of slot {@code index} over the loss window (0 when unknown). */
    public double lossRatio(int index) {
        TargetStatus status = status(index);
        return status == null ? 0 : status.lossRatio();
    }

    /** Every target's status in slot order (allocates: for admin views, not the request path). */
    public List<TargetStatus> statuses() {
        List<TargetStatus> list = new ArrayList<>(index.count);
        for (TargetStatus status : slots) {
            if (status != null) {
                list.add(status);
            }
        }
        return Collections.unmodifiableList(list);
    }

    @Override
    public String toString() {
        return "ProbeTable[generation=" + generation + ", targets=" + index.count + ", slots=" + slots.length + "]";
    }

    /** The lookup structures, shared by consecutive tables over the same targets. */
    private static final class Index {
        final int count;
        final int[] endpointSlots;
        final Map<String, Integer> byId;

        Index(TargetStatus[] slots) {
            int used = 0;
            for (int i = 0; i < slots.length; i++) {
                TargetStatus status = slots[i];
                if (status != null) {
                    if (status.index() != i) {
                        throw new IllegalArgumentException("statuses[" + i + "].index: " + status.index()
                                + " (expected: " + i + ")");
                    }
                    used++;
                }
            }
            count = used;
            int capacity = Integer.highestOneBit(Math.max(4, used * 2 + 1) - 1) << 1;
            endpointSlots = new int[capacity];
            Map<String, Integer> ids = new HashMap<>(used * 2);
            int mask = capacity - 1;
            for (int slot = 0; slot < slots.length; slot++) {
                TargetStatus status = slots[slot];
                if (status == null) {
                    continue;
                }
                ids.putIfAbsent(status.target().id(), slot);
                String host = status.target().address().host();
                int port = status.target().address().port();
                int i = hash(host, port) & mask;
                while (true) {
                    int existing = endpointSlots[i];
                    if (existing == 0) {
                        endpointSlots[i] = slot + 1;
                        break;
                    }
                    ProbeTarget other = slots[existing - 1].target();
                    if (other.address().port() == port && other.address().host().equals(host)) {
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            byId = Map.copyOf(ids);
        }

        static int hash(String host, int port) {
            return hash(host.hashCode(), port);
        }

        static int hash(int hostHash, int port) {
            int h = hostHash * 31 + port;
            h *= 0x9E3779B9;
            return h ^ (h >>> 16);
        }
    }
}
