package dev.vantage.config.internal;

import java.util.List;

/**
 * A YAML node with the line and column (1-based) where it starts, so that every problem can point at its source.
 * Mappings keep every entry in document order, duplicates included, so the binder can report them.
 */
public sealed interface YamlNode permits YamlNode.Scalar, YamlNode.Mapping, YamlNode.Sequence {

    int line();

    int column();

    /** What a scalar was parsed as by the YAML 1.2 core schema. */
    enum Kind { STRING, INTEGER, FLOAT, BOOLEAN, NULL }

    /** A scalar as written (without quotes). */
    record Scalar(String text, Kind kind, int line, int column) implements YamlNode {
    }

    /** One {@code key: value} entry; line and column are those of the key. */
    record Entry(String key, int line, int column, YamlNode value) {
    }

    record Mapping(List<Entry> entries, int line, int column) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }
    }

    record Sequence(List<YamlNode> items, int line, int column) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }
    }

    /** How a node is shown in a problem: scalars as written, collections by their kind. */
    static String describe(YamlNode node) {
        if (node instanceof Scalar scalar) {
            if (scalar.kind() == Kind.NULL) {
                return "null";
            }
            return scalar.text().isEmpty() ? "\"\"" : scalar.text();
        }
        return node instanceof Mapping ? "a mapping" : "a list";
    }
}
