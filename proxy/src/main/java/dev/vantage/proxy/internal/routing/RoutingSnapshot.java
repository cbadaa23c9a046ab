package dev.vantage.proxy.internal.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.collections.Long2LongHashMap;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.Route;
import dev.vantage.config.Site;
import dev.vantage.config.Tenant;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.RoutingSettings;
import dev.vantage.proxy.RoutingTarget;

/**
 * A policy compiled for routing at one site: every target (local upstreams of the routes' groups and mirrors, and one
 * ingress per peer site that holds a mirror), the sites with their unit vectors and costs, and one {@link RoutePlan}
 * per route. Built once per policy and swapped whole.
 *
 * <p>Affinity cookie identities: the first {@code targets.length} identities are the targets themselves; after them
 * come the upstreams of peer sites' mirrors, each standing for that site's ingress target ({@link #identityTarget}).
 * A cookie always names a site and an upstream; the site that serves the user issues it, so a cookie issued by a peer
 * for one of its upstreams brings the user back to that peer, which then routes to the upstream it names.
 *
 * <p>Threading: immutable; lookups allocate nothing.
 */
final class RoutingSnapshot implements AffinityCookieCodec.Targets {

    /** Light in fibre travels about 200 km per millisecond: 5000 ns per km one way. */
    static final double FIBRE_NANOS_PER_KM = 5_000;
    static final double EARTH_RADIUS_KM = 6371.0088;

    final Policy policy;
    final String localSiteId;
    final int localSite;
    final RoutingSettings settings;

    final RoutingTarget[] targets;
    final int[] targetSite;
    /** Per cookie identity (targets first, then peer upstreams): id, site and upstream bytes, target it routes to. */
    final long[] targetIds;
    final byte[][] siteBytes;
    final byte[][] upstreamBytes;
    final int[] identityTarget;
    /** RTT estimate from this site to the target's site by distance, used until probes or responses say more. */
    final long[] distancePriorNanos;
    final double[] costPenaltyNanos;
    private final Long2LongHashMap indexById = new Long2LongHashMap(-1);
    private final Map<String, Integer> indexByKey = new HashMap<>();

    final String[] siteIds;
    final double[] siteX;
    final double[] siteY;
    final double[] siteZ;

    final RoutePlan[] plans;
    private final IdentityHashMap<Route, RoutePlan> planByRoute = new IdentityHashMap<>();
    private final Map<String, RoutePlan> planByName = new HashMap<>();
    final String[] tenantIds;
    final Tenant[] tenants;

    final LocationResolver location;

    final TenantLimits[] tenantLimits;

    /**
     * @param previousLimits tenant limits of the snapshot this one replaces, kept for tenants whose limits did not
     *                       change (so a reload neither resets nor forgets open connections)
     */
    RoutingSnapshot(Policy policy, String localSiteId, RoutingSettings settings, Map<String, TenantLimits> previousLimits,
                    long nowNanos) {
        this.policy = policy;
        this.localSiteId = localSiteId;
        this.settings = settings;
        Site local = policy.site(localSiteId).orElseThrow(() -> new IllegalArgumentException(
                "localSiteId: " + localSiteId + " (expected: one of the policy's sites " + siteIdList(policy) + ")"));

        List<Site> sites = policy.sites();
        siteIds = new String[sites.size()];
        siteX = new double[sites.size()];
        siteY = new double[sites.size()];
        siteZ = new double[sites.size()];
        Map<String, Integer> siteIndex = new HashMap<>();
        int localIndex = -1;
        for (int s = 0; s < sites.size(); s++) {
            Site site = sites.get(s);
            siteIds[s] = site.id();
            siteIndex.put(site.id(), s);
            GeoPoint at = site.location() == null ? new GeoPoint(0, 0) : site.location();
            double[] v = CidrTable.unitVector(at.latitude(), at.longitude());
            siteX[s] = v[0];
            siteY[s] = v[1];
            siteZ[s] = v[2];
            if (site.id().equals(localSiteId)) {
                localIndex = s;
            }
        }
        localSite = localIndex;

        Map<String, RoutingTarget> byKey = new LinkedHashMap<>();
        List<Integer> siteOfTarget = new ArrayList<>();
        List<String> tenantList = new ArrayList<>();
        tenantList.add(Tenant.DEFAULT_ID);
        for (Tenant t : policy.tenants()) {
            if (!tenantList.contains(t.id())) {
                tenantList.add(t.id());
            }
        }
        List<Object[]> planParts = new ArrayList<>();
        Map<String, Object[]> peerUpstreams = new LinkedHashMap<>();
        for (Route route : policy.routes()) {
            if (!tenantList.contains(route.tenant())) {
                tenantList.add(route.tenant());
            }
            List<Integer> members = new ArrayList<>();
            List<MirrorRole> roles = new ArrayList<>();
            String name;
            boolean isResource = route.target().isResource();
            if (isResource) {
                name = route.target().resource();
                Resource resource = policy.resource(name).orElse(null);
                List<Mirror> mirrors = resource == null ? List.of() : resource.mirrors();
                for (Mirror mirror : mirrors) {
                    Integer s = siteIndex.get(mirror.site());
                    if (s == null) {
                        continue;
                    }
                    Site site = sites.get(s);
                    if (s == localIndex) {
                        UpstreamGroup group = site.upstreamGroup(mirror.upstreamGroup()).orElse(null);
                        if (group != null) {
                            for (Upstream upstream : group.upstreams()) {
                                HostPort endpoint = new HostPort(upstream.host(), upstream.port());
                                members.add(target(byKey, siteOfTarget, site, s, endpoint, true, upstream.weight()));
                                roles.add(mirror.role());
                            }
                        }
                    } else {
                        HostPort ingress = ingressOf(site);
                        if (ingress != null) {
                            int ingressTarget = target(byKey, siteOfTarget, site, s, ingress, false, 1.0);
                            members.add(ingressTarget);
                            roles.add(mirror.role());
                            UpstreamGroup group = site.upstreamGroup(mirror.upstreamGroup()).orElse(null);
                            if (group != null) {
                                for (Upstream upstream : group.upstreams()) {
                                    HostPort endpoint = new HostPort(upstream.host(), upstream.port());
                                    peerUpstreams.putIfAbsent(site.id() + "|" + endpoint,
                                            new Object[] {site.id(), endpoint, ingressTarget});
                                }
                            }
                        }
                    }
                }
            } else {
                name = route.target().upstreamGroup();
                UpstreamGroup group = local.upstreamGroup(name).orElse(null);
                if (group != null) {
                    for (Upstream upstream : group.upstreams()) {
                        HostPort endpoint = new HostPort(upstream.host(), upstream.port());
                        members.add(target(byKey, siteOfTarget, local, localIndex, endpoint, true, upstream.weight()));
                        roles.add(MirrorRole.PRIMARY);
                    }
                }
            }
            planParts.add(new Object[] {route, name, isResource, tenantList.indexOf(route.tenant()), members, roles});
        }

        targets = byKey.values().toArray(new RoutingTarget[0]);
        int n = targets.length;
        targetSite = new int[n];
        List<Object[]> aliases = new ArrayList<>();
        for (Map.Entry<String, Object[]> alias : peerUpstreams.entrySet()) {
            if (!byKey.containsKey(alias.getKey())) {
                aliases.add(new Object[] {alias.getKey(), alias.getValue()[0], alias.getValue()[1],
                        alias.getValue()[2]});
            }
        }
        int identities = n + aliases.size();
        targetIds = new long[identities];
        siteBytes = new byte[identities][];
        upstreamBytes = new byte[identities][];
        identityTarget = new int[identities];
        distancePriorNanos = new long[n];
        costPenaltyNanos = new double[n];
        GeoPoint localAt = local.location() == null ? new GeoPoint(0, 0) : local.location();
        for (int i = 0; i < n; i++) {
            RoutingTarget t = targets[i];
            targetSite[i] = siteOfTarget.get(i);
            targetIds[i] = Hashing.hash(t.key());
            indexById.put(targetIds[i], i);
            indexByKey.put(t.key(), i);
            siteBytes[i] = t.siteId().getBytes(StandardCharsets.UTF_8);
            upstreamBytes[i] = t.endpoint().toString().getBytes(StandardCharsets.UTF_8);
            identityTarget[i] = i;
            Site site = sites.get(targetSite[i]);
            GeoPoint at = site.location() == null ? localAt : site.location();
            distancePriorNanos[i] = t.local() ? 0 : (long) (2 * localAt.distanceKm(at) * FIBRE_NANOS_PER_KM);
            costPenaltyNanos[i] = site.costPerGb() * settings.costPenaltyNanosPerCostPerGb();
        }

        for (int a = 0; a < aliases.size(); a++) {
            Object[] alias = aliases.get(a);
            int i = n + a;
            targetIds[i] = Hashing.hash((String) alias[0]);
            indexById.put(targetIds[i], i);
            siteBytes[i] = ((String) alias[1]).getBytes(StandardCharsets.UTF_8);
            upstreamBytes[i] = alias[2].toString().getBytes(StandardCharsets.UTF_8);
            identityTarget[i] = (Integer) alias[3];
        }

        tenantIds = tenantList.toArray(new String[0]);
        tenants = new Tenant[tenantIds.length];
        tenantLimits = new TenantLimits[tenantIds.length];
        for (int t = 0; t < tenantIds.length; t++) {
            tenants[t] = policy.tenant(tenantIds[t]).orElse(Tenant.unlimited(tenantIds[t]));
            TenantLimits kept = previousLimits.get(tenantIds[t]);
            tenantLimits[t] = kept != null && kept.tenant.equals(tenants[t]) ? kept : new TenantLimits(tenants[t], nowNanos);
        }

        plans = new RoutePlan[planParts.size()];
        for (int p = 0; p < plans.length; p++) {
            Object[] parts = planParts.get(p);
            Route route = (Route) parts[0];
            @SuppressWarnings("unchecked")
            List<Integer> members = (List<Integer>) parts[4];
            @SuppressWarnings("unchecked")
            List<MirrorRole> roles = (List<MirrorRole>) parts[5];
            int[] memberArray = members.stream().mapToInt(Integer::intValue).toArray();
            List<String> keys = new ArrayList<>();
            for (int m : memberArray) {
                keys.add(targets[m].key());
            }
            plans[p] = new RoutePlan(p, route, (String) parts[1], (Boolean) parts[2], (Integer) parts[3], memberArray,
                    roles.toArray(new MirrorRole[0]), targetSite, n, keys, settings.virtualNodesPerTarget());
            planByRoute.put(route, plans[p]);
            planByName.putIfAbsent(route.name(), plans[p]);
        }

        location = new LocationResolver(policy.location().deviceLocationHeader(),
                CidrTable.of(policy.location().cidrLocations(), policy.location().cidrCsvFile()), localAt);
    }

    private static int target(Map<String, RoutingTarget> byKey, List<Integer> siteOfTarget, Site site,
                              int siteIndex, HostPort endpoint, boolean local, double weight) {
        String key = site.id() + "|" + endpoint;
        RoutingTarget existing = byKey.get(key);
        if (existing != null) {
            return existing.index();
        }
        String url = site.publicUrl();
        if (url != null && url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        double w = weight > 0 && Double.isFinite(weight) ? weight : 1.0;
        RoutingTarget created = new RoutingTarget(byKey.size(), key, site.id(), endpoint, local, url, w);
        byKey.put(key, created);
        siteOfTarget.add(siteIndex);
        return created.index();
    }

    /** Where peers forward to a site: its first listener, with a wildcard bind address replaced by a known host. */
    static HostPort ingressOf(Site site) {
        if (site.listeners().isEmpty()) {
            return null;
        }
        Listener listener = site.listeners().get(0);
        String host = listener.address();
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            if (site.adminAddress() != null) {
                host = site.adminAddress().host();
            } else if (site.replicationAddress() != null) {
                host = site.replicationAddress().host();
            } else {
                host = "127.0.0.1";
            }
        }
        return new HostPort(host, listener.port());
    }

    private static String siteIdList(Policy policy) {
        return policy.sites().stream().map(Site::id).toList().toString();
    }

    /** The limits of tenant {@code id}, or null when no route or tenant of this policy has that id. */
    TenantLimits tenantLimits(String id) {
        for (int t = 0; t < tenantIds.length; t++) {
            if (tenantIds[t].equals(id)) {
                return tenantLimits[t];
            }
        }
        return null;
    }

    /** The plan of {@code route} (same instance, else same name), or null. */
    RoutePlan plan(Route route) {
        RoutePlan plan = planByRoute.get(route);
        return plan != null ? plan : planByName.get(route.name());
    }

    /** The index of the target with {@code key} in this snapshot, or -1. */
    int indexOfKey(String key) {
        Integer index = indexByKey.get(key);
        return index == null ? -1 : index;
    }

    /** The index of {@code target} in this snapshot (it may come from an older one), or -1. */
    int indexOf(RoutingTarget target) {
        int i = target.index();
        if (i >= 0 && i < targets.length && targets[i] == target) {
            return i;
        }
        return indexOfKey(target.key());
    }

    /** The distance-based user RTT from the user to {@code site}, in nanoseconds. */
    double userRttNanos(UserLocation user, int site) {
        double cos = Math.max(-1, Math.min(1, user.dot(siteX[site], siteY[site], siteZ[site])));
        return 2 * EARTH_RADIUS_KM * Math.acos(cos) * FIBRE_NANOS_PER_KM;
    }

    @Override
    public int indexOf(long targetId) {
        return (int) indexById.get(targetId);
    }

    @Override
    public byte[] siteBytes(int index) {
        return siteBytes[index];
    }

    @Override
    public byte[] upstreamBytes(int index) {
        return upstreamBytes[index];
    }

    @Override
    public long targetId(int index) {
        return targetIds[index];
    }
}
