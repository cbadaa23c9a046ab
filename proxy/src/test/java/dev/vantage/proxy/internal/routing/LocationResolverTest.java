package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.vantage.config.CidrLocation;
import dev.vantage.config.GeoPoint;
import dev.vantage.proxy.RoutingRequest;

class LocationResolverTest {

    record Request(Map<String, String> headers, InetAddress client) implements RoutingRequest {
        @Override
        public CharSequence method() {
            return "GET";
        }

        @Override
        public CharSequence header(CharSequence name) {
            for (Map.Entry<String, String> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name.toString())) {
                    return e.getValue();
                }
            }
            return null;
        }

        @Override
        public InetAddress clientAddress() {
            return client;
        }

        @Override
        public long startNanos() {
            return 0;
        }
    }

    private final LocationResolver resolver = new LocationResolver("X-Device-Location",
            CidrTable.of(List.of(new CidrLocation("10.0.0.0/8", new GeoPoint(35.68, 139.69), "tokyo")), null),
            new GeoPoint(50.11, 8.68));
    private final RoutingCounters counters = new RoutingCounters();
    private final UserLocation user = new UserLocation();

    private static double[] vector(double lat, double lon) {
        return CidrTable.unitVector(lat, lon);
    }

    @Test
    void shouldParseDecimalLatLon() {
        double[] out = new double[2];
        assertThat(LocationResolver.parseLatLon("52.52,13.405", out)).isTrue();
        assertThat(out).containsExactly(52.52, 13.405);
        assertThat(LocationResolver.parseLatLon(" -33.8688 , 151.2093 ", out)).isTrue();
        assertThat(out[0]).isCloseTo(-33.8688, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(LocationResolver.parseLatLon("+10,-20.", out)).isTrue();
        assertThat(out).containsExactly(10.0, -20.0);
    }

    @Test
    void shouldRejectMalformedOrOutOfRangeLatLon() {
        double[] out = new double[2];
        for (String bad : List.of("", "52.52", "52.52,", ",13", "a,b", "91,0", "0,181", "1,2,3", "1..2,3", "-,3",
                "1e5,2", "NaN,1", "12345678901234567890,1")) {
            assertThat(LocationResolver.parseLatLon(bad, out)).as(bad).isFalse();
        }
    }

    @Test
    void shouldPreferTheDeviceHeader() throws Exception {
        resolver.resolve(new Request(Map.of("X-Device-Location", "48.85,2.35"), InetAddress.getByName("10.1.1.1")),
                user, counters);

        assertThat(user.source).isEqualTo(UserLocation.Source.DEVICE);
        double[] paris = vector(48.85, 2.35);
        assertThat(user.dot(paris[0], paris[1], paris[2])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(counters.get(RoutingCounters.LOCATION_DEVICE)).isEqualTo(1);
    }

    @Test
    void shouldFallBackToTheCidrTableAndCountAMalformedHeader() throws Exception {
        resolver.resolve(new Request(Map.of("X-Device-Location", "somewhere"), InetAddress.getByName("10.1.1.1")),
                user, counters);

        assertThat(user.source).isEqualTo(UserLocation.Source.CIDR);
        assertThat(user.cidrEntry).isZero();
        assertThat(counters.get(RoutingCounters.LOCATION_DEVICE_MALFORMED)).isEqualTo(1);
        assertThat(counters.get(RoutingCounters.LOCATION_CIDR)).isEqualTo(1);
    }

    @Test
    void shouldFallBackToTheSiteLocationForUnknownAddresses() throws Exception {
        resolver.resolve(new Request(Map.of(), InetAddress.getByName("192.0.2.1")), user, counters);

        assertThat(user.source).isEqualTo(UserLocation.Source.SITE);
        double[] frankfurt = vector(50.11, 8.68);
        assertThat(user.dot(frankfurt[0], frankfurt[1], frankfurt[2])).isCloseTo(1.0,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(counters.get(RoutingCounters.LOCATION_CIDR_MISS)).isEqualTo(1);
    }
}
