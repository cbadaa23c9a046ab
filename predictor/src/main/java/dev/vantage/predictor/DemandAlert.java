package dev.vantage.predictor;

/**
 * Demand at a site deviated from its seasonal expectation by more than the robust z-score threshold.
 *
 * @param siteId       the site
 * @param bucketStartMillis start of the demand bucket that raised it
 * @param requests     requests counted in the bucket
 * @param zScore       robust z-score of the residual
 */
public record DemandAlert(String siteId, long bucketStartMillis, long requests, double zScore) {}
