package dev.vantage.predictor.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.vantage.predictor.EvalResult;

/**
 * Next-item evaluation on a {@code .seq} file (one sequence per line, space-separated non-negative integers),
 * following the data README: train on the first 80 % of sequences, predict item i from items &lt; i at every
 * position i &gt;= 1 of the last 20 % (the first item has no history; the README baselines skip it too). The PPM blend (orders, discount, escape, repeat factor) is chosen on a validation
 * split taken from the end of the training part, and so is its top-label calibrator; the test part is only
 * scored. Baselines: most frequent item, order-1 and order-2 Markov with backoff.
 *
 * <p>Threading: confined to the calling thread.
 */
public final class SequenceEvaluation {

    static final int UNKNOWN = (1 << 24) - 1;
    static final int MAX_ORDER = 4;
    private static final int TUNING_CASES = 12_000;
    private static final int CALIBRATION_CASES = 60_000;

    private SequenceEvaluation() {
    }

    /** Reads a {@code .seq} file; reports the line and token of the first malformed item. */
    public static List<int[]> read(Path file) {
        List<int[]> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                String t = line.trim();
                if (t.isEmpty()) {
                    continue;
                }
                String[] parts = t.split("\\s+");
                int[] seq = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    try {
                        seq[i] = Integer.parseInt(parts[i]);
                    } catch (NumberFormatException e) {
                        seq[i] = -1;
                    }
                    if (seq[i] < 0) {
                        throw new IllegalArgumentException(file + ":" + lineNo + " item " + (i + 1) + ": '" + parts[i]
                                + "' (expected: a non-negative integer)");
                    }
                }
                out.add(seq);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Runs the protocol on {@code file}; {@code dataset} names it in the results. */
    public static List<EvalResult> run(Path file, String dataset) {
        return run(read(file), dataset);
    }

    /** Runs the protocol on sequences already read. */
    public static List<EvalResult> run(List<int[]> sequences, String dataset) {
        if (sequences.size() < 10) {
            throw new IllegalArgumentException(dataset + ": " + sequences.size() + " sequences (expected: >= 10)");
        }
        int trainEnd = (int) Math.round(sequences.size() * 0.8);
        int tuneEnd = (int) Math.round(trainEnd * 0.85);

        Map<Integer, Integer> ids = new HashMap<>();
        for (int i = 0; i < trainEnd; i++) {
            for (int item : sequences.get(i)) {
                ids.putIfAbsent(item, ids.size());
            }
        }
        List<int[]> mapped = new ArrayList<>(sequences.size());
        for (int[] seq : sequences) {
            int[] m = new int[seq.length];
            for (int i = 0; i < seq.length; i++) {
                m[i] = ids.getOrDefault(seq[i], UNKNOWN);
            }
            mapped.add(m);
        }

        SequenceModel tuning = train(mapped, 0, tuneEnd);
        List<int[]> validation = mapped.subList(tuneEnd, trainEnd);
        SequenceBlend best = tune(tuning, validation);
        TopLabelCalibrator calibrator = calibrate(tuning, validation, best, CALIBRATION_CASES);

        SequenceModel model = train(mapped, 0, trainEnd);
        List<int[]> test = mapped.subList(trainEnd, mapped.size());
        String[] names = {"most-frequent", "markov-1", "markov-2", "ppm"};
        SequenceBlend[] blends = {SequenceBlend.markovWithBackoff(0), SequenceBlend.markovWithBackoff(1),
                SequenceBlend.markovWithBackoff(2), best};
        ProbabilityScore[] scores = new ProbabilityScore[names.length];
        for (int m = 0; m < names.length; m++) {
            scores[m] = new ProbabilityScore();
        }
        ProbabilityScore raw = new ProbabilityScore();
        int v = model.alphabetSize();
        double[] dist = new double[v + 1];
        int[] stamp = new int[v + 1];
        int stampValue = 0;
        for (int[] seq : test) {
            for (int i = 1; i < seq.length; i++) {
                int actual = seq[i] == UNKNOWN || seq[i] >= v ? v : seq[i];
                for (int m = 0; m < names.length; m++) {
                    blends[m].predict(model, seq, i, dist, stamp, ++stampValue);
                    if (m == names.length - 1) {
                        raw.addDistribution(dist, v + 1, actual, null);
                        scores[m].addDistribution(dist, v + 1, actual, calibrator);
                    } else {
                        scores[m].addDistribution(dist, v + 1, actual, null);
                    }
                }
            }
        }
        List<EvalResult> results = new ArrayList<>();
        for (int m = 0; m < names.length; m++) {
            EvalResults.addCategorical(results, dataset, names[m], scores[m]);
        }
        results.add(new EvalResult(dataset, "ppm", "ece_noise_floor", scores[names.length - 1].eceNoiseFloor(20),
                raw.cases()));
        results.add(new EvalResult(dataset, "ppm", "calibration_gap", scores[names.length - 1].calibrationGap(),
                raw.cases()));
        results.add(new EvalResult(dataset, "ppm", "ece_uncalibrated", raw.ece(), raw.cases()));
        results.add(new EvalResult(dataset, "ppm", "calibration_gap_uncalibrated", raw.calibrationGap(), raw.cases()));
        results.add(new EvalResult(dataset, "ppm", "brier_uncalibrated", raw.brier(), raw.cases()));
        results.add(new EvalResult(dataset, "ppm", "chosen_order", best.order(), 0));
        results.add(new EvalResult(dataset, "ppm", "chosen_discount", best.discount(), 0));
        results.add(new EvalResult(dataset, "ppm", "chosen_escape", best.escape(), 0));
        results.add(new EvalResult(dataset, "ppm", "chosen_repeat_factor", best.repeatFactor(), 0));
        return results;
    }

    static SequenceModel train(List<int[]> sequences, int from, int to) {
        SequenceModel model = new SequenceModel(MAX_ORDER, 1 << 12, true);
        for (int s = from; s < to; s++) {
            int[] seq = sequences.get(s);
            for (int i = 0; i < seq.length; i++) {
                model.observe(seq, i, seq[i]);
            }
        }
        return model;
    }

    /** Coordinate search on validation: first the order and smoothing, then the repeat factor. */
    static SequenceBlend tune(SequenceModel model, List<int[]> validation) {
        double[][] smoothing = {{0, 1}, {0.5, 0.5}, {0.75, 0.25}, {0.9, 0.05}};
        SequenceBlend best = null;
        double[] bestScore = null;
        for (int order = 1; order <= MAX_ORDER; order++) {
            for (double[] sm : smoothing) {
                SequenceBlend b = new SequenceBlend(order, sm[0], sm[1], 1, 1);
                double[] score = validate(model, validation, b);
                if (best == null || better(score, bestScore)) {
                    best = b;
                    bestScore = score;
                }
            }
        }
        for (double repeat : new double[] {0.5, 0.2, 0.05, 0.01}) {
            SequenceBlend b = new SequenceBlend(best.order(), best.discount(), best.escape(), repeat, 1);
            double[] score = validate(model, validation, b);
            if (better(score, bestScore)) {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    private static boolean better(double[] a, double[] b) {
        return a[0] > b[0] + 1e-9 || (Math.abs(a[0] - b[0]) <= 1e-9 && a[1] < b[1]);
    }

    /** Top-1 accuracy and log loss on up to {@link #TUNING_CASES} validation positions. */
    private static double[] validate(SequenceModel model, List<int[]> validation, SequenceBlend blend) {
        ProbabilityScore score = new ProbabilityScore();
        int v = model.alphabetSize();
        double[] dist = new double[v + 1];
        int[] stamp = new int[v + 1];
        int stampValue = 0;
        outer:
        for (int[] seq : validation) {
            for (int i = 1; i < seq.length; i++) {
                if (score.cases() >= TUNING_CASES) {
                    break outer;
                }
                int actual = seq[i] >= v ? v : seq[i];
                blend.predict(model, seq, i, dist, stamp, ++stampValue);
                score.addDistribution(dist, v + 1, actual, null);
            }
        }
        return new double[] {score.top1(), score.logLoss()};
    }

    static TopLabelCalibrator calibrate(SequenceModel model, List<int[]> validation, SequenceBlend blend, int maxCases) {
        int v = model.alphabetSize();
        double[] dist = new double[v + 1];
        int[] stamp = new int[v + 1];
        int stampValue = 0;
        double[] conf = new double[maxCases];
        boolean[] correct = new boolean[maxCases];
        int n = 0;
        outer:
        for (int[] seq : validation) {
            for (int i = 1; i < seq.length; i++) {
                if (n >= maxCases) {
                    break outer;
                }
                int actual = seq[i] >= v ? v : seq[i];
                blend.predict(model, seq, i, dist, stamp, ++stampValue);
                int best = 0;
                for (int s = 1; s < v; s++) {
                    if (dist[s] > dist[best]) {
                        best = s;
                    }
                }
                conf[n] = dist[best];
                correct[n] = best == actual;
                n++;
            }
        }
        return TopLabelCalibrator.fit(conf, correct, n);
    }
}
