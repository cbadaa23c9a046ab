package dev.vantage.proxy;

import dev.vantage.config.Route;

/**
 * One event loop's router: picks the target of each request and learns from each response. Everything here runs
 * on the owning event loop and allocates nothing, except when a new affinity cookie is issued.
 *
 * <p>Threading: confined to one event loop; obtain one per loop from {@link RoutingEngine#newSelector()}.
 */
public interface RoutingSelector {

    /**
     * Routes one request: tenant rate limit, hop-loop check, affinity (cookie, header or client address), user
     * location and locality, then best-mirror selection. For {@link RoutingOutcome#PROXY} the target's pending count
     * is raised; the proxy must later call exactly one of {@link #onResponse} or {@link #onFailure} for it.
     */
    void select(Route route, RoutingRequest request, RoutingDecision out);

    /**
     * Another target for a retry or a hedged copy of a request that went to {@code exclude}: best mirror among the
     * others, no stickiness, no cookie, no tenant charge. Raises the new target's pending count like {@link #select}.
     */
    void selectAnother(Route route, RoutingRequest request, RoutingTarget exclude, RoutingDecision out);

    /**
     * The response headers of an attempt at {@code target} arrived after {@code latencyNanos}, at {@code nowNanos}:
     * feeds the target's peak-EWMA and passive health, and the route's latency window for hedging ({@code route} may
     * be null).
     */
    void onResponse(Route route, RoutingTarget target, int status, long latencyNanos, long nowNanos);

    /** An attempt at {@code target} failed: releases its pending slot and counts towards passive ejection. */
    void onFailure(RoutingTarget target, RoutingFailure failure);

    /**
     * An attempt at {@code target} was abandoned without a response after {@code waitedNanos} (the losing half of a
     * hedged read): releases its pending slot, and since the wait is a lower bound of its response time, raises
     * the target's peak-EWMA to it when higher. Not a failure: no ejection counting.
     */
    void onCancelled(RoutingTarget target, long waitedNanos, long nowNanos);

    /**
     * Whether a failed attempt may be retried: idempotent method, a condition the route retries on, fewer than its
     * maxRetries retries so far, and a token from the route's retry budget (which this call withdraws).
     *
     * @param retriesSoFar retries already made for this request (0 after the first attempt failed)
     */
    boolean tryRetry(Route route, CharSequence method, RoutingFailure failure, int retriesSoFar);

    /** The per-try timeout of {@code route} in nanoseconds (its retry policy's, else its response timeout). */
    long perTryTimeoutNanos(Route route);

    /**
     * When to send a hedged copy of a safe request on {@code route}: its recent p95 response time (capped by the
     * per-try timeout), the per-try timeout while fewer than 20 responses were seen in the window, or -1 when the
     * route does not hedge or the method is not GET/HEAD.
     */
    long hedgeDelayNanos(Route route, CharSequence method);

    /**
     * Whether a hedged copy of a GET/HEAD on {@code route} may go out now: the route hedges and its retry budget
     * has a token (which this call withdraws). Counted either way. Then {@link #selectAnother} picks its target.
     */
    boolean tryHedge(Route route, CharSequence method);

    /**
     * The shadow mirror that also receives a copy of this request, or {@code null}: only for GET/HEAD, for
     * the route's shadowPercent of requests, and only a SHADOW-role target other than {@code chosen}. Raises
     * the shadow's pending count; the proxy reports the outcome with {@link #onShadowResult} or
     * {@link #onShadowFailure}.
     */
    RoutingTarget shadowTarget(Route route, RoutingRequest request, RoutingTarget chosen);

    /**
     * Compares the shadow's response with the user's into counters: status, then the response body length in bytes
     * as counted on the wire (whatever the framing; a length of -1, i.e. unknown, is not compared).
     */
    void onShadowResult(Route route, RoutingTarget shadow, int userStatus, long userLengthBytes, int shadowStatus,
                        long shadowLengthBytes, long shadowLatencyNanos);

    /** The shadow copy to {@code shadow} failed (connect, reset, timeout); counted, never seen by the user. */
    void onShadowFailure(Route route, RoutingTarget shadow);

    /** Verifies an affinity cookie value; the target it names, or {@code null} when invalid, expired or unknown. */
    RoutingTarget verifyAffinityCookie(CharSequence value);

    /** A fresh affinity cookie value naming {@code target}, valid for {@code ttlSeconds} (allocates). */
    String issueAffinityCookie(RoutingTarget target, long ttlSeconds);
}
