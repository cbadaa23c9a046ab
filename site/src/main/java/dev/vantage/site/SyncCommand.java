package dev.vantage.site;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code vantage sync}: asks a running site's admin API ({@code POST /replication/sync}) to run now one replication
 * cycle of every stream it sends for a resource (or the one to {@code --peer}), waits for them and prints one line
 * per stream on stdout. Exits 0 when every cycle succeeded, 1 for invalid input or a request the site refused (unknown
 * resource or peer, a site that sends nothing for it, a missing token), 2 when a cycle failed, the timeout passed or
 * the site could not be reached.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Run a replication cycle of a resource now at a running site (on_demand schedules); exit 0"
                + " once every mirror holds it durably.")
final class SyncCommand implements Callable<Integer> {

    /** Added to the site's wait for the HTTP request's own timeout, so the site's 504 arrives first. */
    private static final long RESPONSE_MARGIN_SECONDS = 30;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Option(names = "--admin", required = true, paramLabel = "HOST:PORT",
            description = "The admin address of the site that sends the resource (its primary, or a writable copy).")
    String admin;

    @Option(names = "--resource", required = true, paramLabel = "ID", description = "The resource to replicate.")
    String resourceId;

    @Option(names = "--peer", paramLabel = "SITE", description = "Only the stream to this site (default: all).")
    String peerId;

    @Option(names = "--timeout", defaultValue = "300s", paramLabel = "DURATION",
            description = "How long to wait for the cycles: 90, 90s, 5m or 1h; they go on after it. Default:"
                    + " ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the admin bearer token (the site's admin.tokenFile; first line).")
    Path tokenFile;

    @Option(names = "--json", description = "Print the site's JSON answer instead of one line per stream.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        URI uri;
        long timeoutSeconds;
        String token;
        try {
            ReplicationCliSupport.address("--admin", admin, false);
            if (resourceId.isBlank()) {
                throw new IllegalArgumentException("--resource: empty (expected: a resource id)");
            }
            if (peerId != null && peerId.isBlank()) {
                throw new IllegalArgumentException("--peer: empty (expected: a site id)");
            }
            timeoutSeconds = seconds("--timeout", timeout);
            token = token();
            uri = URI.create("http://" + admin + "/replication/sync?resource=" + encode(resourceId)
                    + (peerId == null ? "" : "&peer=" + encode(peerId)) + "&timeout_seconds=" + timeoutSeconds);
        } catch (IllegalArgumentException e) {
            System.err.println("sync: " + e.getMessage());
            return VantageCli.EXIT_INVALID_INPUT;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(timeoutSeconds + RESPONSE_MARGIN_SECONDS))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            System.err.println("sync: admin API at " + admin + " cannot be reached (" + e + ")");
            return VantageCli.EXIT_USAGE;
        }
        return report(response.statusCode(), response.body());
    }

    /** Prints the answer and maps its status to the exit code. */
    private int report(int status, String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            root = null;
        }
        String error = root == null ? body.strip() : root.path("error").asString("");
        if (root == null || !root.path("streams").isArray()) {
            System.err.println("sync: HTTP " + status + ": " + (error.isEmpty() ? "(no reason given)" : error)
                    + (status == 403 && tokenFile == null ? " (give --token-file, the site's admin.tokenFile)" : ""));
            return status >= 400 && status < 500 ? VantageCli.EXIT_INVALID_INPUT : VantageCli.EXIT_USAGE;
        }
        if (json) {
            System.out.print(body.endsWith("\n") ? body : body + "\n");
        }
        int ok = 0;
        for (JsonNode stream : root.path("streams")) {
            if (!json) {
                System.out.println(line(root.path("resource").asString(resourceId), stream));
            }
            if ("ok".equals(stream.path("outcome").asString(""))) {
                ok++;
            }
        }
        System.err.printf(Locale.ROOT, "sync: %s at %s: %d of %d cycle(s) ok after %.2f s%s%n",
                root.path("resource").asString(resourceId), root.path("site").asString(admin), ok,
                root.path("streams").size(), root.path("waitedSeconds").asDouble(0),
                error.isEmpty() ? "" : "; " + error);
        return status == 200 ? VantageCli.EXIT_OK
                : status >= 400 && status < 500 ? VantageCli.EXIT_INVALID_INPUT : VantageCli.EXIT_USAGE;
    }

    /** One stream as {@code SYNC key=value ...}. */
    private static String line(String resource, JsonNode s) {
        StringBuilder b = new StringBuilder("SYNC resource=").append(resource)
                .append(" peer=").append(s.path("peer").asString(""))
                .append(" mode=").append(s.path("mode").asString(""))
                .append(" outcome=").append(s.path("outcome").asString(""));
        String[][] fields = {{"blocksPlanned", "blocks_planned"}, {"blocksSent", "blocks_sent"},
                {"blocksSkipped", "blocks_skipped"}, {"blocksDone", "blocks_done"}, {"references", "references"}, {"patches", "patches"},
                {"wireBytes", "wire_bytes"}, {"rawBytes", "raw_bytes"}, {"attempts", "attempts"},
                {"attempt", "attempt"}, {"seconds", "seconds"}, {"durableSequence", "durable_sequence"}};
        for (String[] f : fields) {
            JsonNode value = s.path(f[0]);
            if (value.isNumber()) {
                b.append(' ').append(f[1]).append('=').append(value.isIntegralNumber() ? Long.toString(value.asLong())
                        : String.format(Locale.ROOT, "%.3f", value.asDouble()));
            }
        }
        if (s.has("error")) {
            b.append(" error=").append(SyncNowEndpoint.quote(s.path("error").asString("")));
        }
        return b.toString();
    }

    /** Parses {@code 90}, {@code 90s}, {@code 5m} or {@code 1h} into whole seconds in 1..86400. */
    static long seconds(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = 3600;
            t = t.substring(0, t.length() - 1);
        }
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            value = -1;
        }
        if (value < 1 || value > SyncNowEndpoint.MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException(option + ": " + text + " (expected: 1s..24h, e.g. 90, 90s, 5m or 1h)");
        }
        return value;
    }

    private String token() {
        if (tokenFile == null) {
            return null;
        }
        try {
            String first = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
            if (first.isEmpty()) {
                throw new IllegalArgumentException("--token-file: " + tokenFile + " (expected: the token on its first line)");
            }
            return first;
        } catch (IOException e) {
            throw new IllegalArgumentException("--token-file: " + tokenFile + " (expected: a readable file; "
                    + e.getMessage() + ")", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
