package dev.vantage.config;

/**
 * Where a route sends requests: exactly one of a replicated resource (served by its mirrors) or a plain
 * upstream group (the group of that name at the serving site).
 *
 * @param resource      resource id, or {@code null}
 * @param upstreamGroup upstream group name, or {@code null}
 */
public record RouteTarget(String resource, String upstreamGroup) {

    public RouteTarget {
        if ((resource == null) == (upstreamGroup == null)) {
            throw new IllegalArgumentException("target: resource=" + resource + ", upstreamGroup=" + upstreamGroup
                    + " (expected: exactly one of resource or upstreamGroup)");
        }
    }

    public static RouteTarget resource(String resourceId) {
        return new RouteTarget(resourceId, null);
    }

    public static RouteTarget upstreamGroup(String name) {
        return new RouteTarget(null, name);
    }

    public boolean isResource() {
        return resource != null;
    }

    @Override
    public String toString() {
        return resource != null ? "resource " + resource : "upstreamGroup " + upstreamGroup;
    }
}
