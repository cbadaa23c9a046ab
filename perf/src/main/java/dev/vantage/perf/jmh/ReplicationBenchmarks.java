package dev.vantage.perf.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.vantage.config.Compression;
import dev.vantage.replication.PipelineStages;

/**
 * Per-block cost of the replication pipeline stages on 64 KiB blocks: XXH3-128 hashing, LZ4 and zstd (level 1)
 * compression, and frame encode + decode (CRC32C, Chronicle Wire header). Each operation processes one block, so
 * MB/s = ops/s x blockSizeBytes / 1e6. The data is read from {@code dataFile} (the file the native tools are run on
 * by perf/replication-vs-rsync.sh), or generated half random, half text when it is empty.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dchronicle.analytics.disable=true",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED"})
public class ReplicationBenchmarks {

    @Param("")
    public String dataFile;

    @Param("65536")
    public int blockSizeBytes;

    /** How much of the data file is cycled through (kept in memory). */
    @Param("67108864")
    public int sampleBytes;

    private ByteBuffer[] blocks;
    private int next;
    private final long[] hash = new long[2];
    private ByteBuffer compressed;
    private PipelineStages stages;
    private ByteBuf frame;

    @Setup(Level.Trial)
    public void load() throws IOException {
        stages = new PipelineStages();
        compressed = ByteBuffer.allocateDirect(PipelineStages.maxCompressedLength(blockSizeBytes));
        int count = sampleBytes / blockSizeBytes;
        blocks = new ByteBuffer[count];
        if (dataFile.isEmpty()) {
            Random random = new Random(1);
            String[] words = {"alpha ", "beta ", "gamma ", "delta ", "mirror ", "site ", "block ", "epoch "};
            for (int b = 0; b < count; b++) {
                ByteBuffer buf = ByteBuffer.allocateDirect(blockSizeBytes);
                if (b < count / 2) {
                    byte[] r = new byte[blockSizeBytes];
                    random.nextBytes(r);
                    buf.put(r);
                } else {
                    while (buf.hasRemaining()) {
                        byte[] w = words[random.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                        buf.put(w, 0, Math.min(w.length, buf.remaining()));
                    }
                }
                blocks[b] = buf;
            }
        } else {
            try (FileChannel ch = FileChannel.open(Path.of(dataFile), StandardOpenOption.READ)) {
                count = (int) Math.min(count, ch.size() / blockSizeBytes);
                blocks = new ByteBuffer[count];
                for (int b = 0; b < count; b++) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(blockSizeBytes);
                    while (buf.hasRemaining() && ch.read(buf, (long) b * blockSizeBytes + buf.position()) > 0) {
                        // read the whole block
                    }
                    blocks[b] = buf;
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void release() {
        if (frame != null) {
            frame.release();
        }
    }

    private ByteBuffer nextBlock() {
        ByteBuffer b = blocks[next];
        next = next + 1 == blocks.length ? 0 : next + 1;
        return b;
    }

    @Benchmark
    public long xxh3Hash() {
        PipelineStages.hash(nextBlock(), blockSizeBytes, hash);
        return hash[0] ^ hash[1];
    }

    @Benchmark
    public int lz4Compress() {
        return stages.compress(Compression.LZ4, nextBlock(), blockSizeBytes, compressed);
    }

    @Benchmark
    public int zstdCompress() {
        return stages.compress(Compression.ZSTD, nextBlock(), blockSizeBytes, compressed);
    }

    /** Encode one uncompressed 64 KiB block frame and decode it again (CRC32C both ways). */
    @Benchmark
    public long frameEncodeDecode() {
        ByteBuf buf = stages.encodeBlockFrame("volume", next, next, 1, 2, nextBlock(), blockSizeBytes,
                PooledByteBufAllocator.DEFAULT);
        try {
            return stages.decodeFrame(buf);
        } finally {
            buf.release();
        }
    }
}
