package dev.vantage.predictor;

/**
 * One site's outlook for one resource within the horizon.
 *
 * @param siteId          the site
 * @param probability     probability that the resource is needed at the site within the horizon (0..1)
 * @param mirroringScore  {@code probability x benefitPerHit x expectedAccesses - cost}, cost = the site's instance
 *                        price for the horizon
 * @param userShare       share of the resource's expected users that are expected at this site (0..1)
 * @param expectedAccesses expected number of accesses to the resource at the site within the horizon
 * @param reservation     what the probability earns against the thresholds
 */
public record SiteOutlook(String siteId, double probability, double mirroringScore, double userShare,
                          double expectedAccesses, Reservation reservation) {}
