package dev.vantage.site;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code vantage wan}: runs emulated WAN links between sites ({@code run}) and shows or changes them while they
 * run ({@code show}, {@code set}) through the control endpoint.
 */
@Command(name = "wan", description = "Emulated WAN links between sites (delay, jitter, loss, bandwidth, partitions).",
        subcommands = {WanCommand.Run.class, WanCommand.Show.class, WanCommand.Set.class})
public final class WanCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("vantage wan: give a subcommand: run, show or set (see vantage wan --help)");
        return VantageCli.EXIT_USAGE;
    }

    /** The fields of a link's conditions as options; only the given ones are set. */
    static final class ConditionOptions {
        @Option(names = "--delay-ms", description = "One-way delay in ms.")
        Long delayMillis;
        @Option(names = "--jitter-ms", description = "Jitter (uniform +-) in ms.")
        Long jitterMillis;
        @Option(names = "--loss-percent", description = "Lost segments in %, emulated as retransmission delay.")
        Double lossPercent;
        @Option(names = "--rto-ms", description = "Retransmission timeout of a lost segment in ms (default 200).")
        Long retransmitTimeoutMillis;
        @Option(names = "--bandwidth", description = "Per direction, e.g. 10mbit, 512kB, 0 = unlimited.")
        String bandwidth;
        @Option(names = "--partition", description = "none, refuse (reset connections) or stall (hold bytes).")
        String partition;

        ObjectNode toJson() {
            ObjectNode fields = WanLinks.JSON.createObjectNode();
            if (delayMillis != null) {
                fields.put("delayMillis", delayMillis);
            }
            if (jitterMillis != null) {
                fields.put("jitterMillis", jitterMillis);
            }
            if (lossPercent != null) {
                fields.put("lossPercent", lossPercent);
            }
            if (retransmitTimeoutMillis != null) {
                fields.put("retransmitTimeoutMillis", retransmitTimeoutMillis);
            }
            if (bandwidth != null) {
                fields.put("bandwidth", bandwidth);
            }
            if (partition != null) {
                fields.put("partition", partition);
            }
            return fields;
        }
    }

    @Command(name = "run", description = "Run WAN links from a YAML file, or one link from options, until stopped.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", description = "YAML file with links (and optionally control: host:port).")
        Path config;
        @Option(names = "--name", defaultValue = "link", description = "Name of the single link (default link).")
        String name;
        @Option(names = "--listen", description = "Single link: listen host:port.")
        String listen;
        @Option(names = "--target", description = "Single link: target host:port.")
        String target;
        @Option(names = "--control", description = "Control endpoint host:port (default from the file, else none).")
        String control;
        @picocli.CommandLine.Mixin
        ConditionOptions conditions = new ConditionOptions();

        @Override
        public Integer call() throws IOException, InterruptedException {
            // The shaded jar has an SLF4J API without a binding; Netty's few log lines go to java.util.logging.
            InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
            WanLinks links;
            try {
                if (config != null) {
                    links = WanLinks.fromYaml(config);
                } else if (listen != null && target != null) {
                    links = new WanLinks();
                    try {
                        links.add(name, WanLinks.parseAddress("--listen", listen),
                                WanLinks.parseAddress("--target", target),
                                WanLinks.applyFields(WanLinkConditions.none(), conditions.toJson()));
                    } catch (RuntimeException e) {
                        links.close();
                        throw e;
                    }
                } else {
                    System.err.println("vantage wan run: --config FILE or --listen and --target (expected: one of them)");
                    return VantageCli.EXIT_USAGE;
                }
            } catch (IllegalArgumentException e) {
                System.err.println("vantage wan run: " + e.getMessage());
                return VantageCli.EXIT_INVALID_INPUT;
            }
            try (links) {
                if (control != null) {
                    InetSocketAddress bound = links.startControl(WanLinks.parseAddress("--control", control));
                    System.out.println("wan control http://" + bound.getHostString() + ":" + bound.getPort() + "/links");
                }
                for (WanLink link : links.links()) {
                    System.out.println("wan " + link);
                }
                System.out.flush();
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "wan-stop"));
                stop.await();
            }
            return VantageCli.EXIT_OK;
        }
    }

    @Command(name = "show", description = "List the links of a running 'vantage wan run' with their counters.")
    static final class Show implements Callable<Integer> {
        @Option(names = "--control", required = true, description = "Control endpoint host:port.")
        String control;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return send(HttpRequest.newBuilder(URI.create("http://" + control + "/links")).GET());
        }
    }

    @Command(name = "set", description = "Change the conditions of a running link; unset options stay as they are.")
    static final class Set implements Callable<Integer> {
        @Option(names = "--control", required = true, description = "Control endpoint host:port.")
        String control;
        @Parameters(index = "0", description = "Link name.")
        String link;
        @picocli.CommandLine.Mixin
        ConditionOptions conditions = new ConditionOptions();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return send(HttpRequest.newBuilder(URI.create("http://" + control + "/links/" + link))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(WanLinks.JSON.writeValueAsString(conditions.toJson()))));
        }
    }

    private static int send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
            System.out.print(response.body());
            return VantageCli.EXIT_OK;
        }
        System.err.print("vantage wan: " + response.body());
        return response.statusCode() == 400 || response.statusCode() == 404
                ? VantageCli.EXIT_INVALID_INPUT : VantageCli.EXIT_USAGE;
    }
}
