package dev.vantage.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What changed between two policies: sites, upstream groups, tenants, routes and resources added, removed or
 * changed (with each changed field, old and new value), and changed global settings. Immutable.
 *
 * <p>Lines read {@code + route downloads}, {@code - site sin},
 * {@code ~ route desktop: timeouts.responseTimeoutMillis: 30000 -> 5000}. List elements that have an identity
 * (a name, id or site) are matched by it, so {@code listeners[http].port: 18080 -> 18090} names the listener.
 * Secrets are never printed.
 */
public final class PolicyDiff {

    /** What happened to one entity. */
    public enum ChangeKind { ADDED, REMOVED, CHANGED }

    /** Entity kinds, in the order changes are listed. */
    public static final String SITE = "site";
    public static final String UPSTREAM_GROUP = "upstream group";
    public static final String TENANT = "tenant";
    public static final String ROUTE = "route";
    public static final String RESOURCE = "resource";
    public static final String SETTINGS = "settings";

    /**
     * One added, removed or changed entity.
     *
     * @param kind    what happened
     * @param section one of {@link #SITE}, {@link #UPSTREAM_GROUP}, {@link #TENANT}, {@link #ROUTE},
     *                {@link #RESOURCE}, {@link #SETTINGS}
     * @param id      the entity's id (for upstream groups {@code site/name}; for settings the top-level key)
     * @param fields  for {@code CHANGED}: one {@code field: old -> new} entry per changed field; else empty
     */
    public record Change(ChangeKind kind, String section, String id, List<String> fields) {

        public Change {
            fields = List.copyOf(fields);
        }

        /** The change as lines for people: one for added or removed, one per field for changed. */
        public List<String> lines() {
            if (kind == ChangeKind.ADDED) {
                return List.of("+ " + section + " " + id);
            }
            if (kind == ChangeKind.REMOVED) {
                return List.of("- " + section + " " + id);
            }
            List<String> lines = new ArrayList<>();
            for (String field : fields) {
                lines.add("~ " + section + " " + id + ": " + field);
            }
            return lines;
        }
    }

    private static final PolicyDiff NONE = new PolicyDiff(List.of());

    private final List<Change> changes;

    private PolicyDiff(List<Change> changes) {
        this.changes = List.copyOf(changes);
    }

    /** No changes. */
    public static PolicyDiff none() {
        return NONE;
    }

    /** What changed from {@code before} to {@code after}. */
    public static PolicyDiff between(Policy before, Policy after) {
        List<Change> changes = new ArrayList<>();
        entities(changes, SITE, before.sites(), after.sites(), Site::id, Set.of("upstreamGroups"));
        entities(changes, UPSTREAM_GROUP, groups(before), groups(after), Map.Entry::getKey, Set.of());
        entities(changes, TENANT, before.tenants(), after.tenants(), Tenant::id, Set.of());
        entities(changes, ROUTE, before.routes(), after.routes(), Route::name, Set.of());
        entities(changes, RESOURCE, before.resources(), after.resources(), Resource::id, Set.of());
        setting(changes, "localSite", before.localSiteId(), after.localSiteId());
        setting(changes, "probes", before.probes(), after.probes());
        setting(changes, "predictor", before.predictor(), after.predictor());
        setting(changes, "admin", before.admin(), after.admin());
        setting(changes, "httpLimits", before.httpLimits(), after.httpLimits());
        setting(changes, "location", before.location(), after.location());
        setting(changes, "affinity", before.affinity(), after.affinity());
        return changes.isEmpty() ? NONE : new PolicyDiff(changes);
    }

    public List<Change> changes() {
        return changes;
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /** Whether anything in {@code section} changed (e.g. {@link #ROUTE} to rebuild a route table). */
    public boolean affects(String section) {
        for (Change change : changes) {
            if (change.section().equals(section)) {
                return true;
            }
        }
        return false;
    }

    /** Every change as lines for people, in section order; empty when nothing changed. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (Change change : changes) {
            lines.addAll(change.lines());
        }
        return lines;
    }

    @Override
    public String toString() {
        return changes.isEmpty() ? "no changes" : String.join(System.lineSeparator(), lines());
    }

    // ---- comparison ----

    private static List<Map.Entry<String, UpstreamGroup>> groups(Policy policy) {
        List<Map.Entry<String, UpstreamGroup>> groups = new ArrayList<>();
        for (Site site : policy.sites()) {
            for (UpstreamGroup group : site.upstreamGroups()) {
                groups.add(Map.entry(site.id() + "/" + group.name(), group));
            }
        }
        return groups;
    }

    private static <T> void entities(List<Change> changes, String section, List<T> before, List<T> after,
                                     Function<T, String> id, Set<String> skipped) {
        Map<String, T> old = byId(before, id);
        Map<String, T> updated = byId(after, id);
        for (Map.Entry<String, T> entry : old.entrySet()) {
            T next = updated.get(entry.getKey());
            if (next == null) {
                changes.add(new Change(ChangeKind.REMOVED, section, entry.getKey(), List.of()));
            } else if (!entry.getValue().equals(next)) {
                List<String> fields = new ArrayList<>();
                Object oldValue = entry.getValue() instanceof Map.Entry<?, ?> e ? e.getValue() : entry.getValue();
                Object newValue = next instanceof Map.Entry<?, ?> e ? e.getValue() : next;
                compare("", oldValue, newValue, skipped, fields);
                if (!fields.isEmpty()) {
                    changes.add(new Change(ChangeKind.CHANGED, section, entry.getKey(), fields));
                }
            }
        }
        for (String key : updated.keySet()) {
            if (!old.containsKey(key)) {
                changes.add(new Change(ChangeKind.ADDED, section, key, List.of()));
            }
        }
    }

    private static <T> Map<String, T> byId(List<T> items, Function<T, String> id) {
        Map<String, T> map = new LinkedHashMap<>();
        for (T item : items) {
            map.putIfAbsent(id.apply(item), item);
        }
        return map;
    }

    private static void setting(List<Change> changes, String key, Object before, Object after) {
        if (Objects.equals(before, after)) {
            return;
        }
        List<String> fields = new ArrayList<>();
        if (before instanceof Record && after instanceof Record) {
            compare("", before, after, Set.of(), fields);
        } else {
            fields.add(render(before) + " -> " + render(after));
        }
        changes.add(new Change(ChangeKind.CHANGED, SETTINGS, key, fields));
    }

    /** Appends {@code field: old -> new} for every differing leaf of two values of the same shape. */
    private static void compare(String field, Object before, Object after, Set<String> skipped, List<String> out) {
        if (Objects.equals(before, after)) {
            return;
        }
        if (field.endsWith("secrets")) {
            out.add(field + ": changed (values hidden)");
            return;
        }
        if (before instanceof Record && after != null && before.getClass() == after.getClass()) {
            for (RecordComponent component : before.getClass().getRecordComponents()) {
                if (skipped.contains(component.getName())) {
                    continue;
                }
                String name = field.isEmpty() ? component.getName() : field + "." + component.getName();
                compare(name, read(component, before), read(component, after), Set.of(), out);
            }
            return;
        }
        if (before instanceof List<?> oldList && after instanceof List<?> newList && keyed(oldList)
                && keyed(newList)) {
            Map<String, Object> old = keyedMap(oldList);
            Map<String, Object> updated = keyedMap(newList);
            for (Map.Entry<String, Object> entry : old.entrySet()) {
                String name = field + "[" + entry.getKey() + "]";
                Object next = updated.get(entry.getKey());
                if (next == null) {
                    out.add(name + ": removed");
                } else {
                    compare(name, entry.getValue(), next, Set.of(), out);
                }
            }
            for (String key : updated.keySet()) {
                if (!old.containsKey(key)) {
                    out.add(field + "[" + key + "]: added");
                }
            }
            return;
        }
        out.add((field.isEmpty() ? "" : field + ": ") + render(before) + " -> " + render(after));
    }

    private static final List<String> KEYS = List.of("name", "id", "site");

    /** Whether every element is a record with an identity component and no identity repeats. */
    private static boolean keyed(List<?> list) {
        if (list.isEmpty()) {
            return true;
        }
        Set<String> seen = new TreeSet<>();
        for (Object item : list) {
            String key = key(item);
            if (key == null || !seen.add(key)) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> keyedMap(List<?> list) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Object item : list) {
            map.put(key(item), item);
        }
        return map;
    }

    private static String key(Object item) {
        if (!(item instanceof Record)) {
            return null;
        }
        for (RecordComponent component : item.getClass().getRecordComponents()) {
            if (KEYS.contains(component.getName()) && component.getType() == String.class) {
                return (String) read(component, item);
            }
        }
        return null;
    }

    private static Object read(RecordComponent component, Object record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component + " of " + record.getClass(), e);
        }
    }

    private static String render(Object value) {
        if (value == null) {
            return "none";
        }
        if (value instanceof Double d) {
            return d.isInfinite() ? "unlimited" : BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (value instanceof Integer i && i == Integer.MAX_VALUE) {
            return "unlimited";
        }
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        if (value instanceof Path || value instanceof String) {
            return value.toString();
        }
        if (value instanceof Set<?> set) {
            List<String> items = new ArrayList<>();
            for (Object item : set) {
                items.add(render(item));
            }
            items.sort(null);
            return items.toString();
        }
        if (value instanceof Collection<?> collection) {
            List<String> items = new ArrayList<>();
            for (Object item : collection) {
                items.add(render(item));
            }
            return items.toString();
        }
        if (value instanceof Upstream upstream) {
            boolean plain = upstream.weight() == Upstream.DEFAULT_WEIGHT;
            return upstream.endpoint() + (plain ? "" : " weight " + render(upstream.weight()));
        }
        return value.toString();
    }
}
