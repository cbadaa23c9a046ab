package dev.vantage.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Where user locations come from: a device header ({@code lat,lon}), else the client address via CIDR blocks.
 *
 * @param deviceLocationHeader header carrying {@code lat,lon}, default {@code X-Device-Location}
 * @param cidrLocations        inline CIDR blocks, checked before {@code cidrCsvFile}
 * @param cidrCsvFile          CSV {@code cidr,lat,lon,region} (header line optional), or {@code null}
 */
public record LocationSettings(String deviceLocationHeader, List<CidrLocation> cidrLocations, Path cidrCsvFile) {

    public static final String DEFAULT_DEVICE_LOCATION_HEADER = "X-Device-Location";

    public LocationSettings {
        deviceLocationHeader = deviceLocationHeader == null ? DEFAULT_DEVICE_LOCATION_HEADER : deviceLocationHeader;
        cidrLocations = cidrLocations == null ? List.of() : List.copyOf(cidrLocations);
    }

    public static LocationSettings defaults() {
        return new LocationSettings(DEFAULT_DEVICE_LOCATION_HEADER, List.of(), null);
    }
}
