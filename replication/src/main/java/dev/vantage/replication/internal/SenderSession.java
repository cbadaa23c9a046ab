package dev.vantage.replication.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;

import dev.vantage.config.Compression;
import dev.vantage.config.ReplicationMode;
import dev.vantage.replication.ConflictResolver;
import dev.vantage.replication.SyncRequest;
import dev.vantage.replication.Volume;

/**
 * One attempt to replicate a volume to a peer: connect, receive the peer's manifest and last durable sequence,
 * then stream blocks through a Disruptor pipeline (read + hash, dedup + compress, frame + send) under a credit
 * window, and wait until the peer has made everything durable.
 *
 * <p>Threading: {@link #run()} runs on the caller's thread (the producer). The three pipeline stages each own a
 * thread; only the last one writes frames and owns the in-flight table, credits, NACK resends and dirty clearing.
 * The Netty event loop only decodes replies into thread-safe fields and wakes the send stage.
 *
 * <p>From a multi-master volume the session is multi-master: every block frame carries the version the block had
 * when its bytes were read (read again when a write raced the read), and a block the peer already holds with the
 * same hash is sent as a reference to itself rather than skipped, so the peer still learns its version.
 */
public final class SenderSession {

    /** Counters shared by all attempts of one sync. */
    public static final class Stats {
        public final AtomicLong wireBytes = new AtomicLong();
        public final AtomicLong blocksSent = new AtomicLong();
        public final AtomicLong referencesSent = new AtomicLong();
        public final AtomicLong framesResent = new AtomicLong();
        public final AtomicLong rawBytesSent = new AtomicLong();
        public final AtomicLong nacksReceived = new AtomicLong();
        public final AtomicLong patchesSent = new AtomicLong();
        public volatile long blocksPlanned;
        public volatile long bytesPlanned;
        public final AtomicLong blocksDone = new AtomicLong();
        public final AtomicLong bytesDone = new AtomicLong();
        public volatile long consistentUpToSequence = -1;
        public volatile long unackedFrames;
        public volatile long remainingBlocks;
        public volatile String lastNackReason;
        public volatile long firstFrameNanos;
        public volatile long lastFrameNanos;
        public final AtomicLong framedBytesAfterFirst = new AtomicLong();

        /** Rate of block frames between the first and the last one sent, or 0 with fewer than two. */
        public double frameBytesPerSecond() {
            long span = lastFrameNanos - firstFrameNanos;
            return span <= 0 ? 0 : framedBytesAfterFirst.get() * 1e9 / span;
        }
    }

    /** The peer refused the session (stale epoch, busy resource): retrying does not help. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    /** What one successful attempt did. */
    public record Outcome(long planned, long skipped, long sentThisAttempt, long lastSequence) {
    }

    private static final long STALL_RETRANSMIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** A slow (throttled) stream still gets its progress made durable and acknowledged this often. */
    private static final long FLUSH_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long STALL_ABORT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * Stages wait with {@link BackoffWaitStrategy}: Disruptor's blocking strategy busy-spins while a stage waits for
     * the stage before it, which on a 2-core machine steals the CPU that stage needs (it cost 7 s of CPU per 256 MiB),
     * and a short fixed park wakes every stage tens of thousands of times a second.
     */
    private static final long PRODUCER_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** Socket backlog above which the link, not the CPU, is the limit, so compressing blocks pays. */
    private static final long COMPRESS_BACKLOG_BYTES = 1L << 20;
    /**
     * Compression pays only when the compressor is at least this many times faster than the link drains: it costs
     * CPU at both ends (decompression, a core shared with the network stack), and a link that fast is not the limit.
     */
    private static final double COMPRESS_MARGIN = 2.0;
    /** While compression does not pay, one block in this many is still compressed to keep the speed estimate fresh. */
    private static final int PROBE_EVERY_BLOCKS = 64;
    private static final long DRAIN_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Longest run of blocks sent raw without trying to compress after blocks that did not compress. */
    private static final int MAX_INCOMPRESSIBLE_SKIP = 16;
    /** Most blocks of one session that are sent as sub-block patches; the rest go whole. */
    private static final int MAX_SUBHASH_BLOCKS = 1 << 18;
    private static final int SUBHASH_CHUNK_BLOCKS = 4096;
    /** Sessions planning at most this many bytes always compress. */
    private static final long SMALL_SESSION_BYTES = 64L << 20;

    private final Volume volume;
    private final SyncRequest request;
    private final Transport transport;
    private final Stats stats;
    private final Clock clock;
    private final int maxInFlightFrames;
    private final long maxInFlightBytes;
    private final long flushEveryBytes;
    private final String multiMasterSite;

    // Written by the event loop, read by the send stage.
    private final CompletableFuture<Long> ready = new CompletableFuture<>();
    private final CompletableFuture<Outcome> done = new CompletableFuture<>();
    private final AtomicLong ackedSequence = new AtomicLong(-1);
    private final ConcurrentLinkedQueue<Long> nacks = new ConcurrentLinkedQueue<>();
    private volatile long doneSequence = Long.MIN_VALUE;
    private volatile Throwable failure;
    private volatile Thread sendThread;
    private long[] destHashes = new long[0];
    private long destSizeBytes;
    // Sub-block hashes of the destination's blocks subIndexes[k] at subHashes[k * subCount ..]: written by the
    // event loop before subHashesReady completes, read by the dedup stage after.
    private final CompletableFuture<Void> subHashesReady = new CompletableFuture<>();
    private final int subBlockBytes;
    private final int subCount;
    private long[] subIndexes = new long[0];
    private long[] subHashes = new long[0];
    private int subHashesReceived;

    private Channel channel;
    private final java.util.List<Thread> stageThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private long sourceSizeBytes;
    private final AtomicLong skipped = new AtomicLong();
    /** Full mode: the volume's size and modification time before any block was read, or null. */
    private long[] trustAtEnd;

    public SenderSession(Volume volume, SyncRequest request, Transport transport, Stats stats, Clock clock) {
        this.volume = volume;
        this.request = request;
        this.transport = transport;
        this.stats = stats;
        this.clock = clock;
        this.maxInFlightFrames = 1024;
        this.maxInFlightBytes = Math.max(64L << 20, 8L * volume.blockSizeBytes());
        this.flushEveryBytes = maxInFlightBytes / 4;
        this.subBlockBytes = BlockHasher.subBlockBytes(volume.blockSizeBytes());
        this.subCount = volume.blockSizeBytes() / subBlockBytes;
        this.multiMasterSite = volume.multiMasterSiteId();
    }

    /** Runs the attempt to its end; throws when it fails (the caller may start another attempt). */
    public Outcome run() throws IOException, InterruptedException {
        // Connect while planning (a delta's scan may read the whole volume; a cold connect costs a second too).
        ChannelFuture connecting = startConnect();
        long stampModifiedNanos;
        long stampSizeBytes;
        long[] candidates;
        try {
            stampModifiedNanos = volume.modifiedNanos();
            stampSizeBytes = volume.sizeBytes();
            candidates = BlockPlan.candidates(volume, request.mode(), request.selections(), request.peerId());
        } catch (IOException | RuntimeException e) {
            connecting.channel().close();
            throw e;
        }
        sourceSizeBytes = volume.sizeBytes();
        trustAtEnd = request.mode() == ReplicationMode.FULL ? new long[] {stampSizeBytes, stampModifiedNanos} : null;
        stats.blocksPlanned = candidates.length;
        stats.bytesPlanned = (long) candidates.length * volume.blockSizeBytes();
        stats.blocksDone.set(0);
        stats.bytesDone.set(0);
        stats.remainingBlocks = candidates.length;
        awaitConnected(connecting);
        Disruptor<BlockEvent> disruptor = null;
        try {
            FrameCodec codec = new FrameCodec();
            Frame hello = new Frame().reset(FrameType.HELLO).resourceId(request.resourceId()).text(request.peerId());
            hello.epoch = request.epoch();
            hello.value = sourceSizeBytes;
            hello.rawLength = volume.blockSizeBytes();
            hello.blockIndex = candidates.length;
            if (multiMasterSite != null) {
                hello.flags = Frame.FLAG_MULTI_MASTER;
                hello.writerSite.append(multiMasterSite);
            }
            channel.writeAndFlush(codec.encode(hello, channel.alloc()));
            // The ring (its events and their buffers) is built during the round trip to READY.
            int ringSize = Integer.highestOneBit(Math.max(8, Math.min(64, (16 << 20) / volume.blockSizeBytes())));
            disruptor = new Disruptor<>(() -> new BlockEvent(volume.blockSizeBytes()), ringSize,
                    r -> {
                        Thread t = new Thread(r, "vantage-sender-" + request.resourceId());
                        t.setDaemon(true);
                        stageThreads.add(t);
                        return t;
                    }, ProducerType.SINGLE, new BackoffWaitStrategy());
            disruptor.setDefaultExceptionHandler(new AbortingExceptionHandler());
            long lastDurable = await(ready, 120);
            stats.consistentUpToSequence = lastDurable;
            ackedSequence.set(lastDurable);
            if (request.mode() == ReplicationMode.DELTA && subCount >= 2) {
                requestSubHashes(codec, candidates);
            }

            SendStage sendStage = new SendStage(lastDurable);
            disruptor.handleEventsWith(new ReadHashStage()).then(new DedupCompressStage()).then(sendStage);
            disruptor.start();
            RingBuffer<BlockEvent> ring = disruptor.getRingBuffer();
            int refill = Math.max(1, ringSize / 4);
            for (long index : candidates) {
                if (failure != null) {
                    break;
                }
                if (!ring.hasAvailableCapacity(1)) {
                    // RingBuffer.next() on a full ring re-checks after parkNanos(1), a busy loop of syscalls: wait
                    // here instead until a quarter of the ring is free.
                    while (failure == null && !ring.hasAvailableCapacity(refill)) {
                        LockSupport.parkNanos(PRODUCER_PARK_NANOS);
                    }
                }
                long seq = ring.next();
                ring.get(seq).block(index);
                ring.publish(seq);
            }
            long seq = ring.next();
            ring.get(seq).end();
            ring.publish(seq);
            return await(done, Long.MAX_VALUE);
        } finally {
            if (failure == null) {
                failure = new IOException("session closed");
            }
            if (disruptor != null) {
                wake();
                disruptor.halt();
                releaseBlocks(disruptor.getRingBuffer());
            }
            channel.close().syncUninterruptibly();
        }
    }

    /**
     * Frees the block buffers still held by ring events once every stage thread has ended (a stage may still be
     * using its event until then; a thread that does not end within a few seconds keeps its buffers, as freeing
     * memory it may touch would be worse than leaking it).
     */
    private void releaseBlocks(RingBuffer<BlockEvent> ring) throws InterruptedException {
        for (Thread t : stageThreads) {
            t.join(TimeUnit.SECONDS.toMillis(5));
            if (t.isAlive()) {
                return;
            }
        }
        for (int i = 0; i < ring.getBufferSize(); i++) {
            ring.get(i).releaseBlock();
        }
    }

    /**
     * Asks the destination for the sub-block hashes of the candidates it holds a whole, different-looking block of
     * (a delta's dirty blocks usually changed in a few places), so that the dedup stage can send only the sub-blocks
     * that differ. Returns once every answer arrived.
     */
    private void requestSubHashes(FrameCodec codec, long[] candidates) throws IOException, InterruptedException {
        int blockSize = volume.blockSizeBytes();
        long[] wanted = new long[Math.min(candidates.length, MAX_SUBHASH_BLOCKS)];
        int n = 0;
        for (long index : candidates) {
            if (n == wanted.length) {
                break;
            }
            int at = (int) (2 * index);
            boolean known = at + 1 < destHashes.length && (destHashes[at] != 0 || destHashes[at + 1] != 0);
            if (known && (index + 1) * blockSize <= destSizeBytes && (index + 1) * blockSize <= sourceSizeBytes) {
                wanted[n++] = index;
            }
        }
        if (n == 0) {
            return;
        }
        subIndexes = java.util.Arrays.copyOf(wanted, n);
        subHashes = new long[n * subCount];
        ByteBuffer list = ByteBuffer.allocateDirect(8 * SUBHASH_CHUNK_BLOCKS).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Frame frame = new Frame();
        for (int first = 0; first < n; first += SUBHASH_CHUNK_BLOCKS) {
            int count = Math.min(SUBHASH_CHUNK_BLOCKS, n - first);
            list.clear();
            for (int k = 0; k < count; k++) {
                list.putLong(subIndexes[first + k]);
            }
            frame.reset(FrameType.SUBHASH_REQUEST).resourceId(request.resourceId());
            frame.epoch = request.epoch();
            frame.rawLength = subBlockBytes;
            frame.value = first + count == n ? 1 : 0;
            channel.write(codec.encode(frame, list, 8 * count, channel.alloc()));
        }
        channel.flush();
        await(subHashesReady, 120);
    }

    private ChannelFuture startConnect() {
        Bootstrap bootstrap = new Bootstrap().group(transport.group()).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        transport.initClientPipeline(ch, request.peerAddress(), stats.wireBytes, new ReplyHandler());
                    }
                });
        return bootstrap.connect(request.peerAddress());
    }

    private void awaitConnected(ChannelFuture future) throws IOException {
        InetSocketAddress address = request.peerAddress();
        future.awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException("connect to " + address.getHostString() + ":" + address.getPort() + " failed: "
                    + future.cause().getMessage(), future.cause());
        }
        channel = future.channel();
    }

    private <T> T await(CompletableFuture<T> future, long timeoutSeconds) throws IOException, InterruptedException {
        try {
            return future.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException("peer " + request.peerAddress() + " did not answer within " + timeoutSeconds + " s");
        }
    }

    private void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        ready.completeExceptionally(cause);
        subHashesReady.completeExceptionally(cause);
        done.completeExceptionally(cause);
        wake();
    }

    /** Whether more than {@link #COMPRESS_BACKLOG_BYTES} wait in the connection's outbound buffer. */
    private boolean linkBacklogged() {
        Channel ch = channel;
        if (ch == null) {
            return true;
        }
        io.netty.channel.ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null || out.totalPendingWriteBytes() > COMPRESS_BACKLOG_BYTES;
    }

    private void wake() {
        Thread t = sendThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Decodes the peer's replies on the event loop. */
    private final class ReplyHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final FrameCodec codec = new FrameCodec();
        private final Frame frame = new Frame();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) throws Exception {
            codec.decode(msg, frame);
            try {
                switch (frame.type) {
                    case MANIFEST -> {
                        int needed = (int) (2 * (frame.blockIndex + frame.rawLength));
                        if (needed > destHashes.length) {
                            destHashes = java.util.Arrays.copyOf(destHashes, needed);
                        }
                        ByteBuf p = frame.payload;
                        for (int k = 0; k < frame.rawLength && p != null; k++) {
                            int at = (int) (2 * (frame.blockIndex + k));
                            destHashes[at] = p.getLongLE(p.readerIndex() + 16 * k);
                            destHashes[at + 1] = p.getLongLE(p.readerIndex() + 16 * k + 8);
                        }
                    }
                    case READY -> {
                        destSizeBytes = frame.value;
                        ready.complete(frame.sequence);
                    }
                    case SUBHASHES -> onSubHashes(frame);
                    case REFUSE -> fail(new RefusedException("peer refused: " + frame.text));
                    case ACK -> {
                        ackedSequence.accumulateAndGet(frame.sequence, Math::max);
                        wake();
                    }
                    case NACK -> {
                        stats.nacksReceived.incrementAndGet();
                        stats.lastNackReason = "sequence " + frame.sequence + ": " + frame.text;
                        nacks.add(frame.sequence);
                        wake();
                    }
                    case DONE -> {
                        ackedSequence.accumulateAndGet(frame.sequence, Math::max);
                        doneSequence = frame.sequence;
                        wake();
                    }
                    default -> fail(new IOException("unexpected frame from peer: " + frame.type));
                }
            } finally {
                if (frame.payload != null) {
                    frame.payload.release();
                    frame.payload = null;
                }
            }
        }

        private void onSubHashes(Frame frame) {
            ByteBuf p = frame.payload;
            int entryBytes = 8 + 8 * subCount;
            int entries = p == null ? 0 : p.readableBytes() / entryBytes;
            if (frame.rawLength != subCount || (p != null && p.readableBytes() % entryBytes != 0)) {
                fail(new IOException("sub-block hashes: " + frame.rawLength + " per block (expected: " + subCount + ")"));
                return;
            }
            for (int e = 0; e < entries; e++) {
                int base = p.readerIndex() + e * entryBytes;
                int k = subHashesReceived;
                if (k >= subIndexes.length || p.getLongLE(base) != subIndexes[k]) {
                    fail(new IOException("sub-block hashes for block " + p.getLongLE(base) + " (expected: block "
                            + (k < subIndexes.length ? subIndexes[k] : -1) + ")"));
                    return;
                }
                for (int j = 0; j < subCount; j++) {
                    subHashes[k * subCount + j] = p.getLongLE(base + 8 + 8 * j);
                }
                subHashesReceived++;
            }
            if (frame.value == 1) {
                subHashesReady.complete(null);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new IOException("connection to " + request.peerAddress() + " closed"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(new IOException("connection to " + request.peerAddress() + ": " + cause.getMessage(), cause));
            ctx.close();
        }
    }

    /** A preallocated pipeline event: one block (or the end marker) with its buffers. */
    static final class BlockEvent {
        /**
         * The block's bytes: a view of {@link #block}. A block sent whole and raw goes to the socket in that buffer
         * itself, without a copy.
         */
        ByteBuffer raw;
        /** The buffer the block was read into, owned by the event until the send stage passes it on or frees it. */
        ByteBuf block;
        private final int blockSizeBytes;
        /** Allocated on first use by the stage that fills it: a full sync of incompressible data needs neither. */
        private ByteBuffer compressed;
        private ByteBuffer patch;
        boolean isEnd;
        long blockIndex;
        int generation;
        int rawLength;
        long hashHigh;
        long hashLow;
        boolean skip;
        long referenceIndex;
        Codec codec;
        int payloadLength;
        /** Non-zero: the event is a PATCH of these sub-blocks, staged in {@link #patch} (raw) or compressed. */
        long patchMask;
        int patchRawLength;
        ConflictResolver.BlockVersion version;

        BlockEvent(int blockSizeBytes) {
            this.blockSizeBytes = blockSizeBytes;
        }

        /** The buffer compressed payloads are staged in. */
        ByteBuffer compressed() {
            if (compressed == null) {
                compressed = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(blockSizeBytes));
            }
            return compressed;
        }

        /** The buffer a patch's changed sub-blocks are staged in (raw). */
        ByteBuffer patch() {
            if (patch == null) {
                patch = ByteBuffer.allocateDirect(blockSizeBytes);
            }
            return patch;
        }

        void block(long index) {
            isEnd = false;
            blockIndex = index;
            skip = false;
            referenceIndex = -1;
            codec = Codec.RAW;
            patchMask = 0;
            version = null;
        }

        void end() {
            isEnd = true;
        }

        /** Frees the block's buffer unless it was passed on. */
        void releaseBlock() {
            if (block != null) {
                block.release();
                block = null;
                raw = null;
            }
        }
    }

    private final class ReadHashStage implements EventHandler<BlockEvent> {
        private final long[] hash = new long[2];

        @Override
        public void onEvent(BlockEvent event, long sequence, boolean endOfBatch) throws IOException {
            if (event.isEnd || failure != null) {
                return;
            }
            event.releaseBlock();
            int blockSize = volume.blockSizeBytes();
            // From the pooled allocator: block-sized buffers from Netty 4.2's default (adaptive) allocator came from
            // fresh memory, and the read stage spent about 40 % of its time in the kernel zeroing new pages.
            event.block = PooledByteBufAllocator.DEFAULT.directBuffer(blockSize, blockSize);
            event.raw = event.block.nioBuffer(0, blockSize);
            event.generation = volume.writeGeneration(event.blockIndex);
            // Version before bytes: a write makes its version durable before its data, so the bytes read are never
            // older than the version sent; a write that raced the read leaves the dirty mark (generation changed).
            event.version = multiMasterSite == null ? null : volume.version(event.blockIndex);
            event.rawLength = volume.readBlock(event.blockIndex, event.raw, sourceSizeBytes);
            for (int retry = 0; multiMasterSite != null && retry < 3; retry++) {
                int after = volume.writeGeneration(event.blockIndex);
                if (after == event.generation) {
                    break;
                }
                event.generation = after;
                event.version = volume.version(event.blockIndex);
                event.rawLength = volume.readBlock(event.blockIndex, event.raw, sourceSizeBytes);
            }
            BlockHasher.hash(event.raw, 0, event.rawLength, hash);
            event.hashHigh = hash[0];
            event.hashLow = hash[1];
            volume.recordHash(event.blockIndex, hash[0], hash[1], event.generation);
        }
    }

    private final class DedupCompressStage implements EventHandler<BlockEvent> {
        private final BlockCompressor compressor = new BlockCompressor();
        private final Codec wanted = codecFor(request.compression());
        private final boolean throttled = request.throttle().bytesPerSecond() > 0
                || request.throttle().peakBytesPerSecond() > 0;
        private HashIndex dedup;
        private int skipRemaining;
        private int failStreak;
        private boolean lastTried;
        private boolean lastCompressed;
        /** EWMA of the compressor's speed (input bytes per ns), 0 until measured; dedup stage only. */
        private double compressBytesPerNano;
        /** EWMA of the socket's drain rate (bytes per ns), 0 until measured. */
        private double drainBytesPerNano;
        private long drainSampleNanos;
        private long drainSampleBytes;
        private int sinceProbe;

        /**
         * Stages in {@code event.patch} the sub-blocks whose hash differs from the destination's; false when all
         * differ (the whole block is sent) or none does (only a sub-block hash collision gets here).
         */
        private boolean preparePatch(BlockEvent event, int k) {
            long mask = 0;
            for (int j = 0; j < subCount; j++) {
                if (BlockHasher.hash64(event.raw, j * subBlockBytes, subBlockBytes) != subHashes[k * subCount + j]) {
                    mask |= 1L << j;
                }
            }
            int changed = Long.bitCount(mask);
            if (changed == 0 || changed == subCount) {
                return false;
            }
            ByteBuffer patch = event.patch().clear();
            for (int j = 0; j < subCount; j++) {
                if ((mask & (1L << j)) != 0) {
                    patch.put(patch.position(), event.raw, j * subBlockBytes, subBlockBytes);
                    patch.position(patch.position() + subBlockBytes);
                }
            }
            event.patchMask = mask;
            event.patchRawLength = changed * subBlockBytes;
            return true;
        }

        /**
         * Whether to try compressing the next block: only when compression can pay, i.e. the link is the limit
         * (a throttle, or a socket backlog: blocks are produced faster than the link drains them, and the compressor
         * is at least {@link #COMPRESS_MARGIN} times faster than that drain rate) or the session is small (its CPU
         * cost is negligible and its bytes are what counts), and not while a run of blocks did not compress (after
         * two failures in a row, skipped for 1, 2, 4.. up to 16 blocks between tries).
         */
        private boolean shouldCompress() {
            if (wanted == Codec.RAW) {
                return false;
            }
            if (lastTried) {
                failStreak = lastCompressed ? 0 : failStreak + 1;
                if (failStreak >= 2) {
                    skipRemaining = Math.min(MAX_INCOMPRESSIBLE_SKIP, 1 << Math.min(30, failStreak - 2));
                }
                lastTried = false;
            }
            if (skipRemaining > 0) {
                skipRemaining--;
                return false;
            }
            if (!throttled && stats.bytesPlanned > SMALL_SESSION_BYTES) {
                if (!linkBacklogged()) {
                    return false;
                }
                // Backlogged, but by a link (or receiver) faster than the compressor: compressing would make the
                // CPU the limit. Keep one block in PROBE_EVERY_BLOCKS compressed so the speed estimate stays fresh.
                if (compressBytesPerNano > 0 && compressBytesPerNano < COMPRESS_MARGIN * drainBytesPerNano
                        && ++sinceProbe < PROBE_EVERY_BLOCKS) {
                    return false;
                }
                sinceProbe = 0;
            }
            lastTried = true;
            return true;
        }

        /** Samples the rate at which the socket drains (bytes handed to the kernel), an EWMA over ~20 ms samples. */
        private void sampleDrainRate() {
            long now = System.nanoTime();
            long elapsed = now - drainSampleNanos;
            if (elapsed < DRAIN_SAMPLE_NANOS) {
                return;
            }
            Channel ch = channel;
            io.netty.channel.ChannelOutboundBuffer out = ch == null ? null : ch.unsafe().outboundBuffer();
            long drained = stats.wireBytes.get() - (out == null ? 0 : out.totalPendingWriteBytes());
            if (drainSampleNanos != 0 && drained > drainSampleBytes) {
                double rate = (double) (drained - drainSampleBytes) / elapsed;
                drainBytesPerNano = drainBytesPerNano == 0 ? rate : 0.7 * drainBytesPerNano + 0.3 * rate;
            }
            drainSampleNanos = now;
            drainSampleBytes = drained;
        }

        private int compressTimed(BlockEvent event) {
            long start = System.nanoTime();
            int n = compressor.compress(wanted, event.raw, event.rawLength, event.compressed());
            long took = System.nanoTime() - start;
            if (took > 0) {
                double rate = (double) event.rawLength / took;
                compressBytesPerNano = compressBytesPerNano == 0 ? rate : 0.8 * compressBytesPerNano + 0.2 * rate;
            }
            return n;
        }

        @Override
        public void onEvent(BlockEvent event, long sequence, boolean endOfBatch) {
            if (event.isEnd || failure != null) {
                return;
            }
            if (dedup == null) {
                long[] hashes = destHashes;
                dedup = new HashIndex(hashes.length / 2 + 1024);
                for (int b = 0; 2 * b + 1 < hashes.length; b++) {
                    dedup.put(hashes[2 * b], hashes[2 * b + 1], b);
                }
            }
            int at = (int) (2 * event.blockIndex);
            long destBlockLength = Math.max(0, Math.min(volume.blockSizeBytes(),
                    destSizeBytes - event.blockIndex * volume.blockSizeBytes()));
            if (at + 1 < destHashes.length && destHashes[at] == event.hashHigh && destHashes[at + 1] == event.hashLow
                    && destBlockLength == event.rawLength) {
                if (event.version == null) {
                    event.skip = true;
                } else {
                    event.referenceIndex = event.blockIndex;
                }
                return;
            }
            long ref = dedup.get(event.hashHigh, event.hashLow);
            int k = subIndexes.length == 0 ? -1 : java.util.Arrays.binarySearch(subIndexes, event.blockIndex);
            if (ref >= 0) {
                event.referenceIndex = ref;
            } else if (k >= 0 && event.rawLength == volume.blockSizeBytes() && preparePatch(event, k)) {
                // A patch is small: always worth compressing.
                int n = wanted == Codec.RAW ? -1
                        : compressor.compress(wanted, event.patch(), event.patchRawLength, event.compressed());
                event.codec = n > 0 ? wanted : Codec.RAW;
                event.payloadLength = n > 0 ? n : event.patchRawLength;
            } else {
                sampleDrainRate();
                int n = shouldCompress() ? compressTimed(event) : -1;
                lastCompressed = n > 0 && n < event.rawLength - event.rawLength / 16;
                if (n > 0) {
                    event.codec = wanted;
                    event.payloadLength = n;
                } else {
                    event.codec = Codec.RAW;
                    event.payloadLength = event.rawLength;
                }
            }
            dedup.put(event.hashHigh, event.hashLow, event.blockIndex);
        }
    }

    static Codec codecFor(Compression compression) {
        return switch (compression) {
            case LZ4 -> Codec.LZ4;
            case ZSTD -> Codec.ZSTD;
            case NONE -> Codec.RAW;
        };
    }

    /** Frames and sends; owns credits, the in-flight table, resends and dirty clearing. */
    private final class SendStage implements EventHandler<BlockEvent> {
        private final FrameCodec codec = new FrameCodec();
        /** The block frame being built: waiting for credit (FLUSH, resends) in the middle must not touch it. */
        private final Frame frame = new Frame();
        /** FLUSH and END. */
        private final Frame control = new Frame();
        private final Frame resendFrame = new Frame();
        private final TokenBucket bucket = new TokenBucket(request.throttle(), clock, System::nanoTime);
        private final long[] inFlightBlock = new long[maxInFlightFrames];
        private final int[] inFlightGeneration = new int[maxInFlightFrames];
        private final int[] inFlightBytes = new int[maxInFlightFrames];
        private final int[] inFlightRawLength = new int[maxInFlightFrames];
        private final BlockCompressor compressor = new BlockCompressor();
        private final ByteBuffer resendRaw = ByteBuffer.allocateDirect(volume.blockSizeBytes());
        private final ByteBuffer resendCompressed =
                ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(volume.blockSizeBytes()));
        private final long[] hash = new long[2];
        private final long firstSequence;
        private long lastSequence;
        private long processedAck;
        private long unackedBytes;
        private long bytesSinceFlush;
        private long lastFlushSequence;
        private long lastFlushNanos = System.nanoTime();
        private long lastProgressNanos = System.nanoTime();
        private long lastRetransmitNanos = System.nanoTime();
        private long sentThisAttempt;

        SendStage(long lastDurable) {
            this.firstSequence = lastDurable + 1;
            this.lastSequence = lastDurable;
            this.processedAck = lastDurable;
            this.lastFlushSequence = lastDurable;
        }

        @Override
        public void onStart() {
            sendThread = Thread.currentThread();
        }

        @Override
        public void onEvent(BlockEvent event, long sequence, boolean endOfBatch) throws IOException {
            if (failure != null) {
                event.releaseBlock();
                return;
            }
            pump();
            if (event.isEnd) {
                finish();
                return;
            }
            if (event.skip) {
                event.releaseBlock();
                skipped.incrementAndGet();
                volume.clearDirty(request.peerId(), event.blockIndex, event.generation);
                progress(event.rawLength);
                if (endOfBatch) {
                    channel.flush();
                }
                return;
            }
            frame.reset(event.referenceIndex >= 0 ? FrameType.REFERENCE
                    : event.patchMask != 0 ? FrameType.PATCH : FrameType.BLOCK).resourceId(request.resourceId());
            frame.epoch = request.epoch();
            frame.blockIndex = event.blockIndex;
            frame.hashHigh = event.hashHigh;
            frame.hashLow = event.hashLow;
            frame.rawLength = event.rawLength;
            frame.codec = event.codec;
            frame.value = event.patchMask != 0 ? event.patchMask : event.referenceIndex;
            putVersion(frame, event.version);
            int payloadLength = event.referenceIndex >= 0 ? 0 : event.payloadLength;
            ByteBuffer payload = event.codec != Codec.RAW ? event.compressed()
                    : event.patchMask != 0 ? event.patch() : event.raw;
            int frameBytes = payloadLength + 128;
            awaitCredit(frameBytes);
            if (failure != null) {
                event.releaseBlock();
                return;
            }
            long seq = ++lastSequence;
            frame.sequence = seq;
            ByteBuf buf;
            if (payload == event.raw && payloadLength > 0 && event.block != null) {
                // Sent whole and raw: the buffer the block was read into goes to the socket as it is.
                ByteBuf block = event.block;
                event.block = null;
                event.raw = null;
                buf = codec.encode(frame, block.writerIndex(payloadLength), channel.alloc());
            } else {
                buf = codec.encode(frame, payload, payloadLength, channel.alloc());
                event.releaseBlock();
            }
            bucket.acquire(buf.readableBytes());
            long now = System.nanoTime();
            if (stats.firstFrameNanos == 0) {
                stats.firstFrameNanos = now;
            } else {
                stats.framedBytesAfterFirst.addAndGet(buf.readableBytes());
            }
            stats.lastFrameNanos = now;
            int slot = (int) (seq % maxInFlightFrames);
            inFlightBlock[slot] = event.blockIndex;
            inFlightGeneration[slot] = event.generation;
            inFlightBytes[slot] = buf.readableBytes();
            inFlightRawLength[slot] = event.rawLength;
            unackedBytes += buf.readableBytes();
            bytesSinceFlush += buf.readableBytes();
            stats.unackedFrames = lastSequence - processedAck;
            channel.write(buf);
            sentThisAttempt++;
            if (event.referenceIndex >= 0) {
                stats.referencesSent.incrementAndGet();
            } else if (event.patchMask != 0) {
                stats.blocksSent.incrementAndGet();
                stats.patchesSent.incrementAndGet();
                stats.rawBytesSent.addAndGet(event.patchRawLength);
            } else {
                stats.blocksSent.incrementAndGet();
                stats.rawBytesSent.addAndGet(event.rawLength);
            }
            progress(event.rawLength);
            if (bytesSinceFlush >= flushEveryBytes || now - lastFlushNanos >= FLUSH_EVERY_NANOS) {
                sendFlush();
            } else if (endOfBatch) {
                channel.flush();
            }
        }

        private void progress(int rawLength) {
            stats.blocksDone.incrementAndGet();
            stats.bytesDone.addAndGet(rawLength);
            stats.remainingBlocks = Math.max(0, stats.blocksPlanned - stats.blocksDone.get());
        }

        private void sendFlush() {
            control.reset(FrameType.FLUSH).resourceId(request.resourceId());
            control.epoch = request.epoch();
            control.sequence = lastSequence;
            control.value = stats.remainingBlocks;
            channel.writeAndFlush(codec.encode(control, channel.alloc()));
            lastFlushSequence = lastSequence;
            lastFlushNanos = System.nanoTime();
            bytesSinceFlush = 0;
        }

        private void awaitCredit(int frameBytes) throws IOException {
            while (failure == null && (lastSequence - processedAck >= maxInFlightFrames
                    || (unackedBytes + frameBytes > maxInFlightBytes && lastSequence > processedAck))) {
                if (lastFlushSequence < lastSequence) {
                    sendFlush();
                }
                waitForPeer();
                pump();
            }
        }

        private void waitForPeer() throws IOException {
            long now = System.nanoTime();
            if (now - lastProgressNanos > STALL_ABORT_NANOS) {
                fail(new IOException("peer " + request.peerAddress() + " acknowledged nothing for "
                        + TimeUnit.NANOSECONDS.toSeconds(STALL_ABORT_NANOS) + " s (last NACK: "
                        + stats.lastNackReason + ")"));
                return;
            }
            if (now - lastProgressNanos > STALL_RETRANSMIT_NANOS && now - lastRetransmitNanos > STALL_RETRANSMIT_NANOS) {
                // A lost or corrupted FLUSH/END or NACK: ask again, the peer answers with NACKs for what it lacks.
                lastRetransmitNanos = now;
                sendFlush();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }

        /** Processes acknowledgements and NACKs that arrived. */
        private void pump() throws IOException {
            long acked = Math.min(ackedSequence.get(), lastSequence);
            if (acked > processedAck) {
                for (long s = processedAck + 1; s <= acked; s++) {
                    int slot = (int) (s % maxInFlightFrames);
                    if (s >= firstSequence) {
                        volume.clearDirty(request.peerId(), inFlightBlock[slot], inFlightGeneration[slot]);
                        unackedBytes -= inFlightBytes[slot];
                    }
                }
                volume.forceDirty(request.peerId());
                processedAck = acked;
                stats.consistentUpToSequence = acked;
                stats.unackedFrames = lastSequence - processedAck;
                lastProgressNanos = System.nanoTime();
            }
            Long nacked;
            while ((nacked = nacks.poll()) != null) {
                long s = nacked;
                if (s > processedAck && s <= lastSequence && s >= firstSequence) {
                    resend(s);
                }
            }
        }

        private void resend(long seq) throws IOException {
            int slot = (int) (seq % maxInFlightFrames);
            long index = inFlightBlock[slot];
            int generation = volume.writeGeneration(index);
            ConflictResolver.BlockVersion version = multiMasterSite == null ? null : volume.version(index);
            int rawLength = volume.readBlock(index, resendRaw, sourceSizeBytes);
            BlockHasher.hash(resendRaw, 0, rawLength, hash);
            Codec wanted = codecFor(request.compression());
            int n = compressor.compress(wanted, resendRaw, rawLength, resendCompressed);
            resendFrame.reset(FrameType.BLOCK).resourceId(request.resourceId());
            resendFrame.epoch = request.epoch();
            resendFrame.sequence = seq;
            resendFrame.blockIndex = index;
            resendFrame.hashHigh = hash[0];
            resendFrame.hashLow = hash[1];
            resendFrame.rawLength = rawLength;
            resendFrame.codec = n > 0 ? wanted : Codec.RAW;
            putVersion(resendFrame, version);
            ByteBuf buf = n > 0 ? codec.encode(resendFrame, resendCompressed, n, channel.alloc())
                    : codec.encode(resendFrame, resendRaw, rawLength, channel.alloc());
            bucket.acquire(buf.readableBytes());
            unackedBytes += buf.readableBytes() - inFlightBytes[slot];
            inFlightBytes[slot] = buf.readableBytes();
            inFlightGeneration[slot] = generation;
            channel.writeAndFlush(buf);
            stats.framesResent.incrementAndGet();
        }

        /** Sends END: everything up to {@code lastSequence} was sent, the source's size is final. */
        private void sendEnd() {
            control.reset(FrameType.END).resourceId(request.resourceId());
            control.epoch = request.epoch();
            control.sequence = lastSequence;
            control.value = sourceSizeBytes;
            channel.writeAndFlush(codec.encode(control, channel.alloc()));
        }

        private void finish() throws IOException {
            sendEnd();
            lastFlushSequence = lastSequence;
            lastProgressNanos = System.nanoTime();
            while (failure == null && !(doneSequence >= lastSequence && processedAck >= lastSequence)) {
                pump();
                if (doneSequence >= lastSequence && processedAck >= lastSequence) {
                    break;
                }
                long now = System.nanoTime();
                if (now - lastProgressNanos > STALL_RETRANSMIT_NANOS
                        && now - lastRetransmitNanos > STALL_RETRANSMIT_NANOS) {
                    lastRetransmitNanos = now;
                    sendEnd();
                }
                if (now - lastProgressNanos > STALL_ABORT_NANOS) {
                    fail(new IOException("peer " + request.peerAddress()
                            + " did not confirm the end of the session (last NACK: " + stats.lastNackReason + ")"));
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            if (failure == null) {
                // A full pass hashed every block: when the file did not change meanwhile, the next delta needs no scan.
                if (trustAtEnd == null || !volume.trustIfUnchangedSince(trustAtEnd[0], trustAtEnd[1])) {
                    volume.saveManifest();
                }
                stats.consistentUpToSequence = lastSequence;
                done.complete(new Outcome(stats.blocksPlanned, skipped.get(), sentThisAttempt, lastSequence));
            }
        }
    }

    private static void putVersion(Frame frame, ConflictResolver.BlockVersion version) {
        if (version != null) {
            frame.hlcPhysicalMillis = version.hlc().physicalMillis();
            frame.hlcLogical = version.hlc().logical();
            frame.writerSite.append(version.siteId());
            frame.versionVector.append(version.vector().toWire());
        }
    }

    private final class AbortingExceptionHandler implements ExceptionHandler<BlockEvent> {
        @Override
        public void handleEventException(Throwable ex, long sequence, BlockEvent event) {
            fail(ex instanceof IOException ? ex : new IOException("sender pipeline: " + ex, ex));
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            fail(ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            // Nothing to undo at shutdown: the channel is closed by run().
        }
    }
}
