package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {

    private static final long MS = 1_000_000L;

    @Test
    void shouldReportThe95thPercentileOfRecentResponses() {
        LatencyWindow window = new LatencyWindow(10_000 * MS, 95.0, 0);
        for (int i = 1; i <= 100; i++) {
            window.record(i * MS, 0);
        }

        assertThat(window.quantileNanos(0)).isBetween(94 * MS, 96 * MS);
    }

    @Test
    void shouldAnswerMinusOneUntilEnoughSamples() {
        LatencyWindow window = new LatencyWindow(10_000 * MS, 95.0, 0);
        for (int i = 0; i < LatencyWindow.MIN_SAMPLES - 1; i++) {
            window.record(5 * MS, 0);
        }
        assertThat(window.quantileNanos(0)).isEqualTo(-1);
        window.record(5 * MS, 0);
        assertThat(window.quantileNanos(0)).isBetween(4 * MS, 6 * MS);
    }

    @Test
    void shouldForgetSamplesOlderThanTwoWindows() {
        LatencyWindow window = new LatencyWindow(1_000 * MS, 95.0, 0);
        for (int i = 0; i < 100; i++) {
            window.record(100 * MS, 0);
        }
        for (int i = 0; i < 100; i++) {
            window.record(10 * MS, 1_500 * MS);
        }
        assertThat(window.quantileNanos(1_500 * MS)).isGreaterThan(90 * MS);
        assertThat(window.quantileNanos(2_600 * MS)).isBetween(9 * MS, 11 * MS);
        assertThat(window.quantileNanos(10_000 * MS)).isEqualTo(-1);
    }
}
