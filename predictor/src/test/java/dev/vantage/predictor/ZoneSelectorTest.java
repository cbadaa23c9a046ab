package dev.vantage.predictor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.Site;

class ZoneSelectorTest {

    private final Site near = TestSites.site("near", 48.1, 11.6, 1.0, 100);
    private final Site staged = TestSites.site("staged", 50.1, 8.7, 0.5, 100);
    private final Site cheapFull = TestSites.site("cheap", 52.5, 13.4, 0.1, 100);

    private DecisionSnapshot snapshot() {
        return new DecisionSnapshot(0, 900_000,
                Map.of("desk", List.of(new SiteOutlook("staged", 0.95, 1, 1, 3, Reservation.FIRM))),
                Map.of("cheap", new SiteLoad("cheap", 95, 99, 100, 0)), List.of(), Map.of());
    }

    @Test
    void shouldPreferThePreStagedZoneOverTheClosestOne() {
        ZoneSelector.ZoneChoice c = ZoneSelector.select(snapshot(), "desk", new GeoPoint(48.1, 11.6), 10,
                List.of(near, staged, cheapFull), ZoneSelector.Weights.defaults());
        assertThat(c.siteId()).isEqualTo("staged");
        assertThat(c.preStagingScore()).isEqualTo(0.95);
    }

    @Test
    void shouldPickTheClosestZoneWhenNothingIsStaged() {
        ZoneSelector.ZoneChoice c = ZoneSelector.select(snapshot(), "other", new GeoPoint(48.1, 11.6), 10,
                List.of(near, staged), new ZoneSelector.Weights(1, 1, 0));
        assertThat(c.siteId()).isEqualTo("near");
    }

    @Test
    void shouldSkipZonesWithoutSpareCapacityAndFailClearlyWhenNoneHasIt() {
        ZoneSelector.ZoneChoice c = ZoneSelector.select(snapshot(), "other", null, 10, List.of(cheapFull, near),
                new ZoneSelector.Weights(0, 0, 1));
        assertThat(c.siteId()).isEqualTo("near");
        assertThatThrownBy(() -> ZoneSelector.select(snapshot(), "desk", null, 500, List.of(near, cheapFull),
                ZoneSelector.Weights.defaults()))
                .isInstanceOf(ZoneSelector.NoZoneAvailableException.class)
                .hasMessageContaining("zone for desk: no site has 500.0 requests/s spare")
                .hasMessageContaining("cheap spare 5.0 rps");
    }
}
