package dev.vantage.replication.internal;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

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
     * Hashes of 4 KiB after which the JIT has compiled the hash functions (it compiles a method after a few hundred
     * calls); 4 KiB inputs run the same long-input code as whole blocks, with less time in the interpreter.
     */
    private static final int HASH_ROUNDS = 400;
    private static final int HASH_ROUND_BYTES = 4096;
    /** Whole blocks hashed after that, through the compiled code. */
    private static final int BLOCK_ROUNDS = 4;
    private static final int INDEX_ENTRIES = 4_000;
    private static final long RING_TIMEOUT_SECONDS = 10;

    private WarmUp() {
    }

    /**
     * Everything a session touches that is not tied to a volume or a peer, in the order a sender needs it: frame
     * codec, the hash index, hashes and compression of blocks of {@code blockSizeBytes}, a Disruptor ring. (A sender's
     * own connection warms its connect path earlier than a warm-up could.)
     *
     * @throws IllegalStateException when a part fails (the process would fail the same way in its first session)
     */
    public static void all(int blockSizeBytes) {
        FrameCodec.warmUp();
        blocks(blockSizeBytes);
        pipeline();
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
        // Frame headers come from the default allocator, block buffers from the pooled one (SenderSession): build
        // both allocators' pools now.
        ByteBufAllocator.DEFAULT.directBuffer(blockSizeBytes).release();
        PooledByteBufAllocator.DEFAULT.directBuffer(blockSizeBytes, blockSizeBytes).release();
    }

    /** Starts, feeds and halts a small Disruptor ring like the sender's and the receiver's. */
    public static void pipeline() {
        AtomicLong seen = new AtomicLong();
        Disruptor<long[]> disruptor = new Disruptor<>(() -> new long[1], 8, r -> {
            Thread t = new Thread(r, "vantage-warm-up-ring");
            t.setDaemon(true);
            return t;
        }, ProducerType.SINGLE, new BackoffWaitStrategy());
        EventHandler<long[]> handler = (event, sequence, endOfBatch) -> seen.addAndGet(event[0]);
        disruptor.handleEventsWith(handler);
        RingBuffer<long[]> ring = disruptor.start();
        for (int i = 1; i <= 16; i++) {
            long seq = ring.next();
            ring.get(seq)[0] = i;
            ring.publish(seq);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RING_TIMEOUT_SECONDS);
        while (seen.get() != 136 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        disruptor.halt();
    }
}
