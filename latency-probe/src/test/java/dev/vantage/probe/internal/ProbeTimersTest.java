package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;
import dev.vantage.probe.ProbeTarget;

class ProbeTimersTest {

    private static TargetSlot slot(int index) {
        return new TargetSlot(index, ProbeTarget.tcp("t" + index, "g", new HostPort("127.0.0.1", 1000 + index), 1_000,
                500));
    }

    @Test
    void shouldHandOutSlotsInDueOrderWhateverTheOrderOfSchedulesMovesAndRemovals() {
        ProbeTimers timers = new ProbeTimers();
        SplittableRandom random = new SplittableRandom(5);
        List<TargetSlot> slots = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            TargetSlot slot = slot(i);
            slots.add(slot);
            timers.schedule(slot, random.nextLong(-1_000_000, 1_000_000));
        }
        for (int i = 0; i < 100; i++) {
            timers.schedule(slots.get(random.nextInt(200)), random.nextLong(-1_000_000, 1_000_000));
        }
        for (int i = 0; i < 200; i += 4) {
            timers.remove(slots.get(i));
        }
        assertThat(timers.size()).isEqualTo(150);

        long previous = Long.MIN_VALUE;
        while (!timers.isEmpty()) {
            long due = timers.peekDueNanos();
            TargetSlot next = timers.poll();
            assertThat(next.timerDueNanos).isEqualTo(due).isGreaterThanOrEqualTo(previous);
            assertThat(next.index() % 4).as("removed slots never come back").isNotZero();
            assertThat(next.timerIndex).isEqualTo(-1);
            previous = due;
        }
        assertThat(timers.peekDueNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void shouldRoundStartsDownAndDeadlinesUpToTheGridOfTheirPeriod() {
        long grid = ProbeTimers.gridNanos(1_000);
        assertThat(grid).isEqualTo(ProbeTimers.COARSE_GRID_NANOS);
        assertThat(ProbeTimers.gridNanos(100)).isEqualTo(ProbeTimers.FINE_GRID_NANOS);
        assertThat(ProbeTimers.gridNanos(10)).isEqualTo(1);
        assertThat(ProbeTimers.roundDown(25_000_001, grid)).isEqualTo(20_000_000);
        assertThat(ProbeTimers.roundUp(25_000_001, grid)).isEqualTo(30_000_000);
        assertThat(ProbeTimers.roundUp(20_000_000, grid)).isEqualTo(20_000_000);
        assertThat(ProbeTimers.roundDown(-5, grid)).isEqualTo(-10_000_000);
    }
}
