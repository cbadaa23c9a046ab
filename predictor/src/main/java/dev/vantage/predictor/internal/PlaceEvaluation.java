package dev.vantage.predictor.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.EvalResult;

/**
 * Next-place evaluation on a location trace, following the data README: stay points (200 m, 20 min) mapped to
 * ~500 m grid cells, repeats collapsed; per user the first 70 % of the place sequence trains, every later place
 * is predicted from all earlier ones (models learn online as time passes). A finer protocol samples the cell every
 * 15 minutes ahead from every fix where the user is moving, which is where the
 * Kalman filter matters.
 *
 * <p>Models: most frequent, order-1 and order-2 Markov with backoff (baselines); {@code ppm+prior}: PPM over the
 * user's places (the current place excluded, since repeats are collapsed) mixed with the hour-of-week
 * Dirichlet prior; {@code kalman}: constant-velocity extrapolation of the GPS fixes; {@code ppm+kalman}: their
 * mixture. Mixture weights come from a validation slice (50-70 % of each user's sequence). The headline model's
 * top-label confidence is calibrated prequentially ({@link PrequentialCases}): Platt scaling fitted on the
 * validation outcomes plus every test outcome already revealed when a prediction is made.
 *
 * <p>Threading: confined to the calling thread.
 */
public final class PlaceEvaluation {

    private static final double TRAIN_FRACTION = 0.7;
    private static final double VALIDATION_START = 0.5;
    private static final long TICK_MILLIS = 15 * 60_000L;

    private PlaceEvaluation() {
    }

    /** One user's collapsed place sequence with the departure time from each place. */
    record Visits(int[] places, long[] leaveMillis, int alphabet) {}

    static Visits visits(List<GeoTrace.Fix> fixes) {
        List<GeoTrace.StayPoint> stays = GeoTrace.stayPoints(fixes);
        Map<Long, Integer> ids = new HashMap<>();
        List<Integer> places = new ArrayList<>();
        List<Long> leaves = new ArrayList<>();
        for (GeoTrace.StayPoint s : stays) {
            int id = ids.computeIfAbsent(GeoTrace.cell(s.lat(), s.lon()), c -> ids.size());
            if (!places.isEmpty() && places.get(places.size() - 1) == id) {
                leaves.set(leaves.size() - 1, s.leaveMillis());
                continue;
            }
            places.add(id);
            leaves.add(s.leaveMillis());
        }
        return new Visits(places.stream().mapToInt(Integer::intValue).toArray(),
                leaves.stream().mapToLong(Long::longValue).toArray(), ids.size());
    }

    public static List<EvalResult> run(Path file, String dataset) {
        Map<String, List<GeoTrace.Fix>> traces = GeoTrace.read(file);
        List<EvalResult> results = new ArrayList<>();
        results.addAll(stayProtocol(traces, dataset + "/stay"));
        results.addAll(tickProtocol(traces, dataset + "/cell15min"));
        return results;
    }

    // ---------------------------------------------------------------- stay-point protocol

    private static final String[] STAY_MODELS = {"most-frequent", "markov-1", "markov-2", "ppm+prior"};
    private static final double[] PRIOR_WEIGHTS = {0, 0.15, 0.3, 0.5};

    static List<EvalResult> stayProtocol(Map<String, List<GeoTrace.Fix>> traces, String dataset) {
        List<Visits> users = new ArrayList<>();
        for (List<GeoTrace.Fix> fixes : traces.values()) {
            users.add(visits(fixes));
        }
        // Validation: choose the PPM order, smoothing and prior weight, and fit the calibrator, on the 50-70 % slice.
        double bestWeight = 0;
        SequenceBlend bestBlend = null;
        double bestTop1 = -1;
        double bestLoss = Double.MAX_VALUE;
        List<double[]> bestConf = null;
        for (int order = 1; order <= 3; order++) {
            for (double[] sm : new double[][] {{0, 1}, {0.75, 0.25}}) {
                SequenceBlend blend = new SequenceBlend(order, sm[0], sm[1], 1, 0);
                for (double w : PRIOR_WEIGHTS) {
                    List<double[]> conf = new ArrayList<>();
                    ProbabilityScore s = new ProbabilityScore();
                    for (Visits u : users) {
                        replay(u, VALIDATION_START, TRAIN_FRACTION, blend, w, null, null, s, conf, null);
                    }
                    if (s.top1() > bestTop1 + 1e-9 || (Math.abs(s.top1() - bestTop1) <= 1e-9 && s.logLoss() < bestLoss)) {
                        bestTop1 = s.top1();
                        bestLoss = s.logLoss();
                        bestWeight = w;
                        bestBlend = blend;
                        bestConf = conf;
                    }
                }
            }
        }
        TopLabelCalibrator calibrator = fit(bestConf);
        ProbabilityScore[] scores = new ProbabilityScore[STAY_MODELS.length];
        for (int m = 0; m < scores.length; m++) {
            scores[m] = new ProbabilityScore();
        }
        ProbabilityScore raw = new ProbabilityScore();
        PrequentialCases cases = new PrequentialCases();
        for (Visits u : users) {
            replay(u, TRAIN_FRACTION, 1.0, bestBlend, bestWeight, calibrator, scores, raw, null, cases);
        }
        List<EvalResult> results = new ArrayList<>();
        addCalibrated(results, dataset, STAY_MODELS, scores, raw, cases, bestConf);
        results.add(new EvalResult(dataset, "ppm+prior", "chosen_prior_weight", bestWeight, 0));
        results.add(new EvalResult(dataset, "ppm+prior", "chosen_order", bestBlend.order(), 0));
        results.add(new EvalResult(dataset, "ppm+prior", "chosen_discount", bestBlend.discount(), 0));
        return results;
    }

    /**
     * Adds every model's figures; the last model (the headline) is scored through the prequential online
     * calibrator, and its uncalibrated and validation-isotonic figures and ECE noise floor are added beside it.
     */
    private static void addCalibrated(List<EvalResult> results, String dataset, String[] models,
                                      ProbabilityScore[] scores, ProbabilityScore raw, PrequentialCases cases,
                                      List<double[]> validationPairs) {
        ProbabilityScore online = new ProbabilityScore();
        OnlineCalibrator calibrator = cases.score(validationPairs, online);
        int last = models.length - 1;
        for (int m = 0; m < last; m++) {
            EvalResults.addCategorical(results, dataset, models[m], scores[m]);
        }
        EvalResults.addCategorical(results, dataset, models[last], online);
        String model = models[last];
        results.add(new EvalResult(dataset, model, "ece_noise_floor", online.eceNoiseFloor(200), online.cases()));
        results.add(new EvalResult(dataset, model, "calibration_gap", online.calibrationGap(), online.cases()));
        results.add(new EvalResult(dataset, model, "ece_uncalibrated", raw.ece(), raw.cases()));
        results.add(new EvalResult(dataset, model, "calibration_gap_uncalibrated", raw.calibrationGap(), raw.cases()));
        results.add(new EvalResult(dataset, model, "brier_uncalibrated", raw.brier(), raw.cases()));
        results.add(new EvalResult(dataset, model, "ece_validation_isotonic", scores[last].ece(), scores[last].cases()));
        results.add(new EvalResult(dataset, model, "brier_validation_isotonic", scores[last].brier(), scores[last].cases()));
        results.add(new EvalResult(dataset, model, "platt_slope_final", calibrator.slope(), calibrator.outcomes()));
    }

    static TopLabelCalibrator fit(List<double[]> pairs) {
        double[] conf = new double[pairs.size()];
        boolean[] correct = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            conf[i] = pairs.get(i)[0];
            correct[i] = pairs.get(i)[1] > 0;
        }
        return TopLabelCalibrator.fit(conf, correct, pairs.size());
    }

    /**
     * Replays one user's places in time order, learning from every place and scoring predictions for positions
     * in [from, to) of the sequence. With {@code scores} null only the main model is scored into {@code main}
     * and its (confidence, correct) pairs go to {@code pairs}.
     */
    private static void replay(Visits u, double from, double to, SequenceBlend ppm, double priorWeight,
                               TopLabelCalibrator calibrator,
                               ProbabilityScore[] scores, ProbabilityScore main, List<double[]> pairs,
                               PrequentialCases cases) {
        int n = u.places().length;
        int start = (int) Math.floor(n * from);
        int end = (int) Math.floor(n * to);
        SequenceModel model = new SequenceModel(3);
        HourOfWeekPrior prior = new HourOfWeekPrior();
        int size = u.alphabet() + 1;
        double[] dist = new double[size];
        double[] base = new double[size];
        double[] hour = new double[size];
        int[] stamp = new int[size];
        SequenceBlend[] baselines = {SequenceBlend.markovWithBackoff(0), SequenceBlend.markovWithBackoff(1),
                SequenceBlend.markovWithBackoff(2)};
        int[] seq = u.places();
        for (int i = 0; i < n; i++) {
            if (i >= start && i < end && i > 0) {
                int v = model.alphabetSize();
                int actual = seq[i] < v ? seq[i] : v;
                if (scores != null) {
                    for (int m = 0; m < baselines.length; m++) {
                        baselines[m].predict(model, seq, i, dist, stamp, i * 4 + m + 1);
                        scores[m].addDistribution(dist, v + 1, actual, null);
                    }
                }
                ppm.predict(model, seq, i, dist, stamp, i * 4 + 4);
                if (priorWeight > 0) {
                    System.arraycopy(dist, 0, base, 0, v + 1);
                    prior.predict(u.leaveMillis()[i - 1], base, v + 1, 2.0, hour);
                    hour[seq[i - 1]] = 0;
                    double z = 0;
                    for (int x = 0; x <= v; x++) {
                        z += hour[x];
                    }
                    for (int x = 0; x <= v; x++) {
                        dist[x] = (1 - priorWeight) * base[x] + priorWeight * (z > 0 ? hour[x] / z : base[x]);
                    }
                }
                if (scores != null) {
                    scores[scores.length - 1].addDistribution(dist, v + 1, actual, calibrator);
                }
                if (cases != null) {
                    // Predicted on leaving the previous place; the outcome is known by the time this place is left.
                    cases.add(u.leaveMillis()[i - 1], u.leaveMillis()[i], dist, v + 1, actual);
                }
                main.addDistribution(dist, v + 1, actual, null);
                if (pairs != null) {
                    int best = 0;
                    for (int x = 1; x < v; x++) {
                        if (dist[x] > dist[best]) {
                            best = x;
                        }
                    }
                    pairs.add(new double[] {dist[best], best == actual ? 1 : 0});
                }
            }
            model.observe(seq, i, seq[i]);
            if (i > 0) {
                prior.observe(u.leaveMillis()[i - 1], seq[i]);
            }
        }
    }

    // ---------------------------------------------------------------- 15-minute cell protocol

    private static final String[] TICK_MODELS = {"most-frequent", "markov-1", "markov-2", "kalman", "ppm+kalman"};
    private static final double[] KALMAN_WEIGHTS = {0, 0.25, 0.5, 0.75, 1};
    private static final long TARGET_TOLERANCE_MILLIS = 3 * 60_000L;
    private static final long SEGMENT_GAP_MILLIS = 30 * 60_000L;
    private static final double MOVING_METRES_PER_SECOND = 1.0;

    static List<EvalResult> tickProtocol(Map<String, List<GeoTrace.Fix>> traces, String dataset) {
        List<List<GeoTrace.Fix>> users = new ArrayList<>(traces.values());
        double bestWeight = 0;
        double bestTop1 = -1;
        double bestLoss = Double.MAX_VALUE;
        List<double[]> bestPairs = null;
        for (double w : KALMAN_WEIGHTS) {
            ProbabilityScore s = new ProbabilityScore();
            List<double[]> pairs = new ArrayList<>();
            for (List<GeoTrace.Fix> fixes : users) {
                replayFixes(fixes, VALIDATION_START, TRAIN_FRACTION, w, null, null, s, pairs, null);
            }
            if (s.top1() > bestTop1 + 1e-9 || (Math.abs(s.top1() - bestTop1) <= 1e-9 && s.logLoss() < bestLoss)) {
                bestTop1 = s.top1();
                bestLoss = s.logLoss();
                bestWeight = w;
                bestPairs = pairs;
            }
        }
        TopLabelCalibrator calibrator = fit(bestPairs);
        ProbabilityScore[] scores = new ProbabilityScore[TICK_MODELS.length];
        for (int m = 0; m < scores.length; m++) {
            scores[m] = new ProbabilityScore();
        }
        ProbabilityScore raw = new ProbabilityScore();
        PrequentialCases cases = new PrequentialCases();
        for (List<GeoTrace.Fix> fixes : users) {
            replayFixes(fixes, TRAIN_FRACTION, 1.0, bestWeight, calibrator, scores, raw, null, cases);
        }
        List<EvalResult> results = new ArrayList<>();
        addCalibrated(results, dataset, TICK_MODELS, scores, raw, cases, bestPairs);
        results.add(new EvalResult(dataset, "ppm+kalman", "chosen_kalman_weight", bestWeight, 0));
        return results;
    }

    /** A learning example waiting until its target time has passed (models only learn what they could know). */
    private record Pending(long dueMillis, int[] history, int target) {}

    /**
     * At every fix where the user moves (speed since the previous fix above 1 m/s), predicts the 500 m cell of the
     * fix 15 minutes later (the first fix at or after +15 min, within 3 min). The sequence models see the user's
     * recent distinct cells in the current segment (gaps over 30 min start a new one) and learn the
     * (history, cell 15 min later) pair once its time has come.
     */
    private static void replayFixes(List<GeoTrace.Fix> fixes, double from, double to, double kalmanWeight,
                                    TopLabelCalibrator calibrator, ProbabilityScore[] scores, ProbabilityScore main,
                                    List<double[]> pairs, PrequentialCases cases) {
        int n = fixes.size();
        int start = (int) Math.round(n * from);
        int end = (int) Math.round(n * to);
        Map<Long, Integer> ids = new HashMap<>();
        List<Long> cellOfId = new ArrayList<>();
        int[] cellIdx = new int[n];
        for (int i = 0; i < n; i++) {
            long c = GeoTrace.cell(fixes.get(i).lat(), fixes.get(i).lon());
            Integer id = ids.get(c);
            if (id == null) {
                id = ids.size();
                ids.put(c, id);
                cellOfId.add(c);
            }
            cellIdx[i] = id;
        }
        long[] cells = cellOfId.stream().mapToLong(Long::longValue).toArray();
        SequenceModel model = new SequenceModel(3);
        KalmanFilter2D kalman = new KalmanFilter2D(0.5, 25, SEGMENT_GAP_MILLIS);
        int size = ids.size() + 1;
        double[] dist = new double[size];
        double[] kal = new double[size];
        int[] stamp = new int[size];
        int[] history = new int[8];
        int histLen = 0;
        java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();
        SequenceBlend[] baselines = {SequenceBlend.markovWithBackoff(0), SequenceBlend.markovWithBackoff(1),
                SequenceBlend.markovWithBackoff(2)};
        SequenceBlend ppm = new SequenceBlend(3, 0, 1, 1, 1);
        int target = 0;
        for (int i = 0; i < n; i++) {
            GeoTrace.Fix f = fixes.get(i);
            boolean gap = i == 0 || f.timeMillis() - fixes.get(i - 1).timeMillis() > SEGMENT_GAP_MILLIS;
            if (gap) {
                histLen = 0;
            }
            kalman.update(f.timeMillis(), f.lat(), f.lon());
            if (histLen == 0 || history[histLen - 1] != cellIdx[i]) {
                if (histLen == history.length) {
                    System.arraycopy(history, 1, history, 0, histLen - 1);
                    histLen--;
                }
                history[histLen++] = cellIdx[i];
            }
            while (!pending.isEmpty() && pending.peekFirst().dueMillis() <= f.timeMillis()) {
                Pending p = pending.removeFirst();
                model.observe(p.history(), p.history().length, p.target());
            }
            target = Math.max(target, i + 1);
            while (target < n && fixes.get(target).timeMillis() < f.timeMillis() + TICK_MILLIS) {
                target++;
            }
            if (target >= n || fixes.get(target).timeMillis() > f.timeMillis() + TICK_MILLIS + TARGET_TOLERANCE_MILLIS) {
                continue;
            }
            int next = cellIdx[target];
            pending.addLast(new Pending(fixes.get(target).timeMillis(), java.util.Arrays.copyOf(history, histLen), next));
            boolean moving = !gap && GeoTrace.distanceMetres(fixes.get(i - 1).lat(), fixes.get(i - 1).lon(), f.lat(), f.lon())
                    > MOVING_METRES_PER_SECOND * Math.max(1, (f.timeMillis() - fixes.get(i - 1).timeMillis()) / 1000.0);
            if (i < start || i >= end || !moving) {
                continue;
            }
            int v = model.alphabetSize();
            int actual = next < v ? next : v;
            if (scores != null) {
                for (int m = 0; m < baselines.length; m++) {
                    baselines[m].predict(model, history, histLen, dist, stamp, i * 8 + m + 1);
                    scores[m].addDistribution(dist, v + 1, actual, null);
                }
            }
            kalmanDistribution(kalman, fixes.get(target).timeMillis(), cells, v, kal);
            if (scores != null) {
                scores[3].addDistribution(kal, v + 1, actual, null);
            }
            ppm.predict(model, history, histLen, dist, stamp, i * 8 + 5);
            for (int x = 0; x <= v; x++) {
                dist[x] = (1 - kalmanWeight) * dist[x] + kalmanWeight * kal[x];
            }
            if (scores != null) {
                scores[4].addDistribution(dist, v + 1, actual, calibrator);
            }
            if (cases != null) {
                cases.add(f.timeMillis(), fixes.get(target).timeMillis(), dist, v + 1, actual);
            }
            main.addDistribution(dist, v + 1, actual, null);
            if (pairs != null) {
                int best = 0;
                for (int x = 1; x < v; x++) {
                    if (dist[x] > dist[best]) {
                        best = x;
                    }
                }
                pairs.add(new double[] {dist[best], best == actual ? 1 : 0});
            }
        }
    }

    /**
     * Probability of each known cell (ids below {@code v}) from the filter's predicted position and spread:
     * a Gaussian weight at each cell centre; the mass of the predicted point's own cell goes to the unseen
     * class when that cell was never visited.
     */
    static void kalmanDistribution(KalmanFilter2D kalman, long atMillis, long[] cells, int v, double[] out) {
        double lat = kalman.predictLat(atMillis);
        double lon = kalman.predictLon(atMillis);
        double sd = kalman.predictStdDevMetres(atMillis);
        double var = sd * sd + GeoTrace.CELL_METRES * GeoTrace.CELL_METRES / 4;
        long predictedCell = GeoTrace.cell(lat, lon);
        boolean known = false;
        double sum = 0;
        for (int x = 0; x < v; x++) {
            long cell = cells[x];
            if (cell == predictedCell) {
                known = true;
            }
            double d = GeoTrace.distanceMetres(lat, lon, GeoTrace.cellLat(cell), GeoTrace.cellLon(cell));
            out[x] = Math.exp(-d * d / (2 * var)) + 1e-6;
            sum += out[x];
        }
        out[v] = known ? 1e-6 : 1.0;
        sum += out[v];
        for (int x = 0; x <= v; x++) {
            out[x] /= sum;
        }
    }
}
