package dev.vantage.predictor;

/**
 * Predicted load of a site for the next demand bucket.
 *
 * @param siteId              the site
 * @param predictedRequestsPerSecond point forecast
 * @param upperRequestsPerSecond     upper end of the 95 % interval
 * @param capacityRequestsPerSecond  the site's configured capacity
 * @param shadowShare                share of the site's traffic shifted away ahead of a predicted overload (0..max)
 */
public record SiteLoad(String siteId, double predictedRequestsPerSecond, double upperRequestsPerSecond,
                       double capacityRequestsPerSecond, double shadowShare) {}
