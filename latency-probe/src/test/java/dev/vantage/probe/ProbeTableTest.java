package dev.vantage.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;

class ProbeTableTest {

    private static TargetStatus status(int index, String id, String host, int port) {
        ProbeTarget target = ProbeTarget.tcp(id, "g", new HostPort(host, port), 1_000, 500);
        return new TargetStatus(index, target, HealthState.HEALTHY, false, 0, 0, 5_000, 4_000, 100, 5_000, 0.0, 1, 0,
                0, 1, 0, null, 0, 0, 1);
    }

    @Test
    void shouldFindEveryTargetByHostAndPortAndById() {
        TargetStatus[] statuses = new TargetStatus[1_000];
        for (int i = 0; i < statuses.length; i++) {
            statuses[i] = status(i, "t" + i, "10.0." + (i / 250) + "." + (i % 250), 8000 + (i % 7));
        }
        ProbeTable table = ProbeTable.of(statuses);
        for (int i = 0; i < statuses.length; i++) {
            assertThat(table.indexOf("10.0." + (i / 250) + "." + (i % 250), 8000 + (i % 7))).isEqualTo(i);
            assertThat(table.indexOf("t" + i)).isEqualTo(i);
        }
        assertThat(table.indexOf("10.0.0.0", 9999)).isEqualTo(-1);
        assertThat(table.indexOf("10.9.9.9", 8000)).isEqualTo(-1);
        assertThat(table.indexOf("nope")).isEqualTo(-1);
    }

    @Test
    void shouldAnswerTheLowestIndexWhenTwoTargetsShareAnAddress() {
        ProbeTable table = ProbeTable.of(status(0, "a", "h", 1), status(1, "b", "h", 1));
        assertThat(table.indexOf("h", 1)).isZero();
    }

    @Test
    void shouldTreatFreeAndOutOfRangeSlotsAsAbsent() {
        ProbeTable table = ProbeTable.of(status(0, "a", "h", 1), null, status(2, "c", "h", 3));
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.targetCount()).isEqualTo(2);
        assertThat(table.status(1)).isNull();
        assertThat(table.status(3)).isNull();
        assertThat(table.status(-1)).isNull();
        assertThat(table.usable(1)).isFalse();
        assertThat(table.state(1)).isNull();
        assertThat(table.rttEwmaNanos(1)).isEqualTo(-1);
        assertThat(table.statuses()).extracting(TargetStatus::index).containsExactly(0, 2);
        assertThat(table.indexOf("h", 3)).isEqualTo(2);
    }

    @Test
    void shouldRejectAnEntryOutOfItsSlot() {
        assertThatThrownBy(() -> ProbeTable.of(status(1, "a", "h", 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("statuses[0].index: 1 (expected: 0)");
    }

    @Test
    void shouldIncreaseTheGenerationAndCopyTheStatuses() {
        TargetStatus[] statuses = {status(0, "a", "h", 1)};
        ProbeTable first = ProbeTable.EMPTY.next(statuses);
        statuses[0] = status(0, "b", "h", 2);
        ProbeTable second = first.next(statuses);
        assertThat(first.generation()).isEqualTo(1);
        assertThat(second.generation()).isEqualTo(2);
        assertThat(first.indexOf("a")).isZero();
        assertThat(first.indexOf("h", 2)).isEqualTo(-1);
        assertThat(second.indexOf("b")).isZero();
        assertThat(second.indexOf("h", 2)).isZero();
        assertThat(second.indexOf("a")).isEqualTo(-1);
    }

    @Test
    void shouldExposePrimitiveReadings() {
        ProbeTable table = ProbeTable.of(status(0, "a", "h", 1));
        assertThat(table.rttEwmaNanos(0)).isEqualTo(5_000);
        assertThat(table.rttMinNanos(0)).isEqualTo(4_000);
        assertThat(table.rttJitterNanos(0)).isEqualTo(100);
        assertThat(table.lossRatio(0)).isZero();
        assertThat(table.ejected(0)).isFalse();
        assertThat(table.usable(0)).isTrue();
    }

    @Test
    void shouldFindTargetsByEndpointTextWithoutParsingIntoStrings() {
        ProbeTable table = ProbeTable.of(status(0, "a", "10.0.0.1", 80), status(1, "b", "::1", 8080),
                status(2, "c", "web-1.example", 443));
        assertThat(table.indexOfEndpoint("10.0.0.1:80")).isZero();
        assertThat(table.indexOfEndpoint("[::1]:8080")).isEqualTo(1);
        assertThat(table.indexOfEndpoint(new StringBuilder("web-1.example:443"))).isEqualTo(2);
        assertThat(table.indexOfEndpoint("10.0.0.1:81")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint("10.0.0.2:80")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint("10.0.0.1")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint("10.0.0.1:")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint(":80")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint("10.0.0.1:8x")).isEqualTo(-1);
        assertThat(table.indexOfEndpoint("10.0.0.1:99999999999")).isEqualTo(-1);
    }
}
