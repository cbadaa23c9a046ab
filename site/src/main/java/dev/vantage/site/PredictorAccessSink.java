package dev.vantage.site;

import dev.vantage.proxy.AccessEvent;
import dev.vantage.proxy.AccessSink;

/**
 * Feeds the predictor from the proxy's access events: user key, site, resource, time, and the user's location when
 * it says where the user is (the device location header or the CIDR table). The ingress site's own location, which
 * routing falls back to, says nothing about the user and is passed as NaN like an unknown one.
 *
 * <p>Threading: called on the proxy's access-log thread, never on an event loop; the offer never blocks.
 */
final class PredictorAccessSink implements AccessSink {

    /** The predictor's {@code offerAccess}. */
    @FunctionalInterface
    interface AccessOffer {
        boolean offerAccess(CharSequence userKey, CharSequence siteId, CharSequence resourceId, long timeMillis,
                            double lat, double lon);
    }

    private final AccessOffer predictor;

    PredictorAccessSink(AccessOffer predictor) {
        this.predictor = predictor;
    }

    @Override
    public void onAccess(AccessEvent event) {
        boolean located = event.hasUserLocation();
        predictor.offerAccess(event.userKey(), event.siteId(), event.resource(), event.timeMillis(),
                located ? event.userLatitude() : Double.NaN, located ? event.userLongitude() : Double.NaN);
    }
}
