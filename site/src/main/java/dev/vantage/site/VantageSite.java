package dev.vantage.site;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.vantage.config.Policy;
import dev.vantage.config.PolicyDiff;
import dev.vantage.config.PolicyHolder;
import dev.vantage.config.PolicySnapshot;
import dev.vantage.config.ReloadResult;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.ConflictPolicy;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Resource;
import dev.vantage.config.RouteTable;
import dev.vantage.config.Site;
import dev.vantage.config.Transport;
import dev.vantage.predictor.DecisionSnapshot;
import dev.vantage.predictor.DemandAlert;
import dev.vantage.predictor.ZoneSelector;
import dev.vantage.config.GeoPoint;
import dev.vantage.predictor.Predictor;
import dev.vantage.predictor.SiteOutlook;
import dev.vantage.probe.LatencyProbes;
import dev.vantage.probe.ProbeTable;
import dev.vantage.proxy.AdminServer;
import dev.vantage.proxy.ProxyServer;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.RoutingProbeView;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncResult;
import dev.vantage.replication.Volume;

/**
 * One site assembled from a policy: latency probes, the replication receiver and sender, the predictor, the
 * routing engine and the proxy with its admin API, all following the policy holder's reloads.
 *
 * <p>The predictor is fed by the proxy's access events (through its ring, never blocking the event loop); its
 * weights reach routing through {@code WeightSource}; replication lag and roles reach routing through
 * {@link SiteReplication} as {@code MirrorStatus}; probe results reach routing through {@code RoutingProbeView}.
 *
 * <p>Threading: {@link #start()} and {@link #close()} are called by one owner thread; reloads arrive on the policy
 * holder's thread; everything else runs on the components' own threads.
 */
public final class VantageSite implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VantageSite.class.getName());

    private final PolicyHolder policyHolder;
    private final String siteId;
    private final Path dataDirectory;
    private final Coordinator coordinator;
    private final SiteReplication replication;
    private final Transport transportOverride;
    private final int threads;
    private final boolean ownsReplication;
    private final boolean runLifecycleController;
    private MirrorLifecycleController controller;

    private LatencyProbes probes;
    private ReplicationEngine replicationEngine;
    private ReceiverEndpoint receiver;
    private Predictor predictor;
    private RoutingEngine routing;
    private ProxyServer proxy;
    private ScheduledExecutorService housekeeping;
    private Federation federation;
    private ScheduledExecutorService federationPuller;
    private final HttpClient federationClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** How often a site pulls its peers' learnt counts. */
    static final long FEDERATION_PULL_MILLIS = 15_000;
    private final OutgoingStreams outgoing = new OutgoingStreams();
    private AutoCloseable coordinatorWatch;
    private volatile Policy effective;
    private volatile boolean closed;

    private VantageSite(Builder b) {
        this.policyHolder = b.policyHolder;
        this.siteId = b.siteId;
        this.dataDirectory = b.dataDirectory;
        this.coordinator = b.coordinator;
        this.replication = b.replication != null ? b.replication
                : new SiteReplication(b.policyHolder.policy(), b.coordinator);
        this.ownsReplication = b.replication == null;
        this.runLifecycleController = b.lifecycleController;
        this.transportOverride = b.transport;
        this.threads = b.threads;
    }

    /** A site {@code siteId} of the holder's policy. */
    public static Builder builder(PolicyHolder policyHolder, String siteId) {
        return new Builder(policyHolder, siteId);
    }

    /** Options of a site. */
    public static final class Builder {
        private final PolicyHolder policyHolder;
        private final String siteId;
        private Path dataDirectory;
        private Coordinator coordinator;
        private SiteReplication replication;
        private Transport transport;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private boolean lifecycleController = true;

        private Builder(PolicyHolder policyHolder, String siteId) {
            this.policyHolder = Objects.requireNonNull(policyHolder, "policyHolder");
            this.siteId = Objects.requireNonNull(siteId, "siteId");
            if (policyHolder.policy().site(siteId).isEmpty()) {
                List<String> known = new ArrayList<>();
                policyHolder.policy().sites().forEach(s -> known.add(s.id()));
                throw new IllegalArgumentException("site: " + siteId + " (expected: one of " + known + ")");
            }
            this.dataDirectory = Path.of("vantage-data", siteId);
        }

        /** Where the site keeps its volumes, predictor state and access log; default {@code vantage-data/<site>}. */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = Objects.requireNonNull(dir, "dataDirectory");
            return this;
        }

        /** The cluster coordinator; default a new embedded one. */
        public Builder coordinator(Coordinator value) {
            this.coordinator = Objects.requireNonNull(value, "coordinator");
            return this;
        }

        /** A replication view shared by several sites of one process (the demo); default one of its own. */
        public Builder replication(SiteReplication value) {
            this.replication = Objects.requireNonNull(value, "replication");
            return this;
        }

        /** Forces a transport for the proxy listeners; default the policy's. */
        public Builder transport(Transport value) {
            this.transport = value;
            return this;
        }

        /**
         * Whether this site runs a mirror lifecycle controller for the resources it is primary of (default true);
         * off when one controller manages the whole cluster in this process (the demo).
         */
        public Builder lifecycleController(boolean enabled) {
            this.lifecycleController = enabled;
            return this;
        }

        /** Proxy event loops; default the number of cores. */
        public Builder threads(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("threads: " + value + " (expected: >= 1)");
            }
            this.threads = value;
            return this;
        }

        public VantageSite build() {
            if (coordinator == null) {
                coordinator = new EmbeddedCoordinator();
            }
            return new VantageSite(this);
        }
    }

    /** Starts every component; on failure everything started so far is closed again. */
    public synchronized VantageSite start() throws IOException, InterruptedException {
        Policy policy = policyHolder.policy();
        Site site = policy.site(siteId).orElseThrow();
        try {
            Files.createDirectories(dataDirectory);
            probes = LatencyProbes.builder().settings(policy.probes()).threadName("vantage-probe-" + siteId).build()
                    .start();
            probes.applyPolicy(policy, siteId);

            try {
                replicationEngine = ReplicationEngine.create(siteId, java.time.Clock.systemUTC(),
                        site.replicationTls());
            } catch (IllegalArgumentException e) {
                throw new IOException("site " + siteId + ": " + e.getMessage(), e);
            }
            replication.addSite(siteId, replicationEngine, dataDirectory, policyHolder::policy);
            for (Resource resource : policy.resources()) {
                // A replica's copy exists (seeded) before a peer's first multi-master session can create it empty.
                if (isMultiMaster(resource) && isWritableHere(resource)) {
                    openMultiMasterCopy(resource);
                }
            }
            if (site.replicationAddress() != null) {
                try {
                    receiver = replicationEngine.startReceiver(
                            new InetSocketAddress(site.replicationAddress().host(), site.replicationAddress().port()),
                            resourceId -> SiteReplication.volumePath(dataDirectory, resourceId));
                } catch (IOException | RuntimeException e) {
                    throw new IOException("site " + siteId + ": replication endpoint " + site.replicationAddress()
                            + " cannot be bound (" + e.getMessage() + ")", e);
                }
            }
            for (Resource resource : policy.resources()) {
                coordinator.registerPrimary(resource.id(), resource.primarySite());
                if (resource.mirrorAt(siteId).isPresent()
                        && coordinator.primary(resource.id()).map(l -> l.siteId().equals(siteId)).orElse(false)) {
                    replication.preparePrimaryVolume(siteId, resource);
                }
            }

            predictor = Predictor.create(policy.sites(), policy.predictor(), InstantSource.system()).start();
            Path predictorState = dataDirectory.resolve("predictor.state");
            federation = new Federation(predictor);
            if (Files.exists(predictorState)) {
                predictor.restore(predictorState).join();
                Path ledger = dataDirectory.resolve("federation.json");
                if (Files.exists(ledger)) {
                    federation.restore(ledger);
                }
            }

            routing = RoutingEngine.builder(policy, siteId)
                    .weightSource((resourceId, s) -> predictor.weight(s, resourceId))
                    .mirrorStatus(replication)
                    .probeView(new ProbeView(probes))
                    .build();

            ProxyServer.Builder proxyBuilder = ProxyServer.builder(policy, siteId)
                    .threads(threads)
                    .selector(new PassiveReportingSelector(routing.upstreamSelector(), probes))
                    .routes(policyHolder.current().routeTable())
                    .accessLog(dataDirectory.resolve("access.log"))
                    .accessSink(new PredictorAccessSink(predictor::offerAccess));
            if (transportOverride != null) {
                proxyBuilder.transport(transportOverride);
            }
            try {
                proxy = proxyBuilder.build().start();
            } catch (RuntimeException e) {
                throw new IllegalStateException("site " + siteId + ": proxy listeners " + site.listeners().stream()
                        .map(l -> l.address() + ":" + l.port()).toList() + " or admin " + site.adminAddress()
                        + " cannot be started (" + e.getMessage() + ")", e);
            }
            registerAdminPaths(proxy.admin());

            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vantage-site-" + siteId);
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(this::refreshRouting, 100, 100, TimeUnit.MILLISECONDS);
            if (runLifecycleController) {
                controller = new MirrorLifecycleController(coordinator, replication, this::advice,
                        InstantSource.system(), new MirrorLifecycleController.Settings(
                                policy.predictor().softThreshold(), policy.predictor().firmThreshold(),
                                MirrorLifecycleController.Settings.defaults().promotionUserShare(),
                                MirrorLifecycleController.Settings.defaults().promotionHoldMillis(),
                                MirrorLifecycleController.Settings.defaults().releaseHoldMillis(),
                                MirrorLifecycleController.Settings.defaults().deltaIntervalMillis()));
                controller.manageOnlyResourcesPrimaryAt(siteId);
                controller.applyPolicy(policy);
                housekeeping.scheduleWithFixedDelay(this::tickController, 500, 500, TimeUnit.MILLISECONDS);
            }
            // Its own thread: a slow or unreachable peer must not hold up the routing refresh on housekeeping.
            federationPuller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vantage-federation-" + siteId);
                t.setDaemon(true);
                return t;
            });
            federationPuller.scheduleWithFixedDelay(this::pullFederation, FEDERATION_PULL_MILLIS,
                    FEDERATION_PULL_MILLIS, TimeUnit.MILLISECONDS);
            policyHolder.addListener(this::onPolicyChange);
            coordinatorWatch = coordinator.watch(change -> housekeeping.execute(this::applyEffectivePolicy));
            awaitFirstTopology();
            LOG.info(() -> "site " + siteId + " started: proxy " + proxy.listenAddresses() + " (" + proxy.transportName()
                    + "), admin " + proxy.adminAddress() + ", replication " + (receiver == null ? "-" : receiver.address())
                    + ", coordinator " + coordinator.describe());
            return this;
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Applies the effective policy for the first time on the housekeeping thread (its only writer) and waits for it,
     * so that a started site routes and replicates by it and its outgoing streams can be triggered. A failure is
     * logged; the next policy or coordinator change applies it again.
     */
    private void awaitFirstTopology() throws InterruptedException {
        try {
            housekeeping.submit(this::applyEffectivePolicy).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.log(Level.WARNING, "site " + siteId + ": applying the policy's topology failed", e);
        }
    }

    /**
     * This site's predictor as the controller's advice: per site, probability, score and user share, plus the
     * probability that the site's users open the resource next (the prefetch list of the latest decisions).
     */
    private List<PlacementAdvice.SiteOutlook> advice(String resourceId) {
        return PlacementAdvice.combine(predictor.outlook(resourceId), predictor.snapshot(), resourceId);
    }

    /**
     * Federated learning: pulls every other site's locally learnt counts from its admin API ({@code GET
     * /federation}) and merges what is new (see {@link Federation}). Runs on its own thread; a peer that cannot be
     * reached is tried again at the next pull.
     */
    private void pullFederation() {
        for (Site peer : policyHolder.current().policy().sites()) {
            if (peer.id().equals(siteId) || peer.adminAddress() == null) {
                continue;
            }
            try {
                HttpResponse<String> response = federationClient.send(HttpRequest.newBuilder(URI.create("http://"
                        + peer.adminAddress() + "/federation")).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    LOG.fine(() -> "site " + siteId + ": federation pull from " + peer.id() + ": HTTP "
                            + response.statusCode());
                    continue;
                }
                long added = federation.absorb(peer.id(), Federation.fromJson(response.body()));
                if (added > 0) {
                    LOG.fine(() -> "site " + siteId + ": merged " + added + " counts learnt at " + peer.id());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                LOG.fine(() -> "site " + siteId + ": federation pull from " + peer.id() + " failed: " + e);
            }
        }
    }

    private void tickController() {
        try {
            controller.tick();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "site " + siteId + ": mirror lifecycle step failed", e);
        }
    }

    private void refreshRouting() {
        try {
            routing.refreshInputs();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "site " + siteId + ": refreshing routing inputs failed", e);
        }
    }

    /**
     * Primary-side replication: every resource whose primary is here streams to its mirrors on its schedule. A
     * multi-master resource (a mirror has role {@code replica}) instead streams from every writable copy here
     * (primary or replica) to every other writable copy, and from the primary to the shadows.
     */
    private void scheduleReplication(Policy policy) {
        List<OutgoingStreams.Stream> streams = new ArrayList<>();
        try {
            for (Resource resource : policy.resources()) {
                if (isMultiMaster(resource)) {
                    scheduleMultiMaster(policy, resource, streams);
                } else {
                    scheduleOneWay(policy, resource, streams);
                }
            }
        } finally {
            // What was built replaces the old streams even when a resource failed, as a rebuild from scratch would.
            outgoing.replace(streams);
        }
    }

    /** The one-way streams of {@code resource} when its primary is here: one to every other mirror. */
    private void scheduleOneWay(Policy policy, Resource resource, List<OutgoingStreams.Stream> streams) {
        String primary = coordinator.primary(resource.id()).map(Coordinator.PrimaryLease::siteId)
                .orElse(resource.primarySite());
        if (!primary.equals(siteId)) {
            return;
        }
        long epoch = coordinator.primary(resource.id()).map(Coordinator.PrimaryLease::epoch).orElse(1L);
        Path volume = replication.preparePrimaryVolume(siteId, resource);
        for (var mirror : resource.mirrors()) {
            if (mirror.site().equals(siteId)) {
                continue;
            }
            Site peer = policy.site(mirror.site()).orElse(null);
            if (peer == null || peer.replicationAddress() == null) {
                continue;
            }
            var request = new dev.vantage.replication.SyncRequest(resource.id(), volume,
                    resource.blockSizeBytes(), null, peer.id(),
                    new InetSocketAddress(peer.replicationAddress().host(), peer.replicationAddress().port()),
                    epoch, resource.replication().mode(), resource.replication().selections(),
                    resource.replication().compression(), resource.replication().throttle(), 5, 1_000, null);
            var scheduled = replicationEngine.schedule(request, resource.replication().schedule());
            streams.add(new OutgoingStreams.Stream(request, false, scheduled));
        }
    }

    /** Whether {@code resource} is multi-master: one of its mirrors has role {@code replica}. */
    static boolean isMultiMaster(Resource resource) {
        return resource.mirrors().stream().anyMatch(m -> m.role() == MirrorRole.REPLICA);
    }

    private boolean isWritableHere(Resource resource) {
        MirrorRole role = resource.mirrorAt(siteId).map(Mirror::role).orElse(null);
        return role == MirrorRole.PRIMARY || role == MirrorRole.REPLICA;
    }

    /**
     * Bidirectional streams of a multi-master resource from this site's writable copy: a delta stream (selective
     * when the policy says so) to every other writable copy, and to the shadows when this copy is the primary. The
     * copy is versioned, so every stream carries block versions and its peers resolve concurrent writes.
     */
    private void scheduleMultiMaster(Policy policy, Resource resource, List<OutgoingStreams.Stream> streams) {
        if (!isWritableHere(resource)) {
            return;
        }
        boolean primaryHere = resource.mirrorAt(siteId).map(m -> m.role() == MirrorRole.PRIMARY).orElse(false);
        long epoch = coordinator.primary(resource.id()).map(Coordinator.PrimaryLease::epoch).orElse(1L);
        Path volume = replication.preparePrimaryVolume(siteId, resource);
        try {
            openMultiMasterCopy(resource);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "site " + siteId + ": multi-master copy of " + resource.id() + " at " + volume
                    + " cannot be opened", e);
            return;
        }
        ReplicationMode mode = resource.replication().mode() == ReplicationMode.SELECTIVE ? ReplicationMode.SELECTIVE
                : ReplicationMode.DELTA;
        for (Mirror mirror : resource.mirrors()) {
            boolean writable = mirror.role() == MirrorRole.PRIMARY || mirror.role() == MirrorRole.REPLICA;
            if (mirror.site().equals(siteId) || !(writable || primaryHere)) {
                continue;
            }
            Site peer = policy.site(mirror.site()).orElse(null);
            if (peer == null || peer.replicationAddress() == null) {
                continue;
            }
            var request = new dev.vantage.replication.SyncRequest(resource.id(), volume, resource.blockSizeBytes(),
                    null, peer.id(),
                    new InetSocketAddress(peer.replicationAddress().host(), peer.replicationAddress().port()), epoch,
                    mode, resource.replication().selections(), resource.replication().compression(),
                    resource.replication().throttle(), 5, 1_000, null);
            ReplicationEngine.ScheduledSync stream = replicationEngine.schedule(request,
                    resource.replication().schedule());
            streams.add(new OutgoingStreams.Stream(request, true, stream));
        }
    }

    /**
     * Runs a cycle of every stream this site sends for {@code resourceId} now (whatever the schedule, see
     * {@link #syncNow}); completes when they all ended, successfully or not (failures show in {@code GET
     * /replication}), at once when this site sends nothing for it.
     */
    public CompletableFuture<Void> replicateNow(String resourceId) {
        List<TriggeredSync> cycles;
        try {
            cycles = syncNow(resourceId, null);
        } catch (NoSuchElementException | IllegalStateException e) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(cycles.stream().map(c -> c.cycle().handle((result, error) -> null))
                .toArray(n -> new CompletableFuture<?>[n]));
    }

    /**
     * One cycle that {@link #syncNow} started: the stream ({@code resourceId} to {@code peerId} in {@code mode},
     * {@code multiMaster} when it streams a versioned copy) and its outcome.
     */
    public record TriggeredSync(String resourceId, String peerId, ReplicationMode mode, boolean multiMaster,
                                CompletableFuture<SyncResult> cycle) {
    }

    /**
     * The operator's on-demand trigger: runs now one cycle of every stream this site sends for {@code resourceId}
     * (the one-way streams to its mirrors when its primary is here, the multi-master streams from its writable
     * copy), whatever their schedule, or only the stream(s) to {@code peerId} when it is not {@code null}.
     *
     * <p>A stream's cycles never overlap: when one is running (scheduled, a quorum write's, an earlier trigger's),
     * the triggered cycle starts right after it ends instead of joining it, because the running one may have planned
     * its blocks before the writes the operator wants sent; each triggered cycle therefore covers every write made
     * before this call. Triggers arriving together may share that next cycle.
     *
     * @throws NoSuchElementException when the policy has no such resource, or this site sends it to no such peer
     * @throws IllegalStateException  when this site sends nothing for the resource (e.g. it holds a mirror of it,
     *                                not the primary), with the reason
     */
    public List<TriggeredSync> syncNow(String resourceId, String peerId) {
        Objects.requireNonNull(resourceId, "resourceId");
        Policy policy = effectivePolicyOrBase();
        Resource resource = policy.resource(resourceId).orElseThrow(() -> new NoSuchElementException("resource: "
                + resourceId + " (expected: one of " + policy.resources().stream().map(Resource::id).toList() + ")"));
        List<OutgoingStreams.Stream> streams = outgoing.of(resourceId);
        if (streams.isEmpty()) {
            throw new IllegalStateException(nothingSentReason(resource));
        }
        List<OutgoingStreams.Stream> chosen = peerId == null ? streams
                : streams.stream().filter(s -> s.peerId().equals(peerId)).toList();
        if (chosen.isEmpty()) {
            throw new NoSuchElementException("peer: " + peerId + " (expected: one of "
                    + streams.stream().map(OutgoingStreams.Stream::peerId).distinct().toList()
                    + ", the sites this site sends " + resourceId + " to)");
        }
        List<TriggeredSync> cycles = new ArrayList<>();
        for (OutgoingStreams.Stream s : chosen) {
            cycles.add(new TriggeredSync(resourceId, s.peerId(), s.mode(), s.multiMaster(),
                    replicationEngine.syncAfterRunning(s.request())));
        }
        return List.copyOf(cycles);
    }

    /** Why this site sends no stream of {@code resource}, for an operator who asked for one. */
    private String nothingSentReason(Resource resource) {
        String id = resource.id();
        if (effective == null) {
            return "resource " + id + ": the replication streams of site " + siteId
                    + " are not set up yet (expected: ask again once the site has started)";
        }
        MirrorRole here = resource.mirrorAt(siteId).map(Mirror::role).orElse(null);
        if (isMultiMaster(resource)) {
            List<String> writable = resource.mirrors().stream()
                    .filter(m -> m.role() == MirrorRole.PRIMARY || m.role() == MirrorRole.REPLICA)
                    .map(Mirror::site).toList();
            if (here != MirrorRole.PRIMARY && here != MirrorRole.REPLICA) {
                return "resource " + id + ": site " + siteId + (here == null ? " holds no copy of it" : " holds a "
                        + here.name().toLowerCase(java.util.Locale.ROOT) + " copy") + " and sends nothing; the"
                        + " writable copies at " + writable + " send it (ask one of them)";
            }
        } else {
            String primary = coordinator.primary(id).map(Coordinator.PrimaryLease::siteId)
                    .orElse(resource.primarySite());
            if (!primary.equals(siteId)) {
                return "resource " + id + ": site " + siteId + (here == null ? " holds no copy of it"
                        : " is a mirror, not the primary") + "; its primary " + primary
                        + " sends it (ask that site's admin API)";
            }
        }
        return "resource " + id + ": site " + siteId + " sends it to no other site (no other mirror has a"
                + " replicationAddress, or its copy cannot be opened: see the site's log)";
    }

    /**
     * This site's writable copy of a multi-master resource, versioned, preferring the policy's primary site in
     * conflicts under {@code primary_wins} (the configured one, not the current lease, so every copy prefers the
     * same site through promotions).
     */
    private void openMultiMasterCopy(Resource resource) throws IOException {
        Volume copy = replicationEngine.replicaVolume(resource.id(), replication.preparePrimaryVolume(siteId, resource),
                resource.blockSizeBytes(), null);
        String configuredPrimary = policyHolder.policy().resource(resource.id()).map(Resource::primarySite)
                .orElse(resource.primarySite());
        copy.preferWriter(resource.conflictPolicy() == ConflictPolicy.PRIMARY_WINS ? configuredPrimary : null);
    }

    private void closeSchedules() {
        outgoing.close();
    }

    private void onPolicyChange(PolicySnapshot previous, PolicySnapshot current, PolicyDiff diff) {
        if (closed) {
            return;
        }
        Policy policy = current.policy();
        if (policy.site(siteId).isEmpty()) {
            LOG.warning(() -> "site " + siteId + ": the new policy has no such site; keeping the old topology");
            return;
        }
        replication.applyPolicy(policy);
        probes.applyPolicy(policy, siteId);
        housekeeping.execute(this::applyEffectivePolicy);
        if (controller != null) {
            housekeeping.execute(() -> controller.applyPolicy(policy));
        }
        LOG.info(() -> "site " + siteId + ": policy version " + current.version() + " applied");
    }

    /**
     * The operator's policy overlaid with what the coordinator knows now: the current primary of each resource
     * (after promotions) and the mirrors the lifecycle controller created. Routing, the proxy and the primary-side
     * replication streams follow it. Runs on the housekeeping thread only.
     */
    private void applyEffectivePolicy() {
        if (closed) {
            return;
        }
        Policy next = effectivePolicy(policyHolder.policy(), coordinator);
        if (next.equals(effective)) {
            return;
        }
        effective = next;
        proxy.updatePolicy(next, RouteTable.of(next)); // the proxy hands the new topology to routing, which reloads
        scheduleReplication(next);
    }

    /** {@code base} with each resource's primary and mirror set as the coordinator records them. */
    static Policy effectivePolicy(Policy base, Coordinator coordinator) {
        List<Resource> resources = new ArrayList<>();
        for (Resource r : base.resources()) {
            String leased = coordinator.primary(r.id()).map(Coordinator.PrimaryLease::siteId).orElse(r.primarySite());
            String group = r.mirrorAt(r.primarySite()).map(Mirror::upstreamGroup)
                    .orElse(r.mirrors().isEmpty() ? null : r.mirrors().get(0).upstreamGroup());
            List<Mirror> mirrors = new ArrayList<>();
            for (Mirror m : r.mirrors()) {
                MirrorRole role = m.site().equals(leased) ? MirrorRole.PRIMARY
                        : m.role() == MirrorRole.PRIMARY ? MirrorRole.SHADOW : m.role();
                mirrors.add(new Mirror(m.site(), role, m.upstreamGroup()));
            }
            for (String siteId : coordinator.mirrorSites(r.id())) {
                boolean known = mirrors.stream().anyMatch(m -> m.site().equals(siteId));
                boolean servable = group != null && base.site(siteId).flatMap(s -> s.upstreamGroup(group)).isPresent();
                if (!known && servable) {
                    mirrors.add(new Mirror(siteId, siteId.equals(leased) ? MirrorRole.PRIMARY : MirrorRole.SHADOW,
                            group));
                }
            }
            String primary = mirrors.stream().anyMatch(m -> m.site().equals(leased)) ? leased : r.primarySite();
            resources.add(new Resource(r.id(), r.tenant(), r.volumePath(), r.blockSizeBytes(), primary, mirrors,
                    r.replication(), r.consistency(), r.conflictPolicy()));
        }
        return new Policy(base.localSiteId(), base.sites(), base.tenants(), base.routes(), resources, base.probes(),
                base.predictor(), base.admin(), base.httpLimits(), base.location(), base.affinity());
    }

    private void registerAdminPaths(AdminServer admin) {
        String statusPage = statusPage();
        admin.register("GET", "/", r -> new AdminServer.Response(200, "text/html; charset=utf-8", statusPage));
        admin.register("GET", "/status", r -> new AdminServer.Response(200, "text/html; charset=utf-8", statusPage));
        admin.register("GET", "/probes", r -> AdminServer.Response.json(probes.json()));
        routing.installAdmin(admin);
        admin.register("GET", "/mirrors", r -> AdminServer.Response.json(mirrorsJson()));
        admin.register("GET", "/zones", this::zoneChoice);
        admin.register("GET", "/replication", r -> AdminServer.Response.json(replicationEngine.toJson()));
        admin.registerAsync("POST", "/replication/sync", new SyncNowEndpoint(siteId, this::syncNow,
                replicationEngine));
        admin.register("GET", "/conflicts", r -> AdminServer.Response.json(replicationEngine.conflictsJson() + "\n"));
        admin.register("GET", "/predictor", r -> AdminServer.Response.json(predictorJson(predictor)));
        admin.register("GET", "/federation", r -> AdminServer.Response.json(Federation.toJson(federation.localAggregate())));
        admin.addMetricsSource(out -> out.append("# HELP vantage_federation_counts_merged_total Model counts learnt at")
                .append(" other sites and merged here (federated learning).\n")
                .append("# TYPE vantage_federation_counts_merged_total counter\n")
                .append("vantage_federation_counts_merged_total ").append(federation.countsMerged()).append('\n'));
        admin.register("POST", "/reload", r -> {
            ReloadResult result = policyHolder.reload();
            StringBuilder body = new StringBuilder(result.summary()).append('\n');
            result.problems().forEach(problem -> body.append(problem.message()).append('\n'));
            return new AdminServer.Response(result.status() == ReloadResult.Status.REJECTED ? 422 : 200,
                    "text/plain; charset=utf-8", body.toString());
        });
        admin.register("POST", "/drain", r -> {
            String endpoint = r.query().getOrDefault("upstream", List.of("")).get(0);
            if (endpoint.isEmpty()) {
                return AdminServer.Response.error(400, "upstream: missing (expected: ?upstream=host:port)");
            }
            routing.setDraining(siteId, endpoint, true);
            probes.setDraining(endpoint, true);
            return AdminServer.Response.text("draining " + endpoint + "\n");
        });
        admin.addMetricsSource(out -> probes.appendPrometheus(out));
        admin.addMetricsSource(out -> out.append(replicationEngine.renderPrometheus()));
        admin.addMetricsSource(out -> out.append(predictor.metricsText()));
    }

    /** The status page (a resource of this module): renders the admin API's JSON views in the browser. */
    private static String statusPage() {
        try (InputStream in = VantageSite.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html: missing from the site module's resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("status.html: cannot be read", e);
        }
    }

    /**
     * Seed 004's zone selection: {@code GET /zones?resource=R&capacity=RPS[&lat=..&lon=..]} answers the site with the
     * best combined pre-staging, distance and cost score that has the spare capacity, or 409 with the reason.
     */
    private AdminServer.Response zoneChoice(AdminServer.Request request) {
        String resourceId = first(request, "resource");
        if (resourceId == null) {
            return AdminServer.Response.error(400, "resource: missing (expected: ?resource=ID&capacity=RPS)");
        }
        double capacity;
        GeoPoint user = null;
        try {
            capacity = Double.parseDouble(first(request, "capacity") == null ? "0" : first(request, "capacity"));
            if (first(request, "lat") != null && first(request, "lon") != null) {
                user = new GeoPoint(Double.parseDouble(first(request, "lat")), Double.parseDouble(first(request, "lon")));
            }
        } catch (IllegalArgumentException e) {
            return AdminServer.Response.error(400, "capacity, lat, lon: " + e.getMessage() + " (expected: numbers)");
        }
        try {
            ZoneSelector.ZoneChoice choice = ZoneSelector.select(predictor.snapshot(), resourceId, user, capacity,
                    effectivePolicyOrBase().sites(), ZoneSelector.Weights.defaults());
            return AdminServer.Response.json(String.format(java.util.Locale.ROOT,
                    "{\"site\":\"%s\",\"score\":%.4f,\"preStagingScore\":%.4f,\"distanceScore\":%.4f,"
                            + "\"costScore\":%.4f,\"spareRequestsPerSecond\":%.1f}%n",
                    choice.siteId(), choice.score(), choice.preStagingScore(), choice.distanceScore(),
                    choice.costScore(), choice.spareRequestsPerSecond()));
        } catch (ZoneSelector.NoZoneAvailableException e) {
            return AdminServer.Response.error(409, e.getMessage());
        }
    }

    private static String first(AdminServer.Request request, String name) {
        List<String> values = request.query().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private Policy effectivePolicyOrBase() {
        Policy e = effective;
        return e != null ? e : policyHolder.policy();
    }

    /** The lifecycle controller's mirrors and latest actions (empty when this site runs no controller). */
    private String mirrorsJson() {
        StringBuilder b = new StringBuilder("{\"mirrors\":[");
        if (controller != null) {
            String sep = "";
            for (MirrorLifecycleController.MirrorView m : controller.mirrors()) {
                b.append(sep).append(String.format(java.util.Locale.ROOT,
                        "{\"resource\":\"%s\",\"site\":\"%s\",\"state\":\"%s\",\"capacity\":\"%s\","
                                + "\"pinned\":%b,\"epoch\":%d,\"lagBlocks\":%d}",
                        m.resourceId(), m.siteId(), m.state(), m.capacity(), m.pinnedByPolicy(), m.epoch(),
                        m.lagBlocks()));
                sep = ",";
            }
        }
        b.append("],\"events\":[");
        if (controller != null) {
            String sep = "";
            for (String e : controller.recentEvents()) {
                b.append(sep).append('"').append(e.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                sep = ",";
            }
        }
        return b.append("]}\n").toString();
    }

    /** The predictor's latest decisions: outlook per resource and predicted load per site. */
    static String predictorJson(Predictor predictor) {
        DecisionSnapshot d = predictor.snapshot();
        StringBuilder b = new StringBuilder(512).append("{\"createdMillis\":").append(d.createdMillis())
                .append(",\"horizonMillis\":").append(d.horizonMillis()).append(",\"droppedEvents\":")
                .append(predictor.droppedEvents()).append(",\"outlooks\":{");
        String sep = "";
        for (var entry : new java.util.TreeMap<>(d.outlooks()).entrySet()) {
            b.append(sep).append('"').append(entry.getKey()).append("\":[");
            String inner = "";
            for (SiteOutlook o : entry.getValue()) {
                b.append(inner).append(String.format(java.util.Locale.ROOT,
                        "{\"site\":\"%s\",\"probability\":%.4f,\"mirroringScore\":%.4f,\"userShare\":%.4f,"
                                + "\"reservation\":\"%s\"}",
                        o.siteId(), o.probability(), o.mirroringScore(), o.userShare(), o.reservation()));
                inner = ",";
            }
            b.append(']');
            sep = ",";
        }
        b.append("},\"loads\":{");
        sep = "";
        for (var entry : new java.util.TreeMap<>(d.loads()).entrySet()) {
            b.append(sep).append('"').append(entry.getKey()).append("\":").append(String.format(java.util.Locale.ROOT,
                    "{\"predictedRequestsPerSecond\":%.2f,\"upperRequestsPerSecond\":%.2f}",
                    entry.getValue().predictedRequestsPerSecond(), entry.getValue().upperRequestsPerSecond()));
            sep = ",";
        }
        b.append("},\"alerts\":[");
        sep = "";
        for (DemandAlert alert : d.alerts()) {
            b.append(sep).append(String.format(java.util.Locale.ROOT,
                    "{\"site\":\"%s\",\"bucketStartMillis\":%d,\"requests\":%d,\"zScore\":%.2f}",
                    alert.siteId(), alert.bucketStartMillis(), alert.requests(), alert.zScore()));
            sep = ",";
        }
        return b.append("]}\n").toString();
    }

    /**
     * Writes {@code data} at {@code offset} of this site's primary copy of {@code resourceId} (or, for a
     * multi-master resource, of its primary or replica copy here), acknowledged under the resource's consistency
     * rule (quorum: once W copies hold it durably).
     *
     * @throws IllegalStateException when this site holds no writable copy of the resource
     */
    public java.util.concurrent.CompletableFuture<QuorumWriter.WriteAck> write(String resourceId, long offset,
                                                                              byte[] data) throws IOException {
        Policy policy = effectivePolicyOrBase();
        Resource resource = policy.resource(resourceId).orElseThrow(() -> new IllegalArgumentException(
                "resource: " + resourceId + " (expected: a resource of the policy)"));
        Coordinator.PrimaryLease lease = coordinator.primary(resourceId)
                .orElseGet(() -> coordinator.registerPrimary(resourceId, resource.primarySite()));
        boolean replicaHere = isMultiMaster(resource)
                && resource.mirrorAt(siteId).map(m -> m.role() == MirrorRole.REPLICA).orElse(false);
        if (replicaHere || (isMultiMaster(resource) && lease.siteId().equals(siteId))) {
            // Versioned before the write: a multi-master write ticks this site's clock and counter for its blocks.
            openMultiMasterCopy(resource);
        }
        if (!lease.siteId().equals(siteId) && !replicaHere) {
            throw new IllegalStateException("resource " + resourceId + ": writes go to the primary " + lease.siteId()
                    + (isMultiMaster(resource) ? " or a replica" : "") + " (this site is " + siteId + ")");
        }
        java.util.Map<String, InetSocketAddress> mirrors = new java.util.LinkedHashMap<>();
        for (Mirror m : resource.mirrors()) {
            policyHolder.policy().site(m.site())
                    .filter(s -> !s.id().equals(siteId) && s.replicationAddress() != null)
                    .ifPresent(s -> mirrors.put(s.id(), new InetSocketAddress(s.replicationAddress().host(),
                            s.replicationAddress().port())));
        }
        return new QuorumWriter(replicationEngine).write(resource, replication.preparePrimaryVolume(siteId, resource),
                offset, data, mirrors, lease.epoch());
    }

    public String siteId() {
        return siteId;
    }

    public ProxyServer proxy() {
        return proxy;
    }

    public Predictor predictor() {
        return predictor;
    }

    public LatencyProbes probes() {
        return probes;
    }

    public ReplicationEngine replicationEngine() {
        return replicationEngine;
    }

    public RoutingEngine routing() {
        return routing;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Drains the proxy within {@code drainMillis}, then stops every component (saving the predictor's state). */
    public synchronized void close(long drainMillis) {
        if (closed) {
            return;
        }
        closed = true;
        if (proxy != null && drainMillis > 0) {
            try {
                proxy.drain(java.time.Duration.ofMillis(drainMillis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(coordinatorWatch);
        closeSchedules();
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (federationPuller != null) {
            federationPuller.shutdownNow();
        }
        closeQuietly(proxy);
        if (routing != null) {
            routing.close();
        }
        if (predictor != null) {
            try {
                predictor.save(dataDirectory.resolve("predictor.state")).get(5, TimeUnit.SECONDS);
                federation.save(dataDirectory.resolve("federation.json"));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "site " + siteId + ": saving predictor state failed", e);
            }
        }
        closeQuietly(predictor);
        closeQuietly(receiver);
        closeQuietly(replicationEngine);
        closeQuietly(probes);
        if (ownsReplication) {
            closeQuietly(coordinator);
        }
    }

    @Override
    public void close() {
        close(0);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "closing " + c + " failed", e);
        }
    }

    /** Routing's view of the probe table: lock-free reads of the latest published snapshot. */
    private static final class ProbeView implements RoutingProbeView {
        private final LatencyProbes probes;

        ProbeView(LatencyProbes probes) {
            this.probes = probes;
        }

        @Override
        public long rttNanos(String endpoint) {
            ProbeTable table = probes.table();
            int index = indexOf(table, endpoint);
            return index < 0 ? -1 : table.rttEwmaNanos(index);
        }

        @Override
        public boolean healthy(String endpoint) {
            ProbeTable table = probes.table();
            int index = indexOf(table, endpoint);
            return index < 0 || table.usable(index);
        }

        private static int indexOf(ProbeTable table, String endpoint) {
            return table.indexOfEndpoint(endpoint);
        }
    }
}
