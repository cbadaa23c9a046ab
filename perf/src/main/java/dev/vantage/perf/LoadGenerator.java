package dev.vantage.perf;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import dev.vantage.perf.internal.FixedRequestSource;
import dev.vantage.perf.internal.LoadWorker;
import dev.vantage.perf.internal.LocationTrace;
import dev.vantage.perf.internal.RequestSource;
import dev.vantage.perf.internal.ScenarioRequestSource;
import dev.vantage.perf.internal.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Open-loop HTTP/1.1 load generator ({@code perf/loadgen}): sends requests at a fixed rate (or a rate schedule)
 * over keep-alive connections, records each latency from the request's intended send time in HdrHistogram, and
 * prints achieved against target rate, errors by kind and percentiles. {@code --rate 0} runs closed loop (each
 * connection sends its next request when the previous response is complete) for maximum throughput.
 *
 * <p>Threading: {@link #run} blocks its caller; the work happens on {@code threads} Netty event loops, each owning
 * its connections; the caller samples their {@link Recorder}s once per second for the interval log.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Open-loop (coordinated-omission corrected) HTTP/1.1 load generator.")
public final class LoadGenerator implements Callable<Integer> {

    @Option(names = "--url", required = true, description = "http://host:port/path")
    String url;

    @Option(names = "--rate", description = "Target requests/s; 0 = closed loop (maximum throughput).")
    double rate;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds (default 10).")
    double durationSeconds;

    @Option(names = "--schedule", description = "Rate schedule RATE:SECONDS[,RATE:SECONDS...]; replaces --rate and --duration.")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", description = "Seconds before the measured window, not recorded.")
    double warmupSeconds;

    @Option(names = "--connections", defaultValue = "16", description = "Keep-alive connections (default 16).")
    int connections;

    @Option(names = "--threads", description = "Event loops (default: half the cores, at least 1, at most 4).")
    Integer threads;

    @Option(names = "--timeout-ms", defaultValue = "10000", description = "Request timeout (default 10000).")
    long timeoutMillis;

    @Option(names = "--connect-timeout-ms", defaultValue = "2000", description = "Connect timeout (default 2000).")
    long connectTimeoutMillis;

    @Option(names = "--method", defaultValue = "GET")
    String method;

    @Option(names = "--body-bytes", defaultValue = "0", description = "Request body size in bytes.")
    int bodyBytes;

    @Option(names = "--header", description = "Extra request header 'Name: value' (repeatable).")
    List<String> headers = new ArrayList<>();

    @Option(names = "--transport", defaultValue = "auto", description = "auto, io_uring, epoll or nio.")
    String transport;

    @Option(names = "--scenario", description = "Scenario YAML (request mix, users, locations, trace).")
    Path scenario;

    @Option(names = "--hgrm", description = "Write the percentile distribution (.hgrm, values in ms) here.")
    Path hgrm;

    @Option(names = "--hlog", description = "Write one interval histogram per second (.hlog, values in us) here.")
    Path hlog;

    public static void main(String[] args) {
        // The shaded jar carries an SLF4J API without a binding; Netty's few log lines go to java.util.logging.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        CommandLine cli = new CommandLine(new LoadGenerator());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("loadgen: " + ex.getMessage());
            return ex instanceof IllegalArgumentException ? 1 : 2;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        LoadResult result = run(options(), System.err);
        System.out.println(result.loadgenLine());
        return 0;
    }

    LoadOptions options() throws IOException {
        URI uri = parseUrl(url);
        RateSchedule rates;
        if (schedule != null) {
            rates = RateSchedule.parse(schedule);
        } else if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("--rate: " + rate + " (expected: >= 0 requests/s, 0 = closed loop)");
        } else if (!(durationSeconds > 0)) {
            throw new IllegalArgumentException("--duration: " + durationSeconds + " (expected: > 0 s)");
        } else {
            rates = rate == 0 ? null : RateSchedule.constant(rate, durationSeconds);
        }
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup: " + warmupSeconds + " (expected: >= 0 s)");
        }
        if (connections < 1 || connections > 100_000) {
            throw new IllegalArgumentException("--connections: " + connections + " (expected: 1..100000)");
        }
        int threadCount = threads != null ? threads
                : Math.min(connections, Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)));
        if (threadCount < 1 || threadCount > connections) {
            throw new IllegalArgumentException("--threads: " + threadCount + " (expected: 1..connections)");
        }
        if (timeoutMillis < 1 || connectTimeoutMillis < 1) {
            throw new IllegalArgumentException("--timeout-ms/--connect-timeout-ms: " + timeoutMillis + "/"
                    + connectTimeoutMillis + " (expected: >= 1)");
        }
        if (bodyBytes < 0) {
            throw new IllegalArgumentException("--body-bytes: " + bodyBytes + " (expected: >= 0)");
        }
        for (String header : headers) {
            if (!header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\\r\\n]*")) {
                throw new IllegalArgumentException("--header: '" + header + "' (expected: 'Name: value')");
            }
        }
        Scenario loaded = scenario == null ? null : Scenario.load(scenario);
        return new LoadOptions(uri, rates, durationSeconds, warmupSeconds, connections, threadCount, timeoutMillis,
                connectTimeoutMillis, method, bodyBytes, headers, transport, loaded, hgrm, hlog);
    }

    static URI parseUrl(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url: " + text + " (expected: http://host:port/path)", e);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("--url: " + text + " (expected: http://host:port/path)");
        }
        return uri;
    }

    /** Runs the load described by {@code options}, writing progress and the summary to {@code log}. */
    public static LoadResult run(LoadOptions options, PrintStream log) throws IOException, InterruptedException {
        URI url = options.url();
        int port = url.getPort() == -1 ? 80 : url.getPort();
        String hostHeader = url.getHost() + (url.getPort() == -1 ? "" : ":" + port);
        String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        Transport transport = Transport.parse(options.transport());
        int threads = Math.max(1, Math.min(options.threads(), options.connections()));
        double firstRate = options.closedLoop() ? 0 : options.schedule().firstRate();
        int users = options.scenario() == null ? 0 : options.scenario().userCount(firstRate);
        LocationTrace trace = options.scenario() == null || options.scenario().trace() == null ? null
                : LocationTrace.load(Path.of(options.scenario().trace().file()));
        FixedRequestSource fixed = options.scenario() != null ? null
                : FixedRequestSource.of(options.method(), target, hostHeader, options.headerLines(), options.bodyBytes());

        log.printf(Locale.ROOT, "loadgen: %s %s, transport %s, %d threads, %d connections, %s%n", options.method(),
                url, transport.displayName(), threads, options.connections(), options.closedLoop()
                        ? String.format(Locale.ROOT, "closed loop for %.1f s", options.durationSeconds())
                        : String.format(Locale.ROOT, "open loop %s", describe(options.schedule())));
        if (options.scenario() != null) {
            log.println("loadgen: " + options.scenario() + ", " + users + " users");
        }

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory());
        List<LoadWorker> workers = new ArrayList<>();
        List<Recorder> recorders = new ArrayList<>();
        HistogramLogWriter logWriter = null;
        try {
            InetSocketAddress address = new InetSocketAddress(url.getHost(), port);
            for (int w = 0; w < threads; w++) {
                int connections = options.connections() / threads + (w < options.connections() % threads ? 1 : 0);
                RequestSource source = fixed != null ? fixed : new ScenarioRequestSource(options.scenario(),
                        hostHeader, users, trace, w, threads, 42L + w);
                Recorder recorder = new Recorder(1, LoadWorker.HIGHEST_TRACKABLE_MICROS, 3);
                recorders.add(recorder);
                workers.add(new LoadWorker(group.next(), transport, address, connections, source, recorder, w, threads,
                        (int) Math.min(Integer.MAX_VALUE, options.connectTimeoutMillis())));
            }
            List<CompletableFuture<Void>> connecting = new ArrayList<>();
            for (LoadWorker worker : workers) {
                connecting.add(worker.connect());
            }
            awaitAll(connecting, options.connectTimeoutMillis() + 5_000);
            List<CompletableFuture<Void>> priming = new ArrayList<>();
            for (LoadWorker worker : workers) {
                priming.add(worker.prime());
            }
            try {
                awaitAll(priming, Math.min(options.timeoutMillis(), 5_000));
            } catch (TimeoutException e) {
                log.println("loadgen: some connections did not answer their first (unrecorded) request in time;"
                        + " starting anyway");
            }

            long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            long startEpochMillis = System.currentTimeMillis() + 20;
            long warmupEndNanos = startNanos + (long) (options.warmupSeconds() * 1e9);
            long endNanos = warmupEndNanos + (long) (options.durationSeconds() * 1e9);
            long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(options.timeoutMillis());
            long thinkNanos = options.scenario() == null || options.scenario().thinkTimeMillis() == null ? 0
                    : (long) (options.scenario().thinkTimeMillis() * 1e6);
            LoadWorker.Plan plan = new LoadWorker.Plan(startNanos, warmupEndNanos, endNanos, timeoutNanos,
                    options.schedule(), thinkNanos);
            List<CompletableFuture<Void>> finishing = new ArrayList<>();
            for (LoadWorker worker : workers) {
                finishing.add(worker.start(plan));
            }

            if (options.hlogFile() != null) {
                logWriter = new HistogramLogWriter(new PrintStream(Files.newOutputStream(options.hlogFile()), false,
                        StandardCharsets.UTF_8));
                logWriter.outputComment("vantage loadgen " + url + " (latency in microseconds from intended send time)");
                logWriter.outputLogFormatVersion();
                logWriter.outputStartTime(startEpochMillis);
                logWriter.outputLegend();
            }
            Histogram total = new Histogram(1, LoadWorker.HIGHEST_TRACKABLE_MICROS, 3);
            Histogram interval = new Histogram(1, LoadWorker.HIGHEST_TRACKABLE_MICROS, 3);
            CompletableFuture<Void> all = CompletableFuture.allOf(finishing.toArray(new CompletableFuture<?>[0]));
            long hardDeadline = endNanos + timeoutNanos + TimeUnit.SECONDS.toNanos(10);
            long intervalStartNanos = startNanos;
            while (true) {
                long nextSample = intervalStartNanos + TimeUnit.SECONDS.toNanos(1);
                boolean done = waitUntil(all, nextSample);
                long now = System.nanoTime();
                if (!done && now > hardDeadline) {
                    log.println("loadgen: requests still open " + (now - endNanos) / 1_000_000
                            + " ms after the end; counting them as timeouts");
                    for (LoadWorker worker : workers) {
                        worker.abort();
                    }
                    awaitAll(finishing, 10_000);
                    done = true;
                }
                interval.reset();
                for (Recorder recorder : recorders) {
                    interval.add(recorder.getIntervalHistogram());
                }
                total.add(interval);
                if (logWriter != null && now > startNanos) {
                    logWriter.outputIntervalHistogram((intervalStartNanos - startNanos) / 1e9,
                            (now - startNanos) / 1e9, interval, 1000.0);
                }
                intervalStartNanos = now;
                if (done) {
                    break;
                }
            }

            long sent = 0;
            long requests = 0;
            long completionsInWindow = 0;
            Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
            for (ErrorKind kind : ErrorKind.values()) {
                errors.put(kind, 0L);
            }
            for (LoadWorker worker : workers) {
                LoadWorker.Counts counts = worker.counts();
                sent += counts.sent();
                requests += counts.requests();
                completionsInWindow += counts.completionsInWindow();
                for (ErrorKind kind : ErrorKind.values()) {
                    errors.merge(kind, counts.errors()[kind.ordinal()], Long::sum);
                }
            }
            double targetRps = options.closedLoop() ? 0 : options.schedule().averageRequestsPerSecond();
            LoadResult result = new LoadResult(targetRps, completionsInWindow / options.durationSeconds(), requests,
                    errors, total, options.durationSeconds(), sent, transport.displayName());
            if (options.hgrmFile() != null) {
                writeHgrm(total, options.hgrmFile());
            }
            log.printf(Locale.ROOT, "loadgen: target %.1f req/s, achieved %.1f req/s, %d requests, %d errors (%s)%n",
                    targetRps, result.achievedRequestsPerSecond(), requests, result.errors(), result.errorSummary());
            log.printf(Locale.ROOT, "loadgen: latency from intended send time: p50 %s, p90 %s, p99 %s, p99.9 %s,"
                            + " max %s%n", millis(result.percentileMicros(50)), millis(result.percentileMicros(90)),
                    millis(result.percentileMicros(99)), millis(result.percentileMicros(99.9)),
                    millis(result.latencyMicros().getTotalCount() == 0 ? 0 : total.getMaxValue()));
            return result;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("loadgen: workers did not respond: " + e.getMessage(), e);
        } finally {
            if (logWriter != null) {
                logWriter.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Writes HdrHistogram's percentile distribution format ({@code .hgrm}) with values in milliseconds. */
    public static void writeHgrm(Histogram latencyMicros, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
             PrintStream print = new PrintStream(out, false, StandardCharsets.UTF_8)) {
            latencyMicros.outputPercentileDistribution(print, 5, 1000.0);
        }
    }

    private static String describe(RateSchedule schedule) {
        StringBuilder out = new StringBuilder();
        for (RateSchedule.Phase phase : schedule.phases()) {
            out.append(out.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f req/s for %.1f s",
                    phase.requestsPerSecond(), phase.seconds()));
        }
        return out.toString();
    }

    private static String millis(long micros) {
        return String.format(Locale.ROOT, "%.3f ms", micros / 1000.0);
    }

    private static boolean waitUntil(CompletableFuture<Void> future, long deadlineNanos) throws InterruptedException {
        long waitNanos = deadlineNanos - System.nanoTime();
        if (waitNanos <= 0) {
            return future.isDone();
        }
        try {
            future.get(waitNanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("loadgen worker failed: " + e.getCause(), e.getCause());
        }
    }

    private static void awaitAll(List<CompletableFuture<Void>> futures, long timeoutMillis)
            throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
