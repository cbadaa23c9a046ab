package dev.vantage.site;

import java.io.IOException;
import java.io.PrintStream;
import java.net.CookieManager;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.vantage.config.GeoPoint;
import dev.vantage.config.HostPort;
import dev.vantage.config.Listener;
import dev.vantage.config.Policy;
import dev.vantage.config.PolicyHolder;
import dev.vantage.config.PolicyLoader;
import dev.vantage.config.Resource;
import dev.vantage.config.Site;
import dev.vantage.config.UpstreamGroup;
import dev.vantage.config.Upstream;
import dev.vantage.predictor.CalendarHint;
import dev.vantage.predictor.SiteOutlook;
import dev.vantage.replication.Volume;
import dev.vantage.replication.VerifyResult;
import dev.vantage.replication.Volumes;
import dev.vantage.site.internal.DemoOrigin;

/**
 * The multi-site demo: every site of a policy in one process on loopback, their origins, WAN links between every
 * pair of sites (one-way delay from the great-circle distance at the speed of light in fibre), one embedded
 * coordinator and one mirror lifecycle controller. A scripted story then exercises the whole product and checks
 * each outcome, printing what it saw:
 * <ol>
 *   <li>a user in Frankfurt is served by the local mirror;</li>
 *   <li>the user's work is written to the primary volume and streamed as block deltas to the pinned shadow;</li>
 *   <li>a team's calendar (a conference in Singapore) and their devices' GPS fixes make the predictor expect the
 *       resource in Singapore; the controller pre-mirrors it there before they land;</li>
 *   <li>in Singapore the team is served by the new local mirror, which is promoted to primary (epoch + 1);</li>
 *   <li>a failed origin is taken out of rotation by the probes and requests move to another mirror;</li>
 *   <li>when a resource is multi-master, the same block is saved at its primary and a replica at once: both copies
 *       converge to the winner of its conflict policy and the losing write is listed by {@code GET /conflicts}.</li>
 * </ol>
 * The exit code is 0 only when every check passed.
 */
public final class Demo implements AutoCloseable {

    /** Speed of light in fibre, km per millisecond. */
    private static final double FIBRE_KM_PER_MILLI = 200.0;

    private final Policy shared;
    private final Path dataDirectory;
    private final double wanScale;
    private final PrintStream out;
    private final List<DemoOrigin> origins = new ArrayList<>();
    private final Map<String, VantageSite> sites = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private WanLinks wan;
    private EmbeddedCoordinator coordinator;
    private SiteReplication replication;
    private MirrorLifecycleController controller;
    private ScheduledExecutorService controlLoop;
    private HttpClient http;
    private int checks;
    private int eventsPrinted;

    private Demo(Policy shared, Path dataDirectory, double wanScale, PrintStream out) {
        this.shared = shared;
        this.dataDirectory = dataDirectory;
        this.wanScale = wanScale;
        this.out = out;
    }

    /**
     * Runs the demo on {@code policyFile} (every site on loopback), keeping data under {@code dataDirectory}.
     *
     * @param wanScale multiplies every WAN delay (1.0 = real distances)
     * @return the number of failed checks
     */
    public static int run(Path policyFile, Path dataDirectory, double wanScale, PrintStream out) throws Exception {
        Policy policy = PolicyLoader.loadOrThrow(policyFile);
        try (Demo demo = new Demo(policy, dataDirectory, wanScale, out)) {
            demo.startAll();
            demo.story();
            demo.out.printf(Locale.ROOT, "%n== %d checks, %d failed%n", demo.checks, demo.failures.size());
            for (String f : demo.failures) {
                demo.out.println("   FAILED: " + f);
            }
            return demo.failures.size();
        }
    }

    // ------------------------------------------------------------------ set-up

    private void startAll() throws Exception {
        Files.createDirectories(dataDirectory);
        out.println("== Starting " + shared.sites().size() + " sites on loopback (data in " + dataDirectory + ")");
        for (Site site : shared.sites()) {
            for (UpstreamGroup group : site.upstreamGroups()) {
                int i = 1;
                for (Upstream u : group.upstreams()) {
                    origins.add(DemoOrigin.start(u.host(), u.port(), site.id() + "-" + group.name() + "-" + i++));
                }
            }
        }
        wan = new WanLinks();
        Map<String, Map<String, HostPort>> ingressVia = new TreeMap<>();
        Map<String, Map<String, HostPort>> replicationVia = new TreeMap<>();
        for (Site a : shared.sites()) {
            for (Site b : shared.sites()) {
                if (a == b) {
                    continue;
                }
                long delay = Math.round(oneWayMillis(a.location(), b.location()) * wanScale);
                WanLinkConditions conditions = WanLinkConditions.delay(delay);
                if (!b.listeners().isEmpty()) {
                    Listener l = b.listeners().get(0);
                    WanLink link = wan.add(a.id() + "->" + b.id() + "/http", loopback(0),
                            new InetSocketAddress(l.address(), l.port()), conditions);
                    ingressVia.computeIfAbsent(a.id(), k -> new TreeMap<>()).put(b.id(), hostPort(link));
                }
                if (b.replicationAddress() != null) {
                    WanLink link = wan.add(a.id() + "->" + b.id() + "/replication", loopback(0),
                            new InetSocketAddress(b.replicationAddress().host(), b.replicationAddress().port()),
                            conditions);
                    replicationVia.computeIfAbsent(a.id(), k -> new TreeMap<>()).put(b.id(), hostPort(link));
                }
                out.printf(Locale.ROOT, "   WAN %s -> %s: %d ms one way (%.0f km)%n", a.id(), b.id(), delay,
                        a.location().distanceKm(b.location()));
            }
        }
        coordinator = new EmbeddedCoordinator();
        replication = new SiteReplication(shared, coordinator);
        seedPrimaryVolumes();
        for (Site site : shared.sites()) {
            Policy view = viewFrom(site.id(), ingressVia.getOrDefault(site.id(), Map.of()),
                    replicationVia.getOrDefault(site.id(), Map.of()));
            VantageSite vs = VantageSite.builder(PolicyHolder.of(view), site.id())
                    .coordinator(coordinator)
                    .replication(replication)
                    .dataDirectory(dataDirectory.resolve(site.id()))
                    .lifecycleController(false)
                    .threads(1)
                    .build()
                    .start();
            sites.put(site.id(), vs);
            out.printf(Locale.ROOT, "   site %-4s proxy %s  admin %s  replication %s%n", site.id(),
                    vs.proxy().listenAddresses(), vs.proxy().adminAddress(), site.replicationAddress());
        }
        MirrorLifecycleController.Settings defaults = MirrorLifecycleController.Settings.defaults();
        controller = new MirrorLifecycleController(coordinator, replication, this::advice, InstantSource.system(),
                new MirrorLifecycleController.Settings(shared.predictor().softThreshold(),
                        shared.predictor().firmThreshold(), defaults.promotionUserShare(),
                        defaults.promotionHoldMillis(), 60_000, defaults.deltaIntervalMillis()));
        controller.applyPolicy(shared);
        controlLoop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vantage-demo-controller");
            t.setDaemon(true);
            return t;
        });
        controlLoop.scheduleWithFixedDelay(() -> {
            try {
                controller.tick();
            } catch (RuntimeException e) {
                out.println("   controller: " + e);
            }
        }, 200, 200, TimeUnit.MILLISECONDS);
        http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * The predictor advice the controller reads: each site's predictor knows its own users (federated), so the
     * cluster view takes, per site, the strongest outlook any predictor has for the resource.
     */
    private List<PlacementAdvice.SiteOutlook> advice(String resourceId) {
        Map<String, PlacementAdvice.SiteOutlook> best = new TreeMap<>();
        for (VantageSite vs : sites.values()) {
            for (SiteOutlook o : vs.predictor().outlook(resourceId)) {
                PlacementAdvice.SiteOutlook prev = best.get(o.siteId());
                if (prev == null || o.probability() > prev.probability()) {
                    best.put(o.siteId(), new PlacementAdvice.SiteOutlook(o.siteId(), o.probability(),
                            o.mirroringScore(), o.userShare()));
                }
            }
        }
        return List.copyOf(best.values());
    }

    /** The primary's copy of each resource starts as a 16 MiB image: half random bytes, half text. */
    private void seedPrimaryVolumes() throws IOException {
        Random random = new Random(42);
        for (Resource r : shared.resources()) {
            Path file = SiteReplication.volumePath(dataDirectory.resolve(r.primarySite()), r.id());
            Files.createDirectories(file.getParent());
            byte[] image = new byte[16 << 20];
            random.nextBytes(image);
            byte[] text = "Vantage demo volume: user desktop state, documents and caches. ".getBytes();
            for (int i = image.length / 2; i < image.length; i++) {
                image[i] = text[i % text.length];
            }
            Files.write(file, image);
        }
    }

    /** The policy as {@code siteId} sees it: its peers' ingress and replication endpoints behind WAN links. */
    private Policy viewFrom(String siteId, Map<String, HostPort> ingress, Map<String, HostPort> replicationPorts) {
        List<Site> viewed = new ArrayList<>();
        for (Site s : shared.sites()) {
            if (s.id().equals(siteId)) {
                viewed.add(s);
                continue;
            }
            List<Listener> listeners = new ArrayList<>();
            HostPort via = ingress.get(s.id());
            for (Listener l : s.listeners()) {
                listeners.add(via == null || !listeners.isEmpty() ? l
                        : new Listener(l.name(), via.host(), via.port(), l.transport(), l.tls()));
            }
            HostPort repl = replicationPorts.getOrDefault(s.id(), s.replicationAddress());
            viewed.add(new Site(s.id(), s.region(), s.location(), repl, s.adminAddress(), s.publicUrl(),
                    s.costPerGb(), s.costPerInstanceHour(), s.capacityRequestsPerSecond(), s.spotCapacityInstances(),
                    listeners, s.upstreamGroups(), s.replicationTls()));
        }
        return new Policy(siteId, viewed, shared.tenants(), shared.routes(), shared.resources(), shared.probes(),
                shared.predictor(), shared.admin(), shared.httpLimits(), shared.location(), shared.affinity());
    }

    // ------------------------------------------------------------------ the story

    private void story() throws Exception {
        Resource desktop = shared.resources().get(0);
        String home = desktop.primarySite();
        String away = farthestSite(home);
        GeoPoint homeAt = shared.site(home).orElseThrow().location();
        GeoPoint awayAt = shared.site(away).orElseThrow().location();
        String path = "/desktop/session";
        awaitProbesHealthy();
        for (String siteId : sites.keySet()) {
            requests(siteId, "/", "warm-up", homeAt, 2);
        }

        out.printf(Locale.ROOT, "%n== 1. A user at %s opens the '%s' resource%n", home, desktop.id());
        Served atHome = requests(home, path, "alice", homeAt, 20);
        atHome.print(out);
        check(atHome.shareServedBy(home + "-") >= 0.9, "requests at " + home + " are served by " + home
                + "'s own mirror (" + atHome.byOrigin + ")");

        out.printf(Locale.ROOT, "%n== 2. Work is saved on the primary at %s and streamed as block deltas%n", home);
        VantageSite primary = sites.get(home);
        Path primaryVolume = replication.volumePath(home, desktop.id());
        Volume volume = primary.replicationEngine().volume(primaryVolume, desktop.blockSizeBytes(), null);
        writeScattered(volume, 0.02, 7);
        byte[] document = new byte[4 * desktop.blockSizeBytes()];
        new Random(11).nextBytes(document);
        long saveStart = System.nanoTime();
        QuorumWriter.WriteAck ack = primary.write(desktop.id(), 3L * desktop.blockSizeBytes(), document)
                .get(60, TimeUnit.SECONDS);
        out.printf(Locale.ROOT, "   saved a %d KiB document with consistency %s: acknowledged after %d of %d required"
                        + " copies held it (%s) in %.0f ms%n", document.length / 1024,
                desktop.consistency().mode().name().toLowerCase(Locale.ROOT), ack.copiesHolding(),
                ack.copiesRequired(), ack.mirrorsAcknowledged().isEmpty() ? "primary only"
                        : "primary + " + ack.mirrorsAcknowledged(), (System.nanoTime() - saveStart) / 1e6);
        check(ack.copiesHolding() >= desktop.consistency().writeQuorum(), "the save was acknowledged only once "
                + desktop.consistency().writeQuorum() + " copies held it");
        for (var mirror : desktop.mirrors()) {
            if (mirror.site().equals(home)) {
                continue;
            }
            Path copy = replication.volumePath(mirror.site(), desktop.id());
            boolean same = await(Duration.ofSeconds(45), () -> identical(primaryVolume, copy, desktop));
            check(same, "the shadow at " + mirror.site() + " holds exactly the primary's blocks");
            primary.replicationEngine().progress(desktop.id(), mirror.site()).ifPresent(p -> out.printf(Locale.ROOT,
                    "   %s -> %s: %s, consistent up to sequence %d, lag %d blocks / %.1f s%n", home, mirror.site(),
                    p.phase(), p.consistentUpToSequence(), p.lagBlocks(), p.lagSeconds()));
        }

        out.printf(Locale.ROOT, "%n== 3. A team's calendar says: conference in %s; their phones are already moving%n",
                away);
        long now = System.currentTimeMillis();
        String[] team = {"alice", "bob", "carol", "dave", "erin"};
        for (String user : team) {
            sites.get(home).predictor().addHint(new CalendarHint(user, away, now + 5 * 60_000, now + 3 * 86_400_000L,
                    0.8)).join();
        }
        feedTrip(sites.get(home), team, desktop.id(), homeAt, awayAt, home);
        boolean predicted = await(Duration.ofSeconds(20), () -> advice(desktop.id()).stream()
                .anyMatch(o -> o.siteId().equals(away) && o.probability() >= shared.predictor().firmThreshold()));
        for (PlacementAdvice.SiteOutlook o : advice(desktop.id())) {
            out.printf(Locale.ROOT, "   predictor: p(%s needed at %s within %d min) = %.3f, mirroring score %.2f%n",
                    desktop.id(), o.siteId(), shared.predictor().horizonMillis() / 60_000, o.probability(),
                    o.mirroringScore());
        }
        check(predicted, "the predictor expects '" + desktop.id() + "' at " + away + " with p >= firm threshold "
                + shared.predictor().firmThreshold());
        Path awayCopy = replication.volumePath(away, desktop.id());
        boolean premirrored = await(Duration.ofSeconds(60), () -> controller.mirrors().stream().anyMatch(m ->
                m.resourceId().equals(desktop.id()) && m.siteId().equals(away)
                        && m.state() != MirrorLifecycleController.MirrorState.SHADOW_SYNCING)
                && identical(primaryVolume, awayCopy, desktop));
        printEvents();
        check(premirrored, "a shadow of '" + desktop.id() + "' was created at " + away
                + " and synced over the WAN before the team arrived");

        out.printf(Locale.ROOT, "%n== 4. The team lands in %s%n", away);
        // The site's router takes the new mirror once the coordinator's mirror set, the probes (rise) and the
        // replication lag all say so; a readiness request from an operator account waits for that moment.
        long readyFrom = System.nanoTime();
        boolean routable = await(Duration.ofSeconds(30), () ->
                requests(away, path, "ops-readiness", awayAt, 1).shareServedBy(away + "-") >= 1.0);
        out.printf(Locale.ROOT, "   %s routes to its new mirror %s (after %.1f s)%n", away,
                routable ? "now" : "NOT YET", (System.nanoTime() - readyFrom) / 1e9);
        Served remote = requests(away, path, "alice", awayAt, 20);
        remote.print(out);
        check(remote.ok() >= 0.9 && remote.shareServedBy(away + "-") >= 0.9, "requests at " + away
                + " are served by the new local mirror (" + remote.byOrigin + ")");
        for (String user : team) {
            sites.get(away).predictor().offerAccess(user, away, desktop.id(), System.currentTimeMillis(),
                    awayAt.latitude(), awayAt.longitude());
        }
        boolean promoted = await(Duration.ofSeconds(30), () ->
                coordinator.primary(desktop.id()).map(l -> l.siteId().equals(away)).orElse(false));
        printEvents();
        coordinator.primary(desktop.id()).ifPresent(l -> out.printf(Locale.ROOT,
                "   coordinator: primary of %s is %s at epoch %d%n", desktop.id(), l.siteId(), l.epoch()));
        check(promoted, "the mirror at " + away + " was promoted to primary with a new epoch");

        out.printf(Locale.ROOT, "%n== 5. The origin behind %s's mirror fails (reads may only go to mirrors within the"
                + " route's replication lag bound)%n", away);
        for (DemoOrigin o : origins) {
            if (o.name().startsWith(away + "-" + desktop.mirrorAt(away).map(m -> m.upstreamGroup()).orElse("desktop"))) {
                o.close();
                out.println("   stopped origin " + o.name());
            }
        }
        boolean moved = await(Duration.ofSeconds(20), () -> {
            Served probe = requests(away, path, "alice", awayAt, 5);
            return probe.ok() >= 1.0;
        });
        Served after = requests(away, path, "alice", awayAt, 20);
        after.print(out);
        check(moved && after.ok() >= 0.9, "after the failure, requests at " + away
                + " still succeed through another mirror (" + after.byOrigin + ")");

        multiMasterStep();

        out.printf(Locale.ROOT, "%n== Replication and routing state%n");
        for (VantageSite vs : sites.values()) {
            for (var p : vs.replicationEngine().progress()) {
                boolean received = p.peerId().equals(vs.siteId());
                out.printf(Locale.ROOT, "   %s %s %-8s %-10s %-8s consistent up to sequence %d, lag %d blocks%n",
                        vs.siteId(), received ? "holds   " : "sends to", p.resourceId(),
                        received ? "(receiver)" : p.peerId(), p.phase(), p.consistentUpToSequence(), p.lagBlocks());
            }
        }
        for (WanLink link : wan.links()) {
            out.printf(Locale.ROOT, "   WAN %-26s %,12d bytes%n", link.name(), link.bytesForwarded());
        }
    }

    /**
     * Step 6, when the policy has a multi-master resource: the same block is saved at its primary and at a replica
     * at the same moment; both copies converge to the winner under the resource's conflict policy (the later hybrid
     * logical clock, or the primary's write with {@code primary_wins}) and the losing write is listed in the
     * conflicts view of the site that resolved it.
     */
    private void multiMasterStep() throws Exception {
        Resource shared0 = shared.resources().stream().filter(VantageSite::isMultiMaster).findFirst().orElse(null);
        if (shared0 == null) {
            return;
        }
        String a = shared0.primarySite();
        String b = shared0.mirrors().stream().filter(m -> m.role() == dev.vantage.config.MirrorRole.REPLICA)
                .map(dev.vantage.config.Mirror::site).findFirst().orElseThrow();
        out.printf(Locale.ROOT, "%n== 6. '%s' is multi-master: the same block is saved at %s (primary) and %s"
                + " (replica) at the same moment%n", shared0.id(), a, b);
        long offset = 2L * shared0.blockSizeBytes();
        byte[] atA = ("saved at " + a + "; ").repeat(256).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] atB = ("saved at " + b + "; ").repeat(256).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        var writeA = java.util.concurrent.CompletableFuture.runAsync(() -> saveAfter(together, a, shared0, offset, atA));
        var writeB = java.util.concurrent.CompletableFuture.runAsync(() -> saveAfter(together, b, shared0, offset, atB));
        java.util.concurrent.CompletableFuture.allOf(writeA, writeB).get(20, TimeUnit.SECONDS);
        Path copyA = replication.volumePath(a, shared0.id());
        Path copyB = replication.volumePath(b, shared0.id());
        boolean converged = await(Duration.ofSeconds(30), () -> {
            java.util.concurrent.CompletableFuture.allOf(sites.get(a).replicateNow(shared0.id()),
                    sites.get(b).replicateNow(shared0.id())).join();
            return conflictAbout(shared0, a, b) != null
                    && java.util.Arrays.equals(slice(copyA, offset, atA.length), slice(copyB, offset, atB.length));
        });
        dev.vantage.replication.ConflictRecord lost = conflictAbout(shared0, a, b);
        byte[] current = slice(copyA, offset, atA.length);
        String winner = java.util.Arrays.equals(current, atA) ? a : java.util.Arrays.equals(current, atB) ? b : "?";
        boolean primaryWins = shared0.conflictPolicy() == dev.vantage.config.ConflictPolicy.PRIMARY_WINS;
        out.printf(Locale.ROOT, "   both copies hold the write of %s%s%n", winner, lost == null ? ""
                : String.format(Locale.ROOT, " (%s; HLC %d.%d of %s against %d.%d of %s)",
                        primaryWins ? "conflictPolicy primary_wins: " + a + " is the primary"
                                : "last writer wins by (HLC, site id)",
                        lost.winner().hlc().physicalMillis(), lost.winner().hlc().logical(), lost.winner().siteId(),
                        lost.loser().hlc().physicalMillis(), lost.loser().hlc().logical(), lost.loser().siteId()));
        check(converged && !winner.equals("?"), "both copies of block 2 of '" + shared0.id()
                + "' converged to the same write (" + winner + "'s)");
        String view = lost == null ? "" : admin(lost.detectedAtSite(), "/conflicts");
        if (lost != null) {
            out.printf(Locale.ROOT, "   GET /conflicts at %s: loser from %s kept in %s%n", lost.detectedAtSite(),
                    lost.loser().siteId(), lost.loserBytes());
        }
        check(lost != null && !lost.loser().siteId().equals(winner) && view.contains("\"block\":2")
                        && view.contains("\"loser\":{\"site\":\"" + lost.loser().siteId() + "\""),
                "the losing write is kept and listed by GET /conflicts");
    }

    private void saveAfter(java.util.concurrent.CyclicBarrier together, String siteId, Resource resource, long offset,
                           byte[] data) {
        try {
            together.await(10, TimeUnit.SECONDS);
            sites.get(siteId).write(resource.id(), offset, data).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("saving at " + siteId + " failed: " + e.getMessage(), e);
        }
    }

    /** The first conflict about {@code resource} kept at {@code a} or {@code b}, or null. */
    private dev.vantage.replication.ConflictRecord conflictAbout(Resource resource, String a, String b) {
        for (String siteId : List.of(a, b)) {
            List<dev.vantage.replication.ConflictRecord> kept = sites.get(siteId).replicationEngine().conflicts()
                    .getOrDefault(resource.id(), List.of());
            if (!kept.isEmpty()) {
                return kept.get(0);
            }
        }
        return null;
    }

    private static byte[] slice(Path file, long offset, int length) {
        byte[] out = new byte[length];
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ch.read(java.nio.ByteBuffer.wrap(out), offset);
        } catch (IOException e) {
            return new byte[0];
        }
        return out;
    }

    /** GET {@code path} on {@code siteId}'s admin API, or "" when it does not answer 200. */
    private String admin(String siteId, String path) {
        HostPort at = shared.site(siteId).orElseThrow().adminAddress();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + at.host() + ":" + at.port() + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private void feedTrip(VantageSite site, String[] team, String resourceId, GeoPoint from, GeoPoint to,
                          String siteId) {
        long now = System.currentTimeMillis();
        // Each phone reports a fix a minute for the last 20 minutes of the flight, closing in on the destination.
        for (String user : team) {
            for (int minute = 20; minute >= 0; minute--) {
                double f = 1 - minute * 0.004;
                double lat = from.latitude() + (to.latitude() - from.latitude()) * f;
                double lon = from.longitude() + (to.longitude() - from.longitude()) * f;
                site.predictor().offerAccess(user, siteId, resourceId, now - minute * 60_000L, lat, lon);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What a batch of requests saw. */
    private record Served(int total, int okCount, Map<String, Integer> byOrigin, double p50Millis, double maxMillis) {
        double ok() {
            return total == 0 ? 0 : (double) okCount / total;
        }

        double shareServedBy(String prefix) {
            int n = 0;
            for (var e : byOrigin.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    n += e.getValue();
                }
            }
            return total == 0 ? 0 : (double) n / total;
        }

        void print(PrintStream out) {
            out.printf(Locale.ROOT, "   %d requests, %d ok, served by %s, p50 %.1f ms, max %.1f ms%n", total, okCount,
                    byOrigin, p50Millis, maxMillis);
        }
    }

    private Served requests(String siteId, String path, String user, GeoPoint where, int count) {
        Listener l = shared.site(siteId).orElseThrow().listeners().get(0);
        URI uri = URI.create("http://" + l.address() + ":" + l.port() + path);
        Map<String, Integer> byOrigin = new TreeMap<>();
        double[] millis = new double[count];
        int ok = 0;
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(5))
                        .header("X-Device-Location", where.latitude() + "," + where.longitude())
                        .header("X-User-Id", user)
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                millis[i] = (System.nanoTime() - start) / 1e6;
                String by = response.headers().firstValue("X-Served-By").orElse("status " + response.statusCode());
                byOrigin.merge(by, 1, Integer::sum);
                if (response.statusCode() < 400) {
                    ok++;
                }
            } catch (IOException e) {
                millis[i] = (System.nanoTime() - start) / 1e6;
                byOrigin.merge("error " + e.getClass().getSimpleName(), 1, Integer::sum);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        double[] sorted = millis.clone();
        java.util.Arrays.sort(sorted);
        return new Served(count, ok, byOrigin, sorted[count / 2], sorted[count - 1]);
    }

    private void awaitProbesHealthy() {
        await(Duration.ofSeconds(15), () -> {
            for (VantageSite vs : sites.values()) {
                var table = vs.probes().table();
                for (int i = 0; i < table.size(); i++) {
                    if (table.status(i) != null && table.state(i) == dev.vantage.probe.HealthState.UNKNOWN) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    private static void writeScattered(Volume volume, double share, long seed) throws IOException {
        Random random = new Random(seed);
        long blocks = volume.blockCount();
        byte[] data = new byte[volume.blockSizeBytes()];
        long changed = Math.max(1, Math.round(blocks * share));
        for (long i = 0; i < changed; i++) {
            random.nextBytes(data);
            long block = Math.floorMod(random.nextLong(), blocks);
            volume.write(block * volume.blockSizeBytes(), data, 0, volume.blockLength(block, volume.sizeBytes()));
        }
    }

    private static boolean identical(Path a, Path b, Resource resource) {
        if (!Files.exists(a) || !Files.exists(b)) {
            return false;
        }
        try {
            VerifyResult result = Volumes.verify(a, b, resource.blockSizeBytes());
            return result.differingCount() == 0 && result.sizeBytesA() == result.sizeBytesB();
        } catch (IOException e) {
            return false;
        }
    }

    /** Prints the controller's actions since the previous call. */
    private void printEvents() {
        List<String> events = controller.recentEvents();
        int start = eventsPrinted <= events.size() ? eventsPrinted : 0;
        for (String e : events.subList(start, events.size())) {
            out.println("   controller: " + e.substring(e.indexOf(' ') + 1));
        }
        eventsPrinted = events.size();
    }

    private void check(boolean ok, String what) {
        checks++;
        out.println((ok ? "   CHECK ok      " : "   CHECK FAILED  ") + what);
        if (!ok) {
            failures.add(what);
        }
    }

    private static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    private String farthestSite(String from) {
        GeoPoint origin = shared.site(from).orElseThrow().location();
        String best = from;
        double bestKm = -1;
        for (Site s : shared.sites()) {
            double km = origin.distanceKm(s.location());
            if (km > bestKm) {
                bestKm = km;
                best = s.id();
            }
        }
        return best;
    }

    static double oneWayMillis(GeoPoint a, GeoPoint b) {
        return a.distanceKm(b) / FIBRE_KM_PER_MILLI;
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static HostPort hostPort(WanLink link) {
        return new HostPort("127.0.0.1", link.listenAddress().getPort());
    }

    @Override
    public void close() {
        if (controlLoop != null) {
            controlLoop.shutdownNow();
        }
        for (VantageSite vs : sites.values()) {
            vs.close();
        }
        if (wan != null) {
            wan.close();
        }
        for (DemoOrigin o : origins) {
            o.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }
}
