package dev.vantage.proxy;

import dev.vantage.config.Listener;
import dev.vantage.config.Mirror;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.Route;
import dev.vantage.config.RouteTable;
import dev.vantage.config.Site;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One immutable snapshot of what the proxy routes with: the policy, this site's id, the route table and an
 * {@link EndpointGroup} for every upstream group of every site (plus one ingress endpoint per site).
 *
 * <p>A new snapshot is built on every reload with {@link #of(Policy, String, RouteTable, ProxyTopology)}, which
 * reuses the {@link UpstreamEndpoint} instances of the previous snapshot for unchanged
 * {@code (site, group, host, port)} so that live counters and pools survive. The proxy publishes it through a
 * volatile field; readers never lock.
 */
public final class ProxyTopology {

    /** Pseudo group name of the endpoint that reaches another site's Vantage listener. */
    public static final String INGRESS_GROUP = "ingress";

    private final Policy policy;
    private final String siteId;
    private final RouteTable routeTable;
    private final Map<String, EndpointGroup> groups;
    private final Map<String, UpstreamEndpoint> ingress;
    private final IdentityHashMap<Route, EndpointGroup> localGroups;
    private final List<UpstreamEndpoint> endpoints;

    private ProxyTopology(Policy policy, String siteId, RouteTable routeTable, Map<String, EndpointGroup> groups,
                          Map<String, UpstreamEndpoint> ingress, IdentityHashMap<Route, EndpointGroup> localGroups,
                          List<UpstreamEndpoint> endpoints) {
        this.policy = policy;
        this.siteId = siteId;
        this.routeTable = routeTable;
        this.groups = groups;
        this.ingress = ingress;
        this.localGroups = localGroups;
        this.endpoints = endpoints;
    }

    /** A topology for {@code policy} at {@code siteId} routed with the policy's own routes. */
    public static ProxyTopology of(Policy policy, String siteId) {
        return of(policy, siteId, RouteTable.of(policy), null);
    }

    /**
     * A topology for {@code policy} at {@code siteId}.
     *
     * @param routeTable routes to match requests with
     * @param previous   the snapshot this one replaces (its endpoints are reused), or {@code null}
     * @throws IllegalArgumentException when the policy has no site {@code siteId}
     */
    public static ProxyTopology of(Policy policy, String siteId, RouteTable routeTable, ProxyTopology previous) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(siteId, "siteId");
        Objects.requireNonNull(routeTable, "routeTable");
        if (policy.site(siteId).isEmpty()) {
            List<String> known = new ArrayList<>();
            policy.sites().forEach(site -> known.add(site.id()));
            throw new IllegalArgumentException("siteId: " + siteId + " (expected: one of " + known + ")");
        }
        Map<String, UpstreamEndpoint> reusable = new HashMap<>();
        int nextIndex = 0;
        if (previous != null) {
            for (UpstreamEndpoint endpoint : previous.endpoints) {
                reusable.put(key(endpoint.siteId(), endpoint.groupName(), endpoint.host(), endpoint.port()), endpoint);
                nextIndex = Math.max(nextIndex, endpoint.index() + 1);
            }
        }
        List<UpstreamEndpoint> all = new ArrayList<>();
        Map<String, EndpointGroup> groups = new HashMap<>();
        Map<String, UpstreamEndpoint> ingress = new HashMap<>();
        for (Site site : policy.sites()) {
            for (UpstreamGroup group : site.upstreamGroups()) {
                List<UpstreamEndpoint> members = new ArrayList<>();
                for (Upstream upstream : group.upstreams()) {
                    String key = key(site.id(), group.name(), upstream.host(), upstream.port());
                    UpstreamEndpoint endpoint = reusable.remove(key);
                    if (endpoint == null) {
                        endpoint = new UpstreamEndpoint(nextIndex++, site.id(), group.name(), upstream.host(),
                                upstream.port(), upstream.weight());
                    } else {
                        endpoint.weight(upstream.weight());
                    }
                    members.add(endpoint);
                    all.add(endpoint);
                }
                groups.put(site.id() + "/" + group.name(), new EndpointGroup(site.id(), group.name(), group.pool(),
                        members));
            }
            if (!site.listeners().isEmpty() && site.listeners().get(0).port() > 0) {
                Listener listener = site.listeners().get(0);
                String key = key(site.id(), INGRESS_GROUP, listener.address(), listener.port());
                UpstreamEndpoint endpoint = reusable.remove(key);
                if (endpoint == null) {
                    endpoint = new UpstreamEndpoint(nextIndex++, site.id(), INGRESS_GROUP, listener.address(),
                            listener.port(), 1.0);
                }
                ingress.put(site.id(), endpoint);
                all.add(endpoint);
            }
        }
        IdentityHashMap<Route, EndpointGroup> localGroups = new IdentityHashMap<>();
        for (Route route : routeTable.routes()) {
            String groupName = route.target().upstreamGroup();
            if (route.target().isResource()) {
                groupName = policy.resource(route.target().resource())
                        .flatMap((Resource resource) -> resource.mirrorAt(siteId))
                        .map(Mirror::upstreamGroup)
                        .orElse(null);
            }
            EndpointGroup group = groupName == null ? null : groups.get(siteId + "/" + groupName);
            if (group != null) {
                localGroups.put(route, group);
            }
        }
        return new ProxyTopology(policy, siteId, routeTable, Collections.unmodifiableMap(groups),
                Collections.unmodifiableMap(ingress), localGroups, List.copyOf(all));
    }

    private static String key(String siteId, String group, String host, int port) {
        return siteId + "/" + group + "/" + host + "/" + port;
    }

    public Policy policy() {
        return policy;
    }

    public String siteId() {
        return siteId;
    }

    public Site site() {
        return policy.site(siteId).orElseThrow();
    }

    public RouteTable routeTable() {
        return routeTable;
    }

    /** The same policy and endpoints routed with {@code newRoutes}. */
    public ProxyTopology withRoutes(RouteTable newRoutes) {
        return of(policy, siteId, newRoutes, this);
    }

    /** The upstream group {@code name} at {@code site}, or {@code null}. */
    public EndpointGroup group(String site, String name) {
        return groups.get(site + "/" + name);
    }

    /** The route's upstreams at this site (its group, or its resource's local mirror group), or {@code null}. */
    public EndpointGroup localGroup(Route route) {
        return localGroups.get(route);
    }

    /** The endpoint that reaches site {@code site}'s first listener, if it has one. */
    public Optional<UpstreamEndpoint> ingress(String site) {
        return Optional.ofNullable(ingress.get(site));
    }

    /** Every endpoint of this snapshot (upstreams of all sites, then ingress endpoints). */
    public List<UpstreamEndpoint> endpoints() {
        return endpoints;
    }

    /** One more than the largest {@link UpstreamEndpoint#index()} in this snapshot. */
    public int endpointIndexLimit() {
        int limit = 0;
        for (UpstreamEndpoint endpoint : endpoints) {
            limit = Math.max(limit, endpoint.index() + 1);
        }
        return limit;
    }
}
