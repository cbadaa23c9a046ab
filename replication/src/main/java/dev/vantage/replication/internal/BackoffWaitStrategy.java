package dev.vantage.replication.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;

/**
 * A Disruptor wait strategy for machines with few cores: a waiting stage yields a couple of times, then parks for
 * pauses that double from {@link #MIN_PARK_NANOS} up to {@link #MAX_PARK_NANOS} (as Aeron's back-off idle strategy).
 * A stage that keeps up therefore sleeps while the stage before it fills the ring and then takes the whole batch at
 * once: a few wake-ups per ring's worth of blocks instead of one (or a polling loop) per block, which on a 2-core box
 * is most of what a hand-off between threads costs. The price is at most {@link #MAX_PARK_NANOS} of added latency
 * per stage once a pipeline has gone idle. Unlike Disruptor's blocking strategies it also sleeps while waiting for a
 * stage (not only the producer), so no stage ever busy-spins. Stateless and thread-safe: the back-off lives on the
 * waiting thread's stack.
 */
public final class BackoffWaitStrategy implements WaitStrategy {

    static final int YIELDS = 2;
    static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException {
        long available;
        int attempt = 0;
        long parkNanos = MIN_PARK_NANOS;
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (attempt++ < YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(parkNanos);
                parkNanos = Math.min(MAX_PARK_NANOS, parkNanos * 2);
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking() {
        // Waiters poll with bounded pauses: nothing to wake.
    }
}
