package dev.vantage.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A compiled, immutable set of routes that finds the route for a request without allocating.
 *
 * <p>Matching rule: routes are tried in order of <b>longest path prefix first</b>; routes with equally long
 * prefixes are tried in <b>declaration order</b>. The first route whose every condition holds wins:
 * <ul>
 *   <li>host: the request host is compared without its port (and without one trailing dot), ASCII
 *       case-insensitively; an entry {@code *.example.com} matches any host ending in {@code .example.com}
 *       but not {@code example.com} itself; no host entries means any host (also a missing host);</li>
 *   <li>path prefix: the path (up to {@code ?} or {@code #}) starts with the prefix on a segment boundary:
 *       {@code /api} matches {@code /api}, {@code /api/} and {@code /api/x} but not {@code /apix}; a prefix
 *       ending in {@code /} matches anything starting with it; {@code /} matches every path;</li>
 *   <li>headers: for every configured header the lookup returns exactly the configured value;</li>
 *   <li>methods: the method is one of the configured methods (case-sensitive), or none are configured.</li>
 * </ul>
 *
 * <p>Thread safety: immutable; {@link #match} may be called from any number of threads. The work per call is
 * O(number of routes) character comparisons; nothing is allocated by the table itself.
 */
public final class RouteTable {

    private static final RouteTable EMPTY = new RouteTable(List.of());

    private final List<Route> declared;
    private final Route[] routes;
    private final String[][] exactHosts;
    private final String[][] wildcardSuffixes;
    private final String[] pathPrefixes;
    private final String[][] headerNames;
    private final String[][] headerValues;
    private final String[][] methods;

    private RouteTable(List<Route> declaredRoutes) {
        this.declared = List.copyOf(declaredRoutes);
        List<Route> ordered = new ArrayList<>(declared);
        // List.sort is stable, so equal prefix lengths keep declaration order.
        ordered.sort(Comparator.comparingInt((Route r) -> r.match().pathPrefix().length()).reversed());
        int n = ordered.size();
        routes = ordered.toArray(new Route[0]);
        exactHosts = new String[n][];
        wildcardSuffixes = new String[n][];
        pathPrefixes = new String[n];
        headerNames = new String[n][];
        headerValues = new String[n][];
        methods = new String[n][];
        for (int i = 0; i < n; i++) {
            RouteMatch match = routes[i].match();
            List<String> exact = new ArrayList<>();
            List<String> wildcard = new ArrayList<>();
            for (String host : match.hosts()) {
                String lower = host.toLowerCase(Locale.ROOT);
                if (lower.startsWith("*.")) {
                    wildcard.add(lower.substring(1));
                } else {
                    exact.add(lower);
                }
            }
            exactHosts[i] = exact.toArray(new String[0]);
            wildcardSuffixes[i] = wildcard.toArray(new String[0]);
            pathPrefixes[i] = match.pathPrefix();
            headerNames[i] = new String[match.headers().size()];
            headerValues[i] = new String[match.headers().size()];
            int h = 0;
            for (Map.Entry<String, String> header : match.headers().entrySet()) {
                headerNames[i][h] = header.getKey();
                headerValues[i][h] = header.getValue();
                h++;
            }
            methods[i] = match.methods().toArray(new String[0]);
        }
    }

    /** The routes of {@code policy}. */
    public static RouteTable of(Policy policy) {
        return of(policy.routes());
    }

    /** The given routes, declaration order = list order. */
    public static RouteTable of(List<Route> routes) {
        Objects.requireNonNull(routes, "routes");
        return routes.isEmpty() ? EMPTY : new RouteTable(routes);
    }

    /** One route named {@code catch-all} that sends every request to {@code upstreamGroup} (quick-start mode). */
    public static RouteTable catchAll(String upstreamGroup) {
        return of(List.of(Route.of("catch-all", RouteMatch.any(), RouteTarget.upstreamGroup(upstreamGroup))));
    }

    /** A table that matches nothing. */
    public static RouteTable empty() {
        return EMPTY;
    }

    /** The routes in declaration order. */
    public List<Route> routes() {
        return declared;
    }

    public int size() {
        return routes.length;
    }

    /**
     * The route for a request, or {@code null} when none matches.
     *
     * @param host         the Host header (may carry a port), or {@code null}
     * @param path         the request target path, possibly with a query
     * @param method       the request method
     * @param headerLookup returns the value of a request header by name, or {@code null}; only called for routes
     *                     with header conditions, may itself be {@code null} when there are none
     */
    public Route match(CharSequence host, CharSequence path, CharSequence method,
                       Function<CharSequence, String> headerLookup) {
        int hostEnd = host == null ? 0 : hostEnd(host);
        int pathEnd = path == null ? 0 : pathEnd(path);
        for (int i = 0; i < routes.length; i++) {
            if (matchesPath(pathPrefixes[i], path, pathEnd)
                    && matchesHost(i, host, hostEnd)
                    && matchesMethod(methods[i], method)
                    && matchesHeaders(i, headerLookup)) {
                return routes[i];
            }
        }
        return null;
    }

    private static int hostEnd(CharSequence host) {
        int length = host.length();
        int end = length;
        if (length > 0 && host.charAt(0) == '[') {
            for (int i = 1; i < length; i++) {
                if (host.charAt(i) == ']') {
                    end = i + 1;
                    break;
                }
            }
        } else {
            for (int i = 0; i < length; i++) {
                if (host.charAt(i) == ':') {
                    end = i;
                    break;
                }
            }
        }
        if (end > 1 && host.charAt(end - 1) == '.') {
            end--;
        }
        return end;
    }

    private static int pathEnd(CharSequence path) {
        int length = path.length();
        for (int i = 0; i < length; i++) {
            char c = path.charAt(i);
            if (c == '?' || c == '#') {
                return i;
            }
        }
        return length;
    }

    private static boolean matchesPath(String prefix, CharSequence path, int pathEnd) {
        int prefixLength = prefix.length();
        if (prefixLength == 1 && prefix.charAt(0) == '/') {
            return true;
        }
        if (path == null || pathEnd < prefixLength) {
            return false;
        }
        for (int i = 0; i < prefixLength; i++) {
            if (path.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return prefix.charAt(prefixLength - 1) == '/' || pathEnd == prefixLength || path.charAt(prefixLength) == '/';
    }

    private boolean matchesHost(int index, CharSequence host, int hostEnd) {
        String[] exact = exactHosts[index];
        String[] wildcard = wildcardSuffixes[index];
        if (exact.length == 0 && wildcard.length == 0) {
            return true;
        }
        if (host == null) {
            return false;
        }
        for (String candidate : exact) {
            if (candidate.length() == hostEnd && regionEqualsIgnoreCase(host, 0, candidate)) {
                return true;
            }
        }
        for (String suffix : wildcard) {
            if (hostEnd > suffix.length() && regionEqualsIgnoreCase(host, hostEnd - suffix.length(), suffix)) {
                return true;
            }
        }
        return false;
    }

    /** Compares {@code text[offset..offset+lower.length)} to the lower-case {@code lower}, ASCII case-insensitively. */
    private static boolean regionEqualsIgnoreCase(CharSequence text, int offset, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            char c = text.charAt(offset + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesMethod(String[] allowed, CharSequence method) {
        if (allowed.length == 0) {
            return true;
        }
        if (method == null) {
            return false;
        }
        for (String candidate : allowed) {
            if (candidate.contentEquals(method)) {
                return true;
            }
        }
        return false;
    }

    private boolean matchesHeaders(int index, Function<CharSequence, String> headerLookup) {
        String[] names = headerNames[index];
        if (names.length == 0) {
            return true;
        }
        if (headerLookup == null) {
            return false;
        }
        String[] values = headerValues[index];
        for (int h = 0; h < names.length; h++) {
            String actual = headerLookup.apply(names[h]);
            if (actual == null || !actual.equals(values[h])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("RouteTable[");
        for (int i = 0; i < routes.length; i++) {
            text.append(i == 0 ? "" : ", ").append(routes[i].name());
        }
        return text.append(']').toString();
    }
}
