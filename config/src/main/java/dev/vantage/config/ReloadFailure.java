package dev.vantage.config;

import java.time.Instant;
import java.util.List;

/**
 * The last rejected reload, kept for the admin API until a later reload succeeds.
 *
 * @param at       when the reload was rejected
 * @param problems every problem of the rejected policy
 */
public record ReloadFailure(Instant at, List<PolicyProblem> problems) {

    public ReloadFailure {
        problems = List.copyOf(problems);
    }
}
