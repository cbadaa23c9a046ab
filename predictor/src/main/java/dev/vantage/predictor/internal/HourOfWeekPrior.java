package dev.vantage.predictor.internal;

/**
 * The long-term prior of a place (or any symbol) by hour of week: a Dirichlet-multinomial whose posterior
 * predictive is {@code P(x | h) = (n_h(x) + alpha f(x)) / (N_h + alpha)}, where {@code n_h} pools the counts of
 * hour {@code h} and its two neighbours and {@code f} is the caller's base distribution. Counts are additive, so
 * priors learnt at different sites merge exactly.
 *
 * <p>Threading: single writer.
 */
public final class HourOfWeekPrior {

    public static final int HOURS_PER_WEEK = 168;
    private static final long HOUR_MILLIS = 3_600_000L;
    // 1970-01-01 was a Thursday; shift so that hour 0 is Monday 00:00 UTC.
    private static final long MONDAY_OFFSET_HOURS = 3 * 24;

    /** Counts by hour of week and symbol: one flat row per hour, grown to the largest symbol seen. */
    private final int[][] counts = new int[HOURS_PER_WEEK][];
    private final int[] totals = new int[HOURS_PER_WEEK];

    public HourOfWeekPrior() {
        for (int h = 0; h < HOURS_PER_WEEK; h++) {
            counts[h] = new int[8];
        }
    }

    /** Hour of week (0 = Monday 00:00-01:00 UTC) of an epoch-millisecond instant. */
    public static int hourOfWeek(long epochMillis) {
        long hours = Math.floorDiv(epochMillis, HOUR_MILLIS) + MONDAY_OFFSET_HOURS;
        return Math.floorMod(hours, HOURS_PER_WEEK);
    }

    public void observe(long epochMillis, int symbol) {
        add(hourOfWeek(epochMillis), symbol, 1);
    }

    public void add(int hour, int symbol, int count) {
        if (symbol < 0) {
            throw new IllegalArgumentException("symbol: " + symbol + " (expected: >= 0)");
        }
        int[] row = counts[hour];
        if (symbol >= row.length) {
            row = java.util.Arrays.copyOf(row, Math.max(symbol + 1, 2 * row.length));
            counts[hour] = row;
        }
        row[symbol] += count;
        totals[hour] += count;
    }

    public int count(int hour, int symbol) {
        int[] row = counts[hour];
        return symbol >= 0 && symbol < row.length ? row[symbol] : 0;
    }

    public int total(int hour) {
        return totals[hour];
    }

    /**
     * Writes {@code P(x | hour of epochMillis)} for {@code x < size} into {@code out}, shrinking towards
     * {@code base} with pseudo-count {@code alpha}.
     */
    public void predict(long epochMillis, double[] base, int size, double alpha, double[] out) {
        int h = hourOfWeek(epochMillis);
        int prev = (h + HOURS_PER_WEEK - 1) % HOURS_PER_WEEK;
        int next = (h + 1) % HOURS_PER_WEEK;
        double n = totals[h] + totals[prev] + totals[next];
        double sum = 0;
        for (int x = 0; x < size; x++) {
            double c = count(h, x) + count(prev, x) + count(next, x);
            out[x] = (c + alpha * base[x]) / (n + alpha);
            sum += out[x];
        }
        if (sum > 0) {
            for (int x = 0; x < size; x++) {
                out[x] /= sum;
            }
        }
    }
}
