package dev.vantage.proxy.internal.routing;

/**
 * A retry budget in the manner of Finagle's and Envoy's: every request deposits {@code ratio} of a token, every
 * retry withdraws one, and a reserve refilled at {@code minPerSecond} tokens per second lets a quiet route retry at
 * all. Deposits fade with a 10 s time constant (Finagle keeps them for a 10 s window) so that a long calm period
 * cannot fund a retry storm later; retries therefore stay at about {@code ratio} of recent requests plus
 * {@code minPerSecond}, and never amplify an outage.
 *
 * <p>Threading: not thread-safe; one per route per event loop.
 */
final class RetryBudget {

    private static final double DEPOSIT_LIFETIME_NANOS = 10e9;
    private static final long DECAY_STEP_NANOS = 1_000_000L;
    /** Ten deposits of 0.1 add up to slightly less than 1 in binary floating point; they still buy a retry. */
    private static final double EPSILON = 1e-9;

    private final double ratio;
    private final double minPerSecond;
    private double deposits;
    private double reserve;
    private long lastRefillNanos;
    private long lastDecayNanos;

    RetryBudget(double ratio, int minPerSecond, long nowNanos) {
        this.ratio = Math.max(0, ratio);
        this.minPerSecond = Math.max(0, minPerSecond);
        this.reserve = this.minPerSecond;
        this.lastRefillNanos = nowNanos;
        this.lastDecayNanos = nowNanos;
    }

    void onRequest(long nowNanos) {
        decay(nowNanos);
        deposits += ratio;
    }

    private void decay(long nowNanos) {
        long elapsed = nowNanos - lastDecayNanos;
        if (elapsed >= DECAY_STEP_NANOS) {
            deposits *= FastExp.negExp(elapsed / DEPOSIT_LIFETIME_NANOS);
            lastDecayNanos = nowNanos;
        }
    }

    /** Withdraws one retry token; false when the budget is exhausted. */
    boolean tryWithdraw(long nowNanos) {
        decay(nowNanos);
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            reserve = Math.min(minPerSecond, reserve + elapsed * 1e-9 * minPerSecond);
            lastRefillNanos = nowNanos;
        }
        if (deposits >= 1 - EPSILON) {
            deposits -= 1;
            return true;
        }
        if (reserve >= 1 - EPSILON) {
            reserve -= 1;
            return true;
        }
        return false;
    }

    double balance() {
        return deposits + reserve;
    }
}
