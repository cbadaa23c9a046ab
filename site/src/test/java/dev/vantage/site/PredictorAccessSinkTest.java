package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vantage.proxy.AccessEvent;
import dev.vantage.proxy.UserLocationSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictorAccessSinkTest {

    private record Offered(String userKey, String siteId, String resourceId, long timeMillis, double lat, double lon) {
    }

    private final List<Offered> offered = new ArrayList<>();
    private final PredictorAccessSink sink = new PredictorAccessSink((user, site, resource, time, lat, lon) -> {
        offered.add(new Offered(user.toString(), site.toString(), resource.toString(), time, lat, lon));
        return true;
    });

    private static AccessEvent event(double lat, double lon, UserLocationSource source) {
        return new AccessEvent(1_700_000_000_000L, "user-1", "fra", "desk", "web", "127.0.0.1:9001", "GET", "/",
                200, 1_000_000, 0, 100, "10.0.0.1", lat, lon, source);
    }

    @Test
    void shouldPassTheUsersLocationFromTheDeviceHeaderOrTheCidrTableToThePredictor() {
        sink.onAccess(event(40.7, -74.0, UserLocationSource.HEADER));
        sink.onAccess(event(48.85, 2.35, UserLocationSource.CIDR));

        assertThat(offered).containsExactly(
                new Offered("user-1", "fra", "desk", 1_700_000_000_000L, 40.7, -74.0),
                new Offered("user-1", "fra", "desk", 1_700_000_000_000L, 48.85, 2.35));
    }

    @Test
    void shouldPassNoLocationWhenOnlyTheIngressSitesOwnLocationIsKnown() {
        sink.onAccess(event(50.11, 8.68, UserLocationSource.SITE));
        sink.onAccess(new AccessEvent(1L, "user-2", "fra", "", "web", "", "GET", "/", 404, 1, 0, 10, "10.0.0.2"));

        assertThat(offered).hasSize(2).allSatisfy(o -> {
            assertThat(o.lat()).isNaN();
            assertThat(o.lon()).isNaN();
        });
    }
}
