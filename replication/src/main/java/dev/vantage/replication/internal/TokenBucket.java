package dev.vantage.replication.internal;

import java.time.Clock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import dev.vantage.config.Throttle;

/**
 * A token bucket that limits replication to the {@link Throttle}'s rate in force (lower inside peak hours). The
 * bucket starts empty and holds at most 250 ms worth of bytes (at least one frame): enough that a late wake-up of
 * a loaded machine loses no tokens, small enough that the achieved rate over a few seconds stays close to the limit. Single caller (the sender's frame stage).
 */
public final class TokenBucket {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long RATE_REFRESH_NANOS = 1_000_000_000L;

    private final Throttle throttle;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final LongConsumer sleepNanos;
    private long rateBytesPerSecond;
    private long rateCheckedAtNanos;
    private double tokens;
    private long refilledAtNanos;

    public TokenBucket(Throttle throttle, Clock clock, LongSupplier nanoTime) {
        this(throttle, clock, nanoTime, LockSupport::parkNanos);
    }

    /** With an injected sleep (tests drive a fake clock through it). */
    public TokenBucket(Throttle throttle, Clock clock, LongSupplier nanoTime, LongConsumer sleepNanos) {
        this.sleepNanos = sleepNanos;
        this.throttle = throttle;
        this.clock = clock;
        this.nanoTime = nanoTime;
        long now = nanoTime.getAsLong();
        this.rateBytesPerSecond = throttle.bytesPerSecondAt(clock.instant());
        this.rateCheckedAtNanos = now;
        this.refilledAtNanos = now;
    }

    /** The limit currently in force, 0 = unlimited. */
    public long rateBytesPerSecond() {
        return rateBytesPerSecond;
    }

    /** Blocks until {@code bytes} may be sent. Returns at once when unlimited. */
    public void acquire(int bytes) {
        long now = nanoTime.getAsLong();
        if (now - rateCheckedAtNanos >= RATE_REFRESH_NANOS) {
            rateBytesPerSecond = throttle.bytesPerSecondAt(clock.instant());
            rateCheckedAtNanos = now;
        }
        long rate = rateBytesPerSecond;
        if (rate <= 0) {
            return;
        }
        double burst = Math.max(rate / 4.0, bytes);
        refill(now, rate, burst);
        tokens -= bytes;
        while (tokens < 0) {
            long waitNanos = (long) Math.ceil(-tokens * NANOS_PER_SECOND / rate);
            sleepNanos.accept(Math.max(waitNanos, 10_000));
            refill(nanoTime.getAsLong(), rate, burst);
        }
    }

    private void refill(long now, long rate, double burst) {
        double add = (now - refilledAtNanos) * (double) rate / NANOS_PER_SECOND;
        refilledAtNanos = now;
        tokens = Math.min(burst, tokens + add);
    }
}
