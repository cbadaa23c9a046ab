package dev.vantage.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One location running one {@code vantage} process.
 *
 * @param id                        unique, {@code [a-z0-9][a-z0-9-]*}
 * @param region                    free-form region name, e.g. {@code eu-central}
 * @param location                  where the site is, for distance-based choices
 * @param replicationAddress        where this site's replication endpoint listens
 * @param adminAddress              where this site's admin API listens
 * @param publicUrl                 URL users are redirected to for {@link RouteMode#REDIRECT} routes, or {@code null}
 * @param costPerGb                 egress cost per GB, &gt;= 0
 * @param costPerInstanceHour       on-demand instance cost per hour, &gt;= 0
 * @param capacityRequestsPerSecond sustainable load, &gt;= 1
 * @param spotCapacityInstances     cheap interruptible instances available, &gt;= 0
 * @param listeners                 sockets for user traffic
 * @param upstreamGroups            backends at this site
 * @param replicationTls            TLS between this site and its peers (replication), or {@code null} for plaintext
 */
public record Site(String id, String region, GeoPoint location, HostPort replicationAddress, HostPort adminAddress,
                   String publicUrl, double costPerGb, double costPerInstanceHour, int capacityRequestsPerSecond,
                   int spotCapacityInstances, List<Listener> listeners, List<UpstreamGroup> upstreamGroups,
                   InterSiteTls replicationTls) {

    public Site {
        Objects.requireNonNull(id, "id");
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        upstreamGroups = upstreamGroups == null ? List.of() : List.copyOf(upstreamGroups);
    }

    /** A site whose traffic with other sites is plaintext (no {@link #replicationTls()}). */
    public Site(String id, String region, GeoPoint location, HostPort replicationAddress, HostPort adminAddress,
                String publicUrl, double costPerGb, double costPerInstanceHour, int capacityRequestsPerSecond,
                int spotCapacityInstances, List<Listener> listeners, List<UpstreamGroup> upstreamGroups) {
        this(id, region, location, replicationAddress, adminAddress, publicUrl, costPerGb, costPerInstanceHour,
                capacityRequestsPerSecond, spotCapacityInstances, listeners, upstreamGroups, null);
    }

    /** This site with {@code tls} (or plaintext when {@code null}) for its traffic with other sites. */
    public Site withReplicationTls(InterSiteTls tls) {
        return new Site(id, region, location, replicationAddress, adminAddress, publicUrl, costPerGb,
                costPerInstanceHour, capacityRequestsPerSecond, spotCapacityInstances, listeners, upstreamGroups, tls);
    }

    /** The upstream group called {@code name} at this site. */
    public Optional<UpstreamGroup> upstreamGroup(String name) {
        for (UpstreamGroup group : upstreamGroups) {
            if (group.name().equals(name)) {
                return Optional.of(group);
            }
        }
        return Optional.empty();
    }
}
