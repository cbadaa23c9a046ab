package dev.vantage.proxy.internal.routing;

import java.net.InetAddress;

import dev.vantage.config.GeoPoint;
import dev.vantage.proxy.RoutingRequest;

/**
 * Finds a user's location: the device location header ({@code lat,lon} in decimal degrees), else the client address
 * through the CIDR table, else the ingress site's location. Malformed or out-of-range headers and unknown addresses
 * fall back and are counted; they never fail a request.
 *
 * <p>Threading: the table and settings are immutable; {@link #resolve} writes only into the caller's
 * {@link UserLocation} and into {@link RoutingCounters} (single writer per event loop).
 */
final class LocationResolver {

    private final String deviceHeader;
    private final CidrTable cidrs;
    private final double siteX;
    private final double siteY;
    private final double siteZ;
    private final double siteLatitude;
    private final double siteLongitude;
    private final double[] parsed = new double[2];

    LocationResolver(String deviceHeader, CidrTable cidrs, GeoPoint siteLocation) {
        this.deviceHeader = deviceHeader;
        this.cidrs = cidrs;
        GeoPoint site = siteLocation == null ? new GeoPoint(0, 0) : siteLocation;
        double[] v = CidrTable.unitVector(site.latitude(), site.longitude());
        siteX = v[0];
        siteY = v[1];
        siteZ = v[2];
        siteLatitude = site.latitude();
        siteLongitude = site.longitude();
    }

    CidrTable cidrs() {
        return cidrs;
    }

    void resolve(RoutingRequest request, UserLocation out, RoutingCounters counters) {
        CharSequence device = request.header(deviceHeader);
        if (device != null) {
            if (parseLatLon(device, parsed)) {
                double lat = Math.toRadians(parsed[0]);
                double lon = Math.toRadians(parsed[1]);
                double cosLat = Math.cos(lat);
                out.set(UserLocation.Source.DEVICE, parsed[0], parsed[1], cosLat * Math.cos(lon), cosLat * Math.sin(lon),
                        Math.sin(lat), -1);
                counters.increment(RoutingCounters.LOCATION_DEVICE);
                return;
            }
            counters.increment(RoutingCounters.LOCATION_DEVICE_MALFORMED);
        }
        InetAddress client = request.clientAddress();
        int entry = cidrs.lookup(client);
        if (entry >= 0) {
            CidrTable.Entry e = cidrs.entry(entry);
            out.set(UserLocation.Source.CIDR, e.location().latitude(), e.location().longitude(), e.x(), e.y(), e.z(),
                    entry);
            counters.increment(RoutingCounters.LOCATION_CIDR);
            return;
        }
        out.set(UserLocation.Source.SITE, siteLatitude, siteLongitude, siteX, siteY, siteZ, -1);
        counters.increment(client == null || cidrs.size() == 0
                ? RoutingCounters.LOCATION_SITE : RoutingCounters.LOCATION_CIDR_MISS);
    }

    /**
     * Parses {@code lat,lon} (optional spaces, optional sign, up to 15 significant digits) into {@code out} without
     * allocating; false when malformed or out of range.
     */
    static boolean parseLatLon(CharSequence text, double[] out) {
        int comma = -1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ',') {
                if (comma >= 0) {
                    return false;
                }
                comma = i;
            }
        }
        if (comma < 0) {
            return false;
        }
        double lat = parseDecimal(text, 0, comma);
        double lon = parseDecimal(text, comma + 1, text.length());
        if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
            return false;
        }
        out[0] = lat;
        out[1] = lon;
        return true;
    }

    private static final double[] POW10 = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
        1e14, 1e15, 1e16, 1e17, 1e18};

    /** A plain decimal in {@code text[start, end)}, or NaN. */
    static double parseDecimal(CharSequence text, int start, int end) {
        while (start < end && text.charAt(start) == ' ') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == ' ') {
            end--;
        }
        if (start == end) {
            return Double.NaN;
        }
        boolean negative = false;
        char first = text.charAt(start);
        if (first == '-' || first == '+') {
            negative = first == '-';
            start++;
        }
        long mantissa = 0;
        int digits = 0;
        int fractionDigits = 0;
        boolean dot = false;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '.') {
                if (dot) {
                    return Double.NaN;
                }
                dot = true;
            } else if (c >= '0' && c <= '9') {
                if (digits < 15) {
                    mantissa = mantissa * 10 + (c - '0');
                    if (dot) {
                        fractionDigits++;
                    }
                    if (mantissa != 0) {
                        digits++;
                    }
                } else if (!dot) {
                    return Double.NaN;
                }
            } else {
                return Double.NaN;
            }
        }
        if (end - start == (dot ? 1 : 0)) {
            return Double.NaN;
        }
        double value = mantissa / POW10[fractionDigits];
        return negative ? -value : value;
    }
}
