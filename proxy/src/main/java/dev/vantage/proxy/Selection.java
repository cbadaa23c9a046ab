package dev.vantage.proxy;

/**
 * The per-call context and result slot of one {@link UpstreamSelector#select} call: what may be chosen and what
 * was chosen. The proxy owns one instance per connection and resets it before every call, so filling it
 * allocates nothing.
 *
 * <p>Exactly one of {@link #forward}, {@link #redirect} or {@link #reject} should be called; the last call wins.
 * When none is called the proxy answers {@code 503 no upstream available}.
 *
 * <p>Threading: used only on the request's event loop, only during the call.
 */
public interface Selection {

    /** The topology snapshot the request is routed with. */
    ProxyTopology topology();

    /**
     * The route's upstreams at this site: the route's upstream group, or, for a resource route, the group of the
     * resource's mirror at this site. {@code null} when this site has none.
     */
    EndpointGroup candidates();

    /** 0 for the first attempt, 1 for the first retry, and so on. */
    int attempt();

    /** Whether {@code endpoint} was already tried by an earlier attempt of this request. */
    boolean isExcluded(UpstreamEndpoint endpoint);

    /** Proxy the request to {@code endpoint}. */
    void forward(UpstreamEndpoint endpoint);

    /**
     * Answer with a redirect instead of proxying.
     *
     * @param status   301, 302, 303, 307 or 308
     * @param location the Location header value
     */
    void redirect(int status, CharSequence location);

    /**
     * Answer with an error instead of proxying.
     *
     * @param status 4xx or 5xx
     * @param reason a short reason for people, sent as the body (one line, no stack trace)
     */
    void reject(int status, CharSequence reason);

    /** Overrides the route's response timeout for this attempt (e.g. a per-try timeout); &gt; 0. */
    void responseTimeoutMillis(long timeoutMillis);

    /** Adds a header to the request sent upstream (e.g. a loop-prevention hop header). At most 8 per request. */
    void addUpstreamHeader(CharSequence name, CharSequence value);

    /** Adds a header to the response sent to the client (e.g. {@code Set-Cookie}). At most 8 per request. */
    void addResponseHeader(CharSequence name, CharSequence value);

    /** The user key written to the access event (default: the client IP address). */
    void userKey(CharSequence key);

    /** The resource id written to the access event (default: the route's resource, if any). */
    void resource(CharSequence resourceId);

    /**
     * The user's location the selector resolved, written to the access event (default: none). The default
     * implementation ignores it.
     */
    default void userLocation(double latitudeDegrees, double longitudeDegrees, UserLocationSource source) {
    }

    /**
     * Also sends a copy of this request to {@code shadow} (shadow traffic). Honoured for GET and HEAD requests
     * without a body on their first attempt; the copy goes out on its own connection, its response is read,
     * counted and dropped, and its outcome is reported to {@link UpstreamSelector#onShadowEnd}. It never delays or
     * fails the user's request.
     */
    void shadow(UpstreamEndpoint shadow);
}
