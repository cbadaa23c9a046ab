package dev.vantage.proxy.internal;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;

/**
 * Minimal JSON writing for the admin API and the access log: string escaping, and a reflective writer for the
 * immutable config records (records, collections, maps, enums, numbers, strings, paths). Stateless.
 */
public final class JsonText {

    private JsonText() {
    }

    /** Appends {@code value} escaped for a JSON string (without the quotes). */
    public static void escape(CharSequence value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
    }

    /** {@code "value"} with escaping. */
    public static String quote(CharSequence value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        escape(value, out);
        return out.append('"').toString();
    }

    /** Writes {@code value} (a record, collection, map, enum, number, boolean, string or path) as JSON. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder(1024);
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof Number) {
            double d = ((Number) value).doubleValue();
            out.append(Double.isFinite(d) ? String.valueOf(d) : "null");
        } else if (value instanceof Enum<?>) {
            out.append('"').append(((Enum<?>) value).name().toLowerCase(java.util.Locale.ROOT)).append('"');
        } else if (value instanceof CharSequence || value instanceof Path) {
            out.append(quote(value.toString()));
        } else if (value instanceof Map<?, ?>) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append(quote(String.valueOf(entry.getKey()))).append(':');
                write(entry.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof Collection<?>) {
            out.append('[');
            boolean first = true;
            for (Object element : (Collection<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(element, out);
            }
            out.append(']');
        } else if (value.getClass().isRecord()) {
            out.append('{');
            boolean first = true;
            for (RecordComponent component : value.getClass().getRecordComponents()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append('"').append(component.getName()).append("\":");
                if (component.getName().equals("secrets")) {
                    out.append("\"(hidden)\"");
                    continue;
                }
                try {
                    write(component.getAccessor().invoke(value), out);
                } catch (ReflectiveOperationException e) {
                    out.append("null");
                }
            }
            out.append('}');
        } else {
            out.append(quote(value.toString()));
        }
    }
}
