package dev.vantage.predictor.internal;

import java.util.List;

import dev.vantage.predictor.EvalResult;

/** Helpers that turn accumulated scores into {@link EvalResult} rows. */
final class EvalResults {

    private EvalResults() {
    }

    static void addCategorical(List<EvalResult> out, String dataset, String model, ProbabilityScore s) {
        out.add(new EvalResult(dataset, model, "top1", s.top1(), s.cases()));
        out.add(new EvalResult(dataset, model, "top3", s.top3(), s.cases()));
        out.add(new EvalResult(dataset, model, "brier", s.brier(), s.cases()));
        out.add(new EvalResult(dataset, model, "ece", s.ece(), s.cases()));
    }
}
