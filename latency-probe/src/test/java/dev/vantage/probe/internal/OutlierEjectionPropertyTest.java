package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import dev.vantage.config.HostPort;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

/** Whatever the proxy reports, whenever time passes and however groups shrink, no group is ejected beyond its share. */
class OutlierEjectionPropertyTest {

    /** One step of a run: a passive report, time passing, or a reload that keeps a prefix of the targets. */
    record Step(int kind, int index, PassiveOutcome outcome, int millis) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> report = Combinators.combine(Arbitraries.integers().between(0, 40),
                        Arbitraries.of(PassiveOutcome.class))
                .as((index, outcome) -> new Step(0, index, outcome, 0));
        Arbitrary<Step> time = Arbitraries.integers().between(1, 20_000).map(millis -> new Step(1, 0, null, millis));
        Arbitrary<Step> reload = Arbitraries.integers().between(1, 40).map(keep -> new Step(2, keep, null, 0));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, report), net.jqwik.api.Tuple.of(3, time), net.jqwik.api.Tuple.of(1, reload))
                .list().ofMinSize(1).ofMaxSize(400);
    }

    @Property(tries = 100)
    void shouldNeverEjectMoreThanTheConfiguredShareOfAGroup(
            @ForAll @IntRange(min = 1, max = 40) int targetCount,
            @ForAll @IntRange(min = 1, max = 4) int groupCount,
            @ForAll @DoubleRange(min = 0, max = 1) double maxEjectedRatio,
            @ForAll @IntRange(min = 1, max = 5) int failuresToEject,
            @ForAll("steps") List<Step> steps) {
        ManualClock clock = new ManualClock();
        ProbeSettings settings = new ProbeSettings(1_000, 500, 0.2, 2, 3, 250, 0.1, 10_000, maxEjectedRatio,
                failuresToEject);
        ProbeCore core = new ProbeCore(clock, clock, settings);
        List<ProbeTarget> targets = new ArrayList<>();
        for (int i = 0; i < targetCount; i++) {
            targets.add(ProbeTarget.tcp("t" + i, "g" + (i % groupCount), new HostPort("127.0.0.1", 1000 + i), 1_000,
                    500));
        }
        core.applyTargets(targets, settings);
        for (Step step : steps) {
            switch (step.kind()) {
                case 0 -> core.onPassive(step.index(), step.outcome());
                case 1 -> {
                    clock.advanceMillis(step.millis());
                    core.expireEjections();
                }
                default -> core.applyTargets(targets.subList(0, Math.min(step.index(), targets.size())), settings);
            }
            assertWithinShare(core.publish(), maxEjectedRatio);
        }
    }

    private static void assertWithinShare(ProbeTable table, double maxEjectedRatio) {
        Map<String, int[]> groups = new HashMap<>();
        for (TargetStatus status : table.statuses()) {
            int[] counts = groups.computeIfAbsent(status.target().group(), g -> new int[2]);
            counts[0]++;
            if (status.ejected()) {
                counts[1]++;
            }
        }
        groups.forEach((group, counts) -> assertThat((double) counts[1])
                .as("ejected in %s of %d", group, counts[0])
                .isLessThanOrEqualTo(maxEjectedRatio * counts[0] + 1e-9));
    }
}
