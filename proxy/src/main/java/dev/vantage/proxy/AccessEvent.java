package dev.vantage.proxy;

/**
 * One completed request, as written to the access log and given to {@link AccessSink}s.
 *
 * @param timeMillis    wall-clock time the request head was complete, epoch milliseconds
 * @param userKey       user key chosen by the selector, default the client IP
 * @param siteId        the site that served the request
 * @param resource      resource id, or empty for a plain upstream-group route
 * @param route         matched route name, or empty when none matched
 * @param upstream      {@code host:port} of the upstream that answered, or empty when the proxy answered itself
 * @param method        request method
 * @param path          request target (truncated to 1 KiB)
 * @param status        status sent to the client
 * @param latencyNanos  from the complete request head to the last response byte written
 * @param requestBytes  request body bytes received from the client
 * @param responseBytes response bytes (head and body) sent to the client
 * @param clientAddress client IP address
 */
public record AccessEvent(long timeMillis, String userKey, String siteId, String resource, String route,
                          String upstream, String method, String path, int status, long latencyNanos,
                          long requestBytes, long responseBytes, String clientAddress) {
}
