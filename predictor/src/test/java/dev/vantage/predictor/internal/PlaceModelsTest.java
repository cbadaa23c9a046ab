package dev.vantage.predictor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class PlaceModelsTest {

    @Test
    void shouldTrackAConstantVelocityAndGateAFarOutlier() {
        KalmanFilter2D k = new KalmanFilter2D(0.5, 10, 30 * 60_000L);
        double lat = 48.0;
        double lon = 11.0;
        double metresPerDegLat = 110_540;
        // 10 m/s northwards, one fix per 10 s.
        for (int i = 0; i <= 60; i++) {
            assertThat(k.update(i * 10_000L, lat + i * 100 / metresPerDegLat, lon)).isTrue();
        }
        assertThat(k.speedMetresPerSecond()).isCloseTo(10, within(0.5));
        double predicted = k.predictLat(600_000 + 60_000);
        assertThat((predicted - lat) * metresPerDegLat).isCloseTo(6600, within(100.0));
        assertThat(k.update(610_000, lat + 0.5, lon)).isFalse();
        assertThat(k.rejectedTotal()).isEqualTo(1);
    }

    @Test
    void shouldDetectStayPointsAndCollapseRepeats() {
        List<GeoTrace.Fix> fixes = new ArrayList<>();
        long t = 0;
        for (int i = 0; i < 30; i++) {
            fixes.add(new GeoTrace.Fix(t += 60_000, 39.90, 116.30));
        }
        for (int i = 1; i <= 10; i++) {
            fixes.add(new GeoTrace.Fix(t += 60_000, 39.90 + i * 0.003, 116.30));
        }
        for (int i = 0; i < 30; i++) {
            fixes.add(new GeoTrace.Fix(t += 60_000, 39.93, 116.30));
        }
        List<GeoTrace.StayPoint> stays = GeoTrace.stayPoints(fixes);
        assertThat(stays).hasSize(2);
        PlaceEvaluation.Visits v = PlaceEvaluation.visits(fixes);
        assertThat(v.places()).containsExactly(0, 1);
        assertThat(GeoTrace.cell(39.90, 116.30)).isNotEqualTo(GeoTrace.cell(39.93, 116.30));
    }

    @Test
    void shouldGiveTheHourOfWeekPriorItsOwnHoursCounts() {
        HourOfWeekPrior prior = new HourOfWeekPrior();
        long monday9 = java.time.Instant.parse("2024-01-01T09:00:00Z").toEpochMilli();
        assertThat(HourOfWeekPrior.hourOfWeek(monday9)).isEqualTo(9);
        for (int i = 0; i < 9; i++) {
            prior.observe(monday9, 1);
        }
        prior.observe(monday9, 0);
        double[] base = {0.5, 0.5};
        double[] out = new double[2];
        prior.predict(monday9, base, 2, 2.0, out);
        assertThat(out[1]).isCloseTo((9 + 1.0) / 12, within(1e-12));
        prior.predict(monday9 + 12 * 3_600_000L, base, 2, 2.0, out);
        assertThat(out[1]).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void shouldCalibrateAnOverconfidentModelTowardsItsAccuracy() {
        int n = 2000;
        double[] conf = new double[n];
        boolean[] correct = new boolean[n];
        for (int i = 0; i < n; i++) {
            conf[i] = 0.9;
            correct[i] = i % 2 == 0;
        }
        TopLabelCalibrator c = TopLabelCalibrator.fit(conf, correct, n);
        assertThat(c.apply(0.9)).isCloseTo(0.5, within(0.01));
        ProbabilityScore raw = new ProbabilityScore();
        ProbabilityScore calibrated = new ProbabilityScore();
        for (int i = 0; i < n; i++) {
            double[] p = {0.9, 0.05, 0.05};
            raw.addDistribution(p, 3, correct[i] ? 0 : 1, null);
            calibrated.addDistribution(p, 3, correct[i] ? 0 : 1, c);
        }
        assertThat(raw.ece()).isCloseTo(0.4, within(1e-9));
        assertThat(raw.calibrationGap()).isCloseTo(0.4, within(1e-9));
        assertThat(calibrated.ece()).isLessThan(0.02);
        assertThat(calibrated.brier()).isLessThan(raw.brier());
    }

    @Test
    void shouldLearnOnlineToCalibrateAnOverconfidentModel() {
        // True accuracy is p^2 for a stated confidence p: overconfident everywhere.
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        OnlineCalibrator online = new OnlineCalibrator();
        ProbabilityScore raw = new ProbabilityScore();
        ProbabilityScore calibrated = new ProbabilityScore();
        for (int i = 0; i < 5000; i++) {
            double p = 0.6 + 0.35 * random.nextDouble();
            boolean right = random.nextDouble() < p * p;
            double[] dist = {p, (1 - p) / 2, (1 - p) / 2, 0};
            raw.addDistribution(dist, 4, right ? 0 : 1, null);
            calibrated.addDistribution(dist, 4, right ? 0 : 1, online);
            online.add(p, right);
        }
        assertThat(raw.ece()).isGreaterThan(0.1);
        assertThat(calibrated.ece()).isLessThan(0.05);
        assertThat(calibrated.brier()).isLessThan(raw.brier());
        assertThat(calibrated.top1()).isEqualTo(raw.top1());
        assertThat(online.slope()).isGreaterThan(1);
    }

    @Test
    void shouldStayAtTheIdentityWithoutOutcomes() {
        OnlineCalibrator online = new OnlineCalibrator();
        assertThat(online.apply(0.7)).isCloseTo(0.7, within(1e-9));
    }

    @Test
    void shouldCalibrateAPredictionOnlyWithOutcomesRevealedBeforeIt() {
        PrequentialCases cases = new PrequentialCases();
        // Two predictions made at t=0 and t=1, revealed at t=10 and t=11: neither may see the other's outcome, so
        // both are scored with the validation-only calibrator (here: no validation, the identity).
        cases.add(0, 10, new double[] {0.8, 0.2, 0}, 3, 1);
        cases.add(1, 11, new double[] {0.8, 0.2, 0}, 3, 1);
        ProbabilityScore out = new ProbabilityScore();
        OnlineCalibrator c = cases.score(java.util.List.of(), out);
        assertThat(c.outcomes()).isZero();
        assertThat(out.ece()).isCloseTo(0.8, within(1e-9));
        // A third prediction after both reveals is calibrated with both (wrong) outcomes: lower confidence.
        cases.add(20, 30, new double[] {0.8, 0.2, 0}, 3, 1);
        ProbabilityScore again = new ProbabilityScore();
        OnlineCalibrator c2 = cases.score(java.util.List.of(), again);
        assertThat(c2.outcomes()).isEqualTo(2);
        assertThat(again.ece()).isLessThan(0.8);
    }

    @Test
    void shouldShowANoiseFloorThatShrinksWithTheNumberOfCases() {
        ProbabilityScore few = new ProbabilityScore();
        ProbabilityScore many = new ProbabilityScore();
        for (int i = 0; i < 20_000; i++) {
            double[] dist = {0.6, 0.4, 0};
            if (i < 50) {
                few.addDistribution(dist, 3, i % 5 < 3 ? 0 : 1, null);
            }
            many.addDistribution(dist, 3, i % 5 < 3 ? 0 : 1, null);
        }
        assertThat(few.eceNoiseFloor(200)).isBetween(0.03, 0.12);
        assertThat(many.eceNoiseFloor(20)).isLessThan(0.01);
    }
}
