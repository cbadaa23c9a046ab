package dev.vantage.config;

/**
 * Settings of the co-located predictor.
 *
 * @param horizonMillis          1000..604800000, default 900000 (15 min); how far ahead needs are predicted
 * @param softThreshold          0..1, default 0.7; probability at which a soft reservation (shadow) is made
 * @param firmThreshold          softThreshold..1, default 0.9; probability at which a firm reservation is made
 * @param markovMaxOrder         1..8, default 3; maximum context length of the variable-order Markov models
 * @param maxUsers               1..10000000, default 100000; users tracked before the least recent are evicted
 * @param benefitPerHit          &gt;= 0, default 1.0; value of serving one predicted access from a warm mirror
 * @param decisionIntervalMillis 10..3600000, default 100; minimum time between decision snapshots
 * @param anomalyZScore          1..100, default 3.5; robust z-score above which demand is flagged anomalous
 * @param maxShadowTrafficRatio  0..1, default 0.2; largest share of traffic shifted to shadows ahead of overload
 */
public record PredictorSettings(long horizonMillis, double softThreshold, double firmThreshold, int markovMaxOrder,
                                int maxUsers, double benefitPerHit, long decisionIntervalMillis, double anomalyZScore,
                                double maxShadowTrafficRatio) {

    public static final long DEFAULT_HORIZON_MILLIS = 900_000;
    public static final double DEFAULT_SOFT_THRESHOLD = 0.7;
    public static final double DEFAULT_FIRM_THRESHOLD = 0.9;
    public static final int DEFAULT_MARKOV_MAX_ORDER = 3;
    public static final int DEFAULT_MAX_USERS = 100_000;
    public static final double DEFAULT_BENEFIT_PER_HIT = 1.0;
    public static final long DEFAULT_DECISION_INTERVAL_MILLIS = 100;
    public static final double DEFAULT_ANOMALY_Z_SCORE = 3.5;
    public static final double DEFAULT_MAX_SHADOW_TRAFFIC_RATIO = 0.2;

    public static PredictorSettings defaults() {
        return new PredictorSettings(DEFAULT_HORIZON_MILLIS, DEFAULT_SOFT_THRESHOLD, DEFAULT_FIRM_THRESHOLD,
                DEFAULT_MARKOV_MAX_ORDER, DEFAULT_MAX_USERS, DEFAULT_BENEFIT_PER_HIT, DEFAULT_DECISION_INTERVAL_MILLIS,
                DEFAULT_ANOMALY_Z_SCORE, DEFAULT_MAX_SHADOW_TRAFFIC_RATIO);
    }
}
