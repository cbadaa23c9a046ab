package dev.vantage.predictor;

/**
 * One figure of an evaluation run: which data, which model, which metric, its value and the number of cases
 * it was measured on.
 *
 * @param dataset name of the input (file stem plus protocol, e.g. {@code fifa} or {@code places-dev/stay})
 * @param model   model or baseline name
 * @param metric  e.g. {@code top1}, {@code top3}, {@code brier}, {@code ece}, {@code smape}, {@code mase}
 * @param value   the figure (accuracies as fractions 0..1)
 * @param cases   number of predictions, series or windows behind the figure
 */
public record EvalResult(String dataset, String model, String metric, double value, long cases) {

    /** The machine-readable line: {@code RESULT model=... metric=... value=...}. */
    public String resultLine() {
        return String.format(java.util.Locale.ROOT, "RESULT model=%s metric=%s value=%.6f dataset=%s cases=%d",
                model, metric, value, dataset, cases);
    }
}
