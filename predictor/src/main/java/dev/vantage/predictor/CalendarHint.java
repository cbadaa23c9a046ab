package dev.vantage.predictor;

/**
 * A calendar or public-event hint: the user is expected at a site during a time window, with a confidence.
 * While the window overlaps the horizon the user's place distribution is moved towards the site by the confidence.
 *
 * @param userKey     the user key as the proxy sees it
 * @param siteId      where the user is expected
 * @param startMillis window start, epoch ms
 * @param endMillis   window end, epoch ms, &gt;= start
 * @param confidence  0..1
 */
public record CalendarHint(String userKey, String siteId, long startMillis, long endMillis, double confidence) {

    public CalendarHint {
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("confidence: " + confidence + " (expected: 0..1)");
        }
        if (endMillis < startMillis) {
            throw new IllegalArgumentException("endMillis: " + endMillis + " (expected: >= startMillis " + startMillis + ")");
        }
    }
}
