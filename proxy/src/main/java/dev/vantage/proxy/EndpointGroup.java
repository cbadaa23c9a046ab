package dev.vantage.proxy;

import dev.vantage.config.PoolSettings;
import java.util.List;
import java.util.Objects;

/**
 * The endpoints of one upstream group at one site, in policy order, with the group's pool settings.
 *
 * <p>Immutable (the endpoints themselves carry live counters); iterate with {@link #size()} and {@link #get(int)}
 * on hot paths, which allocates nothing.
 */
public final class EndpointGroup {

    private final String siteId;
    private final String name;
    private final PoolSettings pool;
    private final UpstreamEndpoint[] endpoints;
    private final List<UpstreamEndpoint> endpointList;

    public EndpointGroup(String siteId, String name, PoolSettings pool, List<UpstreamEndpoint> endpoints) {
        this.siteId = Objects.requireNonNull(siteId, "siteId");
        this.name = Objects.requireNonNull(name, "name");
        this.pool = pool == null ? PoolSettings.defaults() : pool;
        this.endpointList = List.copyOf(endpoints);
        this.endpoints = endpointList.toArray(new UpstreamEndpoint[0]);
    }

    public String siteId() {
        return siteId;
    }

    public String name() {
        return name;
    }

    public PoolSettings pool() {
        return pool;
    }

    public int size() {
        return endpoints.length;
    }

    public UpstreamEndpoint get(int i) {
        return endpoints[i];
    }

    public List<UpstreamEndpoint> endpoints() {
        return endpointList;
    }

    @Override
    public String toString() {
        return siteId + "/" + name + endpointList;
    }
}
