package dev.vantage.predictor.internal;

/**
 * Double-seasonal Holt-Winters (Taylor 2003): level, damped trend, a short season (e.g. a day of hourly values)
 * and a long season (e.g. a week), additive or multiplicative. With {@code longPeriod == 0}, or when the series is
 * shorter than two long periods, it is single-seasonal.
 *
 * <p>The online form ({@link #update}) is what the runtime uses per demand bucket; {@link #fit} replays a history.
 * Threading: single writer.
 */
public final class HoltWinters {

    /** Smoothing parameters and form. */
    public record Params(double alpha, double beta, double gamma, double omega, double phi, boolean multiplicative) {}

    private final Params params;
    private final int shortPeriod;
    private final int longPeriod;
    private final double[] shortSeason;
    private final double[] longSeason;
    private double level;
    private double trend;
    private long t;
    private double residualSquares;
    private long residualCount;
    private double lastError;

    public HoltWinters(Params params, int shortPeriod, int longPeriod) {
        this.params = params;
        this.shortPeriod = Math.max(1, shortPeriod);
        this.longPeriod = Math.max(0, longPeriod);
        this.shortSeason = new double[this.shortPeriod];
        this.longSeason = new double[Math.max(1, this.longPeriod)];
    }

    /** Fits on {@code y[0..n)}: initialises from the first periods, then updates on every value. */
    public static HoltWinters fit(Params params, int shortPeriod, int longPeriod, double[] y, int n) {
        int lp = longPeriod > 0 && n >= 2 * longPeriod ? longPeriod : 0;
        HoltWinters hw = new HoltWinters(params, shortPeriod, lp);
        hw.initialise(y, n);
        for (int i = 0; i < n; i++) {
            hw.update(y[i]);
        }
        return hw;
    }

    private void initialise(double[] y, int n) {
        boolean mult = params.multiplicative();
        int span = longPeriod > 0 ? longPeriod : Math.min(n, 2 * shortPeriod);
        span = Math.max(1, Math.min(span, n));
        double mean = 0;
        for (int i = 0; i < span; i++) {
            mean += y[i];
        }
        mean /= span;
        level = mult ? Math.max(mean, 1e-9) : mean;
        trend = 0;
        // Short season: average deviation of each phase over the first whole short periods.
        int periods = Math.max(1, Math.min(n, span) / shortPeriod);
        for (int p = 0; p < shortPeriod; p++) {
            double s = 0;
            int c = 0;
            for (int k = 0; k < periods; k++) {
                int i = k * shortPeriod + p;
                if (i < n) {
                    s += mult ? y[i] / level : y[i] - level;
                    c++;
                }
            }
            shortSeason[p] = c == 0 ? (mult ? 1 : 0) : s / c;
        }
        if (longPeriod > 0) {
            for (int p = 0; p < longPeriod; p++) {
                double s = mult ? y[p] / (level * shortSeason[p % shortPeriod])
                        : y[p] - level - shortSeason[p % shortPeriod];
                longSeason[p] = mult ? (Double.isFinite(s) ? s : 1) : s;
            }
        } else {
            longSeason[0] = mult ? 1 : 0;
        }
    }

    private double longAt(long index) {
        return longPeriod > 0 ? longSeason[(int) (index % longPeriod)] : (params.multiplicative() ? 1 : 0);
    }

    /** Feeds the next observation. */
    public void update(double y) {
        int si = (int) (t % shortPeriod);
        double s = shortSeason[si];
        double w = longAt(t);
        double forecast = forecastAt(1);
        double err = y - forecast;
        lastError = err;
        residualSquares += err * err;
        residualCount++;
        double a = params.alpha();
        double b = params.beta();
        double phi = params.phi();
        double prevLevel = level;
        if (params.multiplicative()) {
            double sw = Math.max(s * w, 1e-9);
            level = a * (y / sw) + (1 - a) * (prevLevel + phi * trend);
            level = Math.max(level, 1e-9);
            trend = b * (level - prevLevel) + (1 - b) * phi * trend;
            shortSeason[si] = params.gamma() * (y / Math.max(level * w, 1e-9)) + (1 - params.gamma()) * s;
            if (longPeriod > 0) {
                longSeason[(int) (t % longPeriod)] = params.omega() * (y / Math.max(level * s, 1e-9)) + (1 - params.omega()) * w;
            }
        } else {
            level = a * (y - s - w) + (1 - a) * (prevLevel + phi * trend);
            trend = b * (level - prevLevel) + (1 - b) * phi * trend;
            shortSeason[si] = params.gamma() * (y - level - w) + (1 - params.gamma()) * s;
            if (longPeriod > 0) {
                longSeason[(int) (t % longPeriod)] = params.omega() * (y - level - s) + (1 - params.omega()) * w;
            }
        }
        t++;
    }

    /** The point forecast {@code h >= 1} steps after the last observation. */
    public double forecastAt(int h) {
        double damped = 0;
        double f = 1;
        for (int i = 1; i <= h; i++) {
            f *= params.phi();
            damped += f;
        }
        long idx = t + h - 1;
        double s = shortSeason[(int) (idx % shortPeriod)];
        double w = longAt(idx);
        double base = level + damped * trend;
        return params.multiplicative() ? base * s * w : base + s + w;
    }

    /** Forecasts {@code horizon} steps into {@code out}. */
    public void forecast(int horizon, double[] out) {
        for (int h = 1; h <= horizon; h++) {
            out[h - 1] = forecastAt(h);
        }
    }

    /** The one-step-ahead error of the last {@link #update} (observation minus forecast). */
    public double lastOneStepError() {
        return lastError;
    }

    /** Root mean square of the one-step-ahead errors seen so far. */
    public double oneStepRmse() {
        return residualCount == 0 ? 0 : Math.sqrt(residualSquares / residualCount);
    }
}
