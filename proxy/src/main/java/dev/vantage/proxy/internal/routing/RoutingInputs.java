package dev.vantage.proxy.internal.routing;

import java.util.Set;

import dev.vantage.config.MirrorRole;
import dev.vantage.proxy.MirrorStatus;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.RoutingProbeView;
import dev.vantage.proxy.RoutingTarget;
import dev.vantage.proxy.UpstreamEndpoint;
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
    /** The proxy's endpoint for each target (null when no proxy topology is bound or it lacks the target). */
    final UpstreamEndpoint[] endpointOfTarget;
    /** The target of each proxy endpoint, by {@link UpstreamEndpoint#index()} (null entries for others). */
    final RoutingTarget[] targetOfEndpoint;

    RoutingInputs(RoutingSnapshot snapshot, WeightSource weights, MirrorStatus status, RoutingProbeView probes,
                  Set<String> drainingKeys, ProxyTopology topology) {
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
        endpointOfTarget = new UpstreamEndpoint[n];
        targetOfEndpoint = new RoutingTarget[topology == null ? 0 : topology.endpointIndexLimit()];
        if (topology != null) {
            for (int i = 0; i < n; i++) {
                RoutingTarget target = snapshot.targets[i];
                UpstreamEndpoint endpoint = target.local() ? localEndpoint(topology, target)
                        : topology.ingress(target.siteId()).orElse(null);
                endpointOfTarget[i] = endpoint;
                if (endpoint != null) {
                    targetOfEndpoint[endpoint.index()] = target;
                }
            }
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

    private static UpstreamEndpoint localEndpoint(ProxyTopology topology, RoutingTarget target) {
        for (UpstreamEndpoint endpoint : topology.endpoints()) {
            if (endpoint.siteId().equals(target.siteId()) && endpoint.port() == target.endpoint().port()
                    && endpoint.host().equals(target.endpoint().host())
                    && !endpoint.groupName().equals(ProxyTopology.INGRESS_GROUP)) {
                return endpoint;
            }
        }
        return null;
    }

    /** Whether the proxy itself lets new requests go to target {@code g} (its health checks and draining). */
    boolean proxyAvailable(int g) {
        UpstreamEndpoint endpoint = endpointOfTarget[g];
        return endpoint == null || endpoint.available();
    }
}
