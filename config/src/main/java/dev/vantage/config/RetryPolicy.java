package dev.vantage.config;

import java.util.EnumSet;
import java.util.Set;

/**
 * When and how often an idempotent request is retried. Retries are limited by a budget: at most
 * {@code budgetRatio} of recent requests plus {@code minRetriesPerSecond}.
 *
 * @param maxRetries          0..10, default 2
 * @param perTryTimeoutMillis 0..86400000, default 0 = use the route's response timeout
 * @param retryOn             conditions, default {@code CONNECT_FAILURE, RESET}
 * @param budgetRatio         0..1, default 0.2
 * @param minRetriesPerSecond 0..100000, default 3
 * @param hedgeReads          default false; send a second copy of a GET/HEAD that has no response head after the
 *                            route's recent p95 (the per-try timeout until enough samples) to another mirror
 */
public record RetryPolicy(int maxRetries, long perTryTimeoutMillis, Set<RetryOn> retryOn, double budgetRatio,
                          int minRetriesPerSecond, boolean hedgeReads) {

    public static final int DEFAULT_MAX_RETRIES = 2;
    public static final long DEFAULT_PER_TRY_TIMEOUT_MILLIS = 0;
    public static final Set<RetryOn> DEFAULT_RETRY_ON = Set.copyOf(EnumSet.of(RetryOn.CONNECT_FAILURE, RetryOn.RESET));
    public static final double DEFAULT_BUDGET_RATIO = 0.2;
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 3;

    public RetryPolicy {
        retryOn = retryOn == null ? DEFAULT_RETRY_ON : Set.copyOf(retryOn);
    }

    public static RetryPolicy defaults() {
        return new RetryPolicy(DEFAULT_MAX_RETRIES, DEFAULT_PER_TRY_TIMEOUT_MILLIS, DEFAULT_RETRY_ON,
                DEFAULT_BUDGET_RATIO, DEFAULT_MIN_RETRIES_PER_SECOND, false);
    }

    /** Never retries. */
    public static RetryPolicy none() {
        return new RetryPolicy(0, 0, Set.of(), 0, 0, false);
    }
}
