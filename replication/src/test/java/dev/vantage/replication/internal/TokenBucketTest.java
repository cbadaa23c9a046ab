package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.vantage.config.Throttle;
import dev.vantage.config.TimeWindow;

class TokenBucketTest {

    private static final TimeWindow OFFICE_HOURS =
            new TimeWindow(Set.of(), LocalTime.of(8, 0), LocalTime.of(18, 0), ZoneOffset.UTC);
    private static final Throttle THROTTLE = new Throttle(4_000_000, 1_000_000, List.of(OFFICE_HOURS));

    @Test
    void shouldApplyTheLowerLimitInsidePeakHours() {
        Clock noon = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);
        assertThat(new TokenBucket(THROTTLE, noon, System::nanoTime).rateBytesPerSecond()).isEqualTo(1_000_000);
    }

    @Test
    void shouldApplyTheNormalLimitOutsidePeakHours() {
        Clock night = Clock.fixed(Instant.parse("2026-12-02T23:00:00Z"), ZoneOffset.UTC);
        assertThat(new TokenBucket(THROTTLE, night, System::nanoTime).rateBytesPerSecond()).isEqualTo(4_000_000);
    }

    @Test
    void shouldMakeTheCallerWaitForTokensAtTheConfiguredRate() {
        // A fake nano clock that advances only while the bucket sleeps.
        long[] nanos = {0};
        Clock noon = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);
        TokenBucket bucket = new TokenBucket(THROTTLE, noon, () -> nanos[0], sleep -> nanos[0] += sleep);
        long before = nanos[0];
        for (int i = 0; i < 20; i++) {
            bucket.acquire(100_000);
        }
        double seconds = (nanos[0] - before) / 1e9;
        // 2 MB at 1 MB/s from an empty bucket: 2 s of (fake) time, give or take the 10 us minimum sleep.
        assertThat(seconds).isBetween(1.99, 2.01);
    }

    @Test
    void shouldNotWaitWhenUnlimited() {
        TokenBucket bucket = new TokenBucket(Throttle.unlimited(), Clock.systemUTC(), System::nanoTime);
        for (int i = 0; i < 1000; i++) {
            bucket.acquire(1 << 20);
        }
        assertThat(bucket.rateBytesPerSecond()).isZero();
    }
}
