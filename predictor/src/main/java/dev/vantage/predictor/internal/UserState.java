package dev.vantage.predictor.internal;

/**
 * What the predictor remembers about one user: a personal PPM over places (site indices), recent places and
 * resources, per-resource use rates (exponentially decayed counts), dwell time, an optional Kalman filter over
 * GPS fixes, and the last computed place distribution, plus its recency stamp for the owner's LRU bound.
 *
 * <p>Threading: owned by the model owner thread.
 */
final class UserState {

    static final int MAX_RESOURCES = 8;

    final long key;
    /** Position in the owner's dense user array. */
    int slot;
    /** Value of the owner's touch counter at this user's last event (recency for eviction). */
    long touch;

    final SequenceModel places;
    final int[] placeHistory;
    int placeLength;
    final int[] resourceHistory;
    int resourceLength;

    long lastMillis;
    long arrivedMillis;
    double meanDwellMillis;

    int resourceCount;
    /**
     * Per resource slot i, interleaved in one array (one object, adjacent cache lines, instead of four arrays):
     * {@code 4i} resource index, {@code 4i + 1} last use (epoch ms), {@code 4i + 2} and {@code 4i + 3} the bits of
     * the long- and short-term decayed use counts.
     */
    private final long[] resourceSlots = new long[4 * MAX_RESOURCES];

    KalmanFilter2D kalman;
    float[] placeProbability;
    boolean dirty;

    UserState(long key, int maxOrder, double initialDwellMillis) {
        this.key = key;
        this.places = new SequenceModel(maxOrder, 8);
        this.placeHistory = new int[maxOrder];
        this.resourceHistory = new int[maxOrder];
        this.meanDwellMillis = initialDwellMillis;
    }

    int currentPlace() {
        return placeLength == 0 ? -1 : placeHistory[placeLength - 1];
    }

    int lastResource() {
        return resourceLength == 0 ? -1 : resourceHistory[resourceLength - 1];
    }

    static int push(int[] history, int length, int symbol) {
        if (history.length == 0) {
            return 0;
        }
        if (length == history.length) {
            System.arraycopy(history, 1, history, 0, length - 1);
            history[length - 1] = symbol;
            return length;
        }
        history[length] = symbol;
        return length + 1;
    }

    /**
     * Adds one use of {@code resource} at {@code timeMillis}, decaying older uses with a long time constant
     * (habits over days) and a short one (the current session).
     */
    void use(int resource, long timeMillis, double tauMillis, double recentTauMillis) {
        long[] r = resourceSlots;
        int slot = -1;
        for (int i = 0; i < resourceCount; i++) {
            if (r[4 * i] == resource) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            if (resourceCount < MAX_RESOURCES) {
                slot = resourceCount++;
            } else {
                slot = 0;
                for (int i = 1; i < resourceCount; i++) {
                    if (r[4 * i + 1] < r[4 * slot + 1]) {
                        slot = i;
                    }
                }
            }
            setResource(slot, resource, 0, 0, timeMillis);
        }
        double weight = decayed(slot, timeMillis, tauMillis) + 1;
        double recent = decayedRecent(slot, timeMillis, recentTauMillis) + 1;
        setResource(slot, resource, weight, recent, timeMillis);
    }

    /** The resource index in slot {@code i < resourceCount}. */
    int resource(int i) {
        return (int) resourceSlots[4 * i];
    }

    long resourceLastMillis(int i) {
        return resourceSlots[4 * i + 1];
    }

    double resourceWeight(int i) {
        return Double.longBitsToDouble(resourceSlots[4 * i + 2]);
    }

    double resourceRecent(int i) {
        return Double.longBitsToDouble(resourceSlots[4 * i + 3]);
    }

    /** Sets slot {@code i} (used by updates and by restore). */
    void setResource(int i, int resource, double weight, double recent, long lastMillis) {
        resourceSlots[4 * i] = resource;
        resourceSlots[4 * i + 1] = lastMillis;
        resourceSlots[4 * i + 2] = Double.doubleToRawLongBits(weight);
        resourceSlots[4 * i + 3] = Double.doubleToRawLongBits(recent);
    }

    /** The decayed use count of slot {@code i} at {@code timeMillis}. */
    double decayed(int i, long timeMillis, double tauMillis) {
        long dt = Math.max(0, timeMillis - resourceLastMillis(i));
        return dt == 0 ? resourceWeight(i) : resourceWeight(i) * Math.exp(-dt / tauMillis);
    }

    /** The session-scale decayed use count of slot {@code i} at {@code timeMillis}. */
    double decayedRecent(int i, long timeMillis, double tauMillis) {
        long dt = Math.max(0, timeMillis - resourceLastMillis(i));
        return dt == 0 ? resourceRecent(i) : resourceRecent(i) * Math.exp(-dt / tauMillis);
    }

    /** Uses per millisecond of slot {@code i}: the larger of the habit rate and the session rate. */
    double rate(int i, long timeMillis, double tauMillis, double recentTauMillis) {
        return Math.max(decayed(i, timeMillis, tauMillis) / tauMillis,
                decayedRecent(i, timeMillis, recentTauMillis) / recentTauMillis);
    }

    long footprintBytes() {
        return 160 + places.footprintBytes() + 8L * placeHistory.length + 100L * MAX_RESOURCES / 4
                + (placeProbability == null ? 0 : 16 + 4L * placeProbability.length) + (kalman == null ? 0 : 200);
    }
}
