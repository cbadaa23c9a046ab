package dev.vantage.probe.internal;

import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when the test says so: both the monotonic and the wall view. */
final class ManualClock implements NanoClock, InstantSource {

    private long nanos = 1_000_000_000L;

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochSecond(1_700_000_000L).plusNanos(nanos);
    }

    void advanceMillis(long millis) {
        nanos += millis * 1_000_000L;
    }
}
