package dev.vantage.site;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.json.JsonMapper;

import dev.vantage.proxy.AdminServer;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncProgress;
import dev.vantage.replication.SyncResult;

/**
 * The admin API's on-demand replication trigger, {@code POST /replication/sync?resource=ID[&peer=SITE]
 * [&timeout_seconds=N]}: runs now one cycle of every stream the site sends for the resource (see
 * {@link VantageSite#syncNow}) and answers once they all ended, with one JSON entry per stream.
 *
 * <p>Status: 200 when every cycle succeeded, 502 when one failed, 504 when {@code timeout_seconds} (default 300)
 * passed first (the cycles keep running; the answer says which), 404 for an unknown resource or a peer the site does
 * not send it to, 409 when the site sends nothing for it, 400 for a missing or invalid parameter.
 *
 * <p>Threading: {@link #handle} runs on the admin thread and returns at once; the answer completes on the replication
 * thread that ends the last cycle, or on the timeout's thread.
 */
final class SyncNowEndpoint implements AdminServer.AsyncHandler {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final long DEFAULT_TIMEOUT_SECONDS = 300;
    static final long MAX_TIMEOUT_SECONDS = 86_400;
    private static final Set<String> PARAMETERS = Set.of("resource", "peer", "timeout_seconds");
    private static final String USAGE = "?resource=ID[&peer=SITE][&timeout_seconds=N]";

    /** Starts the cycles: {@link VantageSite#syncNow}. */
    @FunctionalInterface
    interface Trigger {
        List<VantageSite.TriggeredSync> syncNow(String resourceId, String peerId);
    }

    private final String siteId;
    private final Trigger trigger;
    private final ReplicationEngine engine;

    SyncNowEndpoint(String siteId, Trigger trigger, ReplicationEngine engine) {
        this.siteId = siteId;
        this.trigger = trigger;
        this.engine = engine;
    }

    @Override
    public CompletionStage<AdminServer.Response> handle(AdminServer.Request request) {
        Map<String, List<String>> query = request.query();
        for (Map.Entry<String, List<String>> p : query.entrySet()) {
            if (!PARAMETERS.contains(p.getKey())) {
                return answer(AdminServer.Response.error(400, "parameter: " + p.getKey()
                        + " (expected: one of resource, peer, timeout_seconds)"));
            }
            if (p.getValue().size() != 1) {
                return answer(AdminServer.Response.error(400, p.getKey() + ": given " + p.getValue().size()
                        + " times (expected: once)"));
            }
        }
        String resourceId = single(query, "resource");
        if (resourceId == null || resourceId.isBlank()) {
            return answer(AdminServer.Response.error(400, "resource: " + (resourceId == null ? "missing" : "empty")
                    + " (expected: " + USAGE + ")"));
        }
        String peerId = single(query, "peer");
        if (peerId != null && peerId.isBlank()) {
            return answer(AdminServer.Response.error(400, "peer: empty (expected: a site id)"));
        }
        long timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        String timeout = single(query, "timeout_seconds");
        if (timeout != null) {
            try {
                timeoutSeconds = Long.parseLong(timeout.trim());
            } catch (NumberFormatException e) {
                timeoutSeconds = -1;
            }
            if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
                return answer(AdminServer.Response.error(400, "timeout_seconds: " + timeout
                        + " (expected: an integer in 1.." + MAX_TIMEOUT_SECONDS + ")"));
            }
        }
        List<VantageSite.TriggeredSync> cycles;
        try {
            cycles = trigger.syncNow(resourceId, peerId);
        } catch (NoSuchElementException e) {
            return answer(AdminServer.Response.error(404, e.getMessage()));
        } catch (IllegalStateException e) {
            return answer(AdminServer.Response.error(409, e.getMessage()));
        }
        long startedNanos = System.nanoTime();
        long limitSeconds = timeoutSeconds;
        CompletableFuture<Void> waited = new CompletableFuture<>();
        CompletableFuture.allOf(cycles.stream().map(c -> c.cycle().handle((result, error) -> null))
                        .toArray(n -> new CompletableFuture<?>[n]))
                .whenComplete((ignored, error) -> waited.complete(null));
        waited.completeOnTimeout(null, timeoutSeconds, TimeUnit.SECONDS);
        return waited.thenApply(ignored -> render(resourceId, cycles, limitSeconds,
                (System.nanoTime() - startedNanos) / 1e9));
    }

    private static CompletionStage<AdminServer.Response> answer(AdminServer.Response response) {
        return CompletableFuture.completedFuture(response);
    }

    private static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The JSON answer for the cycles as they are now (some may still run after a timeout). */
    private AdminServer.Response render(String resourceId, List<VantageSite.TriggeredSync> cycles,
                                        long timeoutSeconds, double waitedSeconds) {
        int failed = 0;
        List<String> running = new ArrayList<>();
        StringBuilder streams = new StringBuilder();
        for (VantageSite.TriggeredSync c : cycles) {
            streams.append(streams.length() == 0 ? "" : ",").append("{\"peer\":").append(quote(c.peerId()))
                    .append(",\"mode\":").append(quote(c.mode().name().toLowerCase(Locale.ROOT)))
                    .append(",\"multiMaster\":").append(c.multiMaster());
            CompletableFuture<SyncResult> cycle = c.cycle();
            if (!cycle.isDone()) {
                running.add(c.peerId());
                streams.append(",\"outcome\":\"running\"");
                engine.syncProgress(resourceId, c.peerId()).ifPresent(p -> appendProgress(streams, p));
            } else if (cycle.isCompletedExceptionally()) {
                failed++;
                streams.append(",\"outcome\":\"failed\",\"error\":").append(quote(failure(cycle)));
            } else {
                appendResult(streams, cycle.join());
            }
            streams.append('}');
        }
        int status;
        String outcome;
        String error = null;
        if (!running.isEmpty()) {
            status = 504;
            outcome = "timeout";
            error = "timeout_seconds: " + timeoutSeconds + " passed with the cycle(s) to " + running
                    + " still running (they go on; see GET /replication)";
        } else if (failed > 0) {
            status = 502;
            outcome = "failed";
            error = failed + " of " + cycles.size() + " cycle(s) failed";
        } else {
            status = 200;
            outcome = "ok";
        }
        StringBuilder b = new StringBuilder(256).append("{\"site\":").append(quote(siteId))
                .append(",\"resource\":").append(quote(resourceId))
                .append(",\"outcome\":").append(quote(outcome));
        if (error != null) {
            b.append(",\"error\":").append(quote(error));
        }
        b.append(String.format(Locale.ROOT, ",\"waitedSeconds\":%.3f", waitedSeconds))
                .append(",\"streams\":[").append(streams).append("]}\n");
        return new AdminServer.Response(status, "application/json", b.toString());
    }

    private static void appendResult(StringBuilder b, SyncResult r) {
        b.append(String.format(Locale.ROOT, ",\"outcome\":\"ok\",\"blocksPlanned\":%d,\"blocksSent\":%d,"
                        + "\"blocksSkipped\":%d,\"references\":%d,\"patches\":%d,\"framesResent\":%d,"
                        + "\"wireBytes\":%d,\"rawBytes\":%d,\"attempts\":%d,\"seconds\":%.3f,\"durableSequence\":%d",
                r.blocksPlanned(), r.blocksSent(), r.blocksSkipped(), r.referencesSent(), r.patchesSent(),
                r.framesResent(), r.wireBytes(), r.rawBytesSent(), r.attempts(), r.durationNanos() / 1e9,
                r.lastSequence()));
    }

    private static void appendProgress(StringBuilder b, SyncProgress p) {
        b.append(String.format(Locale.ROOT, ",\"blocksPlanned\":%d,\"blocksDone\":%d,\"wireBytes\":%d,"
                + "\"attempt\":%d,\"seconds\":%.3f", p.blocksPlanned(), p.blocksDone(), p.wireBytes(), p.attempt(),
                p.elapsedNanos() / 1e9));
    }

    /** Why {@code cycle} failed, in the engine's words. */
    private static String failure(CompletableFuture<SyncResult> cycle) {
        try {
            cycle.join();
            return "failed";
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return String.valueOf(cause.getMessage());
        }
    }

    /** {@code s} as a JSON string (Jackson's escaping). */
    static String quote(String s) {
        return JSON.writeValueAsString(s);
    }
}
