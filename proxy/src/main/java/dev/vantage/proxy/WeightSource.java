package dev.vantage.proxy;

/**
 * Predicted routing weights (the predictor fills them; until then every weight is 1.0). A mirror's effective
 * weight is its operator weight times {@link #weight}: 2.0 doubles its share, 0.5 halves it.
 *
 * <p>Threading: called by the routing refresher thread (never on an event loop), at most once per refresh interval
 * per mirror; implementations read their latest immutable snapshot and must not block.
 */
@FunctionalInterface
public interface WeightSource {

    /**
     * The weight multiplier for serving {@code resourceId} at {@code siteId}, &gt; 0; values that are not finite or
     * not positive are treated as 1.0.
     *
     * @param resourceId the resource id, or the upstream group name for routes to a plain upstream group
     * @param siteId     the site of the mirror
     */
    double weight(String resourceId, String siteId);

    /** Every weight 1.0. */
    static WeightSource uniform() {
        return (resourceId, siteId) -> 1.0;
    }
}
