package dev.vantage.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A load scenario read from YAML: the request mix, simulated users and where they are. Immutable.
 *
 * <pre>
 * requests:                      # weighted mix, at least one
 *   - {method: GET, path: /static/app.js, weight: 8}
 *   - {method: POST, path: /api/save, weight: 2, bodyBytes: 4096, headers: {Content-Type: application/octet-stream}}
 * users: {count: 200, keyHeader: X-User-Id}     # or keyCookie: vantage_user
 * thinkTimeMillis: 500           # open loop: users = rate x think time when count is absent; closed loop: pause
 * locations:                     # fixed user locations (weights), sent as X-Device-Location: lat,lon
 *   - {lat: 50.11, lon: 8.68, weight: 3}
 * trace:                         # or: users move along a location trace (CSV user,ts_ms,lat,lon)
 *   {file: ../shared/data/geolife/places-dev.csv, speedup: 600, header: X-Device-Location}
 * </pre>
 *
 * @param requests        the request mix
 * @param users           simulated users, may be {@code null} (no user key)
 * @param thinkTimeMillis time between two requests of one user, may be {@code null}
 * @param locations       fixed locations, may be empty
 * @param trace           a location trace, may be {@code null}
 */
public record Scenario(List<RequestSpec> requests, Users users, Double thinkTimeMillis, List<Location> locations,
                       Trace trace) {

    public static final String DEFAULT_LOCATION_HEADER = "X-Device-Location";

    /** One kind of request in the mix; {@code weight} defaults to 1, {@code bodyBytes} to 0. */
    public record RequestSpec(String method, String path, Double weight, Integer bodyBytes, Map<String, String> headers) {
        public RequestSpec {
            method = method == null ? "GET" : method;
            weight = weight == null ? 1.0 : weight;
            bodyBytes = bodyBytes == null ? 0 : bodyBytes;
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }
    }

    /** Simulated users: each request carries its user's key in a header or a cookie. */
    public record Users(Integer count, String keyHeader, String keyCookie) {
    }

    /** A fixed place users are at; {@code weight} defaults to 1. */
    public record Location(double lat, double lon, Double weight) {
        public Location {
            weight = weight == null ? 1.0 : weight;
        }
    }

    /**
     * Users follow the tracks of a trace file ({@code user,ts_ms,lat,lon}, relative paths are resolved against the
     * scenario file), {@code speedup} trace seconds per wall-clock second (default 60).
     */
    public record Trace(String file, Double speedup, String header) {
        public Trace {
            speedup = speedup == null ? 60.0 : speedup;
            header = header == null ? DEFAULT_LOCATION_HEADER : header;
        }
    }

    public Scenario {
        requests = requests == null ? List.of() : List.copyOf(requests);
        locations = locations == null ? List.of() : List.copyOf(locations);
    }

    /** Reads and validates a scenario; every problem is reported at once in the exception message. */
    public static Scenario load(Path file) throws IOException {
        YAMLMapper mapper = YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        Scenario scenario;
        try {
            scenario = mapper.readValue(Files.readString(file), Scenario.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr()), e);
        }
        if (scenario == null) {
            throw new IllegalArgumentException(file + ": empty (expected: a scenario with at least one request)");
        }
        if (scenario.trace() != null && scenario.trace().file() != null) {
            Path traceFile = file.toAbsolutePath().getParent().resolve(scenario.trace().file()).normalize();
            scenario = new Scenario(scenario.requests(), scenario.users(), scenario.thinkTimeMillis(),
                    scenario.locations(), new Trace(traceFile.toString(), scenario.trace().speedup(),
                    scenario.trace().header()));
        }
        List<String> problems = scenario.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
        }
        return scenario;
    }

    /** Every problem of this scenario, empty when it is valid. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (requests.isEmpty()) {
            problems.add("requests: empty (expected: at least one request)");
        }
        for (int i = 0; i < requests.size(); i++) {
            RequestSpec r = requests.get(i);
            String at = "requests[" + i + "].";
            if (!r.method().matches("[A-Z]+") || r.method().equals("HEAD") || r.method().equals("CONNECT")) {
                problems.add(at + "method: " + r.method() + " (expected: an upper-case method other than HEAD, CONNECT)");
            }
            if (r.path() == null || !r.path().startsWith("/") || r.path().matches(".*\\s.*")) {
                problems.add(at + "path: " + r.path() + " (expected: starts with / and has no spaces)");
            }
            if (!(r.weight() > 0)) {
                problems.add(at + "weight: " + r.weight() + " (expected: > 0)");
            }
            if (r.bodyBytes() < 0 || r.bodyBytes() > 64 << 20) {
                problems.add(at + "bodyBytes: " + r.bodyBytes() + " (expected: 0..67108864)");
            }
            for (Map.Entry<String, String> h : r.headers().entrySet()) {
                if (!h.getKey().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") || h.getValue() == null
                        || h.getValue().matches(".*[\\r\\n].*")) {
                    problems.add(at + "headers." + h.getKey() + ": " + h.getValue()
                            + " (expected: a token name and a one-line value)");
                }
            }
        }
        if (users != null) {
            if (users.count() != null && users.count() < 1) {
                problems.add("users.count: " + users.count() + " (expected: >= 1)");
            }
            if (users.keyHeader() != null && users.keyCookie() != null) {
                problems.add("users: both keyHeader and keyCookie (expected: one of them)");
            }
        }
        if (thinkTimeMillis != null && !(thinkTimeMillis >= 0)) {
            problems.add("thinkTimeMillis: " + thinkTimeMillis + " (expected: >= 0)");
        }
        for (int i = 0; i < locations.size(); i++) {
            Location l = locations.get(i);
            if (Math.abs(l.lat()) > 90 || Math.abs(l.lon()) > 180) {
                problems.add("locations[" + i + "]: " + l.lat() + "," + l.lon()
                        + " (expected: lat in -90..90, lon in -180..180)");
            }
            if (!(l.weight() > 0)) {
                problems.add("locations[" + i + "].weight: " + l.weight() + " (expected: > 0)");
            }
        }
        if (trace != null) {
            if (!locations.isEmpty()) {
                problems.add("trace: given together with locations (expected: one of them)");
            }
            if (trace.file() == null) {
                problems.add("trace.file: missing (expected: a CSV file user,ts_ms,lat,lon)");
            } else if (!Files.isReadable(Path.of(trace.file()))) {
                problems.add("trace.file: " + trace.file() + " (expected: a readable file)");
            }
            if (!(trace.speedup() > 0)) {
                problems.add("trace.speedup: " + trace.speedup() + " (expected: > 0)");
            }
        }
        return problems;
    }

    /** The number of simulated users for a run at {@code requestsPerSecond} (0 = closed loop). */
    public int userCount(double requestsPerSecond) {
        if (users != null && users.count() != null) {
            return users.count();
        }
        if (thinkTimeMillis != null && thinkTimeMillis > 0 && requestsPerSecond > 0) {
            return (int) Math.max(1, Math.ceil(requestsPerSecond * thinkTimeMillis / 1000.0));
        }
        return users == null && trace == null ? 1 : 100;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "scenario(%d request kinds, users=%s, think=%s ms, %d locations, trace=%s)",
                requests.size(), users, thinkTimeMillis, locations.size(), trace == null ? "none" : trace.file());
    }
}
