package dev.vantage.proxy;

/**
 * Receives one {@link AccessEvent} per completed request (site feeds the predictor through this).
 *
 * <p>Threading: called on the proxy's single access-log thread, never on an event loop, in completion order per
 * event loop. A slow sink delays the access log and, when the ring fills, causes counted drops; it never delays a
 * request. Exceptions thrown by a sink are counted and otherwise ignored.
 */
@FunctionalInterface
public interface AccessSink {

    void onAccess(AccessEvent event);
}
