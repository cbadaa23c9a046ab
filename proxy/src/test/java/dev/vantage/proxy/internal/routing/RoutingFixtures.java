package dev.vantage.proxy.internal.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.Resource;
import dev.vantage.config.RetryPolicy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMatch;
import dev.vantage.config.RouteMode;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Site;
import dev.vantage.config.Stickiness;
import dev.vantage.config.Tenant;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.RoutingRequest;

/** Policies, requests and clocks for routing tests. */
final class RoutingFixtures {

    static final GeoPoint FRANKFURT = new GeoPoint(50.11, 8.68);
    static final GeoPoint PARIS = new GeoPoint(48.85, 2.35);
    static final GeoPoint NEW_YORK = new GeoPoint(40.71, -74.0);

    private RoutingFixtures() {
    }

    /** A request whose headers, method and client can be changed between routing calls. */
    static final class Request implements RoutingRequest {
        String method = "GET";
        final Map<String, String> headers = new LinkedHashMap<>();
        InetAddress client;
        java.util.function.LongSupplier clock = () -> 0L;

        Request() {
            try {
                client = InetAddress.getByName("127.0.0.1");
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        Request method(String value) {
            method = value;
            return this;
        }

        Request header(String name, String value) {
            if (value == null) {
                headers.remove(name);
            } else {
                headers.put(name, value);
            }
            return this;
        }

        @Override
        public CharSequence method() {
            return method;
        }

        @Override
        public CharSequence header(CharSequence name) {
            for (Map.Entry<String, String> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name.toString())) {
                    return e.getValue();
                }
            }
            return null;
        }

        @Override
        public InetAddress clientAddress() {
            return client;
        }

        @Override
        public long startNanos() {
            return clock.getAsLong();
        }
    }

    /** A wall clock the test moves. */
    static final class MutableClock extends Clock {
        long millis = 1_800_000_000_000L;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            return millis;
        }
    }

    static List<Upstream> upstreams(int... ports) {
        List<Upstream> list = new ArrayList<>();
        for (int port : ports) {
            list.add(Upstream.of("127.0.0.1", port));
        }
        return list;
    }

    static Site site(String id, GeoPoint at, int listenerPort, String publicUrl, double costPerGb,
                     List<Upstream> web) {
        return new Site(id, "region-" + id, at, new HostPort("127.0.0.1", listenerPort + 1000),
                new HostPort("127.0.0.1", listenerPort + 2000), publicUrl, costPerGb, 0.1, 1000, 0,
                List.of(Listener.http("http", "127.0.0.1", listenerPort)),
                List.of(UpstreamGroup.of("web", web)));
    }

    static Route route(String name, RouteTarget target, RouteMode mode, Stickiness stickiness, double shadowPercent,
                       RetryPolicy retry, String tenant) {
        return new Route(name, tenant, RouteMatch.pathPrefix("/" + name), target, mode, RouteTimeouts.defaults(),
                retry, stickiness, shadowPercent, Route.DEFAULT_MAX_REPLICATION_LAG_MILLIS);
    }

    static Route groupRoute(String name, Stickiness stickiness) {
        return route(name, RouteTarget.upstreamGroup("web"), RouteMode.PROXY, stickiness, 0, RetryPolicy.defaults(),
                Tenant.DEFAULT_ID);
    }

    static Stickiness stickiness(dev.vantage.config.StickinessMode mode, boolean strict) {
        return new Stickiness(mode, strict, Stickiness.DEFAULT_COOKIE_NAME, Stickiness.DEFAULT_HEADER_NAME,
                Stickiness.DEFAULT_COOKIE_TTL_SECONDS, Stickiness.DEFAULT_LOAD_FACTOR);
    }

    /** Sites a (Frankfurt, local), b (Paris), c (New York); resource desk with a primary at a, shadows at b and c. */
    static Policy threeSites(List<Upstream> localWeb, List<Route> routes, List<Tenant> tenants) {
        Site a = site("a", FRANKFURT, 18080, "https://a.example", 0.02, localWeb);
        Site b = site("b", PARIS, 18081, "https://b.example/", 0.02, upstreams(9101));
        Site c = site("c", NEW_YORK, 18082, "https://c.example", 0.02, upstreams(9201));
        Resource desk = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web"),
                        new Mirror("c", MirrorRole.SHADOW, "web")), null, null, null);
        return Policy.of(List.of(a, b, c), tenants, routes, List.of(desk));
    }
}
