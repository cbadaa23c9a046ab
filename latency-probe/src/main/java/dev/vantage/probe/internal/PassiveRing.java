package dev.vantage.probe.internal;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executor;

import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.vantage.probe.PassiveOutcome;

/**
 * Carries the proxy's passive results (slot index, outcome) from any number of threads to the probe thread. Offering
 * never blocks and never allocates: a full ring drops the report and counts it. The first report after a drain wakes
 * the probe thread with one {@code execute} of a preallocated task.
 */
public final class PassiveRing {

    private static final int MESSAGE_TYPE = 1;
    private static final int MESSAGE_LENGTH_BYTES = 8;
    private static final PassiveOutcome[] OUTCOMES = PassiveOutcome.values();

    private final ManyToOneRingBuffer ring;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final Executor consumerExecutor;
    private final Runnable drainTask;

    /**
     * @param capacityBytes    power of two, the ring's data size
     * @param consumerExecutor the probe thread
     * @param drainTask        runs on the probe thread; must call {@link #drain}
     */
    public PassiveRing(int capacityBytes, Executor consumerExecutor, Runnable drainTask) {
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(capacityBytes + RingBufferDescriptor.TRAILER_LENGTH)));
        this.consumerExecutor = consumerExecutor;
        this.drainTask = drainTask;
    }

    /** Any thread. Returns false when the ring is full and the report was dropped. */
    public boolean offer(int index, PassiveOutcome outcome) {
        int claimIndex = ring.tryClaim(MESSAGE_TYPE, MESSAGE_LENGTH_BYTES);
        if (claimIndex < 0) {
            droppedTotal.incrementAndGet();
            return false;
        }
        ring.buffer().putInt(claimIndex, index);
        ring.buffer().putInt(claimIndex + 4, outcome.ordinal());
        ring.commit(claimIndex);
        // The fence orders the commit before reading the flag, so a consumer that cleared the flag sees the message.
        VarHandle.fullFence();
        if (!drainScheduled.get() && !drainScheduled.getAndSet(true)) {
            consumerExecutor.execute(drainTask);
        }
        return true;
    }

    /** Probe thread: hands every queued report to {@code sink}; returns how many. */
    public int drain(PassiveSink sink) {
        drainScheduled.set(false);
        MessageHandler handler = (type, buffer, offset, length) ->
                sink.accept(buffer.getInt(offset), OUTCOMES[buffer.getInt(offset + 4)]);
        int total = 0;
        int read;
        while ((read = ring.read(handler)) > 0) {
            total += read;
        }
        return total;
    }

    public long droppedTotal() {
        return droppedTotal.get();
    }

    /** Receives drained reports on the probe thread. */
    @FunctionalInterface
    public interface PassiveSink {
        void accept(int index, PassiveOutcome outcome);
    }
}
