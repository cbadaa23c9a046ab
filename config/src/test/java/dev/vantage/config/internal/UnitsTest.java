package dev.vantage.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void shouldParseDurationsIntoMillis() {
        assertThat(Units.parseMillis("500ms")).isEqualTo(500);
        assertThat(Units.parseMillis("2s")).isEqualTo(2_000);
        assertThat(Units.parseMillis("1.5m")).isEqualTo(90_000);
        assertThat(Units.parseMillis("5 m")).isEqualTo(300_000);
        assertThat(Units.parseMillis("1h")).isEqualTo(3_600_000);
        assertThat(Units.parseMillis("7d")).isEqualTo(604_800_000);
    }

    @Test
    void shouldRefuseDurationsWithoutUnitOrFractionalMillis() {
        assertThat(Units.parseMillis("500")).isEqualTo(-1);
        assertThat(Units.parseMillis("0.5ms")).isEqualTo(-1);
        assertThat(Units.parseMillis("2 weeks")).isEqualTo(-1);
        assertThat(Units.parseMillis("-2s")).isEqualTo(-1);
    }

    @Test
    void shouldParseDecimalAndBinarySizes() {
        assertThat(Units.parseBytes("512", false)).isEqualTo(512);
        assertThat(Units.parseBytes("64KiB", false)).isEqualTo(65_536);
        assertThat(Units.parseBytes("50MiB", false)).isEqualTo(50L << 20);
        assertThat(Units.parseBytes("1.5GiB", false)).isEqualTo(3L << 29);
        assertThat(Units.parseBytes("1GB", false)).isEqualTo(1_000_000_000L);
        assertThat(Units.parseBytes("10MB/s", true)).isEqualTo(10_000_000L);
        assertThat(Units.parseBytes("10MB/s", false)).isEqualTo(-1);
        assertThat(Units.parseBytes("lots", false)).isEqualTo(-1);
        assertThat(Units.parseBytes("99999999TiB", false)).isEqualTo(-1);
    }

    @Test
    void shouldSuggestCloseWordsOnly() {
        assertThat(Suggestions.closest("regoin", java.util.List.of("id", "region", "location"))).isEqualTo("region");
        assertThat(Suggestions.closest("zzz", java.util.List.of("id", "region"))).isNull();
        assertThat(Suggestions.closest("connectTimeout", java.util.List.of("connectTimeoutMillis", "idleTimeoutMillis")))
                .isEqualTo("connectTimeoutMillis");
        assertThat(Suggestions.closest("helthCheck", java.util.List.of("name", "upstreams", "healthCheckPath")))
                .isEqualTo("healthCheckPath");
        assertThat(Suggestions.closest("a", java.util.List.of("admin", "affinity"))).isNull();
    }
}
