package dev.vantage.perf.jmh;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

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
import dev.vantage.config.StickinessMode;
import dev.vantage.config.Tenant;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.proxy.RoutingDecision;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.RoutingRequest;
import dev.vantage.proxy.RoutingSelector;
import dev.vantage.proxy.RoutingTarget;

/**
 * One routing decision (select + the response feedback that keeps pending counts balanced) and one affinity cookie
 * verification, on the public routing API. Goal: a decision in &lt;= 200 ns with no allocation ({@code -prof gc}).
 *
 * <pre>java -jar perf/target/benchmarks.jar RoutingBenchmarks -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RoutingBenchmarks {

    /** A reusable request view with a fixed set of headers, like the proxy's flyweight. */
    static final class Request implements RoutingRequest {
        final String[] names;
        final String[] values;
        final InetAddress client;
        final String method;
        long startNanos;

        Request(String method, InetAddress client, String... namesAndValues) {
            this.method = method;
            this.client = client;
            names = new String[namesAndValues.length / 2];
            values = new String[namesAndValues.length / 2];
            for (int i = 0; i < names.length; i++) {
                names[i] = namesAndValues[2 * i];
                values[i] = namesAndValues[2 * i + 1];
            }
        }

        @Override
        public CharSequence method() {
            return method;
        }

        @Override
        public CharSequence header(CharSequence name) {
            for (int i = 0; i < names.length; i++) {
                if (equalsIgnoreCase(names[i], name)) {
                    return values[i];
                }
            }
            return null;
        }

        private static boolean equalsIgnoreCase(String a, CharSequence b) {
            if (a.length() != b.length()) {
                return false;
            }
            for (int i = 0; i < a.length(); i++) {
                char x = a.charAt(i);
                char y = b.charAt(i);
                if (x != y && Character.toLowerCase(x) != Character.toLowerCase(y)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public InetAddress clientAddress() {
            return client;
        }

        /** A fixed arrival time: routing never reads the clock, and neither does the proxy per decision. */
        @Override
        public long startNanos() {
            return startNanos;
        }
    }

    private RoutingSelector selector;
    private final RoutingDecision decision = new RoutingDecision();
    private Route plainRoute;
    private Route headerRoute;
    private Route cookieRoute;
    private Route resourceRoute;
    private Request plain;
    private Request withUser;
    private Request withCookie;
    private Request withDevice;
    private String cookie;
    private long latencyNanos = 5_000_000;
    private long nowNanos = System.nanoTime();

    private static Site site(String id, GeoPoint at, int port, List<Upstream> upstreams) {
        return new Site(id, id, at, new HostPort("127.0.0.1", port + 1000), new HostPort("127.0.0.1", port + 2000),
                "https://" + id + ".example", 0.02, 0.1, 1000, 0, List.of(Listener.http("http", "127.0.0.1", port)),
                List.of(UpstreamGroup.of("web", upstreams)));
    }

    private static Route route(String name, RouteTarget target, StickinessMode mode) {
        return new Route(name, Tenant.DEFAULT_ID, RouteMatch.pathPrefix("/" + name), target, RouteMode.PROXY,
                RouteTimeouts.defaults(), RetryPolicy.defaults(),
                new Stickiness(mode, false, Stickiness.DEFAULT_COOKIE_NAME, Stickiness.DEFAULT_HEADER_NAME,
                        Stickiness.DEFAULT_COOKIE_TTL_SECONDS, Stickiness.DEFAULT_LOAD_FACTOR),
                0, Route.DEFAULT_MAX_REPLICATION_LAG_MILLIS);
    }

    @Setup
    public void setUp() throws UnknownHostException {
        plainRoute = route("plain", RouteTarget.upstreamGroup("web"), StickinessMode.OFF);
        headerRoute = route("header", RouteTarget.upstreamGroup("web"), StickinessMode.HEADER);
        cookieRoute = route("cookie", RouteTarget.upstreamGroup("web"), StickinessMode.COOKIE);
        resourceRoute = route("desk", RouteTarget.resource("desk"), StickinessMode.OFF);
        List<Upstream> local = List.of(Upstream.of("127.0.0.1", 9001), Upstream.of("127.0.0.1", 9002),
                Upstream.of("127.0.0.1", 9003));
        Resource desk = new Resource("desk", Tenant.DEFAULT_ID, null, Resource.DEFAULT_BLOCK_SIZE_BYTES, "a",
                List.of(new Mirror("a", MirrorRole.PRIMARY, "web"), new Mirror("b", MirrorRole.SHADOW, "web"),
                        new Mirror("c", MirrorRole.SHADOW, "web")), null, null, null);
        Policy policy = Policy.of(List.of(site("a", new GeoPoint(50.11, 8.68), 18080, local),
                        site("b", new GeoPoint(48.85, 2.35), 18081, List.of(Upstream.of("127.0.0.1", 9101))),
                        site("c", new GeoPoint(40.71, -74.0), 18082, List.of(Upstream.of("127.0.0.1", 9201)))),
                List.of(), List.of(plainRoute, headerRoute, cookieRoute, resourceRoute), List.of(desk));
        RoutingEngine engine = RoutingEngine.builder(policy, "a").build();
        selector = engine.newSelector();
        InetAddress client = InetAddress.getByName("192.0.2.10");
        plain = new Request("GET", client);
        plain.startNanos = nowNanos;
        withUser = new Request("GET", client, "X-User-Id", "user-12345");
        withDevice = new Request("GET", client, "X-Device-Location", "48.8566,2.3522");
        selector.select(cookieRoute, plain, decision);
        cookie = decision.setCookieValue();
        selector.onResponse(cookieRoute, decision.target(), 200, latencyNanos, nowNanos);
        withCookie = new Request("GET", client, "Cookie", "theme=dark; vantage-affinity=" + cookie);
    }

    private RoutingTarget decide(Route route, Request request) {
        // Time moves 10 µs per decision, as a proxy's request start stamps would.
        request.startNanos = nowNanos += 10_000;
        selector.select(route, request, decision);
        RoutingTarget target = decision.target();
        // Vary the observed latency a little so that the EWMA keeps moving.
        latencyNanos = latencyNanos ^ 0x3ff;
        selector.onResponse(route, target, 200, latencyNanos, nowNanos + latencyNanos);
        return target;
    }

    /** Best mirror among three local upstreams: P2C on peak-EWMA score, no stickiness. */
    @Benchmark
    public RoutingTarget decisionBestMirror() {
        return decide(plainRoute, plain);
    }

    /** Header user key: bounded-load consistent hashing. */
    @Benchmark
    public RoutingTarget decisionHeaderSticky() {
        return decide(headerRoute, withUser);
    }

    /** Resource with mirrors at three sites and a device location: locality (trigonometry) then P2C. */
    @Benchmark
    public RoutingTarget decisionResourceWithDeviceLocation() {
        return decide(resourceRoute, withDevice);
    }

    /** Affinity cookie: find, decode, HMAC-SHA256 verify, then route to the pinned target. */
    @Benchmark
    public RoutingTarget decisionWithAffinityCookie() {
        return decide(cookieRoute, withCookie);
    }

    /** The HMAC-SHA256 verification of one affinity cookie value alone. */
    @Benchmark
    public RoutingTarget affinityCookieVerify() {
        return selector.verifyAffinityCookie(cookie);
    }
}
