package dev.vantage.perf.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import dev.vantage.perf.Scenario;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Requests drawn from a {@link Scenario}: a weighted request mix, one key per simulated user, and each user's
 * location (fixed or following a trace). Single-threaded: one instance per worker. Worker {@code w} of {@code n}
 * serves users {@code w, w+n, w+2n...} round robin, so each user's requests are spread evenly over time.
 */
public final class ScenarioRequestSource implements RequestSource {

    private final byte[][] heads;
    private final int[] bodyBytes;
    private final double[] cumulativeWeights;
    private final int userCount;
    private final int workerCount;
    private final String keyHeader;
    private final String keyCookie;
    private final double[][] fixedLocations;
    private final LocationTrace trace;
    private final double traceSpeedup;
    private final String locationHeader;
    private final SplittableRandom random;
    private int nextUser;

    public ScenarioRequestSource(Scenario scenario, String hostHeader, int userCount, LocationTrace trace,
                                 int workerIndex, int workerCount, long seed) {
        List<Scenario.RequestSpec> specs = scenario.requests();
        heads = new byte[specs.size()][];
        bodyBytes = new int[specs.size()];
        cumulativeWeights = new double[specs.size()];
        double total = 0;
        for (int i = 0; i < specs.size(); i++) {
            Scenario.RequestSpec spec = specs.get(i);
            StringBuilder head = new StringBuilder(128);
            head.append(spec.method()).append(' ').append(spec.path()).append(" HTTP/1.1\r\nHost: ")
                    .append(hostHeader).append("\r\n");
            for (Map.Entry<String, String> h : spec.headers().entrySet()) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (spec.bodyBytes() > 0 || !spec.method().equals("GET")) {
                head.append("Content-Length: ").append(spec.bodyBytes()).append("\r\n");
            }
            heads[i] = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            bodyBytes[i] = spec.bodyBytes();
            total += spec.weight();
            cumulativeWeights[i] = total;
        }
        this.userCount = userCount;
        this.workerCount = workerCount;
        this.keyHeader = scenario.users() == null ? null : scenario.users().keyHeader();
        this.keyCookie = scenario.users() == null ? null : scenario.users().keyCookie();
        this.fixedLocations = assignFixedLocations(scenario.locations(), userCount);
        this.trace = trace;
        this.traceSpeedup = scenario.trace() == null ? 1 : scenario.trace().speedup();
        this.locationHeader = scenario.trace() != null ? scenario.trace().header() : Scenario.DEFAULT_LOCATION_HEADER;
        this.random = new SplittableRandom(seed);
        this.nextUser = workerIndex % Math.max(1, userCount);
    }

    /** Users get fixed locations in proportion to the weights, deterministically (user i -> quantile i/n). */
    private static double[][] assignFixedLocations(List<Scenario.Location> locations, int userCount) {
        if (locations.isEmpty()) {
            return null;
        }
        double total = 0;
        for (Scenario.Location l : locations) {
            total += l.weight();
        }
        double[][] byUser = new double[userCount][];
        for (int u = 0; u < userCount; u++) {
            double point = (u + 0.5) / userCount * total;
            double cumulative = 0;
            for (Scenario.Location l : locations) {
                cumulative += l.weight();
                if (point < cumulative || l == locations.get(locations.size() - 1)) {
                    byUser[u] = new double[] {l.lat(), l.lon()};
                    break;
                }
            }
        }
        return byUser;
    }

    @Override
    public ByteBuf next(ByteBufAllocator alloc, long elapsedNanos) {
        int kind = pickKind();
        int user = nextUser;
        nextUser = (nextUser + workerCount) % userCount;
        StringBuilder dynamic = new StringBuilder(96);
        if (keyHeader != null) {
            dynamic.append(keyHeader).append(": user-").append(user).append("\r\n");
        } else if (keyCookie != null) {
            dynamic.append("Cookie: ").append(keyCookie).append("=user-").append(user).append("\r\n");
        }
        double[] location = null;
        if (trace != null) {
            location = trace.positionAt(user, (long) (elapsedNanos / 1_000_000.0 * traceSpeedup));
        } else if (fixedLocations != null) {
            location = fixedLocations[user];
        }
        if (location != null) {
            dynamic.append(locationHeader).append(": ")
                    .append(String.format(Locale.ROOT, "%.6f,%.6f", location[0], location[1])).append("\r\n");
        }
        dynamic.append("\r\n");
        byte[] head = heads[kind];
        int body = bodyBytes[kind];
        ByteBuf buf = alloc.ioBuffer(head.length + dynamic.length() + body);
        buf.writeBytes(head);
        buf.writeCharSequence(dynamic, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < body; i++) {
            buf.writeByte('x');
        }
        return buf;
    }

    private int pickKind() {
        if (cumulativeWeights.length == 1) {
            return 0;
        }
        double point = random.nextDouble() * cumulativeWeights[cumulativeWeights.length - 1];
        for (int i = 0; i < cumulativeWeights.length; i++) {
            if (point < cumulativeWeights[i]) {
                return i;
            }
        }
        return cumulativeWeights.length - 1;
    }
}
