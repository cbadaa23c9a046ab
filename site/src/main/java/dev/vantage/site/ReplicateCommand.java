package dev.vantage.site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.vantage.config.Compression;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Selection;
import dev.vantage.config.Throttle;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;
import dev.vantage.replication.SyncResult;

/**
 * {@code vantage replicate}: one sync of a volume to a receiver. Exits 0 only when the destination has durably
 * acknowledged everything; prints progress, rate and ETA on stderr and one summary line on stdout.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
        description = "Replicate a volume (any file) to a receiver; exit 0 once it is durable there.")
final class ReplicateCommand implements Callable<Integer> {

    @Option(names = "--volume", required = true, paramLabel = "PATH", description = "The source volume file.")
    Path volume;

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "The receiver.")
    String to;

    @Option(names = "--mode", defaultValue = "full", paramLabel = "full|delta|selective",
            description = "full: every block whose hash differs; delta: blocks changed since the last sync to this"
                    + " destination; selective: only --select. Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--select", paramLabel = "SELECTION",
            description = "For selective mode, repeatable: blocks:FIRST-LAST or bytes:START-END (inclusive), or"
                    + " file:/PATH, a regular file inside the volume's ext2/3/4 filesystem (its data and the blocks"
                    + " that map it, for files updated in place).")
    List<String> selections = new ArrayList<>();

    @Option(names = "--rate-limit", paramLabel = "RATE", description = "Bandwidth limit, e.g. 50MiB/s (default: none).")
    String rateLimit;

    @Option(names = "--codec", defaultValue = "lz4", paramLabel = "lz4|zstd|none",
            description = "Block compression, used where it pays (a rate limit, a link that falls behind, a sync of"
                    + " at most 64 MiB) and skipped for blocks that do not shrink. Default: ${DEFAULT-VALUE}.")
    String codec;

    @Option(names = "--block-size", defaultValue = "64KiB", paramLabel = "SIZE",
            description = "Block size, a power of two in 4KiB..1MiB. Default: ${DEFAULT-VALUE}.")
    String blockSize;

    @Option(names = "--resource", defaultValue = "volume", paramLabel = "ID",
            description = "Resource id sent to the receiver. Default: ${DEFAULT-VALUE}.")
    String resourceId;

    @Option(names = "--epoch", defaultValue = "1", paramLabel = "N", description = "Epoch (fencing). Default: ${DEFAULT-VALUE}.")
    long epoch;

    @Option(names = "--attempts", defaultValue = "5", paramLabel = "N",
            description = "Sessions to try; each resumes from the last durable ack. Default: ${DEFAULT-VALUE}.")
    int attempts;

    @Mixin
    TlsOptions tlsOptions = new TlsOptions();

    @Override
    public Integer call() throws Exception {
        SyncRequest request;
        ReplicationEngine created;
        try {
            request = request();
            created = ReplicationEngine.create("replicate", java.time.Clock.systemUTC(), tlsOptions.settings());
        } catch (IllegalArgumentException e) {
            System.err.println("replicate: " + e.getMessage());
            return VantageCli.EXIT_INVALID_INPUT;
        }
        boolean tty = System.console() != null;
        long[] lastPrint = {0};
        request = request.withListener(p -> {
            if (p.attempt() == 0) {
                return;
            }
            long now = System.nanoTime();
            if (tty) {
                System.err.print("\r" + ReplicationCliSupport.progressLine(p) + "   ");
            } else if (now - lastPrint[0] >= 1_000_000_000L) {
                lastPrint[0] = now;
                System.err.println(ReplicationCliSupport.progressLine(p));
            }
        });
        try (ReplicationEngine engine = created) {
            SyncResult r = engine.sync(request).get();
            if (tty) {
                System.err.println();
            }
            double seconds = r.durationNanos() / 1e9;
            System.err.printf(Locale.ROOT, "replicate: done in %.2f s: %d blocks sent, %d as references, %d already"
                            + " there, %s on the wire, %d attempt(s), durable up to sequence %d%n", seconds,
                    r.blocksSent(), r.referencesSent(), r.blocksSkipped(), ReplicationCliSupport.human(r.wireBytes()),
                    r.attempts(), r.lastSequence());
            if (r.lastNackReason() != null) {
                System.err.println("replicate: " + r.framesResent() + " frame(s) sent again; last reason: "
                        + r.lastNackReason());
            }
            System.out.printf(Locale.ROOT, "REPLICATE mode=%s blocks_planned=%d blocks_sent=%d patches=%d references=%d"
                            + " skipped=%d resent=%d raw_bytes=%d wire_bytes=%d attempts=%d seconds=%.3f%n",
                    request.mode().name().toLowerCase(Locale.ROOT), r.blocksPlanned(), r.blocksSent(),
                    r.patchesSent(), r.referencesSent(), r.blocksSkipped(), r.framesResent(), r.rawBytesSent(),
                    r.wireBytes(), r.attempts(), seconds);
            return VantageCli.EXIT_OK;
        } catch (ExecutionException e) {
            if (tty) {
                System.err.println();
            }
            System.err.println("replicate: " + e.getCause().getMessage());
            return VantageCli.EXIT_USAGE;
        }
    }

    private SyncRequest request() {
        if (!Files.isRegularFile(volume)) {
            throw new IllegalArgumentException("--volume: " + volume + " (expected: an existing file)");
        }
        var address = ReplicationCliSupport.address("--to", to, false);
        ReplicationMode m = switch (mode.toLowerCase(Locale.ROOT)) {
            case "full" -> ReplicationMode.FULL;
            case "delta" -> ReplicationMode.DELTA;
            case "selective" -> ReplicationMode.SELECTIVE;
            default -> throw new IllegalArgumentException("--mode: " + mode + " (expected: full, delta or selective)");
        };
        Compression c = switch (codec.toLowerCase(Locale.ROOT)) {
            case "lz4" -> Compression.LZ4;
            case "zstd" -> Compression.ZSTD;
            case "none" -> Compression.NONE;
            default -> throw new IllegalArgumentException("--codec: " + codec + " (expected: lz4, zstd or none)");
        };
        long block = ReplicationCliSupport.bytes("--block-size", blockSize);
        if (block < 4096 || block > 1 << 20 || Long.bitCount(block) != 1) {
            throw new IllegalArgumentException("--block-size: " + blockSize
                    + " (expected: a power of two in 4KiB..1MiB)");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("--attempts: " + attempts + " (expected: >= 1)");
        }
        List<Selection> parsed = new ArrayList<>();
        for (String s : selections) {
            if (s.startsWith("blocks:")) {
                String[] parts = s.substring(7).split("-", 2);
                try {
                    parsed.add(Selection.blocks(Long.parseLong(parts[0]), Long.parseLong(parts[1])));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--select: " + s + " (expected: blocks:FIRST-LAST)", e);
                }
            } else if (s.startsWith("bytes:")) {
                parsed.add(Selection.file(s));
            } else if (s.startsWith("file:") && !s.substring(5).isBlank() && !s.startsWith("file:bytes:")) {
                parsed.add(Selection.file(s.substring(5)));
            } else {
                throw new IllegalArgumentException("--select: " + s
                        + " (expected: blocks:FIRST-LAST, bytes:START-END or file:/PATH)");
            }
        }
        if (m == ReplicationMode.SELECTIVE && parsed.isEmpty()) {
            throw new IllegalArgumentException("--select: none (expected: at least one with --mode selective)");
        }
        long rate = rateLimit == null ? 0 : ReplicationCliSupport.bytes("--rate-limit", rateLimit);
        String peerId = address.getHostString() + ":" + address.getPort();
        SyncRequest request = SyncRequest.of(resourceId, volume, peerId, address).withBlockSize((int) block, null)
                .withCompression(c).withThrottle(new Throttle(rate, 0, List.of()))
                .withEpoch(epoch).withAttempts(attempts, 1000);
        // withSelections sets the mode: withMode(SELECTIVE) before the selections are in refuses an empty list
        return m == ReplicationMode.SELECTIVE ? request.withSelections(parsed) : request.withMode(m);
    }
}
