package dev.vantage.config.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.vantage.config.PolicyProblem;

/** Collects the problems of one policy file; single-threaded, one instance per load. */
public final class Problems {

    private final String file;
    private final List<PolicyProblem> problems = new ArrayList<>();

    public Problems(String file) {
        this.file = file;
    }

    public void add(int line, int column, String path, String value, String expected) {
        problems.add(new PolicyProblem(file, line, column, path, value, expected));
    }

    /** A problem with {@code node}'s value. */
    public void add(YamlNode node, String path, String expected) {
        add(node.line(), node.column(), path, YamlNode.describe(node), expected);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public int size() {
        return problems.size();
    }

    /** Every problem, ordered by position (stable for problems at the same position). */
    public List<PolicyProblem> sorted() {
        List<PolicyProblem> copy = new ArrayList<>(problems);
        copy.sort(Comparator.comparingInt(PolicyProblem::line).thenComparingInt(PolicyProblem::column));
        return List.copyOf(copy);
    }
}
