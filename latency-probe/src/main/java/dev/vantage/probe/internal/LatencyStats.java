package dev.vantage.probe.internal;

/**
 * RTT statistics of one target: EWMA, RFC 3550 jitter, and minimum RTT and loss ratio over a window of the last
 * {@link #WINDOW_PROBES} probes. Single-threaded (the probe thread); time-free, so tests feed it samples directly.
 */
public final class LatencyStats {

    /** Probes remembered for the loss ratio and the minimum RTT. */
    public static final int WINDOW_PROBES = 20;

    /** Weight of a new sample in the EWMA: 1/8, as TCP's smoothed RTT (RFC 6298). */
    public static final double EWMA_WEIGHT = 0.125;

    private static final long LOST = -1;

    private final long[] windowRttNanos = new long[WINDOW_PROBES];
    private int windowCount;
    private int windowNext;
    private int windowLosses;
    private double ewmaNanos = Double.NaN;
    private double jitterNanos;
    private long lastRttNanos = -1;

    /** Records a successful probe that took {@code rttNanos}. */
    public void recordSuccess(long rttNanos) {
        long rtt = Math.max(0, rttNanos);
        if (Double.isNaN(ewmaNanos)) {
            ewmaNanos = rtt;
        } else {
            ewmaNanos += EWMA_WEIGHT * (rtt - ewmaNanos);
        }
        if (lastRttNanos >= 0) {
            // RFC 3550 section 6.4.1: J += (|D(i-1,i)| - J) / 16, with D the difference of consecutive transit times.
            double difference = Math.abs((double) (rtt - lastRttNanos));
            jitterNanos += (difference - jitterNanos) / 16.0;
        }
        lastRttNanos = rtt;
        push(rtt);
    }

    /** Records a failed probe (refused, reset, timed out, bad answer). */
    public void recordLoss() {
        push(LOST);
    }

    private void push(long value) {
        if (windowCount == WINDOW_PROBES) {
            if (windowRttNanos[windowNext] == LOST) {
                windowLosses--;
            }
        } else {
            windowCount++;
        }
        windowRttNanos[windowNext] = value;
        if (value == LOST) {
            windowLosses++;
        }
        windowNext = (windowNext + 1) % WINDOW_PROBES;
    }

    /** EWMA RTT in nanoseconds, or -1 before the first success. */
    public long ewmaNanos() {
        return Double.isNaN(ewmaNanos) ? -1 : Math.round(ewmaNanos);
    }

    /** Smallest successful RTT in the window, or -1 when the window holds none. */
    public long minNanos() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < windowCount; i++) {
            long rtt = windowRttNanos[i];
            if (rtt != LOST && rtt < min) {
                min = rtt;
            }
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    /** RFC 3550 interarrival jitter of the RTT samples, in nanoseconds. */
    public long jitterNanos() {
        return Math.round(jitterNanos);
    }

    /** The latest successful RTT, or -1. */
    public long lastRttNanos() {
        return lastRttNanos;
    }

    /** Failed probes over probes in the window, 0 when the window is empty. */
    public double lossRatio() {
        return windowCount == 0 ? 0 : (double) windowLosses / windowCount;
    }
}
