package dev.vantage.proxy.internal.routing;

/**
 * Where a user is, as a unit vector on the sphere (so that "closest site" is a dot product), and where that came
 * from. Reused per event loop.
 */
final class UserLocation {

    enum Source { DEVICE, CIDR, SITE }

    Source source = Source.SITE;
    double x;
    double y;
    double z;
    double latitudeDegrees;
    double longitudeDegrees;
    /** The CIDR entry for {@link Source#CIDR}, else -1. */
    int cidrEntry = -1;

    void set(Source from, double latitude, double longitude, double ux, double uy, double uz, int entry) {
        source = from;
        latitudeDegrees = latitude;
        longitudeDegrees = longitude;
        x = ux;
        y = uy;
        z = uz;
        cidrEntry = entry;
    }

    /** The cosine of the angle between this location and {@code (ox, oy, oz)}: 1 = same place. */
    double dot(double ox, double oy, double oz) {
        return x * ox + y * oy + z * oz;
    }
}
