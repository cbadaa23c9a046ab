package dev.vantage.predictor;

import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.PredictorSettings;
import dev.vantage.config.Site;

/** Small fixtures: sites on a line of longitudes, settings, a settable clock. */
final class TestSites {

    private TestSites() {
    }

    static Site site(String id, double lat, double lon, double costPerHour, int capacityRps) {
        return new Site(id, "test", new GeoPoint(lat, lon), null, null, null, 0.01, costPerHour, capacityRps, 0,
                List.of(), List.of());
    }

    static List<Site> sites(int n) {
        List<Site> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(site("s" + i, 48.0, 2.0 + i, 0.1 * (i + 1), 1000));
        }
        return out;
    }

    static PredictorSettings settings(int maxUsers) {
        PredictorSettings d = PredictorSettings.defaults();
        return new PredictorSettings(d.horizonMillis(), d.softThreshold(), d.firmThreshold(), d.markovMaxOrder(),
                maxUsers, d.benefitPerHit(), d.decisionIntervalMillis(), d.anomalyZScore(), d.maxShadowTrafficRatio());
    }

    /** A clock the test moves by hand. */
    static final class ManualClock implements InstantSource {
        long millis = Instant.parse("2024-01-01T08:00:00Z").toEpochMilli();

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            return millis;
        }

        ZoneOffset zone() {
            return ZoneOffset.UTC;
        }
    }
}
