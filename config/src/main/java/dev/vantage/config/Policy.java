package dev.vantage.config;

import java.util.List;
import java.util.Optional;

/**
 * The whole operator policy: one immutable snapshot, shared by every site. Built by {@code PolicyLoader}
 * (which validates it) or directly in code and tests; swapped whole on reload.
 *
 * @param localSiteId  default site for {@code vantage run} when none is given, or {@code null}
 * @param sites        at least one
 * @param tenants      tenants; a {@code default} tenant exists implicitly
 * @param routes       in declaration order
 * @param resources    replicated volumes
 * @param probes       probe and ejection settings
 * @param predictor    predictor settings
 * @param admin        admin API settings
 * @param httpLimits   HTTP front-end limits
 * @param location     user location sources
 * @param affinity     affinity cookie keys
 */
public record Policy(String localSiteId, List<Site> sites, List<Tenant> tenants, List<Route> routes,
                     List<Resource> resources, ProbeSettings probes, PredictorSettings predictor, AdminSettings admin,
                     HttpLimits httpLimits, LocationSettings location, AffinitySettings affinity) {

    public Policy {
        sites = sites == null ? List.of() : List.copyOf(sites);
        tenants = tenants == null ? List.of() : List.copyOf(tenants);
        routes = routes == null ? List.of() : List.copyOf(routes);
        resources = resources == null ? List.of() : List.copyOf(resources);
        probes = probes == null ? ProbeSettings.defaults() : probes;
        predictor = predictor == null ? PredictorSettings.defaults() : predictor;
        admin = admin == null ? AdminSettings.defaults() : admin;
        httpLimits = httpLimits == null ? HttpLimits.defaults() : httpLimits;
        location = location == null ? LocationSettings.defaults() : location;
        affinity = affinity == null ? AffinitySettings.defaults() : affinity;
    }

    /** A policy with default settings for everything but the four lists. */
    public static Policy of(List<Site> sites, List<Tenant> tenants, List<Route> routes, List<Resource> resources) {
        return new Policy(null, sites, tenants, routes, resources, null, null, null, null, null, null);
    }

    public Optional<Site> site(String id) {
        for (Site site : sites) {
            if (site.id().equals(id)) {
                return Optional.of(site);
            }
        }
        return Optional.empty();
    }

    public Optional<Resource> resource(String id) {
        for (Resource resource : resources) {
            if (resource.id().equals(id)) {
                return Optional.of(resource);
            }
        }
        return Optional.empty();
    }

    /** The tenant {@code id}; the {@code default} tenant exists even when not declared (unlimited). */
    public Optional<Tenant> tenant(String id) {
        for (Tenant tenant : tenants) {
            if (tenant.id().equals(id)) {
                return Optional.of(tenant);
            }
        }
        return Tenant.DEFAULT_ID.equals(id) ? Optional.of(Tenant.unlimited(Tenant.DEFAULT_ID)) : Optional.empty();
    }

    public Optional<Route> route(String name) {
        for (Route route : routes) {
            if (route.name().equals(name)) {
                return Optional.of(route);
            }
        }
        return Optional.empty();
    }

    /** The upstream group {@code name} at site {@code siteId}. */
    public Optional<UpstreamGroup> upstreamGroup(String siteId, String name) {
        return site(siteId).flatMap(site -> site.upstreamGroup(name));
    }

    /** The {@link #localSiteId()} site, if set and known. */
    public Optional<Site> localSite() {
        return localSiteId == null ? Optional.empty() : site(localSiteId);
    }
}
