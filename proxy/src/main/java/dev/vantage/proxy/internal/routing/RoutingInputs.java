package dev.vantage.proxy.internal.routing;

import java.util.Set;

import dev.vantage.config.MirrorRole;
import dev.vantage.proxy.MirrorStatus;
import dev.vantage.proxy.RoutingProbeView;
import dev.vantage.proxy.WeightSource;

/**
 * The live inputs of one snapshot, read from the weight source, mirror status and probe view by the refresher and
 * swapped whole: per target health, draining and probe RTT; per route member role, replication lag and weights.
 *
 * <p>Threading: immutable once published.
 */
final class RoutingInputs {

    final RoutingSnapshot snapshot;
    final boolean[] healthy;
    final boolean[] draining;
    final long[] probeRttNanos;
    /** Per plan, per member. */
    final MirrorRole[][] role;
    final long[][] lagMillis;
    final double[][] predictorWeight;
    final double[][] effectiveWeight;
    final boolean[] multiMaster;

    RoutingInputs(RoutingSnapshot snapshot, WeightSource weights, MirrorStatus status, RoutingProbeView probes,
                  Set<String> drainingKeys) {
        this.snapshot = snapshot;
        int n = snapshot.targets.length;
        healthy = new boolean[n];
        draining = new boolean[n];
        probeRttNanos = new long[n];
        for (int i = 0; i < n; i++) {
            String endpoint = snapshot.targets[i].endpoint().toString();
            healthy[i] = probes.healthy(endpoint);
            long rtt = probes.rttNanos(endpoint);
            probeRttNanos[i] = rtt >= 0 ? rtt : RoutingProbeView.RTT_UNKNOWN;
            draining[i] = drainingKeys.contains(snapshot.targets[i].key());
        }
        int plans = snapshot.plans.length;
        role = new MirrorRole[plans][];
        lagMillis = new long[plans][];
        predictorWeight = new double[plans][];
        effectiveWeight = new double[plans][];
        multiMaster = new boolean[plans];
        for (int p = 0; p < plans; p++) {
            RoutePlan plan = snapshot.plans[p];
            int members = plan.members.length;
            role[p] = new MirrorRole[members];
            lagMillis[p] = new long[members];
            predictorWeight[p] = new double[members];
            effectiveWeight[p] = new double[members];
            for (int m = 0; m < members; m++) {
                String site = snapshot.targets[plan.members[m]].siteId();
                MirrorRole current = plan.isResource ? status.role(plan.resourceOrGroup, site) : null;
                role[p][m] = current != null ? current : plan.configuredRoles[m];
                long lag = plan.isResource && role[p][m] != MirrorRole.PRIMARY
                        ? status.replicationLagMillis(plan.resourceOrGroup, site) : 0;
                lagMillis[p][m] = lag < 0 ? MirrorStatus.LAG_UNKNOWN_MILLIS : lag;
                double w = weights.weight(plan.resourceOrGroup, site);
                predictorWeight[p][m] = w > 0 && Double.isFinite(w) ? w : 1.0;
                effectiveWeight[p][m] = snapshot.targets[plan.members[m]].weight() * predictorWeight[p][m];
                if (role[p][m] == MirrorRole.REPLICA) {
                    multiMaster[p] = true;
                }
            }
        }
    }
}
