package dev.vantage.perf.jmh;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.PredictorSettings;
import dev.vantage.config.Site;
import dev.vantage.predictor.Predictor;

/**
 * Per-access-event cost of the predictor: one {@code offerAccess} into the ring plus the owner's {@code doWork}
 * that decodes it and updates every model (user PPM, shared PPMs, hour prior, demand bucket), for 10 000 warm
 * users over 50 sites. {@link MemoryProbe} measures the heap of 10 000 users x 50 places.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dchronicle.analytics.disable=true"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PredictorBenchmarks {

    static final int USERS = 10_000;
    static final int SITES = 50;
    static final int RESOURCES = 200;

    private Predictor predictor;
    private String[] userKeys;
    private String[] siteIds;
    private String[] resourceIds;
    private int[] eventUser;
    private int[] eventSite;
    private int[] eventResource;
    private int next;
    private long time;

    static List<Site> sites() {
        List<Site> sites = new ArrayList<>();
        for (int i = 0; i < SITES; i++) {
            sites.add(new Site("site-" + i, "bench", new GeoPoint(40 + i * 0.2, 2 + i * 0.3), null, null, null, 0.01,
                    0.1 + i * 0.01, 100_000, 4, List.of(), List.of()));
        }
        return sites;
    }

    static PredictorSettings settings() {
        PredictorSettings d = PredictorSettings.defaults();
        return new PredictorSettings(d.horizonMillis(), d.softThreshold(), d.firmThreshold(), d.markovMaxOrder(),
                USERS, d.benefitPerHit(), d.decisionIntervalMillis(), d.anomalyZScore(), d.maxShadowTrafficRatio());
    }

    /** Each user moves among its own 50 places in a habitual order with some noise. */
    static int placeOf(SplittableRandom random, int user, int step) {
        int habitual = (user + step % 5 * 7) % SITES;
        return random.nextInt(10) < 8 ? habitual : random.nextInt(SITES);
    }

    @Setup(Level.Trial)
    public void setUp() {
        InstantSource clock = InstantSource.fixed(Instant.parse("2024-01-01T00:00:00Z"));
        predictor = Predictor.create(sites(), settings(), clock);
        userKeys = new String[USERS];
        for (int u = 0; u < USERS; u++) {
            userKeys[u] = "user-" + u;
        }
        siteIds = new String[SITES];
        for (int s = 0; s < SITES; s++) {
            siteIds[s] = "site-" + s;
        }
        resourceIds = new String[RESOURCES];
        for (int r = 0; r < RESOURCES; r++) {
            resourceIds[r] = "resource-" + r;
        }
        int events = 1 << 20;
        eventUser = new int[events];
        eventSite = new int[events];
        eventResource = new int[events];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < events; i++) {
            int u = random.nextInt(USERS);
            eventUser[i] = u;
            eventSite[i] = placeOf(random, u, i / USERS);
            eventResource[i] = (u * 3 + random.nextInt(5)) % RESOURCES;
        }
        time = clock.millis();
        // Warm every user so that the measured path is the steady state.
        for (int i = 0; i < events; i++) {
            step();
        }
    }

    private void step() {
        int i = next++ & (eventUser.length - 1);
        time += 50;
        predictor.offerAccess(userKeys[eventUser[i]], siteIds[eventSite[i]], resourceIds[eventResource[i]], time,
                Double.NaN, Double.NaN);
        predictor.doWork();
    }

    @Benchmark
    public void accessEvent() {
        step();
    }

    /**
     * The same event stream as {@link #accessEvent}, timed by the thread's CPU clock rather than the wall clock,
     * so that the figure stays meaningful on a machine shared with other work. Prints ns of CPU per event.
     */
    public static final class UpdateProbe {
        public static void main(String[] args) {
            int events = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
            PredictorBenchmarks b = new PredictorBenchmarks();
            b.setUp();
            java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpu0 = threads.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int i = 0; i < events; i++) {
                b.step();
            }
            double cpuNs = (threads.getCurrentThreadCpuTime() - cpu0) / (double) events;
            double wallNs = (System.nanoTime() - wall0) / (double) events;
            System.out.println(String.format(Locale.ROOT,
                    "RESULT name=predictor.update_cpu_ns target=per_access_event value=%.1f unit=ns baseline=1000 "
                            + "ratio=%.3f", cpuNs, cpuNs / 1000));
            System.out.println(String.format(Locale.ROOT, "# wall ns per event in the same run: %.1f", wallNs));
        }
    }

    /** Builds 10 000 users x 50 places (100 visits each) and prints the retained heap in MiB. */
    public static final class MemoryProbe {
        public static void main(String[] args) {
            int users = args.length > 0 ? Integer.parseInt(args[0]) : USERS;
            int visits = args.length > 1 ? Integer.parseInt(args[1]) : 100;
            long before = usedAfterGc();
            long[] now = {Instant.parse("2024-01-01T00:00:00Z").toEpochMilli()};
            InstantSource clock = () -> Instant.ofEpochMilli(now[0]);
            Predictor predictor = Predictor.create(sites(), settings(), clock);
            SplittableRandom random = new SplittableRandom(7);
            long t = now[0];
            for (int v = 0; v < visits; v++) {
                for (int u = 0; u < users; u++) {
                    // Every user cycles through all 50 places, with noise, so each has 50 distinct places.
                    int place = v < SITES ? (u + v) % SITES : placeOf(random, u, v);
                    while (!predictor.offerAccess("user-" + u, "site-" + place, "resource-" + (u % RESOURCES), t,
                            Double.NaN, Double.NaN)) {
                        predictor.doWork();
                    }
                    t += 1_000;
                }
                while (predictor.doWork() > 0) {
                    t += 0;
                }
            }
            while (predictor.doWork() > 0) {
                t += 0;
            }
            // One decision publishes the gauges (and fills every user's cached place distribution).
            now[0] += 1_000;
            predictor.doWork();
            long after = usedAfterGc();
            double mib = (after - before) / (1024.0 * 1024.0);
            String metrics = predictor.metricsText();
            if (!metrics.contains("vantage_predictor_users " + users)) {
                throw new IllegalStateException("expected " + users + " users in the model, metrics:\n" + metrics);
            }
            System.out.println(String.format(Locale.ROOT,
                    "RESULT name=predictor.memory_mib target=%d_users_x_50_places_x_%d_visits value=%.1f unit=MiB "
                            + "baseline=200 ratio=%.3f", users, visits, mib, mib / 200));
            // Keep the predictor reachable until after the measurement.
            System.out.println("# users tracked: " + metrics.lines().filter(l -> l.startsWith("vantage_predictor_users "))
                    .findFirst().orElse("?") + ", model bytes estimate: " + metrics.lines()
                    .filter(l -> l.startsWith("vantage_predictor_model_bytes ")).findFirst().orElse("?")
                    + (predictor.droppedEvents() > 0 ? "" : ""));
        }

        private static long usedAfterGc() {
            for (int i = 0; i < 4; i++) {
                System.gc();
            }
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
    }
}
