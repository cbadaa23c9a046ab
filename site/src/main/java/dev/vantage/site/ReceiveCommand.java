package dev.vantage.site;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.vantage.config.InterSiteTls;

import dev.vantage.replication.MirrorProgress;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.Volume;

/** {@code vantage receive}: a replication receiver that stores every resource sent to it in one volume file. */
@Command(name = "receive", mixinStandardHelpOptions = true,
        description = "Receive replication into a volume file until stopped (progress on stderr).")
final class ReceiveCommand implements Callable<Integer> {

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Address to listen on.")
    String listen;

    @Option(names = "--volume", required = true, paramLabel = "PATH", description = "The destination volume file.")
    Path volume;

    @Mixin
    TlsOptions tlsOptions = new TlsOptions();

    @Override
    public Integer call() throws Exception {
        var address = ReplicationCliSupport.address("--listen", listen, true);
        InterSiteTls tls;
        ReplicationEngine created;
        try {
            tls = tlsOptions.settings();
            created = ReplicationEngine.create("receive", java.time.Clock.systemUTC(), tls);
        } catch (IllegalArgumentException e) {
            System.err.println("receive: " + e.getMessage());
            return VantageCli.EXIT_INVALID_INPUT;
        }
        try (ReplicationEngine engine = created) {
            ReceiverEndpoint endpoint = engine.startReceiver(address, resourceId -> volume);
            // Ready before saying so: the first session finds the volume open and scanned and the code warm.
            try {
                endpoint.preload(volume, Volume.DEFAULT_BLOCK_SIZE_BYTES).get();
            } catch (ExecutionException e) {
                System.err.println("receive: --volume: " + volume + ": " + e.getCause().getMessage()
                        + " (expected: a file it can open as a volume)");
                return VantageCli.EXIT_INVALID_INPUT;
            }
            try {
                ReplicationCliSupport.receivingWarmUp().get();
            } catch (ExecutionException e) {
                System.err.println("receive: warm-up failed, the first session may fail the same way: "
                        + e.getCause());
            }
            System.err.println("receive: listening on " + endpoint.address().getHostString() + ":"
                    + endpoint.address().getPort()
                    + (tls == null ? " (plaintext)" : " (mutual TLS, peers must chain to "
                    + tls.trustedCertificatesFile() + ")") + ", volume " + volume.toAbsolutePath());
            ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "receive-progress");
                t.setDaemon(true);
                return t;
            });
            String[] last = {""};
            reporter.scheduleAtFixedRate(() -> {
                for (MirrorProgress p : endpoint.progress()) {
                    String line = String.format(Locale.ROOT,
                            "receive: %s epoch %d %s, consistent up to sequence %d, lag %d blocks (%.1f s)",
                            p.resourceId(), p.epoch(), p.phase(), p.consistentUpToSequence(), p.lagBlocks(),
                            p.lagSeconds());
                    if (!line.equals(last[0])) {
                        System.err.println(line);
                        last[0] = line;
                    }
                }
            }, 1, 1, TimeUnit.SECONDS);
            new CountDownLatch(1).await();
        }
        return VantageCli.EXIT_OK;
    }
}
