package dev.vantage.proxy;

import dev.vantage.config.HostPort;
import dev.vantage.config.HttpLimits;
import dev.vantage.config.Listener;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.Policy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMatch;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Site;
import dev.vantage.config.Transport;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the policy of {@code vantage proxy --listen ... --to ...}: one site {@value #SITE_ID} with one listener,
 * one upstream group {@value #GROUP} and one catch-all route, with safe default limits and timeouts.
 */
public final class QuickStart {

    public static final String SITE_ID = "local";
    public static final String GROUP = "default";
    public static final String ROUTE = "catch-all";

    private QuickStart() {
    }

    /**
     * The quick-start policy.
     *
     * @param listen    address to accept clients on
     * @param upstreams at least one
     * @param transport listener transport
     * @param limits    HTTP limits (request-header timeout, sizes, idle timeout)
     * @param timeouts  upstream timeouts of the catch-all route
     * @param pool      upstream pool settings
     */
    public static Policy policy(HostPort listen, List<HostPort> upstreams, Transport transport, HttpLimits limits,
                                RouteTimeouts timeouts, PoolSettings pool) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("upstreams: none (expected: at least one --to host:port)");
        }
        List<Upstream> members = new ArrayList<>();
        for (HostPort upstream : upstreams) {
            members.add(Upstream.of(upstream.host(), upstream.port()));
        }
        Site site = new Site(SITE_ID, "local", null, null, null, null, 0, 0, 1, 0,
                List.of(new Listener("http", listen.host(), listen.port(), transport, null)),
                List.of(new UpstreamGroup(GROUP, members, pool, null)));
        Route route = new Route(ROUTE, null, RouteMatch.any(), RouteTarget.upstreamGroup(GROUP), null, timeouts, null,
                null, 0, Route.DEFAULT_MAX_REPLICATION_LAG_MILLIS);
        return new Policy(SITE_ID, List.of(site), List.of(), List.of(route), List.of(), null, null, null, limits,
                null, null);
    }

    /** The quick-start policy with default limits, timeouts and pool settings. */
    public static Policy policy(HostPort listen, List<HostPort> upstreams) {
        return policy(listen, upstreams, Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                PoolSettings.defaults());
    }
}
