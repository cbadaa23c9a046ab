package dev.vantage.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.ModelAggregate;
import dev.vantage.predictor.Predictor;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Federated learning between sites (issue 8, seed 004): a site serves the counts it learnt from its own users - its
 * predictor's shared-model export minus everything it merged from peers (the shared models only ever add counts, so
 * the difference is exact) - and pulls every peer's, merging only what is new since its last pull from that peer, so
 * no count is added twice however many sites there are. Counts only, never raw traces.
 *
 * <p>Threading: {@link #localAggregate} and {@link #absorb} may be called from any thread; the ledger is guarded
 * by this object's monitor and the predictor's own owner thread applies merges.
 */
final class Federation {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final char SEP = '\u0001';
    private static final char CTX = '\u0002';

    private final Predictor predictor;
    /** Everything merged from peers so far, by count key. */
    private final Map<String, Long> merged = new HashMap<>();
    /** Per peer, the local-only counts it served at the last pull. */
    private final Map<String, Map<String, Long>> lastFromPeer = new HashMap<>();
    private long countsMerged;

    Federation(Predictor predictor) {
        this.predictor = predictor;
    }

    /** The counts this site learnt from its own users (what its peers should merge). */
    synchronized ModelAggregate localAggregate() {
        Map<String, Long> local = counts(predictor.exportAggregate().join());
        for (Map.Entry<String, Long> m : merged.entrySet()) {
            local.computeIfPresent(m.getKey(), (k, v) -> v - m.getValue() > 0 ? v - m.getValue() : null);
        }
        return aggregate(local);
    }

    /**
     * Merges what {@code peerId} learnt since the last pull from it into this site's predictor.
     *
     * @return how many counts were new
     */
    synchronized long absorb(String peerId, ModelAggregate theirs) {
        Map<String, Long> now = counts(theirs);
        Map<String, Long> last = lastFromPeer.getOrDefault(peerId, Map.of());
        Map<String, Long> delta = new HashMap<>();
        long total = 0;
        for (Map.Entry<String, Long> e : now.entrySet()) {
            long d = e.getValue() - last.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                delta.put(e.getKey(), d);
                total += d;
            }
        }
        if (!delta.isEmpty()) {
            predictor.mergeAggregate(aggregate(delta)).join();
            delta.forEach((k, d) -> merged.merge(k, d, Long::sum));
        }
        // A peer that restarted serves smaller counts: what was merged stays merged, later growth is merged again.
        Map<String, Long> high = new HashMap<>(last);
        now.forEach((k, v) -> high.merge(k, v, Math::max));
        lastFromPeer.put(peerId, high);
        countsMerged += total;
        return total;
    }

    /** The ledger as it must survive a restart next to the predictor's state (which holds the merged counts). */
    private record Ledger(Map<String, Long> merged, Map<String, Map<String, Long>> lastFromPeer, long countsMerged) {}

    /** Writes the ledger to {@code file}; save it whenever the predictor's state is saved. */
    synchronized void save(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(new Ledger(merged, lastFromPeer, countsMerged)));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a ledger written by {@link #save}, after the predictor's state was restored. */
    synchronized void restore(Path file) throws IOException {
        Ledger ledger = JSON.readValue(Files.readString(file), Ledger.class);
        merged.clear();
        merged.putAll(ledger.merged());
        lastFromPeer.clear();
        ledger.lastFromPeer().forEach((peer, counts) -> lastFromPeer.put(peer, new HashMap<>(counts)));
        countsMerged = ledger.countsMerged();
    }

    /** Counts merged from all peers since start. */
    synchronized long countsMerged() {
        return countsMerged;
    }

    static String toJson(ModelAggregate aggregate) {
        return JSON.writeValueAsString(aggregate);
    }

    static ModelAggregate fromJson(String json) {
        return JSON.readValue(json, ModelAggregate.class);
    }

    /** Count keys by name: {@code T|R + SEP + context names (most recent first) + SEP + symbol name}, {@code H...}. */
    private static Map<String, Long> counts(ModelAggregate a) {
        Map<String, Long> out = new HashMap<>();
        sequenceCounts(out, 'T', a.siteTransitions(), a.sites());
        sequenceCounts(out, 'R', a.resourceSequences(), a.resources());
        for (ModelAggregate.HourCount h : a.siteByHour()) {
            out.merge("H" + SEP + h.hour() + SEP + a.sites().get(h.site()), (long) h.count(), Long::sum);
        }
        return out;
    }

    private static void sequenceCounts(Map<String, Long> out, char kind, List<ModelAggregate.Count> counts,
                                       List<String> names) {
        for (ModelAggregate.Count c : counts) {
            StringBuilder key = new StringBuilder().append(kind).append(SEP);
            for (int i = 0; i < c.context().size(); i++) {
                if (i > 0) {
                    key.append(CTX);
                }
                key.append(names.get(c.context().get(i)));
            }
            key.append(SEP).append(names.get(c.symbol()));
            out.merge(key.toString(), (long) c.count(), Long::sum);
        }
    }

    private static ModelAggregate aggregate(Map<String, Long> counts) {
        Map<String, Integer> sites = new LinkedHashMap<>();
        Map<String, Integer> resources = new LinkedHashMap<>();
        List<ModelAggregate.Count> transitions = new ArrayList<>();
        List<ModelAggregate.Count> sequences = new ArrayList<>();
        List<ModelAggregate.HourCount> hours = new ArrayList<>();
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            String[] parts = e.getKey().split(String.valueOf(SEP), -1);
            int count = (int) Math.min(Integer.MAX_VALUE, e.getValue());
            switch (parts[0]) {
                case "H" -> hours.add(new ModelAggregate.HourCount(Integer.parseInt(parts[1]), index(sites, parts[2]),
                        count));
                case "T" -> transitions.add(count(sites, parts, count));
                case "R" -> sequences.add(count(resources, parts, count));
                default -> throw new IllegalStateException("federation count key: " + parts[0]);
            }
        }
        return new ModelAggregate(List.copyOf(sites.keySet()), List.copyOf(resources.keySet()), transitions,
                sequences, hours);
    }

    private static ModelAggregate.Count count(Map<String, Integer> names, String[] parts, int count) {
        List<Integer> context = new ArrayList<>();
        if (!parts[1].isEmpty()) {
            for (String name : parts[1].split(String.valueOf(CTX), -1)) {
                context.add(index(names, name));
            }
        }
        return new ModelAggregate.Count(context, index(names, parts[2]), count);
    }

    private static int index(Map<String, Integer> names, String name) {
        return names.computeIfAbsent(name, n -> names.size());
    }
}
