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
import org.openjdk.jmh.annotations.Param;
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
 * that decodes it and updates every model (user PPM, shared PPMs, hour prior, demand bucket, Kalman filter), for
 * 10 000 warm users over 50 sites, each event from a user drawn at random (so the user's state is usually out of
 * the CPU caches).
 *
 * <p>Two event mixes ({@code mix}): {@code realistic} — an access event is one request; a user stays at a site for
 * many requests, so 5 % of events move the user to another place, 70 % repeat the user's previous resource, and
 * 10 % carry a GPS fix; {@code moves} — the worst case, every event moves the user to another place (a PPM update
 * of every order in the user's and the shared models) and changes resource. Events are
 * {@link #EVENT_SPACING_MILLIS} apart in simulated time. {@link MemoryProbe} measures the heap of 10 000 users x
 * 50 places.
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
    /**
     * Simulated time between events (200 events/s in all, one per user every 50 s): the per-bucket work of the
     * demand forecasts (Holt-Winters update, anomaly detector refresh) is amortised over the events of a bucket, so
     * a slower stream would weigh it more than a busy edge does.
     */
    static final long EVENT_SPACING_MILLIS = 5;

    private Predictor predictor;
    private String[] userKeys;
    private String[] siteIds;
    private String[] resourceIds;
    private int[] eventUser;
    private int[] eventSite;
    private int[] eventResource;
    private double[] eventLat;
    private double[] eventLon;
    private int next;

    @Param({"realistic", "moves"})
    public String mix = "realistic";
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
        eventLat = new double[events];
        eventLon = new double[events];
        SplittableRandom random = new SplittableRandom(42);
        boolean everyEventMoves = mix.equals("moves");
        if (!everyEventMoves && !mix.equals("realistic")) {
            throw new IllegalArgumentException("mix: " + mix + " (expected: realistic or moves)");
        }
        int[] place = new int[USERS];
        int[] moves = new int[USERS];
        int[] resource = new int[USERS];
        for (int u = 0; u < USERS; u++) {
            place[u] = placeOf(random, u, 0);
            resource[u] = (u * 3) % RESOURCES;
        }
        List<Site> sites = sites();
        for (int i = 0; i < events; i++) {
            int u = random.nextInt(USERS);
            eventUser[i] = u;
            if (everyEventMoves) {
                eventSite[i] = placeOf(random, u, i / USERS);
                eventResource[i] = (u * 3 + random.nextInt(5)) % RESOURCES;
                eventLat[i] = Double.NaN;
                eventLon[i] = Double.NaN;
                continue;
            }
            if (random.nextInt(100) < 5) {
                place[u] = placeOf(random, u, ++moves[u]);
            }
            if (random.nextInt(100) >= 70) {
                resource[u] = (u * 3 + random.nextInt(5)) % RESOURCES;
            }
            eventSite[i] = place[u];
            eventResource[i] = resource[u];
            if (random.nextInt(100) < 10) {
                GeoPoint at = sites.get(place[u]).location();
                eventLat[i] = at.latitude() + (random.nextDouble() - 0.5) * 0.002;
                eventLon[i] = at.longitude() + (random.nextDouble() - 0.5) * 0.002;
            } else {
                eventLat[i] = Double.NaN;
                eventLon[i] = Double.NaN;
            }
        }
        time = clock.millis();
        // Warm every user so that the measured path is the steady state (the realistic mix moves users rarely, so
        // it needs more passes before their place models stop growing).
        int passes = everyEventMoves ? 1 : 2;
        for (int i = 0; i < passes * events; i++) {
            step();
        }
    }

    private void step() {
        int i = next++ & (eventUser.length - 1);
        time += EVENT_SPACING_MILLIS;
        predictor.offerAccess(userKeys[eventUser[i]], siteIds[eventSite[i]], resourceIds[eventResource[i]], time,
                eventLat[i], eventLon[i]);
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
            b.mix = args.length > 1 ? args[1] : "realistic";
            b.setUp();
            java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            // Ten rounds: the median and the minimum are steadier than one long run on a machine shared with other
            // work (interference only ever adds time).
            int rounds = 10;
            int perRound = Math.max(1, events / rounds);
            double[] cpuNs = new double[rounds];
            long wall0 = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < perRound; i++) {
                    b.step();
                }
                cpuNs[r] = (threads.getCurrentThreadCpuTime() - cpu0) / (double) perRound;
            }
            double wallNs = (System.nanoTime() - wall0) / (double) (perRound * rounds);
            java.util.Arrays.sort(cpuNs);
            double median = (cpuNs[rounds / 2 - 1] + cpuNs[rounds / 2]) / 2;
            System.out.println(String.format(Locale.ROOT,
                    "RESULT name=predictor.update_cpu_ns target=per_access_event_%s value=%.1f unit=ns baseline=1000 "
                            + "ratio=%.3f", b.mix, median, median / 1000));
            System.out.println(String.format(Locale.ROOT,
                    "RESULT name=predictor.update_cpu_ns_min target=per_access_event_%s value=%.1f unit=ns baseline=1000 "
                            + "ratio=%.3f", b.mix, cpuNs[0], cpuNs[0] / 1000));
            System.out.println(String.format(Locale.ROOT, "# %s: CPU ns per event, median and minimum of %d rounds of %d "
                    + "events; wall ns per event over all rounds: %.1f", b.mix, rounds, perRound, wallNs));
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
