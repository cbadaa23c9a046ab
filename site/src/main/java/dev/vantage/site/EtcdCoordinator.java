package dev.vantage.site;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A {@link Coordinator} that keeps its facts in etcd v3 through etcd's JSON gateway ({@code /v3/kv/*},
 * {@code /v3/watch}), so it needs no gRPC stack. The epoch of a primary is the etcd mod revision of its key:
 * it grows with every promotion and a compare-and-set on it fences concurrent controllers.
 *
 * <p>Keys: {@code <prefix>/primary/<resource>} = site id; {@code <prefix>/mirrors/<resource>/<site>};
 * {@code <prefix>/reservations/<resource>/<site>} = {@code kind,expiresAtMillis}. Thread-safe; one watch
 * thread per {@link #watch} call.
 */
public final class EtcdCoordinator implements Coordinator {

    private static final ObjectMapper JSON = JsonMapper.builder()
            // The watch stream is a sequence of JSON objects; each is read on its own.
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final URI endpoint;
    private final String prefix;
    private final InstantSource clock;
    private final HttpClient http;
    private final List<Thread> watchThreads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public EtcdCoordinator(URI endpoint, String prefix, InstantSource clock) {
        this.endpoint = endpoint;
        this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    }

    public EtcdCoordinator(URI endpoint) {
        this(endpoint, "/vantage", InstantSource.system());
    }

    @Override
    public Optional<PrimaryLease> primary(String resourceId) {
        JsonNode kvs = range(primaryKey(resourceId), null).path("kvs");
        if (kvs.isEmpty()) {
            return Optional.empty();
        }
        JsonNode kv = kvs.get(0);
        return Optional.of(new PrimaryLease(resourceId, decode(kv.path("value").asString()), kv.path("mod_revision").asLong()));
    }

    @Override
    public PrimaryLease registerPrimary(String resourceId, String siteId) {
        String key = primaryKey(resourceId);
        ObjectNode txn = JSON.createObjectNode();
        ObjectNode cmp = txn.putArray("compare").addObject();
        cmp.put("key", encode(key)).put("target", "CREATE").put("result", "EQUAL").put("create_revision", "0");
        txn.putArray("success").addObject().putObject("request_put").put("key", encode(key)).put("value", encode(siteId));
        JsonNode answer = post("/v3/kv/txn", txn);
        if (answer.path("succeeded").asBoolean(false)) {
            addMirrorSite(resourceId, siteId);
            return new PrimaryLease(resourceId, siteId, answer.path("header").path("revision").asLong());
        }
        return primary(resourceId).orElseThrow(() -> new IllegalStateException("etcd lost key " + key));
    }

    @Override
    public PrimaryLease promote(String resourceId, String newSiteId, long expectedEpoch) throws StaleEpochException {
        String key = primaryKey(resourceId);
        ObjectNode txn = JSON.createObjectNode();
        ObjectNode cmp = txn.putArray("compare").addObject();
        cmp.put("key", encode(key)).put("target", "MOD").put("result", "EQUAL").put("mod_revision", Long.toString(expectedEpoch));
        txn.putArray("success").addObject().putObject("request_put").put("key", encode(key)).put("value", encode(newSiteId));
        JsonNode answer = post("/v3/kv/txn", txn);
        if (!answer.path("succeeded").asBoolean(false)) {
            long actual = primary(resourceId).map(PrimaryLease::epoch).orElse(0L);
            throw new StaleEpochException(resourceId, expectedEpoch, actual);
        }
        addMirrorSite(resourceId, newSiteId);
        return new PrimaryLease(resourceId, newSiteId, answer.path("header").path("revision").asLong());
    }

    @Override
    public List<String> mirrorSites(String resourceId) {
        String dir = mirrorsDir(resourceId);
        JsonNode kvs = range(dir, prefixEnd(dir)).path("kvs");
        List<KeyRev> found = new ArrayList<>();
        for (JsonNode kv : kvs) {
            String key = decode(kv.path("key").asString());
            found.add(new KeyRev(key.substring(dir.length()), kv.path("create_revision").asLong()));
        }
        found.sort((a, b) -> Long.compare(a.revision(), b.revision()));
        List<String> sites = new ArrayList<>(found.size());
        for (KeyRev k : found) {
            sites.add(k.key());
        }
        return List.copyOf(sites);
    }

    @Override
    public boolean addMirrorSite(String resourceId, String siteId) {
        String key = mirrorsDir(resourceId) + siteId;
        ObjectNode txn = JSON.createObjectNode();
        txn.putArray("compare").addObject().put("key", encode(key)).put("target", "CREATE").put("result", "EQUAL")
                .put("create_revision", "0");
        txn.putArray("success").addObject().putObject("request_put").put("key", encode(key)).put("value", encode("1"));
        return post("/v3/kv/txn", txn).path("succeeded").asBoolean(false);
    }

    @Override
    public boolean removeMirrorSite(String resourceId, String siteId) {
        Optional<PrimaryLease> lease = primary(resourceId);
        if (lease.isPresent() && lease.get().siteId().equals(siteId)) {
            throw new IllegalArgumentException("resource " + resourceId + ": cannot remove the primary site "
                    + siteId + " (expected: promote another site first)");
        }
        ObjectNode body = JSON.createObjectNode().put("key", encode(mirrorsDir(resourceId) + siteId));
        return post("/v3/kv/deleterange", body).path("deleted").asLong(0) > 0;
    }

    @Override
    public void reserve(String resourceId, String siteId, Reservation.Kind kind, Duration ttl) {
        long ttlSeconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        JsonNode grant = post("/v3/lease/grant", JSON.createObjectNode().put("TTL", Long.toString(ttlSeconds)));
        String leaseId = grant.path("ID").asString();
        long expires = clock.millis() + ttl.toMillis();
        ObjectNode put = JSON.createObjectNode()
                .put("key", encode(reservationsDir(resourceId) + siteId))
                .put("value", encode(kind.name() + "," + expires))
                .put("lease", leaseId);
        post("/v3/kv/put", put);
    }

    @Override
    public List<Reservation> reservations(String resourceId) {
        String dir = reservationsDir(resourceId);
        long now = clock.millis();
        List<Reservation> live = new ArrayList<>();
        for (JsonNode kv : range(dir, prefixEnd(dir)).path("kvs")) {
            String site = decode(kv.path("key").asString()).substring(dir.length());
            String[] value = decode(kv.path("value").asString()).split(",", 2);
            long expires = Long.parseLong(value[1]);
            if (expires > now) {
                live.add(new Reservation(resourceId, site, Reservation.Kind.valueOf(value[0]), expires));
            }
        }
        live.sort((a, b) -> a.siteId().compareTo(b.siteId()));
        return live;
    }

    @Override
    public AutoCloseable watch(Consumer<Change> watcher) {
        String dir = prefix + "/";
        ObjectNode create = JSON.createObjectNode();
        create.putObject("create_request").put("key", encode(dir)).put("range_end", encode(prefixEnd(dir)));
        HttpRequest request = HttpRequest.newBuilder(endpoint.resolve("/v3/watch"))
                .POST(HttpRequest.BodyPublishers.ofString(create.toString())).build();
        Thread thread = new Thread(() -> runWatch(request, watcher), "etcd-watch");
        thread.setDaemon(true);
        watchThreads.add(thread);
        thread.start();
        return () -> {
            watchThreads.remove(thread);
            thread.interrupt();
        };
    }

    private void runWatch(HttpRequest request, Consumer<Change> watcher) {
        while (!closed && !Thread.currentThread().isInterrupted()) {
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (var parser = JSON.createParser(response.body())) {
                    // The gateway streams one JSON object per event, back to back.
                    while (!closed && parser.nextToken() != null) {
                        JsonNode event = JSON.readTree(parser);
                        for (JsonNode e : event.path("result").path("events")) {
                            String key = decode(e.path("kv").path("key").asString());
                            String resource = resourceOf(key);
                            if (resource != null) {
                                watcher.accept(new Change(resource, primary(resource), mirrorSites(resource)));
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                try {
                    Thread.sleep(500); // etcd restarting: retry the watch after a short pause
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String resourceOf(String key) {
        for (String kind : new String[] {"/primary/", "/mirrors/"}) {
            String p = prefix + kind;
            if (key.startsWith(p)) {
                String rest = key.substring(p.length());
                int slash = rest.indexOf('/');
                return slash < 0 ? rest : rest.substring(0, slash);
            }
        }
        return null;
    }

    @Override
    public String describe() {
        return "etcd " + endpoint;
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : watchThreads) {
            t.interrupt();
        }
        watchThreads.clear();
    }

    private record KeyRev(String key, long revision) {}

    private JsonNode range(String key, String rangeEnd) {
        ObjectNode body = JSON.createObjectNode().put("key", encode(key));
        if (rangeEnd != null) {
            body.put("range_end", encode(rangeEnd));
        }
        return post("/v3/kv/range", body);
    }

    private JsonNode post(String path, JsonNode body) {
        HttpRequest request = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("etcd " + path + ": HTTP " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("etcd " + endpoint + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling etcd " + path, e);
        }
    }

    private String primaryKey(String resourceId) {
        return prefix + "/primary/" + resourceId;
    }

    private String mirrorsDir(String resourceId) {
        return prefix + "/mirrors/" + resourceId + "/";
    }

    private String reservationsDir(String resourceId) {
        return prefix + "/reservations/" + resourceId + "/";
    }

    /** The smallest key greater than every key that starts with {@code p}: etcd's range_end for a prefix. */
    private static String prefixEnd(String p) {
        char last = p.charAt(p.length() - 1);
        return p.substring(0, p.length() - 1) + (char) (last + 1);
    }

    private static String encode(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }
}
