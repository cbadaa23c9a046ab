package dev.vantage.config.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Typed, validated access to the keys of one YAML mapping. Every getter registers its key as known and reports
 * problems (wrong type, out of range, bad enum) instead of throwing, returning the default so binding continues;
 * {@link #finish()} then reports the keys nobody asked for, with the closest known key as a suggestion.
 * Duplicate keys are reported when the mapping is opened; the first occurrence wins. Single-threaded.
 */
public final class Fields {

    private static final YamlNode.Mapping EMPTY = new YamlNode.Mapping(List.of(), 1, 1);

    private final YamlNode.Mapping mapping;
    private final String path;
    private final BindContext context;
    private final Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();
    private final Set<String> ignored = new LinkedHashSet<>();
    private final boolean valid;

    private Fields(YamlNode.Mapping mapping, String path, BindContext context, boolean valid) {
        this.mapping = mapping;
        this.path = path;
        this.context = context;
        this.valid = valid;
        for (YamlNode.Entry entry : mapping.entries()) {
            YamlNode.Entry first = entries.get(entry.key());
            if (first != null) {
                context.problems().add(entry.line(), entry.column(), child(entry.key()), "duplicate key",
                        "each key once per mapping; first at line " + first.line() + ", column " + first.column());
            } else {
                entries.put(entry.key(), entry);
            }
        }
    }

    /** The fields of {@code node}, which must be a mapping (else a problem, and every getter returns defaults). */
    public static Fields of(YamlNode node, String path, BindContext context) {
        if (node instanceof YamlNode.Mapping mapping) {
            return new Fields(mapping, path, context, true);
        }
        if (node != null && !isNull(node)) {
            context.problems().add(node, path, "a mapping");
        }
        return new Fields(node == null ? EMPTY : new YamlNode.Mapping(List.of(), node.line(), node.column()), path,
                context, false);
    }

    /** The fields of a list item, which must be a mapping; unlike {@link #of}, an empty item is a problem too. */
    public static Fields item(YamlNode node, String path, BindContext context) {
        if (isNull(node)) {
            context.problems().add(node, path, "a mapping");
        }
        return of(node, path, context);
    }

    public boolean isValid() {
        return valid;
    }

    public String path() {
        return path;
    }

    public BindContext context() {
        return context;
    }

    public String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
        known.add(key);
        YamlNode.Entry entry = entries.get(key);
        return entry != null && !isNull(entry.value());
    }

    /** The value node of {@code key}, or {@code null} when absent or null. */
    public YamlNode node(String key) {
        known.add(key);
        YamlNode.Entry entry = entries.get(key);
        if (entry == null || isNull(entry.value())) {
            return null;
        }
        context.remember(child(key), entry.value());
        return entry.value();
    }

    /** Reports a missing required key at this mapping's position. */
    public void missing(String key, String expected) {
        if (!valid) {
            return; // the mapping itself was already reported
        }
        context.problems().add(mapping.line(), mapping.column(), child(key), "missing", expected);
    }

    // ---- strings ----

    public String string(String key, String defaultValue) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        return scalarText(node, child(key), defaultValue);
    }

    public String requiredString(String key, String expected) {
        YamlNode node = node(key);
        if (node == null) {
            missing(key, expected);
            return null;
        }
        return scalarText(node, child(key), null);
    }

    private String scalarText(YamlNode node, String at, String defaultValue) {
        if (node instanceof YamlNode.Scalar scalar) {
            return scalar.text();
        }
        context.problems().add(node, at, "a string");
        return defaultValue;
    }

    // ---- numbers ----

    public long integer(String key, long defaultValue, long min, long max) {
        YamlNode node = node(key);
        return node == null ? defaultValue : integerValue(node, child(key), defaultValue, min, max, "an integer");
    }

    public int int32(String key, int defaultValue, int min, int max) {
        return (int) integer(key, defaultValue, min, max);
    }

    /** Milliseconds: an integer, or a duration string such as {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
    public long millis(String key, long defaultValue, long min, long max) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            long millis = Units.parseMillis(scalar.text());
            if (millis < 0) {
                context.problems().add(node, child(key), "milliseconds, or a duration like 500ms, 2s, 5m, 1h");
                return defaultValue;
            }
            return checkRange(node, child(key), millis, defaultValue, min, max);
        }
        return integerValue(node, child(key), defaultValue, min, max, "milliseconds, or a duration like 500ms, 2s");
    }

    /** Seconds: an integer, or a duration string in whole seconds such as {@code 90s}, {@code 1h}, {@code 30d}. */
    public long seconds(String key, long defaultValue, long min, long max) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            long millis = Units.parseMillis(scalar.text());
            if (millis < 0 || millis % 1000 != 0) {
                context.problems().add(node, child(key), "seconds, or a duration in whole seconds like 90s, 1h, 30d");
                return defaultValue;
            }
            return checkRange(node, child(key), millis / 1000, defaultValue, min, max);
        }
        return integerValue(node, child(key), defaultValue, min, max, "seconds, or a duration like 90s, 1h");
    }

    /** Bytes: an integer, or a size such as {@code 64KiB}, {@code 50MiB}, {@code 1GB} ({@code /s} allowed for rates). */
    public long bytes(String key, long defaultValue, long min, long max, boolean perSecond) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            long bytes = Units.parseBytes(scalar.text(), perSecond);
            if (bytes < 0) {
                context.problems().add(node, child(key), "bytes, or a size like 64KiB, 50MiB, 1GB"
                        + (perSecond ? " (optionally /s)" : ""));
                return defaultValue;
            }
            return checkRange(node, child(key), bytes, defaultValue, min, max);
        }
        return integerValue(node, child(key), defaultValue, min, max, "bytes, or a size like 64KiB, 50MiB");
    }

    private long integerValue(YamlNode node, String at, long defaultValue, long min, long max, String expected) {
        if (!(node instanceof YamlNode.Scalar scalar) || scalar.kind() != YamlNode.Kind.INTEGER) {
            context.problems().add(node, at, expected);
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(scalar.text().startsWith("+") ? scalar.text().substring(1) : scalar.text());
        } catch (NumberFormatException e) {
            context.problems().add(node, at, range(min, max));
            return defaultValue;
        }
        return checkRange(node, at, value, defaultValue, min, max);
    }

    private long checkRange(YamlNode node, String at, long value, long defaultValue, long min, long max) {
        if (value < min || value > max) {
            context.problems().add(node, at, range(min, max));
            return defaultValue;
        }
        return value;
    }

    /** A number in [min, max]; {@code minExclusive} turns the lower bound into {@code > min}. */
    public double decimal(String key, double defaultValue, double min, boolean minExclusive, double max) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        String expected = decimalRange(min, minExclusive, max);
        if (!(node instanceof YamlNode.Scalar scalar)
                || (scalar.kind() != YamlNode.Kind.INTEGER && scalar.kind() != YamlNode.Kind.FLOAT)) {
            context.problems().add(node, child(key), "a number " + expected);
            return defaultValue;
        }
        double value = parseDouble(scalar.text());
        boolean belowMin = minExclusive ? !(value > min) : !(value >= min);
        if (Double.isNaN(value) || belowMin || value > max) {
            context.problems().add(node, child(key), expected);
            return defaultValue;
        }
        return value;
    }

    static double parseDouble(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        switch (lower) {
            case ".inf": case "+.inf": return Double.POSITIVE_INFINITY;
            case "-.inf": return Double.NEGATIVE_INFINITY;
            case ".nan": return Double.NaN;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
        }
    }

    public static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return ">= " + min;
        }
        return min + ".." + max;
    }

    static String decimalRange(double min, boolean minExclusive, double max) {
        String low = minExclusive ? "> " + number(min) : ">= " + number(min);
        if (max == Double.POSITIVE_INFINITY) {
            return low;
        }
        return minExclusive ? low + " and <= " + number(max) : number(min) + ".." + number(max);
    }

    static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    public boolean bool(String key, boolean defaultValue) {
        YamlNode node = node(key);
        if (node == null) {
            return defaultValue;
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.BOOLEAN) {
            return Boolean.parseBoolean(scalar.text().toLowerCase(Locale.ROOT));
        }
        context.problems().add(node, child(key), "true or false");
        return defaultValue;
    }

    // ---- enums ----

    public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue) {
        YamlNode node = node(key);
        return node == null ? defaultValue : enumOf(node, child(key), type, defaultValue, context);
    }

    /** Parses an enum constant case-insensitively, with {@code -} accepted for {@code _}. */
    public static <E extends Enum<E>> E enumOf(YamlNode node, String at, Class<E> type, E defaultValue,
                                              BindContext context) {
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            String name = scalar.text().strip().toUpperCase(Locale.ROOT).replace('-', '_');
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(name)) {
                    return constant;
                }
            }
        }
        context.problems().add(node, at, "one of " + enumValues(type));
        return defaultValue;
    }

    public static <E extends Enum<E>> String enumValues(Class<E> type) {
        StringJoiner values = new StringJoiner(", ");
        for (E constant : type.getEnumConstants()) {
            values.add(constant.name().toLowerCase(Locale.ROOT));
        }
        return values.toString();
    }

    // ---- collections ----

    /** The items of the list at {@code key} (empty when absent; a problem when not a list). */
    public List<YamlNode> list(String key) {
        YamlNode node = node(key);
        if (node == null) {
            return List.of();
        }
        if (node instanceof YamlNode.Sequence sequence) {
            for (int i = 0; i < sequence.items().size(); i++) {
                context.remember(child(key) + "[" + i + "]", sequence.items().get(i));
            }
            return sequence.items();
        }
        context.problems().add(node, child(key), "a list");
        return List.of();
    }

    /** The strings of the list at {@code key}; non-scalar items are reported and skipped. */
    public List<String> strings(String key, String expected) {
        List<String> values = new ArrayList<>();
        List<YamlNode> items = list(key);
        for (int i = 0; i < items.size(); i++) {
            YamlNode item = items.get(i);
            if (item instanceof YamlNode.Scalar scalar && scalar.kind() != YamlNode.Kind.NULL) {
                values.add(scalar.text());
            } else {
                context.problems().add(item, child(key) + "[" + i + "]", expected);
            }
        }
        return values;
    }

    /** The nested mapping at {@code key} (defaults when absent). */
    public Fields object(String key) {
        return of(node(key), child(key), context);
    }

    /** Reports every key that no getter asked for, suggesting the closest known key. */
    public void finish() {
        List<String> candidates = new ArrayList<>();
        for (String key : known) {
            if (!ignored.contains(key)) {
                candidates.add(key);
            }
        }
        for (YamlNode.Entry entry : entries.values()) {
            if (known.contains(entry.key())) {
                continue;
            }
            String suggestion = Suggestions.closest(entry.key(), candidates);
            String expected = suggestion != null
                    ? "a known key; did you mean '" + suggestion + "'?"
                    : "one of " + String.join(", ", candidates);
            context.problems().add(entry.line(), entry.column(), child(entry.key()), "unknown key", expected);
        }
    }

    /** Marks every key starting with {@code prefix} as known and ignored (e.g. {@code x-} blocks holding anchors). */
    public void ignoreKeysStartingWith(String prefix) {
        for (String key : entries.keySet()) {
            if (key.startsWith(prefix)) {
                known.add(key);
                ignored.add(key);
            }
        }
    }

    /** The raw entries in document order (first occurrence of each key); marks them all known. */
    public List<YamlNode.Entry> entries() {
        known.addAll(entries.keySet());
        for (YamlNode.Entry entry : entries.values()) {
            context.remember(child(entry.key()), entry.value());
        }
        return List.copyOf(entries.values());
    }

    public static boolean isNull(YamlNode node) {
        return node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.NULL;
    }
}
