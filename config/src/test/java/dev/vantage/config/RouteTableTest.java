package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static Route route(String name, List<String> hosts, String prefix, Map<String, String> headers,
                               Set<String> methods) {
        return Route.of(name, new RouteMatch(hosts, prefix, headers, methods), RouteTarget.upstreamGroup("web"));
    }

    private static Route prefix(String name, String prefix) {
        return route(name, List.of(), prefix, Map.of(), Set.of());
    }

    private static Route hosts(String name, String... hosts) {
        return route(name, List.of(hosts), "/", Map.of(), Set.of());
    }

    private static String name(Route route) {
        return route == null ? null : route.name();
    }

    @Test
    void shouldPreferTheLongestPathPrefix() {
        RouteTable table = RouteTable.of(List.of(prefix("root", "/"), prefix("api", "/api"), prefix("v2", "/api/v2")));

        assertThat(name(table.match("h", "/api/v2/users", "GET", null))).isEqualTo("v2");
        assertThat(name(table.match("h", "/api/v1/users", "GET", null))).isEqualTo("api");
        assertThat(name(table.match("h", "/static/x.css", "GET", null))).isEqualTo("root");
    }

    @Test
    void shouldBreakEqualPrefixLengthsByDeclarationOrder() {
        RouteTable table = RouteTable.of(List.of(prefix("first", "/a"), prefix("second", "/b"), prefix("third", "/a")));

        assertThat(name(table.match("h", "/a", "GET", null))).isEqualTo("first");
        assertThat(table.routes()).extracting(Route::name).containsExactly("first", "second", "third");
    }

    @Test
    void shouldMatchPathPrefixesOnSegmentBoundaries() {
        RouteTable table = RouteTable.of(List.of(prefix("api", "/api"), prefix("files", "/files/")));

        assertThat(name(table.match("h", "/api", "GET", null))).isEqualTo("api");
        assertThat(name(table.match("h", "/api/", "GET", null))).isEqualTo("api");
        assertThat(name(table.match("h", "/api?x=1", "GET", null))).isEqualTo("api");
        assertThat(name(table.match("h", "/apix", "GET", null))).isNull();
        assertThat(name(table.match("h", "/files/a", "GET", null))).isEqualTo("files");
        assertThat(name(table.match("h", "/files", "GET", null))).isNull();
    }

    @Test
    void shouldCompareHostsCaseInsensitivelyWithoutPort() {
        RouteTable table = RouteTable.of(List.of(hosts("exact", "App.Example.com"), hosts("v6", "[::1]")));

        assertThat(name(table.match("APP.example.COM:8443", "/", "GET", null))).isEqualTo("exact");
        assertThat(name(table.match("app.example.com.", "/", "GET", null))).isEqualTo("exact");
        assertThat(name(table.match("[::1]:80", "/", "GET", null))).isEqualTo("v6");
        assertThat(name(table.match("other.example.com", "/", "GET", null))).isNull();
        assertThat(name(table.match(null, "/", "GET", null))).isNull();
    }

    @Test
    void shouldMatchWildcardHostsOnSubdomainsOnly() {
        RouteTable table = RouteTable.of(List.of(hosts("wild", "*.example.com")));

        assertThat(name(table.match("a.example.com", "/", "GET", null))).isEqualTo("wild");
        assertThat(name(table.match("x.y.EXAMPLE.com:80", "/", "GET", null))).isEqualTo("wild");
        assertThat(name(table.match("example.com", "/", "GET", null))).isNull();
        assertThat(name(table.match("badexample.com", "/", "GET", null))).isNull();
    }

    @Test
    void shouldRequireEveryConfiguredHeaderAndMethod() {
        Route canary = route("canary", List.of(), "/", Map.of("X-Canary", "1"), Set.of("GET", "HEAD"));
        RouteTable table = RouteTable.of(List.of(canary, prefix("fallback", "/")));
        Map<String, String> headers = Map.of("X-Canary", "1");
        Function<CharSequence, String> lookup = name -> headers.get(name.toString());

        assertThat(name(table.match("h", "/", "GET", lookup))).isEqualTo("canary");
        assertThat(name(table.match("h", "/", "POST", lookup))).isEqualTo("fallback");
        assertThat(name(table.match("h", "/", "GET", n -> null))).isEqualTo("fallback");
        assertThat(name(table.match("h", "/", "GET", null))).isEqualTo("fallback");
    }

    @Test
    void shouldSendEverythingToTheGroupInCatchAllMode() {
        RouteTable table = RouteTable.catchAll("origin");

        Route route = table.match(null, "/anything/at/all", "DELETE", null);

        assertThat(route.target()).isEqualTo(RouteTarget.upstreamGroup("origin"));
        assertThat(route.mode()).isEqualTo(RouteMode.PROXY);
    }

    @Test
    void shouldMatchNothingWhenEmpty() {
        assertThat(RouteTable.empty().match("h", "/", "GET", null)).isNull();
        assertThat(RouteTable.of(List.of()).size()).isZero();
    }

    @Test
    void shouldNotAllocateWhileMatching() {
        Route canary = route("canary", List.of("*.example.com"), "/api", Map.of("X-Canary", "1"), Set.of("GET"));
        RouteTable table = RouteTable.of(List.of(canary, hosts("exact", "shop.example.com"), prefix("api", "/api"),
                prefix("root", "/")));
        String value = "1";
        Function<CharSequence, String> lookup = name -> value;
        StringBuilder host = new StringBuilder("Shop.Example.com:8080");
        StringBuilder path = new StringBuilder("/api/items?id=7");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long threadId = Thread.currentThread().getId();
        int hits = 0;
        for (int i = 0; i < 20_000; i++) {
            hits += table.match(host, path, "GET", lookup) == canary ? 1 : 0;
        }

        long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < 100_000; i++) {
            hits += table.match(host, path, "GET", lookup) == canary ? 1 : 0;
        }
        long allocatedBytes = threads.getThreadAllocatedBytes(threadId) - before;

        assertThat(hits).isEqualTo(120_000);
        // One 16-byte object per call would be 1.6 MB; allow a little for the measurement itself.
        assertThat(allocatedBytes).isLessThan(64 * 1024);
    }
}
