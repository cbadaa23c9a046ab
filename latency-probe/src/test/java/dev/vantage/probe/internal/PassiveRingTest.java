package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.vantage.probe.PassiveOutcome;

class PassiveRingTest {

    @Test
    void shouldDeliverEveryReportFromManyThreadsInEachThreadsOrder() throws InterruptedException {
        AtomicInteger wakeUps = new AtomicInteger();
        PassiveRing ring = new PassiveRing(1 << 20, task -> wakeUps.incrementAndGet(), () -> { });
        int threads = 4;
        int perThread = 10_000;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int producer = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    // index encodes producer and sequence; outcome alternates
                    ring.offer(producer * perThread + i, i % 2 == 0 ? PassiveOutcome.SERVER_ERROR
                            : PassiveOutcome.SUCCESS);
                }
                done.countDown();
            });
            thread.start();
        }
        done.await();
        int[] nextPerProducer = new int[threads];
        List<String> errors = new ArrayList<>();
        int drained = ring.drain((index, outcome) -> {
            int producer = index / perThread;
            int sequence = index % perThread;
            if (sequence != nextPerProducer[producer]) {
                errors.add("producer " + producer + " sequence " + sequence + " expected " + nextPerProducer[producer]);
            }
            if (outcome != (sequence % 2 == 0 ? PassiveOutcome.SERVER_ERROR : PassiveOutcome.SUCCESS)) {
                errors.add("outcome " + outcome + " at " + index);
            }
            nextPerProducer[producer] = sequence + 1;
        });
        assertThat(errors).isEmpty();
        assertThat(drained).isEqualTo(threads * perThread);
        assertThat(ring.droppedTotal()).isZero();
        assertThat(wakeUps.get()).as("one wake-up until the consumer drains").isEqualTo(1);
    }

    @Test
    void shouldDropAndCountWhenFull() {
        PassiveRing ring = new PassiveRing(1024, task -> { }, () -> { });
        int accepted = 0;
        for (int i = 0; i < 1_000; i++) {
            if (ring.offer(i, PassiveOutcome.RESET)) {
                accepted++;
            }
        }
        assertThat(accepted).isBetween(1, 999);
        assertThat(ring.droppedTotal()).isEqualTo(1_000 - accepted);
        assertThat(ring.drain((index, outcome) -> { })).isEqualTo(accepted);
        assertThat(ring.offer(1, PassiveOutcome.RESET)).isTrue();
    }

    @Test
    void shouldWakeTheConsumerAgainAfterADrain() {
        AtomicInteger wakeUps = new AtomicInteger();
        PassiveRing ring = new PassiveRing(1024, task -> wakeUps.incrementAndGet(), () -> { });
        ring.offer(1, PassiveOutcome.SUCCESS);
        ring.offer(2, PassiveOutcome.SUCCESS);
        assertThat(wakeUps.get()).isEqualTo(1);
        ring.drain((index, outcome) -> { });
        ring.offer(3, PassiveOutcome.SUCCESS);
        assertThat(wakeUps.get()).isEqualTo(2);
    }
}
