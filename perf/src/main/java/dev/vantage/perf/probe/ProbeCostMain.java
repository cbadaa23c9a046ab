package dev.vantage.perf.probe;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

import dev.vantage.config.HostPort;
import dev.vantage.config.ProbeSettings;
import dev.vantage.probe.HealthState;
import dev.vantage.probe.LatencyProbes;
import dev.vantage.probe.ProbeTable;
import dev.vantage.probe.ProbeTarget;
import dev.vantage.probe.ProbeTransport;
import dev.vantage.probe.TargetStatus;

/**
 * The cost of probing many targets, in two roles run as two processes so that the server's work is not counted:
 * {@code server} listens on N loopback ports (answers every HTTP request with a minimal 200, keeping the connection
 * open unless the request says {@code Connection: close}), and {@code probe} probes every port at the given interval,
 * once per kind ({@code tcp} connect probes, {@code http} checks over kept-alive connections, {@code http_fresh}
 * checks with a fresh connection each), and reports the CPU time of its own process (everything: probe thread, GC,
 * JIT) as a percentage of one core, per measurement window, plus the probe thread's own share, against the goal and
 * against the raw blocking connect floor measured in the same run.
 *
 * <pre>
 * server --targets 1000 --port-file F
 * probe  --port-file F --interval-millis 1000 --warmup-seconds 5 --window-seconds 10 --windows 3
 *        [--kinds tcp,http,http_fresh] [--transport auto|io_uring|epoll|nio]
 * </pre>
 */
public final class ProbeCostMain {

    private static final double BASELINE_PERCENT = 5.0;

    private ProbeCostMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("server") || args[0].equals("probe"))) {
            System.err.println("usage: ProbeCostMain server|probe [--targets N] [--port-file F] [--interval-millis MS]"
                    + " [--warmup-seconds S] [--window-seconds S] [--windows N] [--kinds tcp,http,http_fresh]"
                    + " [--transport auto|io_uring|epoll|nio]");
            System.exit(2);
        }
        Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
        if (args[0].equals("server")) {
            serve(options);
        } else {
            probe(options);
        }
    }

    private record Options(int targets, Path portFile, long intervalMillis, double warmupSeconds, double windowSeconds,
                           int windows, List<String> kinds, ProbeTransport transport) {

        static Options parse(String[] args) {
            int targets = 1000;
            Path portFile = null;
            long intervalMillis = 1000;
            double warmupSeconds = 5;
            double windowSeconds = 10;
            int windows = 3;
            List<String> kinds = List.of("tcp", "http", "http_fresh");
            ProbeTransport transport = ProbeTransport.AUTO;
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + ": missing value");
                }
                String value = args[i + 1];
                switch (args[i]) {
                    case "--targets" -> targets = Integer.parseInt(value);
                    case "--port-file" -> portFile = Path.of(value);
                    case "--interval-millis" -> intervalMillis = Long.parseLong(value);
                    case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(value);
                    case "--window-seconds" -> windowSeconds = Double.parseDouble(value);
                    case "--windows" -> windows = Integer.parseInt(value);
                    case "--kinds" -> kinds = List.of(value.split(","));
                    case "--transport" -> transport = ProbeTransport.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                    default -> throw new IllegalArgumentException("option: " + args[i] + " (expected: one of --targets,"
                            + " --port-file, --interval-millis, --warmup-seconds, --window-seconds, --windows, --kinds, --transport)");
                }
            }
            if (portFile == null) {
                throw new IllegalArgumentException("--port-file: missing (expected: a file path)");
            }
            return new Options(targets, portFile, intervalMillis, warmupSeconds, windowSeconds, windows, kinds,
                    transport);
        }
    }

    /**
     * Answers every HTTP request with a minimal 200: keeps the connection open unless the request asks to close it
     * (the kept-alive checks), closes it after the answer otherwise (the fresh checks). A connect probe's reset simply
     * closes the channel.
     */
    private static final class TinyHttp extends ChannelInboundHandlerAdapter {
        private static final byte[] KEEP_ALIVE = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CLOSE = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean keepAlive = msg instanceof HttpRequest request && HttpUtil.isKeepAlive(request);
            boolean request = msg instanceof HttpRequest;
            ReferenceCountUtil.release(msg);
            if (!request || !ctx.channel().isActive()) {
                return;
            }
            if (keepAlive) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(KEEP_ALIVE));
            } else {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(CLOSE)).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void serve(Options options) throws IOException, InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Channel> servers = new ArrayList<>();
        StringBuilder ports = new StringBuilder();
        ChannelInitializer<SocketChannel> handler = new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                // The response encoder is not used: TinyHttp writes its two canned answers as bytes.
                channel.pipeline().addLast(new HttpRequestDecoder(), new TinyHttp());
            }
        };
        for (int i = 0; i < options.targets(); i++) {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childHandler(handler)
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            servers.add(server);
            ports.append(((InetSocketAddress) server.localAddress()).getPort()).append('\n');
        }
        Path partial = options.portFile().resolveSibling(options.portFile().getFileName() + ".tmp");
        Files.writeString(partial, ports.toString());
        Files.move(partial, options.portFile());
        System.err.println("probe-cost server: listening on " + servers.size() + " loopback ports");
        // Serve until the script kills this process; close the ports cleanly on SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)));
        Thread.currentThread().join();
    }

    private static void probe(Options options) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (String line : Files.readAllLines(options.portFile())) {
            if (!line.isBlank()) {
                ports.add(Integer.parseInt(line.trim()));
            }
        }
        ProbeSettings settings = new ProbeSettings(options.intervalMillis(), Math.min(500, options.intervalMillis()),
                ProbeSettings.DEFAULT_JITTER_RATIO, 2, 3, 250, 0.1, 30_000, 0.5, 5);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        // The floor is measured before the first kind and again right before the first result is printed; the
        // median of the six rounds is the baseline (the machine's load drifts over a run).
        double rawConnectShare = -1;
        double rawRequestShare = -1;
        double[] floorBefore = rawConnectRounds(ports);
        double[] requestFloorBefore = rawRequestRounds(ports);
        try (LatencyProbes probes = LatencyProbes.builder().transport(options.transport()).build().start()) {
            for (String kind : options.kinds()) {
                List<ProbeTarget> targets = new ArrayList<>();
                for (int port : ports) {
                    HostPort address = new HostPort("127.0.0.1", port);
                    String id = kind + "/" + port;
                    targets.add(switch (kind) {
                        case "tcp" -> ProbeTarget.tcp(id, "bench", address, options.intervalMillis(),
                                settings.timeoutMillis());
                        case "http" -> ProbeTarget.http(id, "bench", address, "/healthz", 200,
                                options.intervalMillis(), settings.timeoutMillis());
                        case "http_fresh" -> ProbeTarget.http(id, "bench", address, "/healthz", 200,
                                options.intervalMillis(), settings.timeoutMillis()).withFreshConnections();
                        default -> throw new IllegalArgumentException("--kinds: " + kind
                                + " (expected: a comma-separated list of tcp, http, http_fresh)");
                    });
                }
                probes.applyTargets(targets, settings).join();
                sleepSeconds(options.warmupSeconds());
                double nominalProbesPerSecond = ports.size() * 1000.0 / options.intervalMillis();
                double[] normalizedShares = new double[options.windows()];
                double[] measuredShares = new double[options.windows()];
                double[] threadShares = new double[options.windows()];
                double[] achievedRates = new double[options.windows()];
                long failuresBefore = total(probes.table(), true);
                long connections0 = probes.connectionsOpenedTotal();
                long wakeups0 = probes.timerWakeupsTotal();
                long measuredWall0 = System.nanoTime();
                for (int w = 0; w < options.windows(); w++) {
                    long probes0 = total(probes.table(), false);
                    long wall0 = System.nanoTime();
                    long process0 = os.getProcessCpuTime();
                    long thread0 = probes.probeThreadCpuNanos();
                    sleepSeconds(options.windowSeconds());
                    long wall = System.nanoTime() - wall0;
                    long processCpu = os.getProcessCpuTime() - process0;
                    long threadCpu = probes.probeThreadCpuNanos() - thread0;
                    long probesDone = total(probes.table(), false) - probes0;
                    achievedRates[w] = probesDone * 1e9 / wall;
                    if (probesDone < nominalProbesPerSecond * wall / 1e9 / 10) {
                        // A window in which the machine stalled the process says nothing about a probe's cost.
                        System.out.printf("# probe-cost kind=%s window %d: %d probes completed in %.1f s (the machine"
                                + " stalled the process): not counted%n", kind, w + 1, probesDone, wall / 1e9);
                        normalizedShares[w] = Double.NaN;
                        measuredShares[w] = Double.NaN;
                        threadShares[w] = Double.NaN;
                        continue;
                    }
                    measuredShares[w] = 100.0 * processCpu / wall;
                    // CPU per completed probe times the nominal rate: a starved machine that completes fewer probes
                    // than asked must not look cheaper than it is.
                    normalizedShares[w] = 100.0 * processCpu / probesDone * nominalProbesPerSecond / 1e9;
                    threadShares[w] = 100.0 * threadCpu / probesDone * nominalProbesPerSecond / 1e9;
                }
                double measuredSeconds = (System.nanoTime() - measuredWall0) / 1e9;
                System.out.printf("# probe-cost kind=%s connections opened per second %.1f, probe timer wake-ups per"
                                + " second %.1f%n", kind, (probes.connectionsOpenedTotal() - connections0) / measuredSeconds,
                        (probes.timerWakeupsTotal() - wakeups0) / measuredSeconds);
                ProbeTable table = probes.table();
                long failures = total(table, true) - failuresBefore;
                long healthy = table.statuses().stream().filter(s -> s.state() == HealthState.HEALTHY).count();
                java.util.Map<String, Long> errors = new java.util.TreeMap<>();
                for (TargetStatus status : table.statuses()) {
                    if (status.lastError() != null) {
                        errors.merge(status.lastError(), 1L, Long::sum);
                    }
                }
                if (!errors.isEmpty()) {
                    System.out.println("# probe-cost kind=" + kind + " last errors by target: " + errors);
                }
                java.util.Map<HealthState, Long> states = new java.util.EnumMap<>(HealthState.class);
                long ewmaSumNanos = 0;
                for (TargetStatus status : table.statuses()) {
                    states.merge(status.state(), 1L, Long::sum);
                    ewmaSumNanos += Math.max(0, status.rttEwmaNanos());
                }
                System.out.printf("# probe-cost kind=%s states at the end: %s, mean RTT EWMA %.3f ms%n", kind, states,
                        ewmaSumNanos / 1e6 / Math.max(1, table.targetCount()));
                Arrays.sort(normalizedShares);
                Arrays.sort(measuredShares);
                Arrays.sort(threadShares);
                Arrays.sort(achievedRates);
                double median = median(normalizedShares);
                double threadMedian = median(threadShares);
                String target = ports.size() + "_targets_" + formatInterval(options.intervalMillis())
                        + (kind.equals("tcp") ? "" : "_" + kind);
                if (rawConnectShare < 0) {
                    rawConnectShare = floorShare("raw JDK blocking connect+reset", "connect", floorBefore,
                            rawConnectRounds(ports), ports.size(), options.intervalMillis());
                    rawRequestShare = floorShare("raw JDK blocking HTTP request+response on a kept-alive connection",
                            "request", requestFloorBefore, rawRequestRounds(ports), ports.size(),
                            options.intervalMillis());
                }
                System.out.printf("# probe-cost kind=%s targets=%d transport=%s windows=%d x %.1f s nominal_probes_per_s=%.0f"
                                + " achieved_probes_per_s min/median/max=%.0f/%.0f/%.0f failures=%d healthy_at_end=%d%n",
                        kind, ports.size(), probes.transportName(), options.windows(), options.windowSeconds(),
                        nominalProbesPerSecond, achievedRates[0], achievedRates[achievedRates.length / 2],
                        achievedRates[achievedRates.length - 1], failures, healthy);
                System.out.printf("# probe-cost kind=%s process_cpu_percent measured min/median/max=%.2f/%.2f/%.2f,"
                                + " at the nominal rate min/median/max=%.2f/%.2f/%.2f;"
                                + " probe thread at the nominal rate min/median/max=%.2f/%.2f/%.2f%n",
                        kind, measuredShares[0], median(measuredShares), max(measuredShares), normalizedShares[0],
                        median, max(normalizedShares), threadShares[0], threadMedian, max(threadShares));
                System.out.printf("RESULT name=probe.cpu_share target=%s value=%.2f unit=percent baseline=%.0f ratio=%.3f%n",
                        target, median, BASELINE_PERCENT, median / BASELINE_PERCENT);
                System.out.printf("RESULT name=probe.thread_cpu_share target=%s value=%.2f unit=percent baseline=%.0f"
                                + " ratio=%.3f%n", target, threadMedian, BASELINE_PERCENT, threadMedian / BASELINE_PERCENT);
                if (kind.equals("http")) {
                    System.out.printf("RESULT name=probe.cpu_vs_raw_request target=%s value=%.2f unit=percent"
                                    + " baseline=%.2f ratio=%.3f%n", target, median, rawRequestShare,
                            median / rawRequestShare);
                } else {
                    System.out.printf("RESULT name=probe.cpu_vs_raw_connect target=%s value=%.2f unit=percent"
                                    + " baseline=%.2f ratio=%.3f%n", target, median, rawConnectShare,
                            median / rawConnectShare);
                }
            }
        }
        String floorTarget = ports.size() + "_targets_" + formatInterval(options.intervalMillis());
        System.out.printf("RESULT name=probe.raw_connect_floor target=%s value=%.2f unit=percent baseline=%.0f"
                + " ratio=%.3f%n", floorTarget, rawConnectShare, BASELINE_PERCENT, rawConnectShare / BASELINE_PERCENT);
        System.out.printf("RESULT name=probe.raw_request_floor target=%s value=%.2f unit=percent baseline=%.0f"
                + " ratio=%.3f%n", floorTarget, rawRequestShare, BASELINE_PERCENT, rawRequestShare / BASELINE_PERCENT);
    }

    /**
     * The floor: CPU of a plain blocking JDK connect + reset to every port (the kernel does both sides of a loopback
     * handshake in the caller's context), in nanoseconds per connect, for 3 rounds over all ports.
     */
    private static double[] rawConnectRounds(List<Integer> ports) throws IOException {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] perConnectNanos = new double[3];
        for (int round = 0; round < perConnectNanos.length; round++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            for (int port : ports) {
                try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open()) {
                    channel.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                    channel.connect(new InetSocketAddress("127.0.0.1", port));
                }
            }
            perConnectNanos[round] = (double) (threads.getCurrentThreadCpuTime() - cpu0) / ports.size();
        }
        return perConnectNanos;
    }

    /**
     * The floor of a kept-alive check: CPU of a plain blocking JDK HTTP/1.1 GET and its answer over one open
     * connection per port (write, then blocking reads up to the end of the head; the server's answers have no body),
     * in nanoseconds per exchange, for 3 rounds over all ports. Connections are opened and used once before the
     * rounds, so no handshake is counted.
     */
    private static double[] rawRequestRounds(List<Integer> ports) throws IOException {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        byte[] request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: probe-cost\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(512);
        List<java.nio.channels.SocketChannel> channels = new ArrayList<>();
        try {
            for (int port : ports) {
                java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open();
                channels.add(channel);
                channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                channel.connect(new InetSocketAddress("127.0.0.1", port));
                exchange(channel, request, answer);
            }
            double[] perRequestNanos = new double[3];
            for (int round = 0; round < perRequestNanos.length; round++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                for (java.nio.channels.SocketChannel channel : channels) {
                    exchange(channel, request, answer);
                }
                perRequestNanos[round] = (double) (threads.getCurrentThreadCpuTime() - cpu0) / channels.size();
            }
            return perRequestNanos;
        } finally {
            for (java.nio.channels.SocketChannel channel : channels) {
                channel.close();
            }
        }
    }

    private static void exchange(java.nio.channels.SocketChannel channel, byte[] request, java.nio.ByteBuffer answer)
            throws IOException {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(request);
        while (out.hasRemaining()) {
            channel.write(out);
        }
        answer.clear();
        while (answer.position() < 4 || answer.get(answer.position() - 1) != '\n'
                || answer.get(answer.position() - 3) != '\n') {
            if (channel.read(answer) < 0 || !answer.hasRemaining()) {
                throw new IOException("probe-cost floor: no complete HTTP answer head from " + channel.getRemoteAddress());
            }
        }
    }

    /** The median of both sets of rounds, scaled to the nominal probe rate, in percent of one core. */
    private static double floorShare(String what, String unit, double[] before, double[] after, int targets,
                                     long intervalMillis) {
        double[] all = new double[before.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(after, 0, all, before.length, after.length);
        Arrays.sort(all);
        double median = (all[all.length / 2 - 1] + all[all.length / 2]) / 2;
        double share = 100.0 * median * targets * (1000.0 / intervalMillis) / 1e9;
        System.out.printf("# probe-cost %s: %.1f us CPU per %s (min %.1f, max %.1f over %d rounds) -> %.2f %% of one"
                        + " core at %d/s%n", what, median / 1e3, unit, all[0] / 1e3, all[all.length - 1] / 1e3,
                all.length, share, targets * 1000 / intervalMillis);
        return share;
    }

    /** The median of the numbers of a sorted array, NaN (windows not counted, sorted last) left out. */
    private static double median(double[] sorted) {
        int valid = 0;
        while (valid < sorted.length && !Double.isNaN(sorted[valid])) {
            valid++;
        }
        return valid == 0 ? Double.NaN : (sorted[(valid - 1) / 2] + sorted[valid / 2]) / 2;
    }

    /** The largest number of a sorted array, NaN left out. */
    private static double max(double[] sorted) {
        for (int i = sorted.length - 1; i >= 0; i--) {
            if (!Double.isNaN(sorted[i])) {
                return sorted[i];
            }
        }
        return Double.NaN;
    }

    private static long total(ProbeTable table, boolean failuresOnly) {
        long sum = 0;
        for (TargetStatus status : table.statuses()) {
            sum += failuresOnly ? status.probeFailures() : status.probes();
        }
        return sum;
    }

    private static String formatInterval(long intervalMillis) {
        return intervalMillis % 1000 == 0 ? (intervalMillis / 1000) + "s" : intervalMillis + "ms";
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }
}
