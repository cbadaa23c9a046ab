package dev.vantage.config;

import java.nio.file.Path;
import java.util.List;

/**
 * What loading a policy file produced: a valid policy, or every problem found.
 *
 * @param file     the file that was loaded (as given)
 * @param policy   the validated policy, or {@code null} when there are problems
 * @param problems every problem, sorted by line and column; empty when valid
 */
public record PolicyLoadResult(Path file, Policy policy, List<PolicyProblem> problems) {

    public PolicyLoadResult {
        problems = List.copyOf(problems);
        if (problems.isEmpty() == (policy == null)) {
            throw new IllegalArgumentException("policy: " + (policy == null ? "null" : "set") + " with "
                    + problems.size() + " problems (expected: a policy exactly when there are no problems)");
        }
    }

    public boolean isValid() {
        return policy != null;
    }

    /** The policy, or a {@link PolicyException} with every problem. */
    public Policy orThrow() throws PolicyException {
        if (policy == null) {
            throw new PolicyException(problems);
        }
        return policy;
    }
}
