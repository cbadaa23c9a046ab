package dev.vantage.replication.internal;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;

/**
 * Runs the code a replication session needs once, on throw-away data, so that a short-lived process (a CLI sync, a
 * receiver's first session) finds the classes loaded, the static state built (Chronicle Wire, the LZ4 and zstd
 * natives, Netty's epoll transport) and the per-block loops (hashing, hash index) compiled instead of paying for
 * them on its first blocks. Touches no volume, no peer and no counter of a real session.
 *
 * <p>Threading: every method is thread-safe and may run while real sessions run (it only shares their classes).
 */
public final class WarmUp {

    /**
     * Hashes of 4 KiB the JIT compiles the hash functions after (a few hundred calls); short inputs take the same
     * long-input code as whole blocks, at a tenth of the interpreter's time.
     */
    private static final int HASH_ROUNDS = 400;
    private static final int HASH_ROUND_BYTES = 4096;
    /** Whole blocks hashed after that, through the compiled code. */
    private static final int BLOCK_ROUNDS = 4;
    private static final int INDEX_ENTRIES = 4_000;
    private static final long EXCHANGE_TIMEOUT_SECONDS = 10;

    private WarmUp() {
    }

    /**
     * Everything a session touches that is not tied to a volume or a peer, in the order a sender needs it: frame
     * codec, the hash index, hashes and compression of blocks of {@code blockSizeBytes}, a Disruptor ring and, when
     * {@code transport} is not null, a loopback exchange of frames over it (the accept path a receiver needs; a
     * sender's own connection warms its connect path earlier than a warm-up could).
     *
     * @throws IllegalStateException when a part fails (the process would fail the same way in its first session)
     */
    public static void all(Transport transport, int blockSizeBytes) {
        FrameCodec.warmUp();
        blocks(blockSizeBytes);
        pipeline();
        if (transport != null) {
            exchange(transport);
        }
    }

    /** Hashes (XXH3-128 and the sub-block XXH3-64), compresses and decompresses blocks of {@code blockSizeBytes}. */
    public static void blocks(int blockSizeBytes) {
        ByteBuffer raw = ByteBuffer.allocateDirect(blockSizeBytes);
        ByteBuffer compressed = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(blockSizeBytes));
        ByteBuffer restored = ByteBuffer.allocateDirect(blockSizeBytes);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < blockSizeBytes; i += 8) {
            // Half random, half runs of one byte: both branches of the compressors run.
            raw.putLong(i, i < blockSizeBytes / 2 ? random.nextLong() : (i / 512) * 0x0101010101010101L);
        }
        // The hash index first: the first session builds one from the peer's manifest before its first block.
        HashIndex index = new HashIndex(INDEX_ENTRIES);
        for (int i = 1; i <= INDEX_ENTRIES; i++) {
            index.put(i * 0x9E3779B97F4A7C15L, i, i);
        }
        for (int i = 1; i <= INDEX_ENTRIES; i++) {
            if (index.get(i * 0x9E3779B97F4A7C15L, i) != i) {
                throw new IllegalStateException("warm-up: hash index lost entry " + i);
            }
        }
        long[] hash = new long[2];
        int shortBytes = Math.min(HASH_ROUND_BYTES, blockSizeBytes);
        for (int round = 0; round < HASH_ROUNDS; round++) {
            BlockHasher.hash(raw, (round * 8) % (blockSizeBytes - shortBytes + 1), shortBytes, hash);
            BlockHasher.hash64(raw, (round * 8) % (blockSizeBytes - shortBytes + 1), shortBytes);
        }
        int subBlockBytes = BlockHasher.subBlockBytes(blockSizeBytes);
        for (int round = 0; round < BLOCK_ROUNDS; round++) {
            BlockHasher.hash(raw, 0, blockSizeBytes, hash);
            for (int at = 0; at + subBlockBytes <= blockSizeBytes; at += subBlockBytes) {
                BlockHasher.hash64(raw, at, subBlockBytes);
            }
        }
        BlockCompressor compressor = new BlockCompressor();
        for (Codec codec : new Codec[] {Codec.LZ4, Codec.ZSTD}) {
            int n = compressor.compress(codec, raw, blockSizeBytes, compressed.clear());
            if (n <= 0 || compressor.decompress(codec, compressed, n, restored.clear()) != blockSizeBytes
                    || restored.clear().mismatch(raw.clear()) != -1) {
                throw new IllegalStateException("warm-up: " + codec + " did not restore a " + blockSizeBytes
                        + "-byte block");
            }
        }
        // The buffers frames are encoded into come from the default allocator: build its pools now.
        ByteBufAllocator.DEFAULT.directBuffer(blockSizeBytes).release();
    }

    /** Starts, feeds and halts a small Disruptor ring like the sender's and the receiver's. */
    public static void pipeline() {
        AtomicLong seen = new AtomicLong();
        Disruptor<long[]> disruptor = new Disruptor<>(() -> new long[1], 8, r -> {
            Thread t = new Thread(r, "vantage-warm-up-ring");
            t.setDaemon(true);
            return t;
        }, ProducerType.SINGLE, new SleepingWaitStrategy(10, TimeUnit.MICROSECONDS.toNanos(50)));
        EventHandler<long[]> handler = (event, sequence, endOfBatch) -> seen.addAndGet(event[0]);
        disruptor.handleEventsWith(handler);
        RingBuffer<long[]> ring = disruptor.start();
        for (int i = 1; i <= 16; i++) {
            long seq = ring.next();
            ring.get(seq)[0] = i;
            ring.publish(seq);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXCHANGE_TIMEOUT_SECONDS);
        while (seen.get() != 136 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        disruptor.halt();
    }

    /**
     * Connects to a loopback listener of {@code transport}, sends a frame with a payload and waits for its echo: the
     * accept, connect, framing and codec paths of both sides. Plaintext, whatever the transport's TLS.
     */
    public static void exchange(Transport transport) {
        AtomicLong wireBytes = new AtomicLong();
        CompletableFuture<Long> echoed = new CompletableFuture<>();
        Channel server = null;
        Channel client = null;
        try {
            server = new ServerBootstrap().group(transport.group()).channel(transport.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            Transport.initPipeline(ch.pipeline(), wireBytes, new Echo(null));
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
            client = new Bootstrap().group(transport.group()).channel(transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            Transport.initPipeline(ch.pipeline(), wireBytes, new Echo(echoed));
                        }
                    }).connect(server.localAddress()).syncUninterruptibly().channel();
            Frame frame = new Frame().reset(FrameType.MANIFEST).resourceId("warm-up");
            frame.sequence = 7;
            ByteBuffer payload = ByteBuffer.allocateDirect(4096);
            client.writeAndFlush(new FrameCodec().encode(frame, payload, payload.capacity(), client.alloc()));
            long sequence = echoed.get(EXCHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (sequence != 7) {
                throw new IllegalStateException("warm-up: loopback echo of sequence " + sequence + " (expected: 7)");
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("warm-up: loopback exchange failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("warm-up: interrupted", e);
        } finally {
            if (client != null) {
                client.close().syncUninterruptibly();
            }
            if (server != null) {
                server.close().syncUninterruptibly();
            }
        }
    }

    /** Server side: answers each frame with the same frame; client side: completes with the echoed sequence. */
    private static final class Echo extends SimpleChannelInboundHandler<ByteBuf> {
        private final FrameCodec codec = new FrameCodec();
        private final Frame frame = new Frame();
        private final CompletableFuture<Long> echoed;

        Echo(CompletableFuture<Long> echoed) {
            this.echoed = echoed;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) throws FrameCodec.CorruptFrameException {
            codec.decode(msg, frame);
            try {
                if (echoed != null) {
                    echoed.complete(frame.sequence);
                } else {
                    ByteBuffer payload = frame.payload == null ? null : frame.payload.nioBuffer();
                    int length = payload == null ? 0 : payload.remaining();
                    ctx.writeAndFlush(codec.encode(frame, payload == null ? null : payload.slice(), length, ctx.alloc()));
                }
            } finally {
                if (frame.payload != null) {
                    frame.payload.release();
                    frame.payload = null;
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (echoed != null) {
                echoed.completeExceptionally(cause);
            }
            ctx.close();
        }
    }
}
