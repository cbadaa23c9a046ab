package dev.vantage.proxy.internal.routing;

/**
 * {@code exp(-x)} for the EWMA weights by table lookup and linear interpolation (absolute error below 1.2e-5):
 * {@link Math#exp} costs as much as the rest of a routing decision on a loaded machine.
 */
final class FastExp {

    private static final double MAX_X = 20;
    private static final int STEPS = 2048;
    private static final double SCALE = STEPS / MAX_X;
    private static final double[] TABLE = new double[STEPS + 2];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            TABLE[i] = Math.exp(-i / SCALE);
        }
    }

    private FastExp() {
    }

    /** {@code exp(-x)} for {@code x >= 0}; 1 for negative or NaN inputs, 0 beyond 20. */
    static double negExp(double x) {
        if (!(x > 0)) {
            return 1;
        }
        if (x >= MAX_X) {
            return 0;
        }
        double position = x * SCALE;
        int i = (int) position;
        double fraction = position - i;
        return TABLE[i] + (TABLE[i + 1] - TABLE[i]) * fraction;
    }
}
