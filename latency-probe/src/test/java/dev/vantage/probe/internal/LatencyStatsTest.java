package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    private static final long MILLI = 1_000_000L;

    @Test
    void shouldStartEwmaAtTheFirstSample() {
        LatencyStats stats = new LatencyStats();
        assertThat(stats.ewmaNanos()).isEqualTo(-1);
        stats.recordSuccess(20 * MILLI);
        assertThat(stats.ewmaNanos()).isEqualTo(20 * MILLI);
        assertThat(stats.minNanos()).isEqualTo(20 * MILLI);
        assertThat(stats.jitterNanos()).isZero();
    }

    @Test
    void shouldMoveEwmaByOneEighthOfTheError() {
        LatencyStats stats = new LatencyStats();
        stats.recordSuccess(16 * MILLI);
        stats.recordSuccess(24 * MILLI);
        assertThat(stats.ewmaNanos()).isEqualTo(17 * MILLI);
    }

    @Test
    void shouldTrackTheMeanOfNoisySamplesWithinTenPercent() {
        SplittableRandom random = new SplittableRandom(42);
        LatencyStats stats = new LatencyStats();
        int outside = 0;
        for (int i = 0; i < 2_000; i++) {
            stats.recordSuccess(15 * MILLI + random.nextLong(10 * MILLI + 1));
            if (i >= 30 && Math.abs(stats.ewmaNanos() - 20 * MILLI) > 2 * MILLI) {
                outside++;
            }
        }
        // 20 ms +/- 5 ms uniform: the EWMA's own spread is 0.26 x 2.9 ms = 0.75 ms, so 10 % is 2.7 sigma.
        assertThat(outside).isLessThan(40);
    }

    @Test
    void shouldComputeRfc3550JitterFromConsecutiveDifferences() {
        LatencyStats stats = new LatencyStats();
        long[] samples = {10 * MILLI, 14 * MILLI, 12 * MILLI, 12 * MILLI, 20 * MILLI};
        double expected = 0;
        for (int i = 0; i < samples.length; i++) {
            stats.recordSuccess(samples[i]);
            if (i > 0) {
                expected += (Math.abs(samples[i] - samples[i - 1]) - expected) / 16.0;
            }
        }
        assertThat((double) stats.jitterNanos()).isCloseTo(expected, within(1.0));
        assertThat(stats.jitterNanos()).isEqualTo(Math.round(expected));
    }

    @Test
    void shouldKeepTheJitterAtZeroForAConstantRtt() {
        LatencyStats stats = new LatencyStats();
        for (int i = 0; i < 50; i++) {
            stats.recordSuccess(5 * MILLI);
        }
        assertThat(stats.jitterNanos()).isZero();
        assertThat(stats.ewmaNanos()).isEqualTo(5 * MILLI);
    }

    @Test
    void shouldSlideTheLossWindow() {
        LatencyStats stats = new LatencyStats();
        assertThat(stats.lossRatio()).isZero();
        stats.recordLoss();
        stats.recordSuccess(MILLI);
        assertThat(stats.lossRatio()).isEqualTo(0.5);
        for (int i = 0; i < LatencyStats.WINDOW_PROBES - 1; i++) {
            stats.recordSuccess(MILLI);
        }
        assertThat(stats.lossRatio()).isZero();
        for (int i = 0; i < 5; i++) {
            stats.recordLoss();
        }
        assertThat(stats.lossRatio()).isEqualTo(5.0 / LatencyStats.WINDOW_PROBES);
    }

    @Test
    void shouldForgetTheMinimumWhenItLeavesTheWindow() {
        LatencyStats stats = new LatencyStats();
        stats.recordSuccess(MILLI);
        for (int i = 0; i < LatencyStats.WINDOW_PROBES - 1; i++) {
            stats.recordSuccess(9 * MILLI);
        }
        assertThat(stats.minNanos()).isEqualTo(MILLI);
        stats.recordSuccess(8 * MILLI);
        assertThat(stats.minNanos()).isEqualTo(8 * MILLI);
    }

    @Test
    void shouldReportNoMinimumWhenTheWindowHoldsOnlyLosses() {
        LatencyStats stats = new LatencyStats();
        stats.recordSuccess(MILLI);
        for (int i = 0; i < LatencyStats.WINDOW_PROBES; i++) {
            stats.recordLoss();
        }
        assertThat(stats.minNanos()).isEqualTo(-1);
        assertThat(stats.lossRatio()).isEqualTo(1.0);
        assertThat(stats.ewmaNanos()).isEqualTo(MILLI);
    }
}
