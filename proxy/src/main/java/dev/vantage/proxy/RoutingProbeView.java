package dev.vantage.proxy;

/**
 * What routing reads from the latency probes: a smoothed RTT and an up/down verdict per endpoint (an upstream's
 * {@code host:port} or a peer site's ingress {@code host:port}). The site adapts the latency-probe table to it.
 *
 * <p>Threading: called by the routing refresher thread (never on an event loop); implementations must not block.
 */
public interface RoutingProbeView {

    /** {@link #rttNanos} when the endpoint has not been probed. */
    long RTT_UNKNOWN = -1;

    /** Smoothed round-trip time to {@code endpoint} in nanoseconds, or {@link #RTT_UNKNOWN}. */
    long rttNanos(String endpoint);

    /** False when the probes consider {@code endpoint} down; true when up or not probed. */
    boolean healthy(String endpoint);

    /** No probes: every endpoint healthy, RTT unknown. */
    static RoutingProbeView none() {
        return new RoutingProbeView() {
            @Override
            public long rttNanos(String endpoint) {
                return RTT_UNKNOWN;
            }

            @Override
            public boolean healthy(String endpoint) {
                return true;
            }
        };
    }
}
