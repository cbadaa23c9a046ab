package dev.vantage.predictor.internal;

/** Maps the raw confidence of a categorical prediction's top label to a calibrated probability. */
@FunctionalInterface
public interface ConfidenceCalibration {

    /** The calibrated probability of a top label with raw confidence {@code confidence}. */
    double apply(double confidence);
}
