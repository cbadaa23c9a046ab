package dev.vantage.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a request must look like for a route to apply; every non-empty condition must hold.
 *
 * @param hosts      exact host names or {@code *.suffix} wildcards, compared case-insensitively without the port;
 *                   empty = any host
 * @param pathPrefix starts with {@code /}, default {@code /}; matches whole segments (see {@link RouteTable})
 * @param headers    header name (case-insensitive) to exact value; empty = no header condition
 * @param methods    upper-case method names; empty = any method
 */
public record RouteMatch(List<String> hosts, String pathPrefix, Map<String, String> headers, Set<String> methods) {

    public static final String DEFAULT_PATH_PREFIX = "/";

    public RouteMatch {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        pathPrefix = pathPrefix == null ? DEFAULT_PATH_PREFIX : pathPrefix;
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        methods = methods == null ? Set.of() : Set.copyOf(methods);
    }

    /** Matches every request. */
    public static RouteMatch any() {
        return new RouteMatch(List.of(), DEFAULT_PATH_PREFIX, Map.of(), Set.of());
    }

    /** Matches every request whose path starts with {@code pathPrefix}. */
    public static RouteMatch pathPrefix(String pathPrefix) {
        return new RouteMatch(List.of(), pathPrefix, Map.of(), Set.of());
    }
}
