package dev.vantage.config;

import java.time.Instant;
import java.util.Objects;

/**
 * One immutable, validated generation of the policy with everything derived from it, swapped whole on reload.
 *
 * @param version    1 for the first policy, +1 for every applied reload
 * @param policy     the policy
 * @param routeTable the compiled routes of {@code policy}
 * @param loadedAt   when this generation was applied
 */
public record PolicySnapshot(long version, Policy policy, RouteTable routeTable, Instant loadedAt) {

    public PolicySnapshot {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(routeTable, "routeTable");
        Objects.requireNonNull(loadedAt, "loadedAt");
    }

    /** A snapshot of {@code policy} with its route table compiled. */
    public static PolicySnapshot of(long version, Policy policy, Instant loadedAt) {
        return new PolicySnapshot(version, policy, RouteTable.of(policy), loadedAt);
    }
}
