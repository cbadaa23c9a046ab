package dev.vantage.predictor.internal;

/**
 * Constant-velocity Kalman filter over GPS fixes in a local east/north frame (metres), with Mahalanobis gating:
 * a fix whose innovation is beyond {@link #GATE_CHI2} (chi-square, 2 degrees of freedom, 99.9 %) is rejected as an
 * outlier; after {@link #MAX_REJECTIONS} rejections in a row, or a gap longer than {@code resetGapMillis}, the
 * filter restarts from the new fix. The axes are independent (diagonal measurement noise), so each keeps a 2x2
 * covariance of (position, velocity).
 *
 * <p>Threading: single writer. No allocation after construction.
 */
public final class KalmanFilter2D {

    public static final double GATE_CHI2 = 13.82;
    public static final int MAX_REJECTIONS = 3;

    private static final double METRES_PER_DEGREE_LAT = 110_540;
    private static final double METRES_PER_DEGREE_LON_EQUATOR = 111_320;

    private final double accelNoise;
    private final double measurementVariance;
    private final long resetGapMillis;

    private boolean initialised;
    private double originLat;
    private double originLon;
    private double cosOrigin;
    private long lastMillis;
    // Position, velocity and the (position, covariance, velocity) variances per axis, in one array so that an
    // update touches one object (a cache miss each when 10 000 users share the cache).
    private static final int X = 0;
    private static final int V = 2;
    private static final int PPOS = 4;
    private static final int PCOV = 6;
    private static final int PVEL = 8;
    private final double[] state = new double[10];
    private int rejectionsInRow;
    private long rejectedTotal;
    private long acceptedTotal;

    /**
     * @param accelNoise          white-acceleration spectral density, m^2/s^3
     * @param measurementStdDevMetres GPS fix standard deviation per axis
     * @param resetGapMillis      a gap longer than this restarts the filter
     */
    public KalmanFilter2D(double accelNoise, double measurementStdDevMetres, long resetGapMillis) {
        this.accelNoise = accelNoise;
        this.measurementVariance = measurementStdDevMetres * measurementStdDevMetres;
        this.resetGapMillis = resetGapMillis;
    }

    /** Feeds one fix; returns false when it was gated out as an outlier. */
    public boolean update(long timeMillis, double lat, double lon) {
        if (!initialised || timeMillis - lastMillis > resetGapMillis || timeMillis < lastMillis) {
            reset(timeMillis, lat, lon);
            return true;
        }
        double dt = (timeMillis - lastMillis) / 1000.0;
        double mx = (lon - originLon) * METRES_PER_DEGREE_LON_EQUATOR * cosOrigin;
        double my = (lat - originLat) * METRES_PER_DEGREE_LAT;
        double q = accelNoise;
        // Predict both axes, then gate on the joint innovation before committing.
        double ax = state[PPOS] + 2 * dt * state[PCOV] + dt * dt * state[PVEL] + q * dt * dt * dt / 3;
        double ay = state[PPOS + 1] + 2 * dt * state[PCOV + 1] + dt * dt * state[PVEL + 1] + q * dt * dt * dt / 3;
        double sx = ax + measurementVariance;
        double sy = ay + measurementVariance;
        double nux = mx - (state[X] + state[V] * dt);
        double nuy = my - (state[X + 1] + state[V + 1] * dt);
        double d2 = nux * nux / sx + nuy * nuy / sy;
        if (d2 > GATE_CHI2) {
            rejectedTotal++;
            if (++rejectionsInRow >= MAX_REJECTIONS) {
                reset(timeMillis, lat, lon);
            }
            return false;
        }
        rejectionsInRow = 0;
        acceptedTotal++;
        correct(0, dt, ax, sx, nux);
        correct(1, dt, ay, sy, nuy);
        lastMillis = timeMillis;
        return true;
    }

    private void correct(int i, double dt, double a, double s, double nu) {
        double q = accelNoise;
        double b = state[PCOV + i] + dt * state[PVEL + i] + q * dt * dt / 2;
        double c = state[PVEL + i] + q * dt;
        double kx = a / s;
        double kv = b / s;
        state[X + i] = state[X + i] + state[V + i] * dt + kx * nu;
        state[V + i] = state[V + i] + kv * nu;
        state[PPOS + i] = (1 - kx) * a;
        state[PCOV + i] = (1 - kx) * b;
        state[PVEL + i] = c - kv * b;
    }

    private void reset(long timeMillis, double lat, double lon) {
        initialised = true;
        originLat = lat;
        originLon = lon;
        cosOrigin = Math.cos(Math.toRadians(lat));
        lastMillis = timeMillis;
        rejectionsInRow = 0;
        for (int i = 0; i < 2; i++) {
            state[X + i] = 0;
            state[V + i] = 0;
            state[PPOS + i] = measurementVariance;
            state[PCOV + i] = 0;
            state[PVEL + i] = 100; // (10 m/s)^2: unknown speed
        }
    }

    public boolean initialised() {
        return initialised;
    }

    public long lastMillis() {
        return lastMillis;
    }

    /** Predicted latitude at {@code timeMillis}. */
    public double predictLat(long timeMillis) {
        double dt = (timeMillis - lastMillis) / 1000.0;
        return originLat + (state[X + 1] + state[V + 1] * dt) / METRES_PER_DEGREE_LAT;
    }

    /** Predicted longitude at {@code timeMillis}. */
    public double predictLon(long timeMillis) {
        double dt = (timeMillis - lastMillis) / 1000.0;
        return originLon + (state[X] + state[V] * dt) / (METRES_PER_DEGREE_LON_EQUATOR * cosOrigin);
    }

    /** Predicted position standard deviation in metres (mean of both axes) at {@code timeMillis}. */
    public double predictStdDevMetres(long timeMillis) {
        double dt = Math.max(0, (timeMillis - lastMillis) / 1000.0);
        double var = 0;
        for (int i = 0; i < 2; i++) {
            var += state[PPOS + i] + 2 * dt * state[PCOV + i] + dt * dt * state[PVEL + i] + accelNoise * dt * dt * dt / 3;
        }
        return Math.sqrt(var / 2);
    }

    /** Current speed estimate, m/s. */
    public double speedMetresPerSecond() {
        return Math.hypot(state[V], state[V + 1]);
    }

    public long rejectedTotal() {
        return rejectedTotal;
    }

    public long acceptedTotal() {
        return acceptedTotal;
    }
}
