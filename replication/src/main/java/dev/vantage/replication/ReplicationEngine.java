package dev.vantage.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.vantage.config.InterSiteTls;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Schedule;
import dev.vantage.config.ScheduleKind;
import dev.vantage.config.TimeWindow;
import dev.vantage.replication.internal.FrameCodec;
import dev.vantage.replication.internal.ReceiverServer;
import dev.vantage.replication.internal.SenderSession;
import dev.vantage.replication.internal.Transport;
import dev.vantage.replication.internal.WarmUp;

/**
 * The replication engine of one site: receivers for the mirrors it holds, syncs (one-shot or scheduled) of the
 * resources it is the source of, their progress, metrics and a JSON view.
 *
 * <p>Threading: every method is thread-safe and returns at once; syncs run on the engine's own threads (one per
 * running sync plus its pipeline threads). At most one sync per (resource, peer) runs at a time: asking for another
 * while one runs returns the running one's future.
 *
 * <p>Multi-master: {@link #replicaVolume} opens this site's writable copy of a resource with block versions; syncs
 * from it are multi-master sessions, and this engine's receivers apply multi-master sessions into the same instance,
 * so one copy both sends its writes and resolves its peers' (see {@link Volume#applyVersioned}). Run one sync per
 * peer replica in each direction (each replica schedules a delta stream to every other one) and the copies converge.
 */
public final class ReplicationEngine implements AutoCloseable {

    private static final String NETTY_JFR_PROPERTY = "io.netty.jfr.enabled";
    /** Blocks of the receiver's rehearsal volume (16 MiB), and how many of them its delta patches. */
    private static final int REHEARSAL_BLOCKS = 256;
    private static final int REHEARSAL_CHANGED_BLOCKS = 224;
    private static final long REHEARSAL_TIMEOUT_SECONDS = 60;
    /** Held so that the level {@link #warmUp} sets stays set (java.util.logging keeps loggers weakly). */
    private static volatile java.util.logging.Logger chronicleLogger;

    private final String siteId;
    private final Clock clock;
    private final Transport transport;
    private final ExecutorService syncThreads;
    private final ScheduledExecutorService scheduler;
    private final Map<Path, Volume> volumes = new ConcurrentHashMap<>();
    private final Map<String, Volume> replicas = new ConcurrentHashMap<>();
    private final Map<String, StreamState> streams = new ConcurrentHashMap<>();
    private final List<ReceiverServer> receivers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ReplicationEngine(String siteId, Clock clock, InterSiteTls tls) {
        this.siteId = siteId;
        this.clock = clock;
        this.transport = new Transport(2, tls);
        AtomicInteger n = new AtomicInteger();
        this.syncThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vantage-sync-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vantage-sync-scheduler");
            t.setDaemon(true);
            return t;
        });
        // The first session of a short-lived process (vantage replicate) would otherwise wait for this after its scan.
        scheduler.execute(FrameCodec::warmUp);
    }

    /**
     * Starts running, on a daemon thread, the code the first sync or received session of this process needs (frame
     * codec, block hashes and compression of {@link Volume#DEFAULT_BLOCK_SIZE_BYTES} blocks, a Disruptor ring and,
     * when {@code receiving}, a full and a delta sync of a throw-away volume in a temporary directory to a receiver of
     * a throw-away engine over loopback), so that a short-lived process such as a CLI
     * sync overlaps that cold start with its own start instead of paying for it in the middle of the session. Touches
     * none of the caller's volumes and no other process. The future completes when it is done, exceptionally when a part failed.
     *
     * <p>For the processes of a CLI command: it also switches, for the whole process, Chronicle's POSIX binding
     * (never used by the frame codec) to its no-op version and Netty's allocator events for Java Flight Recorder off
     * (unless {@code -Dio.netty.jfr.enabled} was given), before either initialises, and Chronicle's logging below
     * warnings off.
     */
    public static CompletableFuture<Void> warmUp(boolean receiving) {
        // Chronicle's first use would bind its POSIX API through jnr-ffi, which generates native stubs at run time
        // (about a quarter of a second of CPU); frames need none of it. Set before any Chronicle class initialises.
        net.openhft.posix.PosixAPI.useNoOpPosixApi();
        // Netty's allocator would load Java Flight Recorder's event classes (a tenth of a second) for events only a
        // recording shows; set before Netty initialises, unless the process was started with the property.
        if (System.getProperty(NETTY_JFR_PROPERTY) == null) {
            System.setProperty(NETTY_JFR_PROPERTY, "false");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                // Chronicle's "loaded from" notice is noise on a command's terminal, and formatting it loads the
                // date and time-zone classes (tens of ms in a cold JVM); its warnings still show. On this thread
                // rather than the caller's: setting up java.util.logging is not free either.
                chronicleLogger = java.util.logging.Logger.getLogger("net.openhft");
                chronicleLogger.setLevel(java.util.logging.Level.WARNING);
                WarmUp.all(Volume.DEFAULT_BLOCK_SIZE_BYTES);
                if (receiving) {
                    rehearse();
                }
                done.complete(null);
            } catch (IOException | ExecutionException | TimeoutException | RuntimeException | Error e) {
                done.completeExceptionally(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.completeExceptionally(e);
            }
        }, "vantage-warm-up");
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    /**
     * A receiver's rehearsal: a full and then a delta sync (sub-block patches) of a throw-away volume, from and to a
     * throw-away engine over loopback, checked block by block, so that every step of a received session (accept,
     * HELLO to DONE, patches, fdatasync) has run and been compiled before the first real one. Deletes its files.
     */
    private static void rehearse() throws IOException, InterruptedException, ExecutionException, TimeoutException {
        int blockSize = Volume.DEFAULT_BLOCK_SIZE_BYTES;
        Path dir = java.nio.file.Files.createTempDirectory("vantage-warm-up-");
        try {
            Path source = dir.resolve("source.img");
            Path mirror = dir.resolve("mirror.img");
            java.nio.ByteBuffer content = java.nio.ByteBuffer.allocate(REHEARSAL_BLOCKS * blockSize);
            for (int at = 0; at < content.capacity(); at += 4096) {
                // Every 4 KiB stamped: no two blocks alike (no references), and patches change whole sub-blocks.
                content.putLong(at, 0x9E3779B97F4A7C15L * (at + 1));
            }
            java.nio.file.Files.write(source, content.array());
            try (ReplicationEngine engine = new ReplicationEngine("warm-up", Clock.systemUTC(), null)) {
                ReceiverEndpoint receiver = engine.startReceiver(
                        new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), id -> mirror);
                SyncRequest request = SyncRequest.of("warm-up", source, "warm-up", receiver.address())
                        .withAttempts(1, 0);
                engine.sync(request).get(REHEARSAL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                Volume volume = engine.volume(source, blockSize, null);
                byte[] change = new byte[64];
                for (int b = 0; b < REHEARSAL_CHANGED_BLOCKS; b++) {
                    java.util.Arrays.fill(change, (byte) (b + 1));
                    volume.write((long) b * blockSize + 4096L * (b % 16) + 8, change, 0, change.length);
                }
                engine.sync(request.withMode(ReplicationMode.DELTA)).get(REHEARSAL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            VerifyResult check = Volumes.verify(source, mirror, blockSize);
            if (!check.identical()) {
                throw new IllegalStateException("warm-up: the rehearsal's mirror differs from its source: " + check);
            }
        } finally {
            ReceiverServer.deleteTree(dir);
        }
    }

    /** An engine for site {@code siteId} using the system clock. */
    public static ReplicationEngine create(String siteId) {
        return create(siteId, Clock.systemUTC());
    }

    /** An engine for site {@code siteId}; {@code clock} decides peak hours and off-peak windows. */
    public static ReplicationEngine create(String siteId, Clock clock) {
        return new ReplicationEngine(siteId, clock, null);
    }

    /**
     * An engine for site {@code siteId} whose connections with other sites, sent and received, use TLS with
     * {@code tls} (mutual when {@link InterSiteTls#requireClientCertificate()}), or plaintext when {@code null}.
     *
     * @throws IllegalArgumentException when a PEM file of {@code tls} cannot be read
     */
    public static ReplicationEngine create(String siteId, Clock clock, InterSiteTls tls) {
        return new ReplicationEngine(siteId, clock, tls);
    }

    /** Whether connections with other sites use TLS. */
    public boolean secured() {
        return transport.secured();
    }

    public String siteId() {
        return siteId;
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Starts a receiver on {@code listen} that stores resource {@code R} in {@code dataDir/R.vol} (its state in
     * {@code dataDir/R.vol.vantage/}).
     */
    public ReceiverEndpoint startReceiver(InetSocketAddress listen, Path dataDir) throws IOException {
        java.nio.file.Files.createDirectories(dataDir);
        return startReceiver(listen, id -> dataDir.resolve(safeFileName(id) + ".vol"));
    }

    /** Starts a receiver on {@code listen} that stores each resource at the path {@code volumeFor} gives. */
    public ReceiverEndpoint startReceiver(InetSocketAddress listen, Function<String, Path> volumeFor) throws IOException {
        ReceiverServer server = new ReceiverServer(transport, listen, volumeFor, clock,
                new ReceiverServer.ReplicaVolumes() {
                    @Override
                    public Volume open(String resourceId, Path path, int blockSizeBytes) throws IOException {
                        return replicaVolume(resourceId, path, blockSizeBytes, null);
                    }

                    @Override
                    public void release(String resourceId, Path path) throws IOException {
                        Volume v = volumes.remove(path.toAbsolutePath().normalize());
                        replicas.remove(resourceId, v);
                        if (v != null) {
                            v.close();
                        }
                    }
                }).start();
        receivers.add(server);
        return new ReceiverEndpoint() {
            @Override
            public InetSocketAddress address() {
                return server.address();
            }

            @Override
            public Optional<MirrorProgress> progress(String resourceId) {
                return Optional.ofNullable(server.progress(resourceId));
            }

            @Override
            public List<MirrorProgress> progress() {
                return server.progress();
            }

            @Override
            public CompletableFuture<Void> fence(String resourceId, long epoch) {
                return server.fence(resourceId, epoch);
            }

            @Override
            public CompletableFuture<Void> release(String resourceId) {
                return server.release(resourceId);
            }

            @Override
            public CompletableFuture<Void> preload(Path volumeFile, int blockSizeBytes) {
                return server.preload(volumeFile, blockSizeBytes);
            }

            @Override
            public void close() {
                receivers.remove(server);
                try {
                    server.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("closing receiver " + server.address() + " failed", e);
                }
            }
        };
    }

    private static String safeFileName(String resourceId) {
        return resourceId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    // ------------------------------------------------------------------ sending

    /**
     * The volume at {@code path}, opened once per engine and shared by every sync of it; applications write through
     * it so that their changes are tracked without a scan.
     */
    public Volume volume(Path path, int blockSizeBytes, Path stateDir) throws IOException {
        Path key = path.toAbsolutePath().normalize();
        Volume existing = volumes.get(key);
        if (existing != null) {
            if (existing.blockSizeBytes() != blockSizeBytes) {
                throw new IllegalArgumentException("blockSizeBytes: " + blockSizeBytes + " for " + key
                        + " (expected: " + existing.blockSizeBytes() + ", the size it is open with)");
            }
            return existing;
        }
        synchronized (volumes) {
            Volume v = volumes.get(key);
            if (v == null) {
                v = Volume.open(key, blockSizeBytes, stateDir);
                volumes.put(key, v);
            }
            return v;
        }
    }

    /**
     * This site's writable multi-master copy of {@code resourceId} at {@code path}: the shared volume of
     * {@link #volume} with block versions written by this engine's site id (see {@link Volume#enableMultiMaster}).
     * Local writes through it are versioned, syncs from it are multi-master sessions, and this engine's receivers
     * apply its peers' sessions into it.
     */
    public Volume replicaVolume(String resourceId, Path path, int blockSizeBytes, Path stateDir) throws IOException {
        Volume v = volume(path, blockSizeBytes, stateDir);
        v.enableMultiMaster(siteId, clock::millis);
        replicas.putIfAbsent(resourceId, v);
        return v;
    }

    /** The losing versions kept at this site's multi-master copies, by resource id. */
    public Map<String, List<ConflictRecord>> conflicts() {
        Map<String, List<ConflictRecord>> all = new java.util.TreeMap<>();
        replicas.forEach((resourceId, v) -> all.put(resourceId, v.conflicts()));
        return all;
    }

    /** {@link #conflicts()} as a JSON document for the admin API. */
    public String conflictsJson() {
        StringBuilder b = new StringBuilder("{\"site\":").append(Json.quote(siteId)).append(",\"resources\":[");
        String sep = "";
        for (Map.Entry<String, List<ConflictRecord>> e : conflicts().entrySet()) {
            b.append(sep).append("{\"resource\":").append(Json.quote(e.getKey())).append(",\"conflicts\":[");
            String inner = "";
            for (ConflictRecord r : e.getValue()) {
                b.append(inner).append(r.toJson());
                inner = ",";
            }
            b.append("]}");
            sep = ",";
        }
        return b.append("]}").toString();
    }

    /**
     * Runs a sync now. The future completes when the destination has durably acknowledged every planned block, or
     * fails after {@code maxAttempts} sessions (each new session resumes from the destination's last durable ack).
     */
    public CompletableFuture<SyncResult> sync(SyncRequest request) {
        StreamState stream = streams.computeIfAbsent(key(request.resourceId(), request.peerId()),
                k -> new StreamState(request.resourceId(), request.peerId()));
        synchronized (stream) {
            if (stream.running != null && !stream.running.isDone()) {
                return stream.running;
            }
            CompletableFuture<SyncResult> future = new CompletableFuture<>();
            stream.running = future;
            stream.phase = MirrorProgress.Phase.SYNCING;
            stream.epoch = request.epoch();
            syncThreads.execute(() -> runSync(request, stream, future));
            return future;
        }
    }

    private void runSync(SyncRequest request, StreamState stream, CompletableFuture<SyncResult> future) {
        long start = System.nanoTime();
        SenderSession.Stats stats = new SenderSession.Stats();
        stream.stats = stats;
        stream.startedNanos = start;
        ScheduledFuture<?> reporter = null;
        if (request.listener() != null) {
            reporter = scheduler.scheduleAtFixedRate(() -> request.listener().accept(stream.progress(start)), 250,
                    250, TimeUnit.MILLISECONDS);
        }
        String lastError = null;
        try {
            Volume volume = volume(request.volumePath(), request.blockSizeBytes(), request.stateDir());
            volume.addPeer(request.peerId());
            for (int attempt = 1; attempt <= request.maxAttempts(); attempt++) {
                stream.attempt = attempt;
                try {
                    SenderSession.Outcome outcome =
                            new SenderSession(volume, request, transport, stats, clock).run();
                    SyncResult result = new SyncResult(outcome.planned(), outcome.skipped(), stats.blocksSent.get(),
                            stats.referencesSent.get(), stats.framesResent.get(), outcome.sentThisAttempt(),
                            stats.rawBytesSent.get(), stats.wireBytes.get(), attempt, outcome.lastSequence(),
                            System.nanoTime() - start, stats.frameBytesPerSecond(),
                            stats.lastNackReason, stats.patchesSent.get());
                    stream.finished(result, volume.dirtyCount(request.peerId()), clock.millis());
                    if (request.listener() != null) {
                        request.listener().accept(stream.progress(start));
                    }
                    future.complete(result);
                    return;
                } catch (SenderSession.RefusedException e) {
                    lastError = e.getMessage();
                    break;
                } catch (IOException | RuntimeException e) {
                    lastError = e.getMessage();
                    stream.lastError = lastError;
                    if (attempt < request.maxAttempts()) {
                        Thread.sleep(request.retryDelayMillis());
                    }
                }
            }
            stream.failed(lastError);
            future.completeExceptionally(new IOException("sync of " + request.resourceId() + " to "
                    + request.peerId() + " failed: " + lastError));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.failed("interrupted");
            future.completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
            stream.failed(e.getMessage());
            future.completeExceptionally(e);
        } finally {
            if (reporter != null) {
                reporter.cancel(false);
            }
        }
    }

    /** A scheduled stream of syncs; cancel it to stop. */
    public interface ScheduledSync extends AutoCloseable {
        /** Runs a cycle now (for {@link ScheduleKind#ON_DEMAND}, the only way cycles run). */
        CompletableFuture<SyncResult> trigger();

        /** Cycles started so far (including triggered ones). */
        long cycles();

        @Override
        void close();
    }

    /**
     * Runs {@code request} according to {@code schedule}: every interval ({@code INTERVAL}), only when triggered
     * ({@code ON_DEMAND}), or every interval inside the schedule's windows ({@code OFF_PEAK}). A cycle never
     * overlaps the previous one of the same stream.
     */
    public ScheduledSync schedule(SyncRequest request, Schedule schedule) {
        java.util.concurrent.atomic.AtomicLong cycles = new java.util.concurrent.atomic.AtomicLong();
        ScheduledFuture<?> task = null;
        if (schedule.kind() != ScheduleKind.ON_DEMAND) {
            long interval = Math.max(10, schedule.intervalMillis());
            task = scheduler.scheduleWithFixedDelay(() -> {
                if (schedule.kind() == ScheduleKind.OFF_PEAK
                        && !TimeWindow.anyContains(schedule.windows(), clock.instant())) {
                    return;
                }
                StreamState stream = streams.get(key(request.resourceId(), request.peerId()));
                if (stream != null && stream.running != null && !stream.running.isDone()) {
                    return;
                }
                cycles.incrementAndGet();
                sync(request);
            }, 0, interval, TimeUnit.MILLISECONDS);
        }
        ScheduledFuture<?> scheduled = task;
        return new ScheduledSync() {
            @Override
            public CompletableFuture<SyncResult> trigger() {
                cycles.incrementAndGet();
                return sync(request);
            }

            @Override
            public long cycles() {
                return cycles.get();
            }

            @Override
            public void close() {
                if (scheduled != null) {
                    scheduled.cancel(false);
                }
            }
        };
    }

    /**
     * Runs a sync that starts no earlier than this call, so that it covers every write made before it: when a sync of
     * the same (resource, peer) is running (it may have planned its blocks before those writes), the new one starts
     * right after the running one ends, whatever its outcome; when none runs, this is {@link #sync}. Two syncs of one
     * stream still never overlap, and callers asking at about the same time may share the new one.
     */
    public CompletableFuture<SyncResult> syncAfterRunning(SyncRequest request) {
        StreamState stream = streams.computeIfAbsent(key(request.resourceId(), request.peerId()),
                k -> new StreamState(request.resourceId(), request.peerId()));
        CompletableFuture<SyncResult> running;
        synchronized (stream) {
            running = stream.running;
            if (running == null || running.isDone()) {
                return sync(request);
            }
        }
        return running.handle((result, error) -> null).thenCompose(ignored -> sync(request));
    }

    /** Stops tracking {@code peerId} for the volume at {@code volumePath} (its mirror was released). */
    public void releasePeer(Path volumePath, int blockSizeBytes, String resourceId, String peerId) throws IOException {
        volume(volumePath, blockSizeBytes, null).removePeer(peerId);
        streams.remove(key(resourceId, peerId));
    }

    // ------------------------------------------------------------------ progress, metrics

    /** The sender's view of the mirror of {@code resourceId} at {@code peerId}. */
    public Optional<MirrorProgress> progress(String resourceId, String peerId) {
        StreamState s = streams.get(key(resourceId, peerId));
        return s == null ? Optional.empty() : Optional.of(s.mirrorProgress(clock.millis()));
    }

    /** The live progress of a running sync of {@code resourceId} to {@code peerId}. */
    public Optional<SyncProgress> syncProgress(String resourceId, String peerId) {
        StreamState s = streams.get(key(resourceId, peerId));
        return s == null || s.stats == null ? Optional.empty() : Optional.of(s.progress(s.startedNanos));
    }

    /** Every stream this engine sends, then every mirror its receivers hold. */
    public List<MirrorProgress> progress() {
        List<MirrorProgress> all = new ArrayList<>();
        long now = clock.millis();
        for (StreamState s : streams.values()) {
            all.add(s.mirrorProgress(now));
        }
        for (ReceiverServer r : receivers) {
            all.addAll(r.progress());
        }
        return all;
    }

    /** Metrics in the Prometheus text exposition format. */
    public String renderPrometheus() {
        StringBuilder b = new StringBuilder(1024);
        long now = clock.millis();
        header(b, "vantage_replication_sent_blocks_total", "counter", "Blocks sent with a payload.");
        for (StreamState s : streams.values()) {
            sample(b, "vantage_replication_sent_blocks_total", s, s.stats == null ? 0 : s.stats.blocksSent.get());
        }
        header(b, "vantage_replication_sent_references_total", "counter", "Blocks sent as references (dedup).");
        for (StreamState s : streams.values()) {
            sample(b, "vantage_replication_sent_references_total", s, s.stats == null ? 0 : s.stats.referencesSent.get());
        }
        header(b, "vantage_replication_resent_frames_total", "counter", "Frames sent again after a NACK.");
        for (StreamState s : streams.values()) {
            sample(b, "vantage_replication_resent_frames_total", s, s.stats == null ? 0 : s.stats.framesResent.get());
        }
        header(b, "vantage_replication_wire_bytes_total", "counter", "Bytes on the socket, both directions.");
        for (StreamState s : streams.values()) {
            sample(b, "vantage_replication_wire_bytes_total", s, s.stats == null ? 0 : s.stats.wireBytes.get());
        }
        for (String[] g : new String[][] {
                {"vantage_replication_lag_blocks", "Blocks the mirror lacks."},
                {"vantage_replication_lag_bytes", "Bytes the mirror lacks."},
                {"vantage_replication_lag_seconds", "Seconds since the mirror last held everything."},
                {"vantage_replication_consistent_sequence", "The mirror holds every frame up to this sequence."}}) {
            header(b, g[0], "gauge", g[1]);
            for (MirrorProgress p : progress()) {
                double v = switch (g[0]) {
                    case "vantage_replication_lag_blocks" -> p.lagBlocks();
                    case "vantage_replication_lag_bytes" -> p.lagBytes();
                    case "vantage_replication_lag_seconds" -> p.lagSeconds();
                    default -> p.consistentUpToSequence();
                };
                b.append(g[0]).append("{resource=\"").append(p.resourceId()).append("\",peer=\"").append(p.peerId())
                        .append("\"} ").append(format(v)).append('\n');
            }
        }
        for (ReceiverServer r : receivers) {
            ReceiverServer.Counters c = r.counters();
            String addr = r.address().getPort() + "";
            receiverCounter(b, "vantage_replication_received_blocks_total", addr, c.framesApplied.get());
            receiverCounter(b, "vantage_replication_received_references_total", addr, c.referencesApplied.get());
            receiverCounter(b, "vantage_replication_rejected_frames_total", addr, c.framesRejected.get());
            receiverCounter(b, "vantage_replication_nacks_sent_total", addr, c.nacksSent.get());
            receiverCounter(b, "vantage_replication_syncs_total", addr, c.syncs.get());
            receiverCounter(b, "vantage_replication_refused_sessions_total", addr, c.sessionsRefused.get());
            receiverCounter(b, "vantage_replication_received_wire_bytes_total", addr, c.wireBytes.get());
            receiverCounter(b, "vantage_replication_already_known_blocks_total", addr, c.framesAlreadyKnown.get());
            receiverCounter(b, "vantage_replication_resolved_conflicts_total", addr, c.conflicts.get());
        }
        header(b, "vantage_replication_tls_refused_peers_total", "counter",
                "Connecting peers refused because their TLS handshake failed (untrusted or missing certificate).");
        b.append("vantage_replication_tls_refused_peers_total ").append(transport.tlsRefusedPeers()).append('\n');
        header(b, "vantage_replication_tls_failed_connections_total", "counter",
                "Connections to peers whose TLS handshake or session failed.");
        b.append("vantage_replication_tls_failed_connections_total ").append(transport.tlsFailedConnections())
                .append('\n');
        header(b, "vantage_replication_conflicts_kept", "gauge",
                "Losing versions kept in the conflict store of this site's multi-master copy.");
        for (Map.Entry<String, List<ConflictRecord>> e : conflicts().entrySet()) {
            b.append("vantage_replication_conflicts_kept{resource=\"").append(e.getKey()).append("\"} ")
                    .append(e.getValue().size()).append('\n');
        }
        if (now < 0) {
            b.setLength(0);
        }
        return b.toString();
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, StreamState s, long value) {
        b.append(name).append("{resource=\"").append(s.resourceId).append("\",peer=\"").append(s.peerId)
                .append("\"} ").append(value).append('\n');
    }

    private static void receiverCounter(StringBuilder b, String name, String port, long value) {
        b.append(name).append("{listen_port=\"").append(port).append("\"} ").append(value).append('\n');
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v);
    }

    /** Every stream and mirror as a JSON document for the admin API. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"site\":").append(Json.quote(siteId)).append(",\"mirrors\":[");
        List<MirrorProgress> all = progress();
        for (int i = 0; i < all.size(); i++) {
            b.append(i == 0 ? "" : ",").append(all.get(i).toJson());
        }
        b.append("],\"conflictsKept\":{");
        String sep = "";
        for (Map.Entry<String, List<ConflictRecord>> e : conflicts().entrySet()) {
            b.append(sep).append(Json.quote(e.getKey())).append(':').append(e.getValue().size());
            sep = ",";
        }
        return b.append("}}").toString();
    }

    private static String key(String resourceId, String peerId) {
        return resourceId + '\u0000' + peerId;
    }

    /** Sender-side state of one (resource, peer) stream; fields are written by its sync thread. */
    private static final class StreamState {
        final String resourceId;
        final String peerId;
        volatile CompletableFuture<SyncResult> running;
        volatile MirrorProgress.Phase phase = MirrorProgress.Phase.IDLE;
        volatile long epoch;
        volatile SenderSession.Stats stats;
        volatile long startedNanos;
        volatile int attempt;
        volatile String lastError;
        volatile long lastSequence = -1;
        volatile long lagBlocksAfterSync;
        volatile long inSyncAtMillis = -1;
        volatile long outOfSyncSinceMillis = -1;
        volatile SyncResult lastResult;

        StreamState(String resourceId, String peerId) {
            this.resourceId = resourceId;
            this.peerId = peerId;
        }

        void finished(SyncResult result, long stillDirty, long nowMillis) {
            lastResult = result;
            lastSequence = result.lastSequence();
            lagBlocksAfterSync = stillDirty;
            lastError = null;
            if (stillDirty == 0) {
                inSyncAtMillis = nowMillis;
                outOfSyncSinceMillis = -1;
                phase = MirrorProgress.Phase.IN_SYNC;
            } else {
                phase = MirrorProgress.Phase.IDLE;
            }
        }

        void failed(String error) {
            lastError = error;
            phase = MirrorProgress.Phase.FAILED;
        }

        SyncProgress progress(long startNanos) {
            SenderSession.Stats s = stats;
            return new SyncProgress(s.blocksPlanned, s.blocksDone.get(), s.bytesPlanned, s.bytesDone.get(),
                    s.wireBytes.get(), attempt, System.nanoTime() - startNanos);
        }

        MirrorProgress mirrorProgress(long nowMillis) {
            SenderSession.Stats s = stats;
            MirrorProgress.Phase p = phase;
            long lag;
            long consistent = lastSequence;
            if (p == MirrorProgress.Phase.SYNCING && s != null) {
                lag = s.remainingBlocks + s.unackedFrames;
                consistent = s.consistentUpToSequence;
                if (outOfSyncSinceMillis < 0) {
                    outOfSyncSinceMillis = inSyncAtMillis >= 0 ? inSyncAtMillis : nowMillis;
                }
            } else {
                lag = p == MirrorProgress.Phase.IN_SYNC ? 0 : lagBlocksAfterSync;
            }
            double lagSeconds = p == MirrorProgress.Phase.IN_SYNC || outOfSyncSinceMillis < 0 ? 0
                    : (nowMillis - outOfSyncSinceMillis) / 1000.0;
            long blockSize = s == null || s.blocksPlanned == 0 ? Volume.DEFAULT_BLOCK_SIZE_BYTES
                    : s.bytesPlanned / s.blocksPlanned;
            return new MirrorProgress(resourceId, peerId, p, epoch, consistent, lag, lag * blockSize, lagSeconds,
                    lastError);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        syncThreads.shutdownNow();
        for (ReceiverServer r : receivers) {
            try {
                r.close();
            } catch (IOException e) {
                // Closing the rest matters more than reporting one failed close.
                continue;
            }
        }
        receivers.clear();
        for (Volume v : volumes.values()) {
            try {
                v.close();
            } catch (IOException e) {
                continue;
            }
        }
        volumes.clear();
        transport.close();
    }
}
