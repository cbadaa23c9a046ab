package dev.vantage.predictor.internal;

import java.util.SplittableRandom;

/**
 * A small gated recurrent unit with a linear read-out, trained online in plain Java by stochastic gradient descent
 * with one-step truncated back-propagation (the previous hidden state is treated as a constant), which keeps each
 * update O(hidden x (inputs + hidden)) and allocation-free.
 *
 * <p>Threading: single writer.
 */
public final class Gru {

    private final int inputs;
    private final int hidden;
    private final double learningRate;
    private final double[][] wr;
    private final double[][] wu;
    private final double[][] wc;
    private final double[][] ur;
    private final double[][] uu;
    private final double[][] uc;
    private final double[] br;
    private final double[] bu;
    private final double[] bc;
    private final double[] readout;
    private double readoutBias;

    private final double[] h;
    private final double[] rv;
    private final double[] uv;
    private final double[] cv;
    private final double[] rh;
    private final double[] next;

    public Gru(int inputs, int hidden, double learningRate, long seed) {
        this.inputs = inputs;
        this.hidden = hidden;
        this.learningRate = learningRate;
        SplittableRandom random = new SplittableRandom(seed);
        double scale = 1 / Math.sqrt(inputs + hidden);
        wr = init(random, hidden, inputs, scale);
        wu = init(random, hidden, inputs, scale);
        wc = init(random, hidden, inputs, scale);
        ur = init(random, hidden, hidden, scale);
        uu = init(random, hidden, hidden, scale);
        uc = init(random, hidden, hidden, scale);
        br = new double[hidden];
        bu = new double[hidden];
        bc = new double[hidden];
        readout = init(random, 1, hidden, scale)[0];
        h = new double[hidden];
        rv = new double[hidden];
        uv = new double[hidden];
        cv = new double[hidden];
        rh = new double[hidden];
        next = new double[hidden];
    }

    private static double[][] init(SplittableRandom random, int rows, int cols, double scale) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = (random.nextDouble() * 2 - 1) * scale;
            }
        }
        return m;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Runs one step on input {@code x}: returns the prediction and, when {@code train}, learns {@code target}. */
    public double step(double[] x, double target, boolean train) {
        for (int i = 0; i < hidden; i++) {
            double a = br[i];
            double b = bu[i];
            for (int j = 0; j < inputs; j++) {
                a += wr[i][j] * x[j];
                b += wu[i][j] * x[j];
            }
            for (int j = 0; j < hidden; j++) {
                a += ur[i][j] * h[j];
                b += uu[i][j] * h[j];
            }
            rv[i] = sigmoid(a);
            uv[i] = sigmoid(b);
            rh[i] = rv[i] * h[i];
        }
        double y = readoutBias;
        for (int i = 0; i < hidden; i++) {
            double c = bc[i];
            for (int j = 0; j < inputs; j++) {
                c += wc[i][j] * x[j];
            }
            for (int j = 0; j < hidden; j++) {
                c += uc[i][j] * rh[j];
            }
            cv[i] = Math.tanh(c);
            next[i] = (1 - uv[i]) * h[i] + uv[i] * cv[i];
            y += readout[i] * next[i];
        }
        if (train) {
            double err = Math.max(-1, Math.min(1, y - target));
            double lr = learningRate;
            readoutBias -= lr * err;
            for (int i = 0; i < hidden; i++) {
                double dh = err * readout[i];
                readout[i] -= lr * err * next[i];
                double du = dh * (cv[i] - h[i]) * uv[i] * (1 - uv[i]);
                double dc = dh * uv[i] * (1 - cv[i] * cv[i]);
                for (int j = 0; j < inputs; j++) {
                    wu[i][j] -= lr * du * x[j];
                    wc[i][j] -= lr * dc * x[j];
                }
                for (int j = 0; j < hidden; j++) {
                    uu[i][j] -= lr * du * h[j];
                    uc[i][j] -= lr * dc * rh[j];
                }
                bu[i] -= lr * du;
                bc[i] -= lr * dc;
            }
            for (int j = 0; j < hidden; j++) {
                double drh = 0;
                for (int i = 0; i < hidden; i++) {
                    double dh = err * readout[i];
                    drh += uc[i][j] * dh * uv[i] * (1 - cv[i] * cv[i]);
                }
                double dr = drh * h[j] * rv[j] * (1 - rv[j]);
                for (int k = 0; k < inputs; k++) {
                    wr[j][k] -= lr * dr * x[k];
                }
                for (int k = 0; k < hidden; k++) {
                    ur[j][k] -= lr * dr * h[k];
                }
                br[j] -= lr * dr;
            }
        }
        System.arraycopy(next, 0, h, 0, hidden);
        return y;
    }

    /** Forgets the hidden state (weights are kept). */
    public void resetState() {
        java.util.Arrays.fill(h, 0);
    }

    /** Copies the hidden state out (for multi-step forecasting from a saved state). */
    public double[] state() {
        return h.clone();
    }

    public void restoreState(double[] state) {
        System.arraycopy(state, 0, h, 0, hidden);
    }
}
