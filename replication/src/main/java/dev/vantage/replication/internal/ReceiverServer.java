package dev.vantage.replication.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;

import dev.vantage.replication.MirrorProgress;
import dev.vantage.replication.Volume;

/**
 * The receiving end of replication for one site: accepts sessions, verifies every frame (checksum, then content
 * hash after decompression), applies blocks, fsyncs per batch (on FLUSH/END, or after 32 MiB unsynced), acknowledges the
 * highest contiguous durable sequence and persists it, so a new session resumes there.
 *
 * <p>Threading: event loops only decode frames into a Disruptor ring; one applier thread owns every volume, every
 * session's state and all replies. {@link #progress} reads immutable snapshots published through volatile fields.
 *
 * <p>Multi-master sessions (HELLO flag {@link Frame#FLAG_MULTI_MASTER}, naming the sending site) write into the
 * site's shared copy of the resource from {@link ReplicaVolumes} (the engine owns it: its own sender streams from the
 * same instance), keep one resume point per sending site ({@code receiver-<site>.state}) so several replicas may
 * stream to this one at once, apply each block through {@link Volume#applyVersioned} (apply, skip what is already
 * known, or resolve a conflict keeping the loser), and only ever grow the volume at the end of a session.
 */
public final class ReceiverServer implements AutoCloseable {

    private static final long SYNC_EVERY_BYTES = 32L << 20;
    private static final int MANIFEST_CHUNK_BLOCKS = 4096;
    private static final int RING_SIZE = 4096;

    /** Receiver counters, read by metrics. */
    public static final class Counters {
        public final AtomicLong wireBytes = new AtomicLong();
        public final AtomicLong framesApplied = new AtomicLong();
        public final AtomicLong referencesApplied = new AtomicLong();
        public final AtomicLong patchesApplied = new AtomicLong();
        public final AtomicLong bytesApplied = new AtomicLong();
        public final AtomicLong framesRejected = new AtomicLong();
        public final AtomicLong nacksSent = new AtomicLong();
        public final AtomicLong syncs = new AtomicLong();
        public final AtomicLong sessions = new AtomicLong();
        public final AtomicLong sessionsRefused = new AtomicLong();
        /** Multi-master blocks not written because this copy already had their version. */
        public final AtomicLong framesAlreadyKnown = new AtomicLong();
        /** Multi-master concurrent writes resolved here (the loser kept in the conflict store). */
        public final AtomicLong conflicts = new AtomicLong();
    }

    /** Opens the site's shared multi-master copy of a resource; the caller owns and closes it, never the receiver. */
    public interface ReplicaVolumes {
        Volume open(String resourceId, Path path, int blockSizeBytes) throws IOException;

        /** The receiver drops its mirror of {@code resourceId} at {@code path}: close and forget the copy. */
        void release(String resourceId, Path path) throws IOException;
    }

    private enum Kind { FRAME, CORRUPT, DISCONNECT, CONTROL }

    private static final class InboundEvent {
        Kind kind;
        Connection connection;
        final Frame frame = new Frame();
        String error;
        Runnable control;
    }

    private final Transport transport;
    private final InetSocketAddress listenAddress;
    private final Function<String, Path> volumeResolver;
    private final Clock clock;
    private final ReplicaVolumes replicaVolumes;
    private final Counters counters = new Counters();
    private final Map<String, ResourceState> resources = new HashMap<>();
    private final Map<String, MirrorProgress> snapshots = new ConcurrentHashMap<>();
    /** Volumes {@link #preload} opened and scanned before their first session, by absolute path. */
    private final Map<Path, Volume> preloaded = new ConcurrentHashMap<>();
    private Disruptor<InboundEvent> disruptor;
    private RingBuffer<InboundEvent> ring;
    private Channel serverChannel;
    /** Runs the fdatasyncs of batches, so that the applier keeps applying meanwhile. */
    private final java.util.concurrent.ExecutorService syncer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vantage-receiver-syncer");
        t.setDaemon(true);
        return t;
    });
    /** Tests: told ("durable", seq) when seq became durable and ("ack", seq) / ("done", seq) before replying. */
    volatile java.util.function.BiConsumer<String, Long> durabilityProbe;

    public ReceiverServer(Transport transport, InetSocketAddress listenAddress, Function<String, Path> volumeResolver,
                          Clock clock) {
        this(transport, listenAddress, volumeResolver, clock, null);
    }

    /** A receiver that also accepts multi-master sessions, writing into the copies {@code replicaVolumes} opens. */
    public ReceiverServer(Transport transport, InetSocketAddress listenAddress, Function<String, Path> volumeResolver,
                          Clock clock, ReplicaVolumes replicaVolumes) {
        this.transport = transport;
        this.listenAddress = listenAddress;
        this.volumeResolver = volumeResolver;
        this.clock = clock;
        this.replicaVolumes = replicaVolumes;
    }

    /** Binds the listening socket and starts the applier. */
    public ReceiverServer start() throws IOException {
        FrameCodec.warmUp();
        disruptor = new Disruptor<>(InboundEvent::new, RING_SIZE, r -> {
            Thread t = new Thread(r, "vantage-receiver-applier");
            t.setDaemon(true);
            return t;
        }, ProducerType.MULTI, new BlockingWaitStrategy());
        disruptor.handleEventsWith(new Applier());
        disruptor.setDefaultExceptionHandler(new ApplierExceptionHandler());
        ring = disruptor.start();
        ServerBootstrap bootstrap = new ServerBootstrap().group(transport.group())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Reads of up to 1 MiB: most 64 KiB frames then arrive whole within one read and FrameSplitter
                // passes them on without a copy.
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 64 * 1024, 1 << 20))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        transport.initServerPipeline(ch, counters.wireBytes, new InboundHandler());
                    }
                });
        var future = bootstrap.bind(listenAddress).awaitUninterruptibly();
        if (!future.isSuccess()) {
            disruptor.halt();
            throw new IOException("listen on " + listenAddress.getHostString() + ":" + listenAddress.getPort()
                    + " failed: " + future.cause().getMessage(), future.cause());
        }
        serverChannel = future.channel();
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public Counters counters() {
        return counters;
    }

    /** The latest progress of {@code resourceId} at this receiver, or null when it never had a session. */
    public MirrorProgress progress(String resourceId) {
        MirrorProgress p = snapshots.get(resourceId);
        return p == null ? null : withCurrentLag(p);
    }

    /** Progress of every resource this receiver has seen. */
    public List<MirrorProgress> progress() {
        return snapshots.entrySet().stream().map(e -> withCurrentLag(e.getKey(), e.getValue())).toList();
    }

    private MirrorProgress withCurrentLag(MirrorProgress p) {
        return withCurrentLag(p.resourceId(), p);
    }

    private MirrorProgress withCurrentLag(String key, MirrorProgress p) {
        ResourceState rs = null;
        synchronized (resources) {
            rs = resources.get(key);
        }
        if (rs == null || p.phase() == MirrorProgress.Phase.IN_SYNC) {
            return p;
        }
        long since = rs.outOfSyncSinceMillis;
        double lagSeconds = since < 0 ? p.lagSeconds() : Math.max(0, clock.millis() - since) / 1000.0;
        return new MirrorProgress(p.resourceId(), p.peerId(), p.phase(), p.epoch(), p.consistentUpToSequence(),
                p.lagBlocks(), p.lagBytes(), lagSeconds, p.lastError());
    }

    /**
     * Opens the volume file {@code volumeFile} with blocks of {@code blockSizeBytes} and brings its manifest up to
     * date now, on the applier, so that the first session that writes to that file (with that block size) finds it
     * ready instead of opening and scanning it between its HELLO and READY. The future completes when it is done.
     */
    public CompletableFuture<Void> preload(Path volumeFile, int blockSizeBytes) {
        Path key = volumeFile.toAbsolutePath().normalize();
        return onApplier(() -> {
            if (!preloaded.containsKey(key)) {
                Volume volume = Volume.open(key, blockSizeBytes, null);
                try {
                    volume.scan();
                } catch (IOException | RuntimeException e) {
                    volume.close();
                    throw e;
                }
                preloaded.put(key, volume);
            }
        });
    }

    /** The volume {@link #preload} opened for {@code file}, when its block size fits, else a newly opened one. */
    private Volume openVolume(Path file, int blockSizeBytes) throws IOException {
        Volume ready = preloaded.remove(file.toAbsolutePath().normalize());
        if (ready != null && ready.blockSizeBytes() == blockSizeBytes) {
            return ready;
        }
        if (ready != null) {
            ready.close();
        }
        return Volume.open(file, blockSizeBytes, null);
    }

    /** Closes the volume {@link #preload} opened for {@code file}, if any (the file is about to be opened or deleted). */
    private void dropPreloaded(Path file) throws IOException {
        Volume ready = preloaded.remove(file.toAbsolutePath().normalize());
        if (ready != null) {
            ready.close();
        }
    }

    /**
     * Raises the minimum epoch of {@code resourceId} (after a promotion): sessions and frames of older epochs are
     * refused from now on. Applied by the applier thread; the future completes once it is durable.
     */
    public CompletableFuture<Void> fence(String resourceId, long epoch) {
        return onApplier(() -> {
            ResourceState rs = resource(resourceId);
            if (epoch > rs.progress.epoch()) {
                rs.progress = new ProgressFile.Progress(epoch, rs.progress.lastDurableSequence(),
                        rs.progress.lastInSyncMillis());
                rs.progressFile.write(rs.progress);
                publish(rs, null);
            }
        });
    }

    /**
     * Drops the local mirror of {@code resourceId}: closes any session, deletes the volume file and its state.
     * The future completes when the files are gone.
     */
    public CompletableFuture<Void> release(String resourceId) {
        return onApplier(() -> {
            List<ResourceState> dropped = new java.util.ArrayList<>();
            synchronized (resources) {
                // The one-way stream and every multi-master stream (one per sending site) of the resource.
                resources.values().removeIf(rs -> rs.resourceId.equals(resourceId) && dropped.add(rs));
            }
            Path file = volumeResolver.apply(resourceId).toAbsolutePath();
            dropPreloaded(file);
            boolean shared = false;
            for (ResourceState rs : dropped) {
                snapshots.remove(rs.key);
                if (rs.active != null) {
                    rs.active.refused = true;
                    rs.active.channel.close();
                }
                if (rs.volume != null && !rs.sharedVolume) {
                    rs.volume.close();
                }
                shared |= rs.sharedVolume;
                rs.progressFile.close();
            }
            snapshots.remove(resourceId);
            if (shared && replicaVolumes != null) {
                replicaVolumes.release(resourceId, file);
            }
            java.nio.file.Files.deleteIfExists(file);
            Path conflicts = file.resolveSibling(file.getFileName() + ".conflicts");
            if (java.nio.file.Files.isDirectory(conflicts) && !shared) {
                // A one-way mirror never resolves conflicts; a multi-master copy's losers outlive its release.
                deleteTree(conflicts);
            }
            Path state = file.resolveSibling(file.getFileName() + ".vantage");
            if (java.nio.file.Files.isDirectory(state)) {
                deleteTree(state);
            }
        });
    }

    /** Deletes {@code root} and everything under it. */
    public static void deleteTree(Path root) throws IOException {
        try (var paths = java.nio.file.Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        }
    }

    /** An action that may fail with an I/O error. */
    private interface IoAction {
        void run() throws IOException;
    }

    private CompletableFuture<Void> onApplier(IoAction action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long seq = ring.next();
        InboundEvent event = ring.get(seq);
        event.kind = Kind.CONTROL;
        event.connection = null;
        event.frame.reset(FrameType.END);
        event.control = () -> {
            try {
                action.run();
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        };
        ring.publish(seq);
        return done;
    }

    /** Decodes frames on the event loop and hands them to the applier. */
    private final class InboundHandler extends ChannelInboundHandlerAdapter {
        private final FrameCodec codec = new FrameCodec();
        private final BlockVerifier verifier = new BlockVerifier();
        private Connection connection;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connection = new Connection(ctx.channel());
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            long seq;
            try {
                seq = ring.tryNext();
            } catch (InsufficientCapacityException e) {
                in.release();
                ctx.close();
                return;
            }
            InboundEvent event = ring.get(seq);
            event.connection = connection;
            event.error = null;
            try {
                codec.decode(in, event.frame);
                event.kind = Kind.FRAME;
                if (event.frame.type == FrameType.BLOCK) {
                    verifier.verify(event.frame, ctx.alloc());
                }
            } catch (FrameCodec.CorruptFrameException e) {
                event.kind = Kind.CORRUPT;
                event.frame.reset(FrameType.BLOCK);
                event.frame.sequence = e.sequence;
                event.error = e.getMessage();
            } finally {
                in.release();
                ring.publish(seq);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            long seq = ring.next();
            InboundEvent event = ring.get(seq);
            event.kind = Kind.DISCONNECT;
            event.connection = connection;
            event.frame.reset(FrameType.END);
            ring.publish(seq);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** One accepted connection; its session state is touched only by the applier. */
    private static final class Connection {
        final Channel channel;
        Session session;
        boolean refused;

        Connection(Channel channel) {
            this.channel = channel;
        }
    }

    /** Durable and live state of one resource at this receiver. Applier thread only. */
    private static final class ResourceState {
        final String resourceId;
        final String key;
        final String progressFileName;
        boolean sharedVolume;
        Volume volume;
        ProgressFile progressFile;
        ProgressFile.Progress progress;
        Connection active;
        String lastPeer = "";
        String lastError;
        volatile long outOfSyncSinceMillis = -1;

        ResourceState(String key, String resourceId, String progressFileName) {
            this.key = key;
            this.resourceId = resourceId;
            this.progressFileName = progressFileName;
        }
    }

    /** One session's receive window. Applier thread only. */
    private static final class Session {
        final ResourceState resource;
        final long epoch;
        long contiguous;
        long highWater;
        final TreeSet<Long> received = new TreeSet<>();
        final Set<Long> nacked = new HashSet<>();
        long lastFlushSequence = -1;
        long pendingEnd = -1;
        long endSizeBytes;
        long unsyncedBytes;
        boolean dirty;
        long remainingHint;
        HashIndex index;
        /** The sending site of a multi-master session, else null. */
        String multiMasterPeer;
        /** DONE was sent: everything the sender sent is durable. */
        boolean finished;

        Session(ResourceState resource, long epoch, long contiguous) {
            this.resource = resource;
            this.epoch = epoch;
            this.contiguous = contiguous;
            this.highWater = contiguous;
        }
    }

    private final class Applier implements EventHandler<InboundEvent> {
        private final FrameCodec codec = new FrameCodec();
        private final Frame reply = new Frame();
        private final BlockCompressor compressor = new BlockCompressor();
        private ByteBuffer raw = ByteBuffer.allocateDirect(Volume.MAX_BLOCK_SIZE_BYTES);
        private ByteBuffer payload = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(Volume.MAX_BLOCK_SIZE_BYTES));
        private final ByteBuffer patch = ByteBuffer.allocateDirect(Volume.MAX_BLOCK_SIZE_BYTES);
        private ByteBuffer subHashReply;
        private final long[] hash = new long[2];
        private final Set<Session> touched = new HashSet<>();

        @Override
        public void onEvent(InboundEvent event, long sequence, boolean endOfBatch) throws IOException {
            try {
                Connection conn = event.connection;
                switch (event.kind) {
                    case CONTROL -> event.control.run();
                    case FRAME -> onFrame(conn, event.frame);
                    case CORRUPT -> onCorrupt(conn, event.frame.sequence, event.error);
                    case DISCONNECT -> onDisconnect(conn);
                    default -> throw new IllegalStateException("event kind: " + event.kind);
                }
            } finally {
                if (event.frame.payload != null) {
                    event.frame.payload.release();
                    event.frame.payload = null;
                }
                event.connection = null;
                event.control = null;
            }
            if (endOfBatch) {
                for (Session s : touched) {
                    if (s.unsyncedBytes >= SYNC_EVERY_BYTES) {
                        syncAndAck(s);
                    }
                }
                touched.clear();
            }
        }

        private void onFrame(Connection conn, Frame frame) throws IOException {
            if (conn.refused) {
                return;
            }
            if (frame.type == FrameType.HELLO) {
                onHello(conn, frame);
                return;
            }
            Session s = conn.session;
            if (s == null) {
                refuse(conn, "protocol: " + frame.type + " before HELLO", 0);
                return;
            }
            if (frame.epoch != s.epoch || s.epoch < s.resource.progress.epoch()) {
                refuse(conn, "epoch " + frame.epoch + " is older than " + s.resource.progress.epoch() + " (fenced)",
                        s.resource.progress.epoch());
                return;
            }
            switch (frame.type) {
                case BLOCK, REFERENCE, PATCH -> onBlock(s, conn, frame);
                case SUBHASH_REQUEST -> onSubHashRequest(s, conn, frame);
                case FLUSH -> {
                    s.remainingHint = frame.value;
                    boolean repeat = frame.sequence == s.lastFlushSequence;
                    s.lastFlushSequence = frame.sequence;
                    s.highWater = Math.max(s.highWater, frame.sequence);
                    nackMissing(s, conn, frame.sequence, repeat);
                    syncAndAck(s);
                }
                case END -> {
                    boolean repeat = frame.sequence == s.pendingEnd;
                    s.pendingEnd = frame.sequence;
                    s.endSizeBytes = frame.value;
                    s.remainingHint = 0;
                    s.highWater = Math.max(s.highWater, frame.sequence);
                    nackMissing(s, conn, frame.sequence, repeat);
                    if (!tryFinish(s, conn)) {
                        syncAndAck(s);
                    }
                }
                default -> refuse(conn, "protocol: unexpected " + frame.type + " from a sender", 0);
            }
        }

        private void onHello(Connection conn, Frame frame) throws IOException {
            String id = frame.resourceId.toString();
            int blockSize = frame.rawLength;
            if (id.isEmpty() || blockSize < Volume.MIN_BLOCK_SIZE_BYTES || blockSize > Volume.MAX_BLOCK_SIZE_BYTES
                    || Integer.bitCount(blockSize) != 1) {
                refuse(conn, "hello: resource '" + id + "', block size " + blockSize
                        + " (expected: a resource id and a power of two in 4096..1048576)", 0);
                return;
            }
            boolean multiMaster = (frame.flags & Frame.FLAG_MULTI_MASTER) != 0;
            String peer = frame.writerSite.toString();
            if (multiMaster && (replicaVolumes == null || !dev.vantage.replication.VersionVector.validSiteId(peer))) {
                refuse(conn, "hello: multi-master session of '" + id + "' from site '" + peer + "' (expected: a"
                        + " receiver of a replication engine, and a site id of letters, digits, '.', '_' or '-')", 0);
                return;
            }
            ResourceState rs = multiMaster
                    ? resource(id + '@' + peer, id, "receiver-" + peer + ".state")
                    : resource(id);
            if (frame.epoch < rs.progress.epoch()) {
                refuse(conn, "epoch " + frame.epoch + " is older than " + rs.progress.epoch() + " (fenced)",
                        rs.progress.epoch());
                return;
            }
            if (rs.active != null && rs.active != conn && rs.active.channel.isActive()) {
                if (!supersedes(rs.active, conn, frame.epoch)) {
                    refuse(conn, "resource " + id + " is busy with another session", rs.progress.epoch());
                    return;
                }
                // The sender reconnected (or its next sync began) before this side saw the old connection close:
                // the old session is over, so the new one takes the resource.
                Connection old = rs.active;
                if (old.session != null && old.session.dirty) {
                    syncAndAck(old.session);
                }
                old.session = null;
                old.refused = true;
                old.channel.close();
                rs.active = null;
            }
            if (rs.volume == null || rs.volume.blockSizeBytes() != blockSize) {
                java.nio.file.Files.createDirectories(volumeResolver.apply(id).toAbsolutePath().getParent());
                if (rs.volume != null && !rs.sharedVolume) {
                    rs.volume.close();
                }
                if (multiMaster) {
                    dropPreloaded(volumeResolver.apply(id));
                    try {
                        rs.volume = replicaVolumes.open(id, volumeResolver.apply(id), blockSize);
                    } catch (IllegalArgumentException e) {
                        rs.volume = null;
                        refuse(conn, "hello: " + e.getMessage(), rs.progress.epoch());
                        return;
                    }
                    rs.sharedVolume = true;
                } else {
                    rs.volume = openVolume(volumeResolver.apply(id), blockSize);
                    rs.sharedVolume = false;
                }
                rs.progressFile.close();
                rs.progressFile = new ProgressFile(rs.volume.stateDir().resolve(rs.progressFileName));
                ProgressFile.Progress stored = rs.progressFile.read();
                rs.progress = new ProgressFile.Progress(Math.max(stored.epoch(), rs.progress.epoch()),
                        stored.lastDurableSequence(), stored.lastInSyncMillis());
            }
            if (frame.epoch > rs.progress.epoch()) {
                rs.progress = new ProgressFile.Progress(frame.epoch, rs.progress.lastDurableSequence(),
                        rs.progress.lastInSyncMillis());
                rs.progressFile.write(rs.progress);
            }
            rs.active = conn;
            rs.lastPeer = frame.text.toString();
            counters.sessions.incrementAndGet();
            Volume volume = rs.volume;
            volume.scan();
            long blocks = volume.blockCount();
            Session s = new Session(rs, frame.epoch, rs.progress.lastDurableSequence());
            s.remainingHint = frame.blockIndex;
            s.multiMasterPeer = multiMaster ? peer : null;
            s.index = new HashIndex((int) Math.min(Integer.MAX_VALUE / 4, blocks + 1024));
            long[] hashes = new long[2 * MANIFEST_CHUNK_BLOCKS];
            ByteBuffer chunk = ByteBuffer.allocateDirect(16 * MANIFEST_CHUNK_BLOCKS).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long first = 0; first < blocks; first += MANIFEST_CHUNK_BLOCKS) {
                int count = (int) Math.min(MANIFEST_CHUNK_BLOCKS, blocks - first);
                volume.manifestHashes(first, count, hashes);
                chunk.clear();
                // One bulk copy (the chunk is little-endian like the wire), then the index.
                chunk.asLongBuffer().put(hashes, 0, 2 * count);
                for (int k = 0; k < count; k++) {
                    s.index.put(hashes[2 * k], hashes[2 * k + 1], first + k);
                }
                reply.reset(FrameType.MANIFEST).resourceId(id);
                reply.epoch = frame.epoch;
                reply.blockIndex = first;
                reply.rawLength = count;
                conn.channel.write(codec.encode(reply, chunk, 16 * count, conn.channel.alloc()));
            }
            reply.reset(FrameType.READY).resourceId(id);
            reply.epoch = frame.epoch;
            reply.sequence = s.contiguous;
            reply.value = volume.sizeBytes();
            conn.channel.writeAndFlush(codec.encode(reply, conn.channel.alloc()));
            conn.session = s;
            if (rs.outOfSyncSinceMillis < 0) {
                rs.outOfSyncSinceMillis = rs.progress.lastInSyncMillis() >= 0 ? rs.progress.lastInSyncMillis()
                        : clock.millis();
            }
            publish(rs, s);
        }

        private void onBlock(Session s, Connection conn, Frame frame) throws IOException {
            long seq = frame.sequence;
            s.highWater = Math.max(s.highWater, seq);
            if (seq <= s.contiguous || s.received.contains(seq)) {
                return;
            }
            Volume volume = s.resource.volume;
            int blockSize = volume.blockSizeBytes();
            if (frame.rawLength < 0 || frame.rawLength > blockSize || frame.blockIndex < 0) {
                nack(s, conn, seq, "block " + frame.blockIndex + " length " + frame.rawLength
                        + " (expected: 0.." + blockSize + ")");
                return;
            }
            int length;
            ByteBuffer data = null;
            if (frame.type == FrameType.REFERENCE) {
                long source = locate(s, volume, frame.hashHigh, frame.hashLow, frame.value, frame.rawLength);
                if (source < 0) {
                    nack(s, conn, seq, "reference: no block with the hash of block " + frame.blockIndex);
                    return;
                }
                length = frame.rawLength;
            } else if (frame.type == FrameType.PATCH) {
                String problem = applyPatch(volume, frame);
                if (problem != null) {
                    counters.framesRejected.incrementAndGet();
                    nack(s, conn, seq, "patch of block " + frame.blockIndex + ": " + problem);
                    return;
                }
                length = frame.rawLength;
                BlockHasher.hash(raw, 0, length, hash);
                if (hash[0] != frame.hashHigh || hash[1] != frame.hashLow) {
                    counters.framesRejected.incrementAndGet();
                    nack(s, conn, seq, "patch of block " + frame.blockIndex + ": content hash mismatch");
                    return;
                }
            } else if (frame.verified) {
                length = frame.rawLength;
                data = frame.payload == null ? raw.clear().limit(0) : frame.payload.nioBuffer();
            } else {
                length = decodePayload(frame);
                if (length != frame.rawLength) {
                    counters.framesRejected.incrementAndGet();
                    nack(s, conn, seq, "block " + frame.blockIndex + ": payload does not decode to "
                            + frame.rawLength + " bytes (" + frame.codec + ")");
                    return;
                }
                BlockHasher.hash(raw, 0, length, hash);
                if (hash[0] != frame.hashHigh || hash[1] != frame.hashLow) {
                    counters.framesRejected.incrementAndGet();
                    nack(s, conn, seq, "block " + frame.blockIndex + ": content hash mismatch");
                    return;
                }
            }
            if (data == null) {
                data = raw.clear().limit(length);
            }
            if (s.multiMasterPeer != null) {
                dev.vantage.replication.VersionVector vector;
                try {
                    vector = dev.vantage.replication.VersionVector.parse(frame.versionVector);
                } catch (IllegalArgumentException e) {
                    refuse(conn, "block " + frame.blockIndex + ": " + e.getMessage(), s.resource.progress.epoch());
                    return;
                }
                Volume.ApplyOutcome outcome = volume.applyVersioned(frame.blockIndex, data, frame.hashHigh,
                        frame.hashLow, vector, new dev.vantage.replication.Hlc(frame.hlcPhysicalMillis,
                                frame.hlcLogical), frame.writerSite.toString(), s.multiMasterPeer);
                if (outcome == Volume.ApplyOutcome.ALREADY_KNOWN) {
                    counters.framesAlreadyKnown.incrementAndGet();
                } else if (outcome != Volume.ApplyOutcome.APPLIED) {
                    counters.conflicts.incrementAndGet();
                }
            } else {
                volume.applyBlock(frame.blockIndex, data, frame.hashHigh, frame.hashLow);
            }
            s.index.put(frame.hashHigh, frame.hashLow, frame.blockIndex);
            if (frame.type == FrameType.REFERENCE) {
                counters.referencesApplied.incrementAndGet();
            } else if (frame.type == FrameType.PATCH) {
                counters.patchesApplied.incrementAndGet();
                counters.framesApplied.incrementAndGet();
            } else {
                counters.framesApplied.incrementAndGet();
            }
            counters.bytesApplied.addAndGet(length);
            s.unsyncedBytes += length;
            s.dirty = true;
            touched.add(s);
            s.nacked.remove(seq);
            if (seq == s.contiguous + 1) {
                s.contiguous = seq;
                while (!s.received.isEmpty() && s.received.first() == s.contiguous + 1) {
                    s.contiguous = s.received.pollFirst();
                }
            } else {
                s.received.add(seq);
            }
            tryFinish(s, conn);
        }

        /** Finds a block holding the hash and reads it into {@code raw}; returns its index or -1. */
        private long locate(Session s, Volume volume, long high, long low, long hint, int length) throws IOException {
            long[] candidates = {hint, s.index.get(high, low)};
            for (long c : candidates) {
                if (c < 0) {
                    continue;
                }
                long end = c * volume.blockSizeBytes() + length;
                if (end > volume.sizeBytes()) {
                    continue;
                }
                volume.readBlock(c, raw, end);
                BlockHasher.hash(raw, 0, length, hash);
                if (hash[0] == high && hash[1] == low) {
                    return c;
                }
            }
            return -1;
        }

        /**
         * Builds in {@code raw} the block a PATCH describes: the destination's current block with the patched
         * sub-blocks replaced. Returns null, or what is wrong with the frame.
         */
        private String applyPatch(Volume volume, Frame frame) throws IOException {
            int blockSize = volume.blockSizeBytes();
            int subBytes = BlockHasher.subBlockBytes(blockSize);
            int subCount = blockSize / subBytes;
            long mask = frame.value;
            long size = volume.sizeBytes();
            if (frame.rawLength != blockSize || volume.blockLength(frame.blockIndex, size) != blockSize) {
                return "length " + frame.rawLength + " over a block of " + volume.blockLength(frame.blockIndex, size)
                        + " bytes (expected: both " + blockSize + ")";
            }
            if (mask == 0 || (subCount < 64 && (mask >>> subCount) != 0)) {
                return "sub-block mask " + Long.toHexString(mask) + " (expected: non-zero, " + subCount + " bits)";
            }
            int patchLength = Long.bitCount(mask) * subBytes;
            ByteBuf p = frame.payload;
            int n = p == null ? 0 : p.readableBytes();
            int decoded;
            if (frame.codec == Codec.RAW) {
                decoded = n;
                if (n == patchLength) {
                    p.getBytes(p.readerIndex(), patch.clear().limit(n));
                }
            } else if (n > payload.capacity()) {
                decoded = -1;
            } else {
                payload.clear().limit(n);
                p.getBytes(p.readerIndex(), payload);
                decoded = compressor.decompress(frame.codec, payload, n, patch.clear().limit(patchLength));
            }
            if (decoded != patchLength) {
                return "payload does not decode to " + patchLength + " bytes (" + frame.codec + ")";
            }
            volume.readBlock(frame.blockIndex, raw, size);
            int from = 0;
            for (int j = 0; j < subCount; j++) {
                if ((mask & (1L << j)) != 0) {
                    raw.put(j * subBytes, patch, from, subBytes);
                    from += subBytes;
                }
            }
            raw.clear().limit(blockSize);
            return null;
        }

        /** Answers a SUBHASH_REQUEST with the XXH3-64 hashes of each listed block's sub-blocks. */
        private void onSubHashRequest(Session s, Connection conn, Frame frame) throws IOException {
            Volume volume = s.resource.volume;
            int blockSize = volume.blockSizeBytes();
            int subBytes = frame.rawLength;
            if (subBytes != BlockHasher.subBlockBytes(blockSize)) {
                refuse(conn, "sub-block size " + subBytes + " (expected: " + BlockHasher.subBlockBytes(blockSize)
                        + " for blocks of " + blockSize + ")", s.resource.progress.epoch());
                return;
            }
            int subCount = blockSize / subBytes;
            ByteBuf p = frame.payload;
            int count = p == null ? 0 : p.readableBytes() / 8;
            int needed = count * (8 + 8 * subCount);
            if (subHashReply == null || subHashReply.capacity() < needed) {
                subHashReply = ByteBuffer.allocateDirect(Math.max(needed, 64 * 1024)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer out = subHashReply.clear();
            long size = volume.sizeBytes();
            for (int i = 0; i < count; i++) {
                long index = p.getLongLE(p.readerIndex() + 8 * i);
                out.putLong(index);
                boolean whole = index >= 0 && (index + 1) * blockSize <= size;
                if (whole) {
                    volume.readBlock(index, raw, size);
                }
                for (int j = 0; j < subCount; j++) {
                    out.putLong(whole ? BlockHasher.hash64(raw, j * subBytes, subBytes) : 0);
                }
            }
            reply.reset(FrameType.SUBHASHES).resourceId(s.resource.resourceId);
            reply.epoch = s.epoch;
            reply.rawLength = subCount;
            reply.value = frame.value;
            conn.channel.writeAndFlush(codec.encode(reply, out, out.position(), conn.channel.alloc()));
        }

        private int decodePayload(Frame frame) {
            ByteBuf p = frame.payload;
            int n = p == null ? 0 : p.readableBytes();
            if (frame.codec == Codec.RAW) {
                if (n > raw.capacity()) {
                    return -1;
                }
                raw.clear().limit(n);
                if (n > 0) {
                    p.getBytes(p.readerIndex(), raw);
                }
                return n;
            }
            if (n > payload.capacity()) {
                return -1;
            }
            payload.clear().limit(n);
            p.getBytes(p.readerIndex(), payload);
            raw.clear();
            return compressor.decompress(frame.codec, payload, n, raw.limit(frame.rawLength));
        }

        private void nackMissing(Session s, Connection conn, long upTo, boolean repeat) {
            int sent = 0;
            for (long seq = s.contiguous + 1; seq <= upTo && sent < 1024; seq++) {
                if (!s.received.contains(seq) && (repeat || !s.nacked.contains(seq))) {
                    nack(s, conn, seq, "missing");
                    sent++;
                }
            }
        }

        private void nack(Session s, Connection conn, long seq, String reason) {
            s.nacked.add(seq);
            counters.nacksSent.incrementAndGet();
            reply.reset(FrameType.NACK).resourceId(s.resource.resourceId).text(reason);
            reply.epoch = s.epoch;
            reply.sequence = seq;
            conn.channel.writeAndFlush(codec.encode(reply, conn.channel.alloc()));
        }

        private void onCorrupt(Connection conn, long seq, String error) {
            counters.framesRejected.incrementAndGet();
            Session s = conn.session;
            if (s == null) {
                refuse(conn, "frame rejected before a session: " + error, 0);
                return;
            }
            s.resource.lastError = error;
            if (seq > s.contiguous && seq <= s.highWater + 4096 && !s.received.contains(seq)) {
                nack(s, conn, seq, error);
            }
        }

        private boolean tryFinish(Session s, Connection conn) throws IOException {
            if (s.pendingEnd < 0 || s.contiguous < s.pendingEnd) {
                return false;
            }
            Volume volume = s.resource.volume;
            if (s.multiMasterPeer == null || s.endSizeBytes > volume.sizeBytes()) {
                // Multi-master copies only grow: a peer's smaller size must not cut writes made here.
                volume.resize(s.endSizeBytes);
            }
            volume.force();
            ResourceState rs = s.resource;
            rs.progress = new ProgressFile.Progress(rs.progress.epoch(), s.contiguous, clock.millis());
            rs.progressFile.write(rs.progress);
            if (durabilityProbe != null) {
                durabilityProbe.accept("durable", s.contiguous);
                durabilityProbe.accept("done", s.contiguous);
            }
            counters.syncs.incrementAndGet();
            s.unsyncedBytes = 0;
            s.dirty = false;
            rs.outOfSyncSinceMillis = -1;
            rs.lastError = null;
            reply.reset(FrameType.DONE).resourceId(rs.resourceId);
            reply.epoch = s.epoch;
            reply.sequence = s.contiguous;
            reply.value = volume.sizeBytes();
            conn.channel.writeAndFlush(codec.encode(reply, conn.channel.alloc()));
            s.pendingEnd = -1;
            s.finished = true;
            publish(rs, s, MirrorProgress.Phase.IN_SYNC);
            return true;
        }

        /**
         * Makes everything applied so far durable and then acknowledges it. The fdatasync runs on the syncer thread
         * while this thread goes on applying the next frames; {@link #onSynced} records and acknowledges the
         * sequence captured here only once the data written before it is on stable storage. With nothing new to sync
         * it acknowledges what is already durable.
         */
        private void syncAndAck(Session s) throws IOException {
            ResourceState rs = s.resource;
            if (!s.dirty) {
                ack(s, rs.progress.lastDurableSequence());
                publish(rs, s);
                return;
            }
            long upTo = s.contiguous;
            Volume volume = rs.volume;
            s.unsyncedBytes = 0;
            s.dirty = false;
            if (volume.isMultiMaster()) {
                // Its block versions are written after the data they describe, under the volume's lock: in line.
                volume.forceData();
                onSynced(s, volume, upTo, null);
                return;
            }
            volume.prepareForceData();
            syncer.execute(() -> {
                IOException failure = null;
                try {
                    volume.forceDataOnly();
                } catch (IOException | RuntimeException e) {
                    failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                }
                IOException failed = failure;
                onApplier(() -> onSynced(s, volume, upTo, failed));
            });
        }

        /** Applier: the data of session {@code s} up to sequence {@code upTo} is durable (unless {@code failure}). */
        private void onSynced(Session s, Volume volume, long upTo, IOException failure) throws IOException {
            ResourceState rs = s.resource;
            if (failure != null) {
                rs.lastError = "fdatasync failed: " + failure.getMessage();
                Connection conn = rs.active;
                if (conn != null && conn.session == s) {
                    conn.channel.close();
                }
                return;
            }
            if (rs.volume != volume) {
                return;
            }
            if (upTo > rs.progress.lastDurableSequence()) {
                rs.progress = new ProgressFile.Progress(rs.progress.epoch(), upTo, rs.progress.lastInSyncMillis());
                rs.progressFile.write(rs.progress);
                counters.syncs.incrementAndGet();
                if (durabilityProbe != null) {
                    durabilityProbe.accept("durable", upTo);
                }
            }
            ack(s, rs.progress.lastDurableSequence());
            publish(rs, s);
        }

        private void ack(Session s, long sequence) {
            ResourceState rs = s.resource;
            Connection conn = rs.active;
            if (conn != null && conn.session == s) {
                if (durabilityProbe != null) {
                    durabilityProbe.accept("ack", sequence);
                }
                reply.reset(FrameType.ACK).resourceId(rs.resourceId);
                reply.epoch = s.epoch;
                reply.sequence = sequence;
                conn.channel.writeAndFlush(codec.encode(reply, conn.channel.alloc()));
            }
        }

        private void onDisconnect(Connection conn) throws IOException {
            Session s = conn.session;
            if (s == null) {
                return;
            }
            boolean released;
            synchronized (resources) {
                released = resources.get(s.resource.key) != s.resource;
            }
            if (released) {
                // release() closed this session and dropped the mirror: nothing to sync or to publish any more.
                conn.session = null;
                return;
            }
            if (s.dirty) {
                syncAndAck(s);
            }
            if (s.resource.active == conn) {
                s.resource.active = null;
            }
            conn.session = null;
            publish(s.resource, s, s.resource.outOfSyncSinceMillis < 0 ? MirrorProgress.Phase.IN_SYNC
                    : MirrorProgress.Phase.IDLE);
        }

        /**
         * Whether a HELLO on {@code next} may replace the session of {@code current}, whose connection still looks
         * open: the old session ended (DONE sent), or it has the same epoch and comes from the same host (a sender
         * runs one sync per resource and peer at a time, so its new HELLO means it gave the old connection up).
         */
        private boolean supersedes(Connection current, Connection next, long epoch) {
            Session old = current.session;
            if (old == null || old.finished) {
                return true;
            }
            if (old.epoch != epoch) {
                return false;
            }
            java.net.SocketAddress a = current.channel.remoteAddress();
            java.net.SocketAddress b = next.channel.remoteAddress();
            return a instanceof InetSocketAddress ia && b instanceof InetSocketAddress ib
                    && ia.getAddress() != null && ia.getAddress().equals(ib.getAddress());
        }

        private void refuse(Connection conn, String reason, long epoch) {
            counters.sessionsRefused.incrementAndGet();
            conn.refused = true;
            reply.reset(FrameType.REFUSE).text(reason);
            reply.value = epoch;
            conn.channel.writeAndFlush(codec.encode(reply, conn.channel.alloc()))
                    .addListener(f -> conn.channel.close());
        }
    }

    private ResourceState resource(String id) throws IOException {
        return resource(id, id, "receiver.state");
    }

    /** The state of stream {@code key} of resource {@code id}, its progress in {@code progressFileName}. */
    private ResourceState resource(String key, String id, String progressFileName) throws IOException {
        synchronized (resources) {
            ResourceState rs = resources.get(key);
            if (rs == null) {
                rs = new ResourceState(key, id, progressFileName);
                Path volumePath = volumeResolver.apply(id);
                Path state = volumePath.toAbsolutePath().resolveSibling(volumePath.getFileName() + ".vantage");
                java.nio.file.Files.createDirectories(state);
                rs.progressFile = new ProgressFile(state.resolve(progressFileName));
                rs.progress = rs.progressFile.read();
                resources.put(key, rs);
            }
            return rs;
        }
    }

    private void publish(ResourceState rs, Session s) {
        publish(rs, s, s == null ? MirrorProgress.Phase.IDLE : MirrorProgress.Phase.SYNCING);
    }

    private void publish(ResourceState rs, Session s, MirrorProgress.Phase phase) {
        long lagBlocks = phase == MirrorProgress.Phase.IN_SYNC ? 0
                : s == null ? 0 : s.remainingHint + Math.max(0, s.highWater - s.contiguous);
        int blockSize = rs.volume == null ? Volume.DEFAULT_BLOCK_SIZE_BYTES : rs.volume.blockSizeBytes();
        double lagSeconds = rs.outOfSyncSinceMillis < 0 ? 0 : Math.max(0, clock.millis() - rs.outOfSyncSinceMillis) / 1000.0;
        snapshots.put(rs.key, new MirrorProgress(rs.resourceId, rs.lastPeer, phase, rs.progress.epoch(),
                rs.progress.lastDurableSequence(), lagBlocks, lagBlocks * blockSize, lagSeconds, rs.lastError));
    }

    private final class ApplierExceptionHandler implements ExceptionHandler<InboundEvent> {
        @Override
        public void handleEventException(Throwable ex, long sequence, InboundEvent event) {
            Connection conn = event.connection;
            if (conn != null) {
                if (conn.session != null) {
                    conn.session.resource.lastError = "apply failed: " + ex;
                }
                conn.channel.close();
            }
            if (event.frame.payload != null) {
                event.frame.payload.release();
                event.frame.payload = null;
            }
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            throw new IllegalStateException("receiver applier failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            throw new UncheckedIOException(new IOException("receiver applier shutdown: " + ex, ex));
        }
    }

    @Override
    public void close() throws IOException {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        syncer.shutdownNow();
        if (disruptor != null) {
            disruptor.halt();
        }
        synchronized (resources) {
            for (ResourceState rs : resources.values()) {
                if (rs.active != null) {
                    rs.active.channel.close();
                }
                if (rs.volume != null && !rs.sharedVolume) {
                    rs.volume.close();
                }
                rs.progressFile.close();
            }
        }
        for (Volume volume : preloaded.values()) {
            volume.close();
        }
        preloaded.clear();
    }
}
