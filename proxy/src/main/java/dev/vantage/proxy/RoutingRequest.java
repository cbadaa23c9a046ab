package dev.vantage.proxy;

import java.net.InetAddress;

/**
 * The parts of a request that routing reads. The proxy implements it as a reusable view over its decoded request
 * so that a routing decision allocates nothing.
 *
 * <p>Threading: used only on the event loop that owns the request, only during the routing call.
 */
public interface RoutingRequest {

    /** The request method, e.g. {@code GET}. */
    CharSequence method();

    /** The first value of header {@code name} (case-insensitive), or {@code null}. */
    CharSequence header(CharSequence name);

    /** The client's address (the TCP peer), or {@code null} when unknown. */
    InetAddress clientAddress();

    /**
     * When the request arrived, on the engine's monotonic nano clock ({@link System#nanoTime()} unless the engine
     * was built with another). Routing reads time only through this and {@code nowNanos} arguments: reading the
     * clock costs more than a whole decision on some virtual machines.
     */
    long startNanos();
}
