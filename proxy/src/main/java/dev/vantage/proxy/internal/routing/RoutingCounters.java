package dev.vantage.proxy.internal.routing;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Event counters of one event loop's router, summed over loops when metrics are rendered.
 *
 * <p>Threading: single writer (the owning event loop) using ordered writes, any number of readers.
 */
final class RoutingCounters {

    static final int LOCATION_DEVICE = 0;
    static final int LOCATION_DEVICE_MALFORMED = 1;
    static final int LOCATION_CIDR = 2;
    static final int LOCATION_CIDR_MISS = 3;
    static final int LOCATION_SITE = 4;
    static final int COOKIE_VALID = 5;
    static final int COOKIE_GARBLED = 6;
    static final int COOKIE_UNKNOWN_TARGET = 7;
    static final int COOKIE_BAD_SIGNATURE = 8;
    static final int COOKIE_EXPIRED = 9;
    static final int STICKY_MOVED = 10;
    static final int STRICT_REJECTED = 11;
    static final int PANIC = 12;
    static final int SPILLED = 13;
    static final int NO_TARGET = 14;
    static final int LOOP_PREVENTED = 15;
    static final int RETRY_ALLOWED = 16;
    static final int RETRY_BUDGET_EXHAUSTED = 17;
    static final int RETRY_NOT_ELIGIBLE = 18;
    static final int HEDGE_SENT = 19;
    static final int SHADOW_SENT = 20;
    static final int SHADOW_MATCH = 21;
    static final int SHADOW_STATUS_MISMATCH = 22;
    static final int SHADOW_LENGTH_MISMATCH = 23;
    static final int SHADOW_FAILED = 24;
    static final int TENANT_RATE_LIMITED = 25;
    static final int TENANT_CONNECTIONS_LIMITED = 26;
    static final int EJECTED = 27;
    static final int HEDGE_BUDGET_EXHAUSTED = 28;
    static final int COUNT = 29;

    /** Prometheus metric name and label of each counter, by index. */
    static final String[][] NAMES = {
        {"vantage_routing_user_location_total", "source=\"device\""},
        {"vantage_routing_user_location_fallback_total", "reason=\"device_header_malformed\""},
        {"vantage_routing_user_location_total", "source=\"cidr\""},
        {"vantage_routing_user_location_fallback_total", "reason=\"cidr_no_match\""},
        {"vantage_routing_user_location_total", "source=\"site\""},
        {"vantage_routing_affinity_cookie_total", "result=\"valid\""},
        {"vantage_routing_affinity_cookie_total", "result=\"garbled\""},
        {"vantage_routing_affinity_cookie_total", "result=\"unknown_target\""},
        {"vantage_routing_affinity_cookie_total", "result=\"bad_signature\""},
        {"vantage_routing_affinity_cookie_total", "result=\"expired\""},
        {"vantage_routing_sticky_moved_total", ""},
        {"vantage_routing_rejected_total", "reason=\"strict_stickiness\""},
        {"vantage_routing_panic_total", ""},
        {"vantage_routing_spilled_total", ""},
        {"vantage_routing_rejected_total", "reason=\"no_target\""},
        {"vantage_routing_rejected_total", "reason=\"hop_loop\""},
        {"vantage_routing_retries_total", "result=\"allowed\""},
        {"vantage_routing_retries_total", "result=\"budget_exhausted\""},
        {"vantage_routing_retries_total", "result=\"not_eligible\""},
        {"vantage_routing_hedges_total", "result=\"sent\""},
        {"vantage_routing_shadow_requests_total", ""},
        {"vantage_routing_shadow_results_total", "result=\"match\""},
        {"vantage_routing_shadow_results_total", "result=\"status_mismatch\""},
        {"vantage_routing_shadow_results_total", "result=\"length_mismatch\""},
        {"vantage_routing_shadow_results_total", "result=\"failed\""},
        {"vantage_routing_rejected_total", "reason=\"tenant_rate\""},
        {"vantage_routing_rejected_total", "reason=\"tenant_connections\""},
        {"vantage_routing_ejections_total", ""},
        {"vantage_routing_hedges_total", "result=\"budget_exhausted\""},
    };

    private final AtomicLongArray values = new AtomicLongArray(COUNT);

    void increment(int counter) {
        values.lazySet(counter, values.get(counter) + 1);
    }

    long get(int counter) {
        return values.get(counter);
    }
}
