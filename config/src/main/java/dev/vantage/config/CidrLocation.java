package dev.vantage.config;

import java.util.Objects;

/**
 * A client address block with a known location, used when a request carries no device location.
 *
 * @param cidr     IPv4 or IPv6 block, e.g. {@code 10.1.0.0/16}
 * @param location where clients in the block are
 * @param region   region name, or {@code null}
 */
public record CidrLocation(String cidr, GeoPoint location, String region) {
    public CidrLocation {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(location, "location");
    }
}
