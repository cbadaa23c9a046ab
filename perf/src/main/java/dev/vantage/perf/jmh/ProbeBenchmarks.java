package dev.vantage.perf.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.vantage.config.HostPort;
import dev.vantage.probe.HealthState;
import dev.vantage.probe.LatencyProbes;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.TargetStatus;

/**
 * What the proxy pays per request to read the probe table (lookup by host:port and by index) and to report a passive
 * result. Run with {@code -prof gc}: every benchmark here must show 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class ProbeBenchmarks {

    private static final int TARGETS = 1_000;

    private ProbeTable table;
    private String[] hosts;
    private int[] ports;
    private int next;
    private LatencyProbes probes;

    @Setup(Level.Trial)
    public void setUp() {
        TargetStatus[] statuses = new TargetStatus[TARGETS];
        hosts = new String[TARGETS];
        ports = new int[TARGETS];
        for (int i = 0; i < TARGETS; i++) {
            // Separate String instances, as the proxy's own route table would hold them.
            hosts[i] = new String("10.0." + (i / 250) + "." + (i % 250));
            ports[i] = 8000 + (i % 17);
            ProbeTarget target = ProbeTarget.tcp("t" + i, "bench", new HostPort("10.0." + (i / 250) + "." + (i % 250),
                    ports[i]), 1_000, 500);
            statuses[i] = new TargetStatus(i, target, HealthState.HEALTHY, false, 0, 0, 20_000_000, 18_000_000,
                    500_000, 20_000_000, 0.0, 5, 0, 0, 5, 0, null, 0, 0);
        }
        table = ProbeTable.of(statuses);
        probes = LatencyProbes.builder().build().start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        probes.close();
    }

    private int nextIndex() {
        int index = next;
        next = index + 1 == TARGETS ? 0 : index + 1;
        return index;
    }

    /** Find the slot of an upstream by host:port, then read whether it is usable and its EWMA. */
    @Benchmark
    public long lookupByHostPort() {
        int i = nextIndex();
        int index = table.indexOf(hosts[i], ports[i]);
        return table.usable(index) ? table.rttEwmaNanos(index) : -1;
    }

    /** Read state, EWMA, jitter and ejection of a slot whose index the proxy already holds. */
    @Benchmark
    public long readByIndex() {
        int index = nextIndex();
        TargetStatus status = table.status(index);
        return status.usable() && !status.ejected() ? status.rttEwmaNanos() + status.rttJitterNanos() : -1;
    }

    /** Queue one passive result for the probe thread (the proxy calls this once per response). */
    @Benchmark
    public boolean reportOutcome() {
        return probes.reportOutcome(nextIndex(), PassiveOutcome.SUCCESS);
    }
}
