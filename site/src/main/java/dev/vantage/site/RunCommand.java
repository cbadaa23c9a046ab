package dev.vantage.site;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.vantage.config.Policy;
import dev.vantage.config.PolicyException;
import dev.vantage.config.PolicyHolder;
import dev.vantage.config.PolicyProblem;
import dev.vantage.config.ReloadResult;
import dev.vantage.config.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vantage run POLICY [--site ID]}: runs one site until interrupted. The policy reloads when its file changes,
 * on SIGHUP and on {@code POST /reload} of the admin API; an invalid new policy is rejected with every problem
 * while the site keeps the old one.
 */
@Command(name = "run", description = "Run one site of a policy until interrupted (reloads on file change and SIGHUP).")
public final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "POLICY", description = "Policy YAML file.")
    private Path policyFile;

    @Option(names = "--site", paramLabel = "ID", description = "Site to run (default: the policy's localSite).")
    private String siteId;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: vantage-data/<site>).")
    private Path dataDirectory;

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio",
            description = "Force the listener transport (default: the policy's).")
    private String transport;

    @Option(names = "--threads", paramLabel = "N", description = "Proxy event loops (default: cores).")
    private Integer threads;

    @Option(names = "--etcd", paramLabel = "URL",
            description = "Coordinate through etcd at URL (e.g. http://127.0.0.1:2379); default: embedded.")
    private URI etcd;

    @Option(names = "--drain-seconds", paramLabel = "S", defaultValue = "10",
            description = "Deadline for in-flight requests at shutdown (default: ${DEFAULT-VALUE}).")
    private long drainSeconds;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PolicyHolder holder;
        try {
            holder = PolicyHolder.load(policyFile);
        } catch (PolicyException e) {
            for (PolicyProblem problem : e.problems()) {
                err.println(problem.message());
            }
            err.flush();
            return VantageCli.EXIT_INVALID_INPUT;
        }
        Policy policy = holder.policy();
        String site = siteId != null ? siteId : policy.localSiteId();
        if (site == null && policy.sites().size() == 1) {
            site = policy.sites().get(0).id();
        }
        if (site == null || policy.site(site).isEmpty()) {
            err.println("site: " + site + " (expected: --site with one of "
                    + policy.sites().stream().map(s -> s.id()).toList() + ", or localSite in the policy)");
            err.flush();
            return VantageCli.EXIT_USAGE;
        }
        Coordinator coordinator = etcd != null ? new EtcdCoordinator(etcd) : new EmbeddedCoordinator();
        VantageSite.Builder builder = VantageSite.builder(holder, site).coordinator(coordinator);
        if (dataDirectory != null) {
            builder.dataDirectory(dataDirectory);
        }
        if (transport != null) {
            builder.transport(ProxyCommandSupport.parseTransport(transport));
        }
        if (threads != null) {
            builder.threads(threads);
        }
        VantageSite running = builder.build().start();
        holder.watch(Duration.ofMillis(300));
        Signals.onHangup(() -> {
            ReloadResult result = holder.reload();
            System.err.println("vantage: SIGHUP reload: " + result.summary());
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close(drainSeconds * 1000);
            holder.close();
            coordinator.close();
            stopped.countDown();
        }, "vantage-shutdown"));
        System.out.println("vantage: site " + site + " running; proxy " + running.proxy().listenAddresses()
                + ", admin " + running.proxy().adminAddress() + " (Ctrl-C to stop)");
        stopped.await();
        return VantageCli.EXIT_OK;
    }

    /** Parsing shared with other commands. */
    static final class ProxyCommandSupport {
        private ProxyCommandSupport() {
        }

        static Transport parseTransport(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> Transport.AUTO;
                case "io_uring", "iouring", "io-uring" -> Transport.IO_URING;
                case "epoll" -> Transport.EPOLL;
                case "nio" -> Transport.NIO;
                default -> throw new IllegalArgumentException(
                        "--transport: " + value + " (expected: auto, io_uring, epoll or nio)");
            };
        }
    }
}
