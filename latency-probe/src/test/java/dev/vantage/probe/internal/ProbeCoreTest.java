package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.HealthState;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeListener;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

class ProbeCoreTest {

    private static final long MILLI = 1_000_000L;

    private final ManualClock clock = new ManualClock();
    private final ProbeSettings settings = new ProbeSettings(1_000, 500, 0.2, 2, 3, 250, 0.1, 30_000, 0.5, 5);
    private final ProbeCore core = new ProbeCore(clock, clock, settings);

    private static ProbeTarget target(String name, int port) {
        return ProbeTarget.tcp(name, "eu-1/web", new HostPort("127.0.0.1", port), 1_000, 500);
    }

    private static ProbeTarget target(String name, String group, int port) {
        return ProbeTarget.tcp(name, group, new HostPort("127.0.0.1", port), 1_000, 500);
    }

    @Test
    void shouldPublishNewTargetsAsUnknownWithStableIndexes() {
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        ProbeTable table = core.publish();
        assertThat(table.targetCount()).isEqualTo(2);
        assertThat(table.indexOf("a")).isEqualTo(0);
        assertThat(table.indexOf("127.0.0.1", 2)).isEqualTo(1);
        assertThat(table.state(0)).isEqualTo(HealthState.UNKNOWN);
        assertThat(table.usable(0)).isTrue();
        assertThat(table.rttEwmaNanos(0)).isEqualTo(-1);
    }

    @Test
    void shouldKeepUnchangedTargetsStateAndStatisticsAcrossAReload() {
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        TargetSlot a = core.slot("a");
        core.onProbeSuccess(a, 7 * MILLI);
        core.onProbeSuccess(a, 9 * MILLI);

        ProbeCore.ApplyResult result = core.applyTargets(List.of(target("a", 1), target("c", 3)), settings);
        ProbeTable table = core.publish();

        assertThat(result.unchanged()).isEqualTo(1);
        assertThat(result.removed()).extracting(slot -> slot.target().id()).containsExactly("b");
        assertThat(result.added()).extracting(slot -> slot.target().id()).containsExactly("c");
        assertThat(core.slot("a")).isSameAs(a);
        TargetStatus status = table.status(table.indexOf("a"));
        assertThat(status.index()).isZero();
        assertThat(status.probes()).isEqualTo(2);
        assertThat(status.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(status.rttMinNanos()).isEqualTo(7 * MILLI);
        assertThat(table.indexOf("c")).isEqualTo(1);
        assertThat(table.indexOf("b")).isEqualTo(-1);
    }

    @Test
    void shouldRestartAChangedTargetWithFreshStatisticsButKeepItsDrain() {
        core.applyTargets(List.of(target("a", 1)), settings);
        TargetSlot old = core.slot("a");
        core.onProbeSuccess(old, 7 * MILLI);
        core.setDraining("a", true);

        ProbeCore.ApplyResult result = core.applyTargets(List.of(target("a", 11)), settings);
        ProbeTable table = core.publish();

        assertThat(result.restarted()).isEqualTo(1);
        assertThat(old.retired()).isTrue();
        TargetStatus status = table.status(0);
        assertThat(status.target().address().port()).isEqualTo(11);
        assertThat(status.probes()).isZero();
        assertThat(status.rttEwmaNanos()).isEqualTo(-1);
        assertThat(status.state()).isEqualTo(HealthState.DRAINING);
        assertThat(table.indexOf("127.0.0.1", 1)).isEqualTo(-1);
        assertThat(table.indexOf("127.0.0.1", 11)).isZero();
    }

    @Test
    void shouldIgnoreResultsOfARetiredTarget() {
        core.applyTargets(List.of(target("a", 1)), settings);
        TargetSlot old = core.slot("a");
        core.applyTargets(List.of(), settings);
        core.onProbeFailure(old, "connect failed");
        assertThat(core.publish().targetCount()).isZero();
        assertThat(core.probesTotal()).isZero();
    }

    @Test
    void shouldMarkDegradedWhenTheEwmaExceedsTheThreshold() {
        core.applyTargets(List.of(target("a", 1)), settings);
        TargetSlot a = core.slot("a");
        core.onProbeSuccess(a, 300 * MILLI);
        assertThat(core.publish().state(0)).isEqualTo(HealthState.DEGRADED);
        for (int i = 0; i < 30; i++) {
            core.onProbeSuccess(a, 10 * MILLI);
        }
        assertThat(core.publish().state(0)).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void shouldMarkDegradedWhenTheLossExceedsTheThreshold() {
        core.applyTargets(List.of(target("a", 1)), settings);
        TargetSlot a = core.slot("a");
        for (int i = 0; i < 17; i++) {
            core.onProbeSuccess(a, MILLI);
        }
        core.onProbeFailure(a, "timeout");
        core.onProbeSuccess(a, MILLI);
        core.onProbeFailure(a, "timeout");
        core.onProbeSuccess(a, MILLI);
        assertThat(core.publish().state(0)).isEqualTo(HealthState.HEALTHY);
        core.onProbeFailure(a, "timeout");
        core.onProbeSuccess(a, MILLI);
        TargetStatus status = core.publish().status(0);
        assertThat(status.lossRatio()).isEqualTo(3.0 / 20);
        assertThat(status.state()).isEqualTo(HealthState.DEGRADED);
        assertThat(status.lastError()).isEqualTo("timeout");
    }

    @Test
    void shouldApplyNewThresholdsWithoutRestartingTargets() {
        core.applyTargets(List.of(target("a", 1)), settings);
        TargetSlot a = core.slot("a");
        core.onProbeSuccess(a, 100 * MILLI);
        assertThat(core.publish().state(0)).isEqualTo(HealthState.HEALTHY);
        ProbeSettings stricter = new ProbeSettings(1_000, 500, 0.2, 2, 3, 50, 0.1, 30_000, 0.5, 5);
        ProbeCore.ApplyResult result = core.applyTargets(List.of(target("a", 1)), stricter);
        assertThat(result.unchanged()).isEqualTo(1);
        assertThat(core.slot("a")).isSameAs(a);
        assertThat(core.publish().state(0)).isEqualTo(HealthState.DEGRADED);
    }

    @Test
    void shouldEjectAfterConsecutivePassiveFailuresForBaseTimesEjections() {
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        for (int i = 0; i < 4; i++) {
            core.onPassive(0, PassiveOutcome.SERVER_ERROR);
        }
        assertThat(core.publish().ejected(0)).isFalse();
        core.onPassive(0, PassiveOutcome.CONNECT_FAILURE);
        ProbeTable table = core.publish();
        assertThat(table.ejected(0)).isTrue();
        assertThat(table.usable(0)).isFalse();
        assertThat(table.status(0).ejections()).isEqualTo(1);

        clock.advanceMillis(29_999);
        core.expireEjections();
        assertThat(core.publish().ejected(0)).isTrue();
        clock.advanceMillis(1);
        assertThat(core.expireEjections()).isEqualTo(Long.MAX_VALUE);
        assertThat(core.publish().ejected(0)).isFalse();

        for (int i = 0; i < 5; i++) {
            core.onPassive(0, PassiveOutcome.RESET);
        }
        assertThat(core.publish().status(0).ejections()).isEqualTo(2);
        clock.advanceMillis(59_999);
        core.expireEjections();
        assertThat(core.publish().ejected(0)).isTrue();
        clock.advanceMillis(1);
        core.expireEjections();
        assertThat(core.publish().ejected(0)).isFalse();
    }

    @Test
    void shouldResetThePassiveCountOnASuccess() {
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                core.onPassive(0, PassiveOutcome.SERVER_ERROR);
            }
            core.onPassive(0, PassiveOutcome.SUCCESS);
        }
        assertThat(core.publish().ejected(0)).isFalse();
        assertThat(core.ejectionsTotal()).isZero();
    }

    @Test
    void shouldEarnTheEjectionMultiplierBackAfterGoodBehaviour() {
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        for (int i = 0; i < 5; i++) {
            core.onPassive(0, PassiveOutcome.SERVER_ERROR);
        }
        clock.advanceMillis(30_000);
        core.expireEjections();
        clock.advanceMillis(30_000);
        for (int i = 0; i < 5; i++) {
            core.onPassive(0, PassiveOutcome.SERVER_ERROR);
        }
        assertThat(core.publish().status(0).ejections()).isEqualTo(1);
    }

    @Test
    void shouldNeverEjectMoreThanTheGroupShare() {
        List<ProbeTarget> targets = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            targets.add(target("web-" + i, "eu-1/web", 10 + i));
        }
        targets.add(target("api-0", "eu-1/api", 20));
        core.applyTargets(targets, settings);
        for (int index = 0; index < 6; index++) {
            for (int i = 0; i < 5; i++) {
                core.onPassive(index, PassiveOutcome.SERVER_ERROR);
            }
        }
        ProbeTable table = core.publish();
        long webEjected = table.statuses().stream()
                .filter(s -> s.target().group().equals("eu-1/web") && s.ejected()).count();
        assertThat(webEjected).isEqualTo(2);
        assertThat(table.ejected(table.indexOf("api-0"))).as("a group of one at 50 %% ejects nobody").isFalse();
        assertThat(core.ejectionsRefusedTotal()).isPositive();
    }

    @Test
    void shouldEndEjectionsWhenAReloadShrinksTheGroupBelowItsShare() {
        List<ProbeTarget> targets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            targets.add(target("web-" + i, "eu-1/web", 10 + i));
        }
        core.applyTargets(targets, settings);
        for (int index = 0; index < 2; index++) {
            for (int i = 0; i < 5; i++) {
                core.onPassive(index, PassiveOutcome.SERVER_ERROR);
            }
        }
        assertThat(core.publish().statuses()).filteredOn(TargetStatus::ejected).hasSize(2);
        core.applyTargets(targets.subList(0, 2), settings);
        assertThat(core.publish().statuses()).filteredOn(TargetStatus::ejected).hasSize(1);
    }

    @Test
    void shouldTellListenersAboutStateAndEjectionChangesAfterPublishing() {
        List<String> events = new ArrayList<>();
        core.addListener(new ProbeListener() {
            @Override
            public void onStatusChange(TargetStatus previous, TargetStatus current) {
                events.add(current.target().id() + ":" + previous.state() + "->" + current.state()
                        + (current.ejected() ? ":ejected" : ""));
            }

            @Override
            public void onProbeResult(TargetStatus status, boolean success) {
                events.add("result:" + success);
            }
        });
        core.applyTargets(List.of(target("a", 1), target("b", 2)), settings);
        TargetSlot a = core.slot("a");
        core.onProbeSuccess(a, MILLI);
        assertThat(events).containsExactly("result:true");
        core.publish();
        assertThat(events).containsExactly("result:true", "a:UNKNOWN->HEALTHY");
        core.onProbeSuccess(a, MILLI);
        core.publish();
        for (int i = 0; i < 5; i++) {
            core.onPassive(0, PassiveOutcome.SERVER_ERROR);
        }
        core.publish();
        assertThat(events).containsExactly("result:true", "a:UNKNOWN->HEALTHY", "result:true",
                "a:HEALTHY->HEALTHY:ejected");
    }

    @Test
    void shouldCountListenerExceptionsAndCarryOn() {
        core.addListener((previous, current) -> {
            throw new IllegalStateException("listener bug");
        });
        core.applyTargets(List.of(target("a", 1)), settings);
        core.onProbeSuccess(core.slot("a"), MILLI);
        assertThat(core.publish().state(0)).isEqualTo(HealthState.HEALTHY);
        assertThat(core.listenerErrorsTotal()).isEqualTo(1);
    }

    @Test
    void shouldDrainAndUndrainByIdAndRefuseUnknownIds() {
        core.applyTargets(List.of(target("a", 1)), settings);
        core.onProbeSuccess(core.slot("a"), MILLI);
        assertThat(core.setDraining("a", true)).isTrue();
        assertThat(core.publish().state(0)).isEqualTo(HealthState.DRAINING);
        assertThat(core.publish().usable(0)).isFalse();
        assertThat(core.setDraining("a", false)).isTrue();
        assertThat(core.publish().state(0)).isEqualTo(HealthState.HEALTHY);
        assertThat(core.setDraining("nope", true)).isFalse();
    }

    @Test
    void shouldIgnorePassiveReportsForFreeOrUnknownSlots() {
        core.applyTargets(List.of(target("a", 1)), settings);
        core.onPassive(-1, PassiveOutcome.SERVER_ERROR);
        core.onPassive(7, PassiveOutcome.SERVER_ERROR);
        assertThat(core.passiveReportsTotal()).isEqualTo(2);
        assertThat(core.publish().status(0).consecutivePassiveFailures()).isZero();
    }

    @Test
    void shouldReuseFreedSlotsAndShrinkTheTable() {
        core.applyTargets(List.of(target("a", 1), target("b", 2), target("c", 3)), settings);
        core.applyTargets(List.of(target("a", 1), target("c", 3)), settings);
        assertThat(core.publish().status(1)).isNull();
        core.applyTargets(List.of(target("a", 1), target("c", 3), target("d", 4)), settings);
        assertThat(core.publish().indexOf("d")).isEqualTo(1);
        core.applyTargets(List.of(target("a", 1)), settings);
        assertThat(core.publish().size()).isEqualTo(1);
    }

    @Test
    void shouldDrainEveryTargetProbingAnEndpoint() {
        core.applyTargets(List.of(target("a", "eu-1/web", 1), target("b", "eu-1/api", 1), target("c", 2)), settings);
        assertThat(core.setDraining("127.0.0.1:1", true)).isTrue();
        ProbeTable table = core.publish();
        assertThat(table.state(table.indexOf("a"))).isEqualTo(HealthState.DRAINING);
        assertThat(table.state(table.indexOf("b"))).isEqualTo(HealthState.DRAINING);
        assertThat(table.state(table.indexOf("c"))).isEqualTo(HealthState.UNKNOWN);
        assertThat(core.setDraining("127.0.0.1:9", true)).isFalse();
    }
}
