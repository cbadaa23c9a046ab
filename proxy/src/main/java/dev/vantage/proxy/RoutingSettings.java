package dev.vantage.proxy;

/**
 * Tuning of best-mirror selection that the policy does not carry; {@link #defaults()} suits most sites.
 *
 * @param ewmaDecayMillis            time constant of the peak-EWMA of response times, &gt;= 1; default 10 s as in
 *                                   Finagle. Shorter forgets one-off spikes sooner (useful on noisy hosts) but
 *                                   re-probes avoided slow targets more often, which shows in the p99
 * @param observedShare              0..1: weight of observed response times against the probe RTT once a target
 *                                   has answered; the rest is the probe RTT (or the distance estimate)
 * @param panicThreshold             0..1: when fewer than this share of a route's targets is healthy, all are used
 * @param overprovisioningFactor     &gt;= 1: a site with healthy share h keeps min(1, h × factor) of its traffic
 *                                   (Envoy's 1.4)
 * @param maxPendingPerTarget        &gt;= 1: in-flight requests per target (per event loop) at which a site counts
 *                                   as overloaded and spills to other sites by spare capacity
 * @param localityToleranceKm        &gt;= 0: sites within this distance of the user's closest site form its tier
 * @param costPenaltyNanosPerCostPerGb added to a target's score per unit of its site's {@code costPerGb}
 * @param consecutiveFailuresToEject &gt;= 1: passive failures in a row that eject a target for a while
 * @param ejectionMillis             &gt;= 1: how long a passively ejected target stays out
 * @param refreshIntervalMillis      &gt;= 1: how often weights, mirror status and probe results are re-read
 * @param virtualNodesPerTarget      &gt;= 1: points per target on the consistent-hashing ring
 */
public record RoutingSettings(long ewmaDecayMillis, double observedShare, double panicThreshold,
                              double overprovisioningFactor, int maxPendingPerTarget, double localityToleranceKm,
                              double costPenaltyNanosPerCostPerGb, int consecutiveFailuresToEject,
                              long ejectionMillis, long refreshIntervalMillis, int virtualNodesPerTarget) {

    public RoutingSettings {
        check(ewmaDecayMillis >= 1, "ewmaDecayMillis", ewmaDecayMillis, ">= 1");
        check(observedShare >= 0 && observedShare <= 1, "observedShare", observedShare, "0..1");
        check(panicThreshold >= 0 && panicThreshold <= 1, "panicThreshold", panicThreshold, "0..1");
        check(overprovisioningFactor >= 1, "overprovisioningFactor", overprovisioningFactor, ">= 1");
        check(maxPendingPerTarget >= 1, "maxPendingPerTarget", maxPendingPerTarget, ">= 1");
        check(localityToleranceKm >= 0, "localityToleranceKm", localityToleranceKm, ">= 0");
        check(costPenaltyNanosPerCostPerGb >= 0, "costPenaltyNanosPerCostPerGb", costPenaltyNanosPerCostPerGb, ">= 0");
        check(consecutiveFailuresToEject >= 1, "consecutiveFailuresToEject", consecutiveFailuresToEject, ">= 1");
        check(ejectionMillis >= 1, "ejectionMillis", ejectionMillis, ">= 1");
        check(refreshIntervalMillis >= 1, "refreshIntervalMillis", refreshIntervalMillis, ">= 1");
        check(virtualNodesPerTarget >= 1, "virtualNodesPerTarget", virtualNodesPerTarget, ">= 1");
    }

    public static RoutingSettings defaults() {
        return new RoutingSettings(10_000, 0.8, 0.5, 1.4, 256, 50, 1_000_000, 5, 10_000, 100, 160);
    }

    /** A copy with another EWMA time constant. */
    public RoutingSettings withEwmaDecayMillis(long millis) {
        return new RoutingSettings(millis, observedShare, panicThreshold, overprovisioningFactor, maxPendingPerTarget,
                localityToleranceKm, costPenaltyNanosPerCostPerGb, consecutiveFailuresToEject, ejectionMillis,
                refreshIntervalMillis, virtualNodesPerTarget);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
