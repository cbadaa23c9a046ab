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
    final int[] resources = new int[MAX_RESOURCES];
    final double[] resourceWeight = new double[MAX_RESOURCES];
    final double[] resourceRecent = new double[MAX_RESOURCES];
    final long[] resourceLastMillis = new long[MAX_RESOURCES];

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
        int slot = -1;
        int oldest = 0;
        for (int i = 0; i < resourceCount; i++) {
            if (resources[i] == resource) {
                slot = i;
                break;
            }
            if (resourceLastMillis[i] < resourceLastMillis[oldest]) {
                oldest = i;
            }
        }
        if (slot < 0) {
            if (resourceCount < MAX_RESOURCES) {
                slot = resourceCount++;
            } else {
                slot = oldest;
            }
            resources[slot] = resource;
            resourceWeight[slot] = 0;
            resourceRecent[slot] = 0;
            resourceLastMillis[slot] = timeMillis;
        }
        resourceWeight[slot] = decayed(slot, timeMillis, tauMillis) + 1;
        resourceRecent[slot] = decayedRecent(slot, timeMillis, recentTauMillis) + 1;
        resourceLastMillis[slot] = timeMillis;
    }

    /** The decayed use count of slot {@code i} at {@code timeMillis}. */
    double decayed(int i, long timeMillis, double tauMillis) {
        long dt = Math.max(0, timeMillis - resourceLastMillis[i]);
        return resourceWeight[i] * Math.exp(-dt / tauMillis);
    }

    /** The session-scale decayed use count of slot {@code i} at {@code timeMillis}. */
    double decayedRecent(int i, long timeMillis, double tauMillis) {
        long dt = Math.max(0, timeMillis - resourceLastMillis[i]);
        return resourceRecent[i] * Math.exp(-dt / tauMillis);
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
