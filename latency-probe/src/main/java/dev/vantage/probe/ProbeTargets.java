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
    /** The path every site's admin API answers with 200 while the process runs. */
    public static final String SITE_LIVE_PATH = "/live";

    private ProbeTargets() {
    }

    /**
     * Every upstream of every upstream group of the local site (an HTTP GET of the group's health check path, or a
     * TCP connect when the group has none) and every other site (an HTTP GET of {@link #SITE_LIVE_PATH} on its admin
     * address expecting 200, or a TCP connect to its replication address when it has no admin address; sites with
     * neither are skipped). HTTP checks reuse their connection when {@link ProbeSettings#reuseConnection()}, so a
     * peer-site probe measures the network RTT, not a handshake and an accept.
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
        boolean reuse = settings.reuseConnection();
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
                        : new ProbeTarget(id, TargetRole.UPSTREAM, groupKey, address, ProbeKind.HTTP,
                                group.healthCheckPath(), ProbeTarget.ANY_2XX_3XX, intervalMillis, timeoutMillis,
                                reuse));
            }
        }
        for (Site site : policy.sites()) {
            if (site.id().equals(local.id())) {
                continue;
            }
            String id = "site/" + site.id();
            if (site.adminAddress() != null) {
                targets.add(new ProbeTarget(id, TargetRole.SITE, SITES_GROUP, site.adminAddress(), ProbeKind.HTTP,
                        SITE_LIVE_PATH, 200, intervalMillis, timeoutMillis, reuse));
            } else if (site.replicationAddress() != null) {
                targets.add(new ProbeTarget(id, TargetRole.SITE, SITES_GROUP, site.replicationAddress(),
                        ProbeKind.TCP_CONNECT, null, ProbeTarget.ANY_2XX_3XX, intervalMillis, timeoutMillis, false));
            }
        }
        return List.copyOf(targets);
    }
}
