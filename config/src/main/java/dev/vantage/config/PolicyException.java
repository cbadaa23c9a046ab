package dev.vantage.config;

import java.util.List;

/** Thrown when a policy is invalid; carries every problem found, in file order. */
public final class PolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<PolicyProblem> problems;

    public PolicyException(List<PolicyProblem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem, in file order. */
    public List<PolicyProblem> problems() {
        return problems;
    }

    private static String format(List<PolicyProblem> problems) {
        StringBuilder text = new StringBuilder();
        text.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        for (PolicyProblem problem : problems) {
            text.append(System.lineSeparator()).append(problem.message());
        }
        return text.toString();
    }
}
