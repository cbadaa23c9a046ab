package dev.vantage.proxy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One upstream server as the proxy sees it: its address, its operator weight and the live counters the selectors
 * read (pending requests, health, draining).
 *
 * <p>Identity: the proxy keeps one instance per {@code (site, group, host, port)} across policy reloads, so
 * counters, pools and whatever a selector keys on this object survive a reload. {@link #index()} is a small dense
 * number that selectors may use to index their own per-upstream arrays.
 *
 * <p>Threading: the counters are updated by every event loop with atomic operations and may be read from any
 * thread; {@link #healthy} and {@link #draining} are written by the health checker or the site and read by the
 * event loops.
 */
public final class UpstreamEndpoint {

    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(UpstreamEndpoint.class, "pendingRequests", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int index;
    private final String siteId;
    private final String groupName;
    private final String host;
    private final int port;
    private final String endpoint;
    private final InetSocketAddress address;
    private volatile double weight;
    private volatile boolean healthy = true;
    private volatile boolean draining;
    @SuppressWarnings("unused") // accessed through PENDING
    private volatile int pendingRequests;

    /**
     * Creates an endpoint; the proxy does this for every upstream of the policy, selectors and tests may too.
     *
     * @param index     dense index, &gt;= 0, unique among the endpoints of one proxy
     * @param siteId    site the upstream belongs to
     * @param groupName upstream group name (or a pseudo-group such as {@code ingress} for another site's proxy)
     * @param host      host name or IP literal
     * @param port      1..65535
     * @param weight    operator weight, &gt; 0
     */
    public UpstreamEndpoint(int index, String siteId, String groupName, String host, int port, double weight) {
        if (index < 0) {
            throw new IllegalArgumentException("index: " + index + " (expected: >= 0)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        this.index = index;
        this.siteId = Objects.requireNonNull(siteId, "siteId");
        this.groupName = Objects.requireNonNull(groupName, "groupName");
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.weight = weight;
        this.endpoint = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        this.address = InetSocketAddress.createUnresolved(host, port);
    }

    public int index() {
        return index;
    }

    public String siteId() {
        return siteId;
    }

    public String groupName() {
        return groupName;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** {@code host:port} ({@code [v6]:port}). */
    public String endpoint() {
        return endpoint;
    }

    /** The unresolved socket address; the proxy resolves it when it connects. */
    public InetSocketAddress address() {
        return address;
    }

    /** Operator weight (&gt; 0). */
    public double weight() {
        return weight;
    }

    /** Updates the operator weight (policy reload). */
    public void weight(double newWeight) {
        this.weight = newWeight;
    }

    /** Requests sent to this upstream whose response has not completed yet, over all event loops. */
    public int pendingRequests() {
        return (int) PENDING.getOpaque(this);
    }

    /** Called by the proxy when a request is sent to this upstream. */
    public void requestStarted() {
        PENDING.getAndAdd(this, 1);
    }

    /** Called by the proxy when the exchange with this upstream ended, whatever the outcome. */
    public void requestEnded() {
        PENDING.getAndAdd(this, -1);
    }

    /** False when health checks or passive signals consider the upstream down. */
    public boolean healthy() {
        return healthy;
    }

    public void healthy(boolean isHealthy) {
        this.healthy = isHealthy;
    }

    /** True while the upstream is being drained: no new requests, in-flight ones finish. */
    public boolean draining() {
        return draining;
    }

    public void draining(boolean isDraining) {
        this.draining = isDraining;
    }

    /** Whether a selector may send a new request here: healthy and not draining. */
    public boolean available() {
        return healthy && !draining;
    }

    @Override
    public String toString() {
        return siteId + "/" + groupName + "/" + endpoint;
    }
}
