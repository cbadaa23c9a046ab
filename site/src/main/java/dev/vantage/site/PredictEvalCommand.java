package dev.vantage.site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.vantage.predictor.EvalResult;
import dev.vantage.predictor.PredictorEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vantage predict-eval}: evaluates the predictor's models and baselines on files in the data README
 * formats, prints a table and one {@code RESULT model=... metric=... value=...} line per figure. With no option it
 * evaluates every file of the shared data folder ({@code ../shared/data} from the repository root).
 */
@Command(name = "predict-eval", mixinStandardHelpOptions = true,
        description = "Evaluate next-place, next-item, forecasting and anomaly models on trace files.")
public final class PredictEvalCommand implements Callable<Integer> {

    @Option(names = "--places", description = "Location trace CSV user,ts_ms,lat,lon")
    List<Path> places = new ArrayList<>();

    @Option(names = "--sequences", description = "Sequences file (.seq), one sequence of integers per line")
    List<Path> sequences = new ArrayList<>();

    @Option(names = "--series", description = "Training series CSV series,ts,value")
    Path series;

    @Option(names = "--test", description = "Test series CSV continuing --series")
    Path test;

    @Option(names = "--horizon", defaultValue = "48", description = "Forecast horizon in steps (default ${DEFAULT-VALUE})")
    int horizon;

    @Option(names = "--season", defaultValue = "24", description = "Season length in steps (default ${DEFAULT-VALUE})")
    int season;

    @Option(names = "--anomalies", description = "Series CSV series,ts,value to scan for anomalies")
    Path anomalies;

    @Option(names = "--windows", description = "Anomaly windows CSV series,start,end")
    Path windows;

    @Option(names = "--z-score", defaultValue = "3.5", description = "Robust z-score alert threshold (default ${DEFAULT-VALUE})")
    double zScore;

    @Option(names = "--data", defaultValue = "../shared/data", description = "Data folder used when no file is given")
    Path data;

    @Override
    public Integer call() {
        boolean none = places.isEmpty() && sequences.isEmpty() && series == null && anomalies == null;
        if (none) {
            data = locateData(data);
            places.add(data.resolve("geolife/places-dev.csv"));
            sequences.add(data.resolve("sequences/fifa.seq"));
            sequences.add(data.resolve("sequences/bms.seq"));
            series = data.resolve("m4/hourly-dev.csv");
            test = data.resolve("m4/hourly-dev-test.csv");
            anomalies = data.resolve("nab/series-dev.csv");
            windows = data.resolve("nab/anomaly_windows-dev.csv");
        }
        List<String> problems = new ArrayList<>();
        if (series != null && test == null) {
            String name = series.getFileName().toString();
            Path guess = series.resolveSibling(name.replaceFirst("(\\.csv)?$", "-test.csv"));
            if (Files.isRegularFile(guess)) {
                test = guess;
            } else {
                problems.add("--test: missing (expected: the test file continuing " + series + ")");
            }
        }
        if (anomalies != null && windows == null) {
            problems.add("--windows: missing (expected: anomaly windows CSV for " + anomalies + ")");
        }
        if (horizon < 1 || season < 1) {
            problems.add("--horizon/--season: " + horizon + "/" + season + " (expected: >= 1)");
        }
        for (Path p : allFiles()) {
            if (!Files.isRegularFile(p)) {
                problems.add(p + ": no such file (expected: a readable file)");
            }
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("predict-eval: " + p));
            return VantageCli.EXIT_INVALID_INPUT;
        }
        List<EvalResult> results = new ArrayList<>();
        try {
            for (Path p : places) {
                results.addAll(PredictorEvaluation.places(p));
            }
            for (Path p : sequences) {
                results.addAll(PredictorEvaluation.sequences(p));
            }
            if (series != null) {
                results.addAll(PredictorEvaluation.series(series, test, horizon, season));
            }
            if (anomalies != null) {
                results.addAll(PredictorEvaluation.anomalies(anomalies, windows, zScore));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("predict-eval: " + e.getMessage());
            return VantageCli.EXIT_INVALID_INPUT;
        }
        System.out.println(PredictorEvaluation.table(results));
        for (EvalResult r : results) {
            System.out.println(r.resultLine());
        }
        return VantageCli.EXIT_OK;
    }

    /**
     * The default data folder is {@code ../shared/data} from the repository root; from a worktree nested deeper,
     * the first {@code shared/data} found walking up from the working directory is used instead.
     */
    static Path locateData(Path configured) {
        if (Files.isDirectory(configured) || !configured.equals(Path.of("../shared/data"))) {
            return configured;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/data");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return configured;
    }

    private List<Path> allFiles() {
        List<Path> all = new ArrayList<>(places);
        all.addAll(sequences);
        for (Path p : new Path[] {series, test, anomalies, windows}) {
            if (p != null) {
                all.add(p);
            }
        }
        return all;
    }
}
