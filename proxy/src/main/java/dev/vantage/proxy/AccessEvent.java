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
 * @param userLatitude  the user's latitude in degrees as resolved for routing, NaN when {@code UNKNOWN}
 * @param userLongitude the user's longitude in degrees, NaN when {@code UNKNOWN}
 * @param userLocationSource where the location came from
 */
public record AccessEvent(long timeMillis, String userKey, String siteId, String resource, String route,
                          String upstream, String method, String path, int status, long latencyNanos,
                          long requestBytes, long responseBytes, String clientAddress, double userLatitude,
                          double userLongitude, UserLocationSource userLocationSource) {

    public AccessEvent {
        userLocationSource = userLocationSource == null ? UserLocationSource.UNKNOWN : userLocationSource;
    }

    /** An event without a user location. */
    public AccessEvent(long timeMillis, String userKey, String siteId, String resource, String route,
                       String upstream, String method, String path, int status, long latencyNanos,
                       long requestBytes, long responseBytes, String clientAddress) {
        this(timeMillis, userKey, siteId, resource, route, upstream, method, path, status, latencyNanos, requestBytes,
                responseBytes, clientAddress, Double.NaN, Double.NaN, UserLocationSource.UNKNOWN);
    }

    /** Whether the location says where the user is (from the device header or the client address). */
    public boolean hasUserLocation() {
        return userLocationSource == UserLocationSource.HEADER || userLocationSource == UserLocationSource.CIDR;
    }
}
