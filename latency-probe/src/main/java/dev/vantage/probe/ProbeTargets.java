package dev.vantage.probe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.vantage.config.HostPort;
import dev.vantage.config.Policy;
import dev.vantage.config.ProbeSettings;
import dev.vantage.config.Site;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;

/** Derives the probe targets of one site from the policy. Stateless. */
public final class ProbeTargets {

    /** The ejection group of every peer-site target. */
    public static final String SITES_GROUP = "sites";

    private ProbeTargets() {
    }

    /**
     * Every upstream of every upstream group of the local site (an HTTP GET of the group's health check path, or a
     * TCP connect when the group has none) and every other site (a TCP connect to its replication address, or to its
     * admin address when it has no replication address; sites with neither are skipped).
     *
     * <p>Ids: {@code upstream/<site>/<group>/<host:port>} and {@code site/<site>}; ejection groups:
     * {@code <site>/<group>} and {@link #SITES_GROUP}.
     *
     * @param localSiteId the site this process runs, or {@code null} for {@link Policy#localSiteId()}
     * @throws IllegalArgumentException when the local site is not in the policy
     */
    public static List<ProbeTarget> fromPolicy(Policy policy, String localSiteId) {
        String localId = localSiteId != null ? localSiteId : policy.localSiteId();
        Site local = localId == null ? null : policy.site(localId).orElse(null);
        if (local == null) {
            List<String> known = new ArrayList<>();
            for (Site site : policy.sites()) {
                known.add(site.id());
            }
            throw new IllegalArgumentException("localSiteId: " + localId + " (expected: one of " + known + ")");
        }
        ProbeSettings settings = policy.probes();
        long intervalMillis = settings.intervalMillis();
        long timeoutMillis = Math.min(settings.timeoutMillis(), intervalMillis);
        List<ProbeTarget> targets = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (UpstreamGroup group : local.upstreamGroups()) {
            String groupKey = local.id() + "/" + group.name();
            for (Upstream upstream : group.upstreams()) {
                String id = "upstream/" + groupKey + "/" + upstream.endpoint();
                if (!ids.add(id)) {
                    continue;
                }
                HostPort address = new HostPort(upstream.host(), upstream.port());
                targets.add(group.healthCheckPath() == null
                        ? ProbeTarget.tcp(id, groupKey, address, intervalMillis, timeoutMillis)
                        : ProbeTarget.http(id, groupKey, address, group.healthCheckPath(), ProbeTarget.ANY_2XX_3XX,
                                intervalMillis, timeoutMillis));
            }
        }
        for (Site site : policy.sites()) {
            if (site.id().equals(local.id())) {
                continue;
            }
            HostPort address = site.replicationAddress() != null ? site.replicationAddress() : site.adminAddress();
            if (address == null) {
                continue;
            }
            targets.add(new ProbeTarget("site/" + site.id(), TargetRole.SITE, SITES_GROUP, address,
                    ProbeKind.TCP_CONNECT, null, ProbeTarget.ANY_2XX_3XX, intervalMillis, timeoutMillis));
        }
        return List.copyOf(targets);
    }
}
