package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.vantage.probe.HealthState;

class HealthTrackerTest {

    private static final int RISE = 2;
    private static final int FALL = 3;

    @Test
    void shouldMarkANewTargetHealthyOnItsFirstSuccess() {
        HealthTracker tracker = new HealthTracker();
        assertThat(tracker.state()).isEqualTo(HealthState.UNKNOWN);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldMarkANewTargetUnhealthyAfterFallFailures() {
        HealthTracker tracker = new HealthTracker();
        tracker.onFailure(false, FALL);
        tracker.onFailure(false, FALL);
        assertThat(tracker.state()).isEqualTo(HealthState.UNKNOWN);
        tracker.onFailure(false, FALL);
        assertThat(tracker.state()).isEqualTo(HealthState.UNHEALTHY);
    }

    @Test
    void shouldFallAfterFallConsecutiveFailuresAndRiseAfterRiseSuccesses() {
        HealthTracker tracker = new HealthTracker();
        tracker.onSuccess(false, RISE);
        tracker.onFailure(false, FALL);
        tracker.onFailure(false, FALL);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
        tracker.onFailure(false, FALL);
        assertThat(tracker.state()).isEqualTo(HealthState.UNHEALTHY);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.UNHEALTHY);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldRestartTheFallCountAfterASuccess() {
        HealthTracker tracker = new HealthTracker();
        tracker.onSuccess(false, RISE);
        for (int round = 0; round < 5; round++) {
            tracker.onFailure(false, FALL);
            tracker.onFailure(false, FALL);
            tracker.onSuccess(false, RISE);
        }
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldRestartTheRiseCountAfterAFailure() {
        HealthTracker tracker = new HealthTracker();
        for (int i = 0; i < FALL; i++) {
            tracker.onFailure(false, FALL);
        }
        tracker.onSuccess(false, RISE);
        tracker.onFailure(false, FALL);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.UNHEALTHY);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldSwitchBetweenHealthyAndDegradedWithTheQualityVerdict() {
        HealthTracker tracker = new HealthTracker();
        tracker.onSuccess(true, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.DEGRADED);
        tracker.onSuccess(false, RISE);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
        tracker.onFailure(true, FALL);
        assertThat(tracker.state()).isEqualTo(HealthState.DEGRADED);
        tracker.requalify(false);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldOverlayDrainingAndReturnTheProbedStateWhenUndrained() {
        HealthTracker tracker = new HealthTracker();
        tracker.onSuccess(false, RISE);
        tracker.setDraining(true);
        assertThat(tracker.state()).isEqualTo(HealthState.DRAINING);
        for (int i = 0; i < FALL; i++) {
            tracker.onFailure(false, FALL);
        }
        assertThat(tracker.state()).isEqualTo(HealthState.DRAINING);
        tracker.setDraining(false);
        assertThat(tracker.state()).isEqualTo(HealthState.UNHEALTHY);
    }
}
