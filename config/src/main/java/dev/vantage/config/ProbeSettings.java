package dev.vantage.config;

/**
 * Active probing and outlier ejection settings, for every upstream and peer site.
 *
 * @param intervalMillis             10..3600000, default 1000; mean time between probes of one target
 * @param timeoutMillis              1..intervalMillis, default 500
 * @param jitterRatio                0..1, default 0.2; each interval is drawn uniformly in interval × (1 ± jitter)
 * @param rise                       1..100, default 2; consecutive successes to mark a target up
 * @param fall                       1..100, default 3; consecutive failures to mark a target down
 * @param degradedRttMillis          1..600000, default 250; EWMA RTT above this marks a target degraded
 * @param degradedLossRatio          0..1, default 0.1; loss above this marks a target degraded
 * @param ejectionBaseMillis         1..3600000, default 30000; ejection time = base × number of ejections
 * @param maxEjectedRatio            0..1, default 0.5; never eject more than this share of a group
 * @param consecutiveFailuresToEject 1..1000, default 5; passive failures (5xx, resets) that eject an upstream
 * @param reuseConnection            default true; HTTP health checks (upstreams and peer sites) keep one connection
 *                                   per target open and send one request per interval (Envoy's
 *                                   {@code reuse_connection}); false opens a fresh connection for every check
 */
public record ProbeSettings(long intervalMillis, long timeoutMillis, double jitterRatio, int rise, int fall,
                            long degradedRttMillis, double degradedLossRatio, long ejectionBaseMillis,
                            double maxEjectedRatio, int consecutiveFailuresToEject, boolean reuseConnection) {

    public static final long DEFAULT_INTERVAL_MILLIS = 1_000;
    public static final long DEFAULT_TIMEOUT_MILLIS = 500;
    public static final double DEFAULT_JITTER_RATIO = 0.2;
    public static final int DEFAULT_RISE = 2;
    public static final int DEFAULT_FALL = 3;
    public static final long DEFAULT_DEGRADED_RTT_MILLIS = 250;
    public static final double DEFAULT_DEGRADED_LOSS_RATIO = 0.1;
    public static final long DEFAULT_EJECTION_BASE_MILLIS = 30_000;
    public static final double DEFAULT_MAX_EJECTED_RATIO = 0.5;
    public static final int DEFAULT_CONSECUTIVE_FAILURES_TO_EJECT = 5;
    public static final boolean DEFAULT_REUSE_CONNECTION = true;

    /** The settings before {@link #reuseConnection()} existed: HTTP checks reuse their connection (the default). */
    public ProbeSettings(long intervalMillis, long timeoutMillis, double jitterRatio, int rise, int fall,
                         long degradedRttMillis, double degradedLossRatio, long ejectionBaseMillis,
                         double maxEjectedRatio, int consecutiveFailuresToEject) {
        this(intervalMillis, timeoutMillis, jitterRatio, rise, fall, degradedRttMillis, degradedLossRatio,
                ejectionBaseMillis, maxEjectedRatio, consecutiveFailuresToEject, DEFAULT_REUSE_CONNECTION);
    }

    public static ProbeSettings defaults() {
        return new ProbeSettings(DEFAULT_INTERVAL_MILLIS, DEFAULT_TIMEOUT_MILLIS, DEFAULT_JITTER_RATIO, DEFAULT_RISE,
                DEFAULT_FALL, DEFAULT_DEGRADED_RTT_MILLIS, DEFAULT_DEGRADED_LOSS_RATIO, DEFAULT_EJECTION_BASE_MILLIS,
                DEFAULT_MAX_EJECTED_RATIO, DEFAULT_CONSECUTIVE_FAILURES_TO_EJECT, DEFAULT_REUSE_CONNECTION);
    }

    /** These settings with {@link #reuseConnection()} set to {@code reuse}. */
    public ProbeSettings withReuseConnection(boolean reuse) {
        return new ProbeSettings(intervalMillis, timeoutMillis, jitterRatio, rise, fall, degradedRttMillis,
                degradedLossRatio, ejectionBaseMillis, maxEjectedRatio, consecutiveFailuresToEject, reuse);
    }
}
