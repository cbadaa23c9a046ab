package dev.vantage.config.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMode;
import dev.vantage.config.Site;
import dev.vantage.config.Tenant;
import dev.vantage.config.UpstreamGroup;

/**
 * Checks what single fields cannot: unique ids, references between sites, tenants, routes, resources, mirrors
 * and upstream groups, and sockets that would collide. Runs on the bound records and positions each problem at
 * the node the record came from. Single-threaded, one instance per load.
 */
public final class PolicyValidator {

    private final BindContext context;
    private final Map<String, Site> sitesById = new HashMap<>();

    public PolicyValidator(BindContext context) {
        this.context = context;
    }

    public void validate(Policy policy) {
        for (Site site : policy.sites()) {
            sitesById.putIfAbsent(site.id(), site);
        }
        Set<String> siteIds = unique(policy.sites(), Site::id, "id", "site id");
        Set<String> tenantIds = unique(policy.tenants(), Tenant::id, "id", "tenant id");
        tenantIds.add(Tenant.DEFAULT_ID);
        Set<String> resourceIds = unique(policy.resources(), Resource::id, "id", "resource id");
        unique(policy.routes(), Route::name, "name", "route name");
        if (policy.localSiteId() != null && !siteIds.contains(policy.localSiteId())) {
            context.problem("localSite", policy.localSiteId(), known("a site id", siteIds));
        }
        for (Site site : policy.sites()) {
            unique(site.listeners(), Listener::name, "name", "listener name within the site");
            unique(site.upstreamGroups(), UpstreamGroup::name, "name", "upstream group name within the site");
        }
        checkEndpoints(policy);
        checkReplicationTls(policy);
        for (Route route : policy.routes()) {
            checkRoute(policy, route, tenantIds, resourceIds);
        }
        for (Resource resource : policy.resources()) {
            checkResource(resource, siteIds, tenantIds);
        }
        checkVolumePaths(policy);
    }

    /**
     * Sites that replicate agree on TLS: a site with {@code replicationTls} refuses plaintext peers, and a site without
     * it cannot reach a TLS peer, so a mix can never replicate.
     */
    private void checkReplicationTls(Policy policy) {
        Site secured = null;
        for (Site site : policy.sites()) {
            if (site.replicationAddress() != null && site.replicationTls() != null) {
                secured = site;
                break;
            }
        }
        if (secured == null) {
            return;
        }
        for (Site site : policy.sites()) {
            String path = context.pathOf(site) + ".replicationTls";
            // A replicationTls that is present but broken was reported by the binder already.
            boolean absent = context.nodeAt(path) == context.nodeAt(context.pathOf(site));
            if (site.replicationAddress() != null && site.replicationTls() == null && absent) {
                context.problem(path, "absent", "set on every site with a"
                        + " replicationAddress, as on " + context.pathOf(secured) + " (a site with TLS refuses"
                        + " plaintext peers)");
            }
        }
    }

    private <T> Set<String> unique(List<T> items, Function<T, String> id, String key, String what) {
        Map<String, T> seen = new HashMap<>();
        Set<String> ids = new LinkedHashSet<>();
        for (T item : items) {
            String value = id.apply(item);
            T first = seen.putIfAbsent(value, item);
            if (first != null) {
                context.problem(context.pathOf(item) + "." + key, value,
                        "a unique " + what + "; already used at " + context.pathOf(first));
            }
            ids.add(value);
        }
        return ids;
    }

    // ---- sockets ----

    private record Endpoint(String site, String what, String address, int port, String path) {
        String text() {
            return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
        }
    }

    private void checkEndpoints(Policy policy) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (Site site : policy.sites()) {
            String sitePath = context.pathOf(site);
            for (Listener listener : site.listeners()) {
                endpoints.add(new Endpoint(site.id(), "listener " + listener.name(), norm(listener.address()),
                        listener.port(), context.pathOf(listener) + ".port"));
            }
            addAddress(endpoints, site, "admin API", site.adminAddress(), sitePath + ".adminAddress");
            addAddress(endpoints, site, "replication endpoint", site.replicationAddress(),
                    sitePath + ".replicationAddress");
        }
        // In file order, so the later of two clashing sockets is the one reported.
        endpoints.sort(Comparator.comparingInt((Endpoint e) -> context.nodeAt(e.path()).line())
                .thenComparingInt(e -> context.nodeAt(e.path()).column()));
        List<Endpoint> earlierEndpoints = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            Endpoint clash = null;
            for (Endpoint earlier : earlierEndpoints) {
                if (earlier.port() != endpoint.port()) {
                    continue;
                }
                boolean sameSite = earlier.site().equals(endpoint.site());
                boolean sameAddress = earlier.address().equals(endpoint.address());
                boolean wildcard = Cidr.isWildcard(earlier.address()) || Cidr.isWildcard(endpoint.address());
                // Within a site everything binds on one host, so a wildcard overlaps every address. Across
                // sites only an identical specific address is a clash: peers address sites by these sockets,
                // and one policy may run every site on one host.
                if (sameSite ? sameAddress || wildcard : sameAddress && !wildcard) {
                    clash = earlier;
                    break;
                }
            }
            if (clash != null) {
                context.problem(endpoint.path(), endpoint.text(), "an address:port that does not overlap site "
                        + clash.site() + " " + clash.what() + " (" + clash.text() + ")");
            }
            earlierEndpoints.add(endpoint);
        }
    }

    private static void addAddress(List<Endpoint> endpoints, Site site, String what, HostPort address, String path) {
        if (address != null) {
            endpoints.add(new Endpoint(site.id(), what, norm(address.host()), address.port(), path));
        }
    }

    private static String norm(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    // ---- routes ----

    private void checkRoute(Policy policy, Route route, Set<String> tenantIds, Set<String> resourceIds) {
        String path = context.pathOf(route);
        if (!tenantIds.contains(route.tenant())) {
            context.problem(path + ".tenant", route.tenant(), known("a tenant id", tenantIds));
        }
        List<Site> servingSites = new ArrayList<>();
        if (route.target().isResource()) {
            String id = route.target().resource();
            Resource resource = policy.resource(id).orElse(null);
            if (resource == null) {
                context.problem(path + ".target.resource", id, known("a resource id", resourceIds));
                return;
            }
            if (!resource.tenant().equals(route.tenant())) {
                context.problem(path + ".target.resource", id, "a resource of the route's tenant " + route.tenant()
                        + " (" + id + " belongs to " + resource.tenant() + ")");
            }
            for (Mirror mirror : resource.mirrors()) {
                policy.site(mirror.site()).filter(site -> !servingSites.contains(site)).ifPresent(servingSites::add);
            }
        } else {
            String group = route.target().upstreamGroup();
            Set<String> groups = new LinkedHashSet<>();
            for (Site site : policy.sites()) {
                for (UpstreamGroup g : site.upstreamGroups()) {
                    groups.add(g.name());
                }
                if (site.upstreamGroup(group).isPresent()) {
                    servingSites.add(site);
                }
            }
            if (servingSites.isEmpty()) {
                context.problem(path + ".target.upstreamGroup", group,
                        known("an upstream group declared at some site", groups));
                return;
            }
            if (route.shadowPercent() > 0) {
                context.problem(path + ".shadowPercent", Fields.number(route.shadowPercent()),
                        "0 for an upstream group target (shadow traffic needs a resource with shadow mirrors)");
            }
        }
        if (route.mode() == RouteMode.REDIRECT) {
            for (Site site : servingSites) {
                if (site.publicUrl() == null) {
                    context.problem(path + ".mode", "redirect", "a publicUrl at every site that may serve the route"
                            + " (site " + site.id() + " has none)");
                }
            }
        }
    }

    // ---- resources ----

    private void checkResource(Resource resource, Set<String> siteIds, Set<String> tenantIds) {
        String path = context.pathOf(resource);
        if (!tenantIds.contains(resource.tenant())) {
            context.problem(path + ".tenant", resource.tenant(), known("a tenant id", tenantIds));
        }
        String primarySite = resource.primarySite();
        if (primarySite != null && !siteIds.contains(primarySite)) {
            context.problem(path + ".primarySite", primarySite, known("a site id", siteIds));
            primarySite = null;
        }
        Map<String, Mirror> bySite = new HashMap<>();
        for (Mirror mirror : resource.mirrors()) {
            String mirrorPath = context.pathOf(mirror);
            if (!siteIds.contains(mirror.site())) {
                context.problem(mirrorPath + ".site", mirror.site(), known("a site id", siteIds));
                continue;
            }
            Mirror first = bySite.putIfAbsent(mirror.site(), mirror);
            if (first != null) {
                context.problem(mirrorPath + ".site", mirror.site(),
                        "at most one mirror per site; already at " + context.pathOf(first));
                continue;
            }
            checkMirrorGroup(mirror, mirrorPath);
            if (mirror.role() == MirrorRole.PRIMARY && primarySite != null && !mirror.site().equals(primarySite)) {
                context.problem(mirrorPath + ".role", "primary",
                        "shadow or replica (only the mirror at primarySite " + primarySite + " is primary)");
            }
        }
        if (primarySite != null) {
            Mirror atPrimary = bySite.get(primarySite);
            if (atPrimary == null || atPrimary.role() != MirrorRole.PRIMARY) {
                context.problem(path + ".primarySite", primarySite, atPrimary == null
                        ? "a site with a mirror of role primary (" + primarySite + " has no mirror)"
                        : "a site with a mirror of role primary (the mirror at " + primarySite + " is "
                        + atPrimary.role().name().toLowerCase(Locale.ROOT) + ")");
            }
        }
    }

    private void checkMirrorGroup(Mirror mirror, String mirrorPath) {
        Site site = sitesById.get(mirror.site());
        if (site != null && site.upstreamGroup(mirror.upstreamGroup()).isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            for (UpstreamGroup group : site.upstreamGroups()) {
                names.add(group.name());
            }
            context.problem(mirrorPath + ".upstreamGroup", mirror.upstreamGroup(),
                    known("an upstream group at site " + site.id(), names));
        }
    }

    private void checkVolumePaths(Policy policy) {
        Map<Path, Resource> seen = new HashMap<>();
        for (Resource resource : policy.resources()) {
            if (resource.volumePath() == null) {
                continue;
            }
            Resource first = seen.putIfAbsent(resource.volumePath(), resource);
            if (first != null) {
                String path = context.pathOf(resource) + ".volumePath";
                context.problem(path, YamlNode.describe(context.nodeAt(path)), "a volume file of its own (resource "
                        + first.id() + " uses the same file, " + resource.volumePath() + ")");
            }
        }
    }

    private static String known(String what, Set<String> ids) {
        if (ids.isEmpty()) {
            return what + " (none declared)";
        }
        return what + ": " + String.join(", ", ids);
    }
}
