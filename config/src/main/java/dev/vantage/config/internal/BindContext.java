package dev.vantage.config.internal;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * State of one policy load: where problems go, the directory relative paths resolve against, the node at every
 * path (for positions of later cross-reference problems) and the path every built record came from.
 * Single-threaded.
 */
public final class BindContext {

    private final Problems problems;
    private final Path baseDirectory;
    private final Map<String, YamlNode> nodes = new HashMap<>();
    private final Map<Object, String> paths = new IdentityHashMap<>();
    private final YamlNode root;

    public BindContext(Problems problems, Path baseDirectory, YamlNode root) {
        this.problems = problems;
        this.baseDirectory = baseDirectory;
        this.root = root;
    }

    public Problems problems() {
        return problems;
    }

    public Path resolve(String path) {
        return baseDirectory.resolve(path).normalize();
    }

    void remember(String path, YamlNode node) {
        nodes.put(path, node);
    }

    /** Remembers that {@code built} (a record instance) was bound from {@code path}. */
    public <T> T built(T built, String path) {
        if (built != null) {
            paths.put(built, path);
        }
        return built;
    }

    /** The path {@code built} came from. */
    public String pathOf(Object built) {
        String path = paths.get(built);
        return path == null ? "" : path;
    }

    /** The node at {@code path}, else at its closest enclosing path, else the document root. */
    public YamlNode nodeAt(String path) {
        String current = path;
        while (!current.isEmpty()) {
            YamlNode node = nodes.get(current);
            if (node != null) {
                return node;
            }
            int cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
            current = cut < 0 ? "" : current.substring(0, cut);
        }
        return root;
    }

    /** A problem at {@code path} (positioned at its node) with the given value text. */
    public void problem(String path, String value, String expected) {
        YamlNode node = nodeAt(path);
        int line = node == null ? 1 : node.line();
        int column = node == null ? 1 : node.column();
        problems.add(line, column, path, value, expected);
    }
}
