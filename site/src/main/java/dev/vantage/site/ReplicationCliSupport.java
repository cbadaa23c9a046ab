package dev.vantage.site;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncProgress;

/**
 * Parsing, progress formatting and the cold-start warm-up shared by the replication commands. Stateless but for the
 * warm-up future, written once by {@code main} before any command runs.
 */
final class ReplicationCliSupport {

    private static volatile CompletableFuture<Void> warmUp;

    private ReplicationCliSupport() {
    }

    /**
     * Called by {@code main} before parsing: for {@code replicate} and {@code receive}, starts
     * {@link ReplicationEngine#warmUp(boolean)} so that the cold start of the replication code (a large part of a short
     * sync's time) overlaps the JVM's own start, option parsing, opening the volume and connecting.
     */
    static void warmUpFor(String[] args) {
        if (args.length > 0 && (args[0].equals("replicate") || args[0].equals("receive"))) {
            // Before Netty initialises (the warm-up starts it): a data plane runs without sampled leak detection,
            // as `run` and `proxy` do; its stack traces showed in a warm full sync's profile (perf record).
            ProxyCommand.disableSampledLeakDetectionUnlessAsked();
            warmUp = ReplicationEngine.warmUp(args[0].equals("receive"));
        }
    }

    /**
     * The warm-up {@link #warmUpFor} started, or a new receiving one (commands run without {@code main}, as in
     * tests).
     */
    static CompletableFuture<Void> receivingWarmUp() {
        CompletableFuture<Void> started = warmUp;
        if (started == null) {
            started = ReplicationEngine.warmUp(true);
            warmUp = started;
        }
        return started;
    }

    /** Parses {@code host:port} (port 0 allowed when {@code allowAnyPort}). */
    static InetSocketAddress address(String option, String text, boolean allowAnyPort) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(option + ": " + text + " (expected: HOST:PORT)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": " + text + " (expected: HOST:PORT with a numeric port)", e);
        }
        if (port < (allowAnyPort ? 0 : 1) || port > 65535) {
            throw new IllegalArgumentException(option + ": " + text + " (expected: port in "
                    + (allowAnyPort ? 0 : 1) + "..65535)");
        }
        return new InetSocketAddress(host, port);
    }

    /**
     * Parses a byte count with an optional unit: {@code 65536}, {@code 64KiB}, {@code 50MiB}, {@code 10MB},
     * {@code 1GiB}; a trailing {@code /s} is accepted for rates.
     */
    static long bytes(String option, String text) {
        String t = text.trim();
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        }
        String lower = t.toLowerCase(Locale.ROOT);
        long multiplier = 1;
        String[][] units = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"}, {"kb", "1000"},
                {"mb", "1000000"}, {"gb", "1000000000"}, {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"},
                {"b", "1"}};
        for (String[] unit : units) {
            if (lower.endsWith(unit[0])) {
                multiplier = Long.parseLong(unit[1]);
                lower = lower.substring(0, lower.length() - unit[0].length()).trim();
                break;
            }
        }
        try {
            double value = Double.parseDouble(lower);
            if (value < 0 || Double.isNaN(value) || Double.isInfinite(value)) {
                throw new NumberFormatException(lower);
            }
            return (long) (value * multiplier);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": " + text
                    + " (expected: a number with an optional unit B, KiB, MiB, GiB, KB, MB, GB, e.g. 50MiB/s)", e);
        }
    }

    static String human(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (bytes >= 1024 && u < units.length - 1) {
            bytes /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", bytes, units[u]);
    }

    static String progressLine(SyncProgress p) {
        double pct = p.bytesPlanned() == 0 ? 100 : 100.0 * p.bytesDone() / p.bytesPlanned();
        double eta = p.etaSeconds();
        return String.format(Locale.ROOT, "replicate: %5.1f%% %d/%d blocks, %s/s, %s on the wire, attempt %d, ETA %s",
                pct, p.blocksDone(), p.blocksPlanned(), human(p.bytesPerSecond()), human(p.wireBytes()), p.attempt(),
                eta < 0 ? "?" : String.format(Locale.ROOT, "%.0f s", eta));
    }
}
