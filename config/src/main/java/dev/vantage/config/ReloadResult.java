package dev.vantage.config;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one reload attempt.
 *
 * @param status   applied, unchanged, or rejected
 * @param snapshot the snapshot in force after the attempt (the old one when unchanged or rejected)
 * @param diff     what changed ({@link PolicyDiff#none()} unless applied)
 * @param problems every problem of a rejected policy; empty otherwise
 */
public record ReloadResult(Status status, PolicySnapshot snapshot, PolicyDiff diff, List<PolicyProblem> problems) {

    /** What a reload did. */
    public enum Status {
        /** The new policy differed and is now in force. */
        APPLIED,
        /** The new policy is valid but equal to the current one; nothing was swapped. */
        UNCHANGED,
        /** The new policy is invalid; the old one stays in force. */
        REJECTED
    }

    public ReloadResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(diff, "diff");
        problems = List.copyOf(problems);
    }

    /** One line for logs and the admin API, e.g. {@code applied version 4: 3 changes}. */
    public String summary() {
        switch (status) {
            case APPLIED:
                return "applied version " + snapshot.version() + ": " + diff.changes().size()
                        + (diff.changes().size() == 1 ? " change" : " changes");
            case UNCHANGED:
                return "unchanged, version " + snapshot.version();
            default:
                return "rejected with " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                        + ", keeping version " + snapshot.version();
        }
    }
}
