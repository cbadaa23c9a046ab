package dev.vantage.probe.internal;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.HealthState;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeListener;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

/**
 * The probe logic without I/O: target registry and reload diff, statistics, health state machine, passive outlier
 * ejection with a per-group cap, and table publication. Single writer: every method except {@link #table()},
 * {@link #addListener} and the counter getters runs on one thread (the probe thread). Time comes from the injected
 * clocks only.
 *
 * <p>Invariants: a slot's index never changes while its target exists; at most
 * {@code floor(maxEjectedRatio × groupSize)} targets of a group are ejected at any time, also after a reload
 * shrinks the group.
 */
public final class ProbeCore {

    private final NanoClock nanoClock;
    private final InstantSource wallClock;
    private final List<ProbeListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, TargetSlot> byId = new HashMap<>();
    private final List<TargetStatus> pendingTransitions = new ArrayList<>();

    private ProbeSettings settings;
    private TargetSlot[] slots = new TargetSlot[0];
    private TargetStatus[] statuses = new TargetStatus[0];
    private boolean dirty;
    private volatile ProbeTable table = ProbeTable.EMPTY;

    private volatile long probesTotal;
    private volatile long probeFailuresTotal;
    private volatile long passiveReportsTotal;
    private volatile long ejectionsTotal;
    private volatile long ejectionsRefusedTotal;
    private volatile long listenerErrorsTotal;

    public ProbeCore(NanoClock nanoClock, InstantSource wallClock, ProbeSettings settings) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** What a reload changed. Restarted targets appear in both lists (old incarnation removed, new one added). */
    public record ApplyResult(List<TargetSlot> added, List<TargetSlot> removed, int unchanged, int restarted) {
    }

    /**
     * Makes the registered targets equal {@code targets}: new ids are added, missing ids removed, changed targets
     * restarted with fresh statistics (keeping an operator's drain), unchanged targets keep everything.
     */
    public ApplyResult applyTargets(List<ProbeTarget> targets, ProbeSettings newSettings) {
        Objects.requireNonNull(newSettings, "settings");
        Map<String, ProbeTarget> wanted = new LinkedHashMap<>();
        for (ProbeTarget target : targets) {
            wanted.putIfAbsent(target.id(), target);
        }
        List<TargetSlot> added = new ArrayList<>();
        List<TargetSlot> removed = new ArrayList<>();
        int unchanged = 0;
        int restarted = 0;
        for (TargetSlot slot : List.copyOf(byId.values())) {
            if (!wanted.containsKey(slot.target.id())) {
                retire(slot);
                removed.add(slot);
            }
        }
        for (ProbeTarget target : wanted.values()) {
            TargetSlot existing = byId.get(target.id());
            if (existing != null && existing.target.equals(target)) {
                unchanged++;
                continue;
            }
            int index;
            boolean draining = false;
            if (existing != null) {
                retire(existing);
                removed.add(existing);
                index = existing.index;
                draining = existing.health.draining();
                restarted++;
            } else {
                index = freeIndex();
            }
            TargetSlot slot = new TargetSlot(index, target);
            slot.health.setDraining(draining);
            slot.stateSinceEpochMillis = wallClock.millis();
            slots[index] = slot;
            byId.put(target.id(), slot);
            slot.status = buildStatus(slot, nanoClock.nanoTime());
            statuses[index] = slot.status;
            added.add(slot);
        }
        trimTrailingFreeSlots();
        boolean thresholdsChanged = !newSettings.equals(settings);
        settings = newSettings;
        if (thresholdsChanged) {
            for (TargetSlot slot : slots) {
                if (slot != null) {
                    slot.health.requalify(degraded(slot));
                    refresh(slot);
                }
            }
        }
        enforceGroupCaps();
        dirty = true;
        return new ApplyResult(Collections.unmodifiableList(added), Collections.unmodifiableList(removed), unchanged,
                restarted);
    }

    private void retire(TargetSlot slot) {
        slot.retired = true;
        slots[slot.index] = null;
        statuses[slot.index] = null;
        byId.remove(slot.target.id());
    }

    private int freeIndex() {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                return i;
            }
        }
        int index = slots.length;
        int capacity = Math.max(8, slots.length * 2);
        TargetSlot[] grownSlots = new TargetSlot[capacity];
        System.arraycopy(slots, 0, grownSlots, 0, slots.length);
        TargetStatus[] grownStatuses = new TargetStatus[capacity];
        System.arraycopy(statuses, 0, grownStatuses, 0, statuses.length);
        slots = grownSlots;
        statuses = grownStatuses;
        return index;
    }

    private void trimTrailingFreeSlots() {
        int length = slots.length;
        while (length > 0 && slots[length - 1] == null) {
            length--;
        }
        if (length != slots.length) {
            TargetSlot[] trimmedSlots = new TargetSlot[length];
            System.arraycopy(slots, 0, trimmedSlots, 0, length);
            TargetStatus[] trimmedStatuses = new TargetStatus[length];
            System.arraycopy(statuses, 0, trimmedStatuses, 0, length);
            slots = trimmedSlots;
            statuses = trimmedStatuses;
        }
    }

    /** Records a passed active probe of {@code slot} that took {@code rttNanos}; ignored for a retired slot. */
    public void onProbeSuccess(TargetSlot slot, long rttNanos) {
        if (slot.retired) {
            return;
        }
        slot.stats.recordSuccess(rttNanos);
        slot.health.onSuccess(degraded(slot), settings.rise());
        slot.probes++;
        slot.lastProbeEpochMillis = wallClock.millis();
        probesTotal++;
        refresh(slot);
        notifyResult(slot, true);
    }

    /** Records a failed active probe of {@code slot}; {@code error} says why, for people. */
    public void onProbeFailure(TargetSlot slot, String error) {
        if (slot.retired) {
            return;
        }
        slot.stats.recordLoss();
        slot.health.onFailure(degraded(slot), settings.fall());
        slot.probes++;
        slot.probeFailures++;
        slot.lastError = error;
        slot.lastProbeEpochMillis = wallClock.millis();
        probesTotal++;
        probeFailuresTotal++;
        refresh(slot);
        notifyResult(slot, false);
    }

    private void notifyResult(TargetSlot slot, boolean success) {
        for (ProbeListener listener : listeners) {
            try {
                listener.onProbeResult(slot.status, success);
            } catch (RuntimeException e) {
                listenerErrorsTotal++;
            }
        }
    }

    private boolean degraded(TargetSlot slot) {
        long ewma = slot.stats.ewmaNanos();
        return ewma > settings.degradedRttMillis() * 1_000_000L || slot.stats.lossRatio() > settings.degradedLossRatio();
    }

    /**
     * Records what the proxy saw on the target in slot {@code index}: consecutive failures eject it, a success resets
     * the count. Unknown indexes are ignored (the slot may have been freed by a reload).
     */
    public void onPassive(int index, PassiveOutcome outcome) {
        passiveReportsTotal++;
        if (index < 0 || index >= slots.length || slots[index] == null) {
            return;
        }
        TargetSlot slot = slots[index];
        if (outcome == PassiveOutcome.SUCCESS) {
            if (slot.consecutivePassiveFailures != 0) {
                slot.consecutivePassiveFailures = 0;
                refresh(slot);
            }
            return;
        }
        if (slot.consecutivePassiveFailures < Integer.MAX_VALUE) {
            slot.consecutivePassiveFailures++;
        }
        if (!slot.ejected && slot.consecutivePassiveFailures >= settings.consecutiveFailuresToEject()) {
            tryEject(slot);
        }
        refresh(slot);
    }

    private boolean tryEject(TargetSlot slot) {
        int groupSize = 0;
        int ejectedInGroup = 0;
        for (TargetSlot other : slots) {
            if (other != null && other.target.group().equals(slot.target.group())) {
                groupSize++;
                if (other.ejected) {
                    ejectedInGroup++;
                }
            }
        }
        if (ejectedInGroup >= maxEjected(groupSize)) {
            ejectionsRefusedTotal++;
            return false;
        }
        long now = nanoClock.nanoTime();
        long baseNanos = settings.ejectionBaseMillis() * 1_000_000L;
        if (slot.ejections > 0 && slot.lastEjectionEndNanos != TargetSlot.NEVER) {
            // Good behaviour earns the multiplier back: one step per base period spent in rotation.
            long steps = (now - slot.lastEjectionEndNanos) / baseNanos;
            slot.ejections = (int) Math.max(0, slot.ejections - steps);
        }
        slot.ejections++;
        slot.ejected = true;
        slot.ejectedUntilNanos = now + baseNanos * slot.ejections;
        slot.consecutivePassiveFailures = 0;
        ejectionsTotal++;
        return true;
    }

    private int maxEjected(int groupSize) {
        return (int) Math.floor(settings.maxEjectedRatio() * groupSize + 1e-9);
    }

    /**
     * Returns ejected targets whose time is up to rotation.
     *
     * @return the monotonic time of the next ejection end, or {@link Long#MAX_VALUE} when none is ejected
     */
    public long expireEjections() {
        long now = nanoClock.nanoTime();
        long next = Long.MAX_VALUE;
        for (TargetSlot slot : slots) {
            if (slot == null || !slot.ejected) {
                continue;
            }
            if (slot.ejectedUntilNanos - now <= 0) {
                unEject(slot, now);
            } else {
                next = Math.min(next, slot.ejectedUntilNanos);
            }
        }
        return next;
    }

    private void unEject(TargetSlot slot, long now) {
        slot.ejected = false;
        slot.lastEjectionEndNanos = now;
        refresh(slot);
    }

    /** Keeps every group within its ejection cap after a reload: ends the ejections closest to their end first. */
    private void enforceGroupCaps() {
        Map<String, List<TargetSlot>> groups = new HashMap<>();
        for (TargetSlot slot : slots) {
            if (slot != null) {
                groups.computeIfAbsent(slot.target.group(), g -> new ArrayList<>()).add(slot);
            }
        }
        long now = nanoClock.nanoTime();
        for (List<TargetSlot> group : groups.values()) {
            List<TargetSlot> ejected = new ArrayList<>();
            for (TargetSlot slot : group) {
                if (slot.ejected) {
                    ejected.add(slot);
                }
            }
            int excess = ejected.size() - maxEjected(group.size());
            if (excess > 0) {
                ejected.sort((a, b) -> Long.compare(a.ejectedUntilNanos - now, b.ejectedUntilNanos - now));
                for (int i = 0; i < excess; i++) {
                    unEject(ejected.get(i), now);
                }
            }
        }
    }

    /**
     * Sets or clears the operator's drain on the target with id {@code target}, or else on every target probing the
     * endpoint {@code target} ({@code host:port}).
     *
     * @return false when nothing matches
     */
    public boolean setDraining(String target, boolean draining) {
        TargetSlot byTargetId = byId.get(target);
        if (byTargetId != null) {
            drain(byTargetId, draining);
            return true;
        }
        boolean found = false;
        for (TargetSlot slot : slots) {
            if (slot != null && slot.target.address().toString().equals(target)) {
                drain(slot, draining);
                found = true;
            }
        }
        return found;
    }

    private void drain(TargetSlot slot, boolean draining) {
        if (slot.health.draining() != draining) {
            slot.health.setDraining(draining);
            refresh(slot);
        }
    }

    private void refresh(TargetSlot slot) {
        TargetStatus previous = slot.status;
        if (previous != null && previous.state() != slot.health.state()) {
            slot.stateSinceEpochMillis = wallClock.millis();
        }
        TargetStatus current = buildStatus(slot, nanoClock.nanoTime());
        slot.status = current;
        statuses[slot.index] = current;
        dirty = true;
        if (previous != null && (previous.state() != current.state() || previous.ejected() != current.ejected())) {
            pendingTransitions.add(previous);
            pendingTransitions.add(current);
        }
    }

    private TargetStatus buildStatus(TargetSlot slot, long now) {
        long ejectedUntilEpochMillis = slot.ejected
                ? wallClock.millis() + Math.max(0, (slot.ejectedUntilNanos - now) / 1_000_000L) : 0;
        LatencyStats stats = slot.stats;
        return new TargetStatus(slot.index, slot.target, slot.health.state(), slot.ejected, ejectedUntilEpochMillis,
                slot.ejections, stats.ewmaNanos(), stats.minNanos(), stats.jitterNanos(), stats.lastRttNanos(),
                stats.lossRatio(), slot.health.consecutiveSuccesses(), slot.health.consecutiveFailures(),
                slot.consecutivePassiveFailures, slot.probes, slot.probeFailures, slot.lastError,
                slot.lastProbeEpochMillis, slot.stateSinceEpochMillis, slot.connectionsOpened);
    }

    /**
     * Publishes a new table when anything changed since the last call, then tells the listeners about state and
     * ejection changes.
     *
     * @return the current table
     */
    public ProbeTable publish() {
        if (!dirty) {
            return table;
        }
        ProbeTable next = table.next(statuses);
        table = next;
        dirty = false;
        if (!pendingTransitions.isEmpty()) {
            List<TargetStatus> transitions = List.copyOf(pendingTransitions);
            pendingTransitions.clear();
            for (int i = 0; i < transitions.size(); i += 2) {
                for (ProbeListener listener : listeners) {
                    try {
                        listener.onStatusChange(transitions.get(i), transitions.get(i + 1));
                    } catch (RuntimeException e) {
                        listenerErrorsTotal++;
                    }
                }
            }
        }
        return next;
    }

    /** Whether something changed since the last {@link #publish()}. */
    public boolean dirty() {
        return dirty;
    }

    /** The latest published table; any thread. */
    public ProbeTable table() {
        return table;
    }

    /** Any thread. */
    public void addListener(ProbeListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Any thread. */
    public void removeListener(ProbeListener listener) {
        listeners.remove(listener);
    }

    /** The live slot of {@code targetId}, or {@code null}. */
    public TargetSlot slot(String targetId) {
        return byId.get(targetId);
    }

    public ProbeSettings settings() {
        return settings;
    }

    public HealthState state(String targetId) {
        TargetSlot slot = byId.get(targetId);
        return slot == null ? null : slot.health.state();
    }

    public long probesTotal() {
        return probesTotal;
    }

    public long probeFailuresTotal() {
        return probeFailuresTotal;
    }

    public long passiveReportsTotal() {
        return passiveReportsTotal;
    }

    public long ejectionsTotal() {
        return ejectionsTotal;
    }

    public long ejectionsRefusedTotal() {
        return ejectionsRefusedTotal;
    }

    public long listenerErrorsTotal() {
        return listenerErrorsTotal;
    }
}
