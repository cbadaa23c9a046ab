package dev.vantage.proxy;

/** What the proxy does with a routed request. */
public enum RoutingOutcome {
    /** Forward to {@link RoutingDecision#target()}: a local upstream, or a peer ingress with the hop header. */
    PROXY,
    /** Answer 307 with {@code Location} = {@link RoutingDecision#redirectLocationPrefix()} + the request target. */
    REDIRECT,
    /** Answer {@link RoutingDecision#status()} with {@link RoutingDecision#reason()} (503 or 429). */
    REJECT
}
