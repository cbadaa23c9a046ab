package dev.vantage.proxy.internal.routing;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.vantage.config.Tenant;

/**
 * One tenant's request-rate limit (GCRA, the lock-free form of a token bucket with one second of burst) and
 * connection limit, shared by every event loop of the site.
 *
 * <p>Threading: lock-free; any number of threads.
 */
final class TenantLimits {

    final Tenant tenant;
    private final long emissionNanos;
    private final long burstNanos;
    private final boolean unlimitedRate;
    private final AtomicLong theoreticalArrivalNanos;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong rejectedRate = new AtomicLong();
    private final AtomicLong rejectedConnections = new AtomicLong();

    TenantLimits(Tenant tenant, long nowNanos) {
        this.tenant = tenant;
        double rate = tenant.maxRequestsPerSecond();
        unlimitedRate = !(rate > 0) || Double.isInfinite(rate);
        emissionNanos = unlimitedRate ? 0 : Math.max(1, (long) (1e9 / rate));
        burstNanos = unlimitedRate ? 0 : Math.max(emissionNanos, (long) (Math.max(1, rate) * emissionNanos));
        theoreticalArrivalNanos = new AtomicLong(nowNanos);
    }

    /**
     * Admits one request, or returns how many nanoseconds the caller should wait (&gt; 0) when over the rate.
     */
    long tryAcquire(long nowNanos) {
        if (unlimitedRate) {
            return 0;
        }
        while (true) {
            long tat = theoreticalArrivalNanos.get();
            long start = Math.max(tat, nowNanos);
            long next = start + emissionNanos;
            long wait = next - nowNanos - burstNanos;
            if (wait > 0) {
                rejectedRate.incrementAndGet();
                return wait;
            }
            if (theoreticalArrivalNanos.compareAndSet(tat, next)) {
                return 0;
            }
        }
    }

    boolean tryOpenConnection() {
        int max = tenant.maxConnections() <= 0 ? Integer.MAX_VALUE : tenant.maxConnections();
        while (true) {
            int open = connections.get();
            if (open >= max) {
                rejectedConnections.incrementAndGet();
                return false;
            }
            if (connections.compareAndSet(open, open + 1)) {
                return true;
            }
        }
    }

    /** Never below zero: after a reload that changed the limits, connections admitted before it release here too. */
    void closeConnection() {
        connections.getAndUpdate(open -> open > 0 ? open - 1 : 0);
    }

    int openConnections() {
        return connections.get();
    }

    long rejectedRate() {
        return rejectedRate.get();
    }

    long rejectedConnections() {
        return rejectedConnections.get();
    }
}
