package dev.vantage.site;

import dev.vantage.config.HostPort;
import dev.vantage.config.HttpLimits;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.Policy;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Transport;
import dev.vantage.proxy.ProxyServer;
import dev.vantage.proxy.QuickStart;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vantage proxy}: a reverse proxy without a policy file (like {@code caddy reverse-proxy}): one catch-all
 * route from {@code --listen} to the {@code --to} upstreams, with safe default limits and timeouts. Runs until
 * interrupted (SIGINT/SIGTERM), then drains gracefully.
 */
@Command(name = "proxy", description = "Run a reverse proxy from --listen to the --to upstreams (no policy file).")
public final class ProxyCommand implements Callable<Integer> {

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Address to accept clients on.")
    String listen;

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "Upstream (repeat for several).")
    List<String> upstreams = new ArrayList<>();

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio", defaultValue = "auto",
            description = "Event loop transport (default: ${DEFAULT-VALUE}: io_uring, then epoll, then NIO).")
    String transport;

    @Option(names = "--threads", paramLabel = "N", description = "Event loop threads (default: CPU count).")
    Integer threads;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Admin API address (default: none).")
    String admin;

    @Option(names = "--access-log", paramLabel = "FILE|-", description = "JSON access log file, - for stdout.")
    Path accessLog;

    @Option(names = "--request-header-timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "Time to receive a request head before 408 (default: ${DEFAULT-VALUE}).")
    long requestHeaderTimeoutMillis;

    @Option(names = "--response-timeout-ms", defaultValue = "30000", paramLabel = "MS",
            description = "Time from request sent to response head before 504 (default: ${DEFAULT-VALUE}).")
    long responseTimeoutMillis;

    @Option(names = "--connect-timeout-ms", defaultValue = "1000", paramLabel = "MS",
            description = "Upstream connect timeout before 502 (default: ${DEFAULT-VALUE}).")
    long connectTimeoutMillis;

    @Option(names = "--idle-timeout-ms", defaultValue = "60000", paramLabel = "MS",
            description = "Idle keep-alive and streaming timeout (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMillis;

    @Option(names = "--max-connections-per-upstream", defaultValue = "64", paramLabel = "N",
            description = "Pooled connections per upstream and event loop (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerUpstream;

    @Option(names = "--drain-timeout-ms", defaultValue = "30000", paramLabel = "MS",
            description = "How long shutdown waits for in-flight requests (default: ${DEFAULT-VALUE}).")
    long drainTimeoutMillis;

    private static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    /** Counted down to stop a running command (tests); a signal does the same through the shutdown hook. */
    final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            // Netty samples 1 in 128 buffers by default, creating a stack trace each time; a production data plane
            // runs without it (tests run it at PARANOID). Set the property explicitly to turn it back on.
            System.setProperty(LEAK_DETECTION_PROPERTY, "disabled");
        }
        List<String> problems = new ArrayList<>();
        HostPort listenAddress = parse("--listen", listen, problems);
        List<HostPort> targets = new ArrayList<>();
        for (String upstream : upstreams) {
            HostPort target = parse("--to", upstream, problems);
            if (target != null) {
                targets.add(target);
            }
        }
        HostPort adminAddress = admin == null ? null : parse("--admin", admin, problems);
        Transport chosen = parseTransport(transport, problems);
        positive("--request-header-timeout-ms", requestHeaderTimeoutMillis, problems);
        positive("--response-timeout-ms", responseTimeoutMillis, problems);
        positive("--connect-timeout-ms", connectTimeoutMillis, problems);
        positive("--idle-timeout-ms", idleTimeoutMillis, problems);
        positive("--max-connections-per-upstream", maxConnectionsPerUpstream, problems);
        if (threads != null) {
            positive("--threads", threads, problems);
        }
        if (!problems.isEmpty()) {
            problems.forEach(problem -> System.err.println("vantage proxy: " + problem));
            return VantageCli.EXIT_INVALID_INPUT;
        }
        HttpLimits defaults = HttpLimits.defaults();
        HttpLimits limits = new HttpLimits(defaults.maxRequestLineBytes(), defaults.maxHeaderBytes(),
                defaults.maxHeaderCount(), requestHeaderTimeoutMillis, defaults.maxRequestBodyBytes(),
                idleTimeoutMillis, drainTimeoutMillis);
        Policy policy = QuickStart.policy(listenAddress, targets, chosen, limits,
                new RouteTimeouts(connectTimeoutMillis, responseTimeoutMillis, idleTimeoutMillis),
                new PoolSettings(maxConnectionsPerUpstream, connectTimeoutMillis, idleTimeoutMillis, 0));
        ProxyServer.Builder builder = ProxyServer.builder(policy, QuickStart.SITE_ID).adminAddress(adminAddress)
                .accessLog(accessLog);
        if (threads != null) {
            builder.threads(threads);
        }
        ProxyServer proxy;
        try {
            proxy = builder.build().start();
        } catch (IllegalStateException e) {
            System.err.println("vantage proxy: " + e.getMessage());
            return VantageCli.EXIT_USAGE;
        }
        System.out.println("vantage proxy: listening on " + proxy.listenAddresses() + " -> " + targets
                + " (transport " + proxy.transportName() + ")"
                + (proxy.adminAddress() != null ? ", admin on " + proxy.adminAddress() : ""));
        Thread hook = new Thread(() -> {
            stop.countDown();
            shutdown(proxy);
        }, "vantage-proxy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } finally {
            shutdown(proxy);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
        return VantageCli.EXIT_OK;
    }

    private void shutdown(ProxyServer proxy) {
        try {
            proxy.drain(Duration.ofMillis(drainTimeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            proxy.close();
        }
    }

    private static HostPort parse(String option, String text, List<String> problems) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            problems.add(option + " " + e.getMessage());
            return null;
        }
    }

    private static Transport parseTransport(String text, List<String> problems) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "auto":
                return Transport.AUTO;
            case "io_uring":
            case "io-uring":
            case "iouring":
                return Transport.IO_URING;
            case "epoll":
                return Transport.EPOLL;
            case "nio":
                return Transport.NIO;
            default:
                problems.add("--transport: " + text + " (expected: auto, io_uring, epoll or nio)");
                return Transport.AUTO;
        }
    }

    private static void positive(String option, long value, List<String> problems) {
        if (value < 1) {
            problems.add(option + ": " + value + " (expected: >= 1)");
        }
    }
}
