package dev.vantage.proxy.internal.routing;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import dev.vantage.config.Route;
import dev.vantage.proxy.AttemptOutcome;
import dev.vantage.proxy.ProxyRequest;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.RoutingDecision;
import dev.vantage.proxy.RoutingFailure;
import dev.vantage.proxy.RoutingOutcome;
import dev.vantage.proxy.RoutingRequest;
import dev.vantage.proxy.RoutingTarget;
import dev.vantage.proxy.Selection;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UpstreamSelector;
import dev.vantage.proxy.UserLocationSource;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * Plugs the routing engine into the proxy's {@link UpstreamSelector} seam: one {@link LoopRouter} per event loop
 * (a {@link FastThreadLocal}), the proxy's request view adapted to {@link RoutingRequest}, and the decision turned
 * into the proxy's terms: forward (with the hop header for a peer site, the affinity {@code Set-Cookie} and the
 * per-try timeout), 307 redirect to the chosen site's public URL, or reject (503, or 429 with Retry-After). Attempt
 * outcomes feed the peak-EWMA and passive health, and retries go to another mirror within the retry budget. For the
 * route's shadow share of GET/HEAD requests a copy goes to a SHADOW mirror through the {@link ShadowClient} (its own
 * thread, fire and forget); its status and body length (bytes counted on the wire, whatever the framing) are compared
 * with the user's when both have ended. Hedged reads: {@link #hedgeDelayNanos} is the route's recent p95 (the per-try
 * timeout until enough samples), {@link #selectHedge} charges the retry budget and picks another mirror.
 *
 * <p>Threading: shared by every event loop; all per-request state lives in the calling loop's {@link LoopState}.
 */
final class RoutingUpstreamSelector implements UpstreamSelector {

    private static final int MAX_OPEN_SHADOWS_PER_LOOP = 4_096;

    private final DefaultRoutingEngine engine;
    private final FastThreadLocal<LoopState> loops = new FastThreadLocal<>() {
        @Override
        protected LoopState initialValue() {
            return new LoopState((LoopRouter) engine.newSelector());
        }
    };

    RoutingUpstreamSelector(DefaultRoutingEngine engine) {
        this.engine = engine;
    }

    /** One loop's router, decision slot, request view and scratch text. */
    private static final class LoopState implements RoutingRequest, LoopRouter.Excluded {
        final LoopRouter router;
        final RoutingDecision decision = new RoutingDecision();
        final StringBuilder location = new StringBuilder(256);
        /** Shadow copies whose user exchange has not ended yet, by the request's start time. */
        final Long2ObjectHashMap<ShadowExchange> shadows = new Long2ObjectHashMap<>();
        ProxyRequest request;
        Selection selection;

        LoopState(LoopRouter router) {
            this.router = router;
        }

        @Override
        public CharSequence method() {
            return request.method();
        }

        @Override
        public CharSequence header(CharSequence name) {
            return request.header(name);
        }

        @Override
        public InetAddress clientAddress() {
            InetSocketAddress address = request.clientAddress();
            return address == null ? null : address.getAddress();
        }

        @Override
        public long startNanos() {
            return request.startNanos();
        }

        @Override
        public boolean excluded(RoutingInputs in, int target) {
            UpstreamEndpoint endpoint = in.endpointOfTarget[target];
            return endpoint != null && selection.isExcluded(endpoint);
        }
    }

    @Override
    public void onTopology(ProxyTopology topology) {
        engine.bindTopology(topology);
    }

    @Override
    public void select(Route route, ProxyRequest request, Selection selection) {
        LoopState state = loops.get();
        state.request = request;
        state.selection = selection;
        RoutingDecision decision = state.decision;
        if (selection.attempt() == 0) {
            state.router.select(route, state, decision);
        } else {
            state.router.selectAnother(route, state, -1, state, decision);
        }
        UserLocation user = state.router.lastUserLocation();
        if (user != null) {
            selection.userLocation(user.latitudeDegrees, user.longitudeDegrees, switch (user.source) {
                case DEVICE -> UserLocationSource.HEADER;
                case CIDR -> UserLocationSource.CIDR;
                case SITE -> UserLocationSource.SITE;
            });
        }
        switch (decision.outcome()) {
            case REJECT -> {
                if (decision.retryAfterSeconds() > 0) {
                    selection.addResponseHeader("Retry-After", Long.toString(decision.retryAfterSeconds()));
                }
                selection.reject(decision.status(), decision.reason());
            }
            case REDIRECT -> {
                StringBuilder location = state.location;
                location.setLength(0);
                location.append(decision.redirectLocationPrefix()).append(request.target());
                if (decision.setCookie()) {
                    selection.addResponseHeader("Set-Cookie", decision.setCookieHeader());
                }
                selection.redirect(decision.status(), location);
            }
            case PROXY -> {
                if (forward(route, selection, decision, state) && selection.attempt() == 0) {
                    shadow(route, request, decision.target(), state);
                }
            }
            default -> selection.reject(503, "no mirror available");
        }
        state.request = null;
        state.selection = null;
    }

    private boolean forward(Route route, Selection selection, RoutingDecision decision, LoopState state) {
        RoutingTarget target = decision.target();
        RoutingInputs in = state.router.inputs;
        UpstreamEndpoint endpoint = target.index() < in.endpointOfTarget.length
                && in.snapshot.targets[target.index()] == target ? in.endpointOfTarget[target.index()] : null;
        if (endpoint == null) {
            // Routing and proxy topologies disagree for a moment during a reload: give the pending slot back.
            state.router.onFailure(target, RoutingFailure.CONNECT_FAILURE);
            selection.reject(503, "mirror not reachable from this proxy yet");
            return false;
        }
        if (!target.local()) {
            selection.addUpstreamHeader(RoutingDecision.HOP_HEADER, engine.localSiteId());
        }
        if (decision.setCookie()) {
            selection.addResponseHeader("Set-Cookie", decision.setCookieHeader());
        }
        long perTryMillis = route.retry().perTryTimeoutMillis();
        // On a hedging route a read is not cut at the per-try timeout: the timeout sends the hedge instead (Envoy's
        // hedge_on_per_try_timeout), and both attempts may use the route's response timeout.
        boolean hedgedRead = route.retry().hedgeReads() && HttpMethods.isGetOrHead(state.request.method());
        if (perTryMillis > 0 && !hedgedRead) {
            selection.responseTimeoutMillis(perTryMillis);
        }
        selection.forward(endpoint);
        return true;
    }

    /** Starts a shadow copy when the route's shadow share picks this request; never delays or fails it. */
    private void shadow(Route route, ProxyRequest request, RoutingTarget chosen, LoopState state) {
        RoutingTarget shadow = state.router.shadowTarget(route, state, chosen);
        if (shadow == null) {
            return;
        }
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop == null || state.shadows.size() >= MAX_OPEN_SHADOWS_PER_LOOP) {
            state.router.cancelShadow(route, shadow);
            return;
        }
        ShadowExchange exchange = new ShadowExchange(state, route, shadow, request.startNanos());
        state.shadows.put(exchange.key, exchange);
        boolean sent = engine.shadowClient().send(shadow.endpoint(), request.method().toString(),
                request.target().toString(), request.host().toString(), shadow.local() ? null : engine.localSiteId(),
                route.timeouts().responseTimeoutMillis(), loop, exchange);
        if (!sent) {
            state.shadows.remove(exchange.key);
            state.router.cancelShadow(route, shadow);
        }
    }

    /** One shadow copy and the user's exchange it is compared with; touched only on the requesting loop. */
    private static final class ShadowExchange implements ShadowClient.Result {
        final LoopState state;
        final Route route;
        final RoutingTarget shadow;
        final long key;
        int userStatus;
        long userLength;
        boolean shadowEnded;
        int shadowStatus;
        long shadowLength;
        long shadowLatencyNanos;

        ShadowExchange(LoopState state, Route route, RoutingTarget shadow, long key) {
            this.state = state;
            this.route = route;
            this.shadow = shadow;
            this.key = key;
        }

        @Override
        public void done(int status, long bodyBytes, long latencyNanos) {
            shadowEnded = true;
            if (status < 0) {
                forget();
                state.router.onShadowFailure(route, shadow);
                return;
            }
            shadowStatus = status;
            shadowLength = bodyBytes;
            shadowLatencyNanos = latencyNanos;
            if (userStatus != 0) {
                compare();
            }
        }

        void userEnded(int status, long bodyBytes) {
            userStatus = status;
            userLength = bodyBytes;
            if (shadowEnded) {
                compare();
            }
        }

        private void compare() {
            forget();
            state.router.onShadowResult(route, shadow, userStatus, userLength, shadowStatus, shadowLength,
                    shadowLatencyNanos);
        }

        private void forget() {
            if (state.shadows.get(key) == this) {
                state.shadows.remove(key);
            }
        }
    }

    @Override
    public boolean admitTenantConnection(String tenantId) {
        if (engine.tryOpenTenantConnection(tenantId)) {
            return true;
        }
        loops.get().router.counters.increment(RoutingCounters.TENANT_CONNECTIONS_LIMITED);
        return false;
    }

    @Override
    public void releaseTenantConnection(String tenantId) {
        engine.closeTenantConnection(tenantId);
    }

    @Override
    public long hedgeDelayNanos(Route route, ProxyRequest request) {
        if (!route.retry().hedgeReads()) {
            return -1;
        }
        return loops.get().router.hedgeDelayNanos(route, request.method());
    }

    @Override
    public void selectHedge(Route route, ProxyRequest request, Selection selection) {
        LoopState state = loops.get();
        if (!state.router.tryHedge(route, request.method())) {
            return;
        }
        state.request = request;
        state.selection = selection;
        RoutingDecision decision = state.decision;
        state.router.selectAnother(route, state, -1, state, decision);
        if (decision.outcome() == RoutingOutcome.PROXY) {
            forward(route, selection, decision, state);
        }
        state.request = null;
        state.selection = null;
    }

    @Override
    public void onExchangeEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, int status,
                              long bodyBytes) {
        LoopState state = loops.get();
        if (state.shadows.isEmpty()) {
            return;
        }
        ShadowExchange exchange = state.shadows.get(request.startNanos());
        if (exchange != null && exchange.route == route) {
            exchange.userEnded(status, bodyBytes);
        }
    }

    @Override
    public boolean onAttemptEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, AttemptOutcome outcome,
                                int status, long latencyNanos) {
        LoopState state = loops.get();
        LoopRouter router = state.router;
        RoutingInputs in = router.inputs;
        RoutingTarget target = upstream.index() < in.targetOfEndpoint.length ? in.targetOfEndpoint[upstream.index()]
                : null;
        if (target == null) {
            return false;
        }
        long nowNanos = request.startNanos() + latencyNanos;
        RoutingFailure failure;
        switch (outcome) {
            case CANCELLED -> {
                router.onCancelled(target, latencyNanos, nowNanos);
                return false;
            }
            case RESPONSE -> {
                router.onResponse(route, target, status, latencyNanos, nowNanos);
                if (status != 503) {
                    return false;
                }
                failure = RoutingFailure.STATUS_503;
            }
            case CONNECT_FAILURE -> failure = RoutingFailure.CONNECT_FAILURE;
            case TIMEOUT -> failure = RoutingFailure.TIMEOUT;
            default -> failure = RoutingFailure.RESET;
        }
        if (failure != RoutingFailure.STATUS_503) {
            router.onFailure(target, failure);
        }
        return router.tryRetry(route, request.method(), failure, request.attempt());
    }
}
