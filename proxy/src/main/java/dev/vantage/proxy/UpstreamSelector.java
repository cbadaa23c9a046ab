package dev.vantage.proxy;

import dev.vantage.config.Route;
import dev.vantage.proxy.internal.LeastPendingP2cSelector;

/**
 * The seam through which the proxy asks "which upstream serves this request?" and reports how each attempt went.
 * The default is {@link #powerOfTwoLeastPending()}; the routing layer plugs best-mirror selection, stickiness,
 * redirects and retries in here through {@code ProxyServer.Builder#selector}.
 *
 * <p>Call sequence for one request: {@link #select} (attempt 0) &rarr; the proxy connects and sends &rarr;
 * {@link #onAttemptEnd} with the outcome. When that returns {@code true} and the request can still be replayed
 * (no request body, nothing sent to the client yet) the proxy calls {@link #select} again with
 * {@link Selection#attempt()} + 1 and the failed endpoint {@linkplain Selection#isExcluded excluded}.
 *
 * <p>Hedged reads: for a GET or HEAD without a body the proxy asks {@link #hedgeDelayNanos} once; when the first
 * attempt has no response head after that delay it calls {@link #selectHedge} and, when that forwards, sends a second
 * attempt to the chosen upstream while the first one keeps waiting. The first response head wins and is relayed;
 * the other attempt is reported with {@link AttemptOutcome#CANCELLED} and its connection closed. While both are in
 * flight, the failure of one only ends that one (no retry); the survivor carries on alone.
 *
 * <p>Threading: one instance serves every event loop, so implementations must be thread-safe; calls come from the
 * request's event loop and must neither block nor allocate per call (read snapshots through volatile fields, keep
 * per-upstream state in arrays indexed by {@link UpstreamEndpoint#index()}).
 */
public interface UpstreamSelector {

    /**
     * Chooses what to do with a request that matched {@code route}: fill {@code selection} with
     * {@link Selection#forward}, {@link Selection#redirect} or {@link Selection#reject}.
     */
    void select(Route route, ProxyRequest request, Selection selection);

    /**
     * Reports how an attempt ended.
     *
     * @param status       the upstream's status for {@link AttemptOutcome#RESPONSE}, else the status the proxy would
     *                     answer (502 or 504)
     * @param latencyNanos from the attempt's start to the response head (or to the failure)
     * @return {@code true} to ask for a retry on another upstream (honoured only when the request is replayable)
     */
    default boolean onAttemptEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, AttemptOutcome outcome,
                                 int status, long latencyNanos) {
        return false;
    }

    /**
     * Reports how a {@linkplain Selection#shadow shadow copy} ended, on the request's event loop.
     *
     * @param outcome       {@link AttemptOutcome#RESPONSE} when a complete response was read
     * @param status        the shadow's status, or 0 when there was no response
     * @param bodyBytes     response body bytes read (and dropped)
     * @param latencyNanos  from sending the copy to the end of its response (or the failure)
     */
    default void onShadowEnd(Route route, UpstreamEndpoint shadow, AttemptOutcome outcome, int status,
                             long bodyBytes, long latencyNanos) {
    }

    /**
     * Reports the end of a proxied exchange (the response was fully relayed to the client), on the request's event
     * loop; {@code request} views the finished request for the duration of the call. Used to compare shadow copies.
     *
     * @param status     the status relayed to the client
     * @param bodyBytes  the response body bytes the upstream sent (counted whatever the framing: Content-Length,
     *                   chunked (payload only) or until close); 0 for a response without a body
     */
    default void onExchangeEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, int status,
                               long bodyBytes) {
    }

    /**
     * How long the first attempt of this GET/HEAD request may wait for its response head before a hedged copy is
     * sent, in nanoseconds; -1 (the default) for no hedging. Asked once per request, right after {@link #select}
     * forwarded its first attempt.
     */
    default long hedgeDelayNanos(Route route, ProxyRequest request) {
        return -1;
    }

    /**
     * Chooses the upstream of a hedged copy (the first attempt's upstream is {@linkplain Selection#isExcluded
     * excluded}): {@link Selection#forward} sends it, anything else sends nothing. An implementation charges the
     * copy to its retry budget here. The default sends no hedge.
     */
    default void selectHedge(Route route, ProxyRequest request, Selection selection) {
    }

    /**
     * A client connection sends its first request for {@code tenantId} (or its first after requests for another
     * tenant, which was released first): admit it, or return false when the tenant is at its connection limit (the
     * proxy answers 429 with {@code Retry-After} and closes the connection). Every admission is matched by one
     * {@link #releaseTenantConnection} when the connection closes or moves to another tenant. Default: admit.
     */
    default boolean admitTenantConnection(String tenantId) {
        return true;
    }

    /** Releases a connection admitted by {@link #admitTenantConnection}. */
    default void releaseTenantConnection(String tenantId) {
    }

    /** Called on the reload thread after a new topology is published (and once at start). */
    default void onTopology(ProxyTopology topology) {
    }

    /** Power of two random choices over the least pending requests among the available candidates. */
    static UpstreamSelector powerOfTwoLeastPending() {
        return LeastPendingP2cSelector.INSTANCE;
    }
}
