package dev.vantage.probe;

import java.util.Objects;

import dev.vantage.config.HostPort;

/**
 * One thing to probe. Two targets with the same {@link #id()} are the same target; when any other field changes on a
 * reload, the target is restarted (fresh statistics and schedule).
 *
 * @param id              unique key, e.g. {@code upstream/eu-1/web/10.0.0.5:8080} or {@code site/us-1}
 * @param role            upstream or peer site
 * @param group           outlier ejection group (for upstreams {@code siteId/groupName}); ejection never takes more
 *                        than {@code maxEjectedRatio} of one group
 * @param address         where to connect
 * @param kind            how to probe
 * @param healthCheckPath for {@link ProbeKind#HTTP}: the path to GET, starting with {@code /}; ignored otherwise
 * @param expectedStatus  for {@link ProbeKind#HTTP}: the status that passes, or {@link #ANY_2XX_3XX}
 * @param intervalMillis  mean time between two probe starts, &gt;= 1
 * @param timeoutMillis   time allowed for one probe (connect and answer), 1..intervalMillis
 * @param reuseConnection for {@link ProbeKind#HTTP} and {@link ProbeKind#TCP_ECHO}: keep one connection open and
 *                        send one request per interval over it (reopened, and counted, when it closes or fails);
 *                        false opens a fresh connection per probe. Always false for {@link ProbeKind#TCP_CONNECT}
 */
public record ProbeTarget(String id, TargetRole role, String group, HostPort address, ProbeKind kind,
                          String healthCheckPath, int expectedStatus, long intervalMillis, long timeoutMillis,
                          boolean reuseConnection) {

    /** {@link #expectedStatus()} value meaning: any status in 200..399 passes. */
    public static final int ANY_2XX_3XX = 0;

    public ProbeTarget {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        // A connect probe measures the handshake: there is nothing to reuse, and the flag never restarts it.
        reuseConnection = reuseConnection && kind != ProbeKind.TCP_CONNECT;
        if (id.isEmpty()) {
            throw new IllegalArgumentException("id: \"\" (expected: a non-empty key)");
        }
        if (address.port() < 1 || address.port() > 65535) {
            throw new IllegalArgumentException(id + " address.port: " + address.port() + " (expected: 1..65535)");
        }
        if (kind == ProbeKind.HTTP) {
            if (healthCheckPath == null || !healthCheckPath.startsWith("/")) {
                throw new IllegalArgumentException(id + " healthCheckPath: " + healthCheckPath
                        + " (expected: a path starting with / for an HTTP probe)");
            }
            for (int i = 0; i < healthCheckPath.length(); i++) {
                char c = healthCheckPath.charAt(i);
                if (c <= ' ' || c >= 0x7f) {
                    throw new IllegalArgumentException(id + " healthCheckPath: " + healthCheckPath
                            + " (expected: visible ASCII without spaces)");
                }
            }
        }
        if (expectedStatus != ANY_2XX_3XX && (expectedStatus < 100 || expectedStatus > 599)) {
            throw new IllegalArgumentException(id + " expectedStatus: " + expectedStatus
                    + " (expected: 100..599, or 0 for any 2xx/3xx)");
        }
        if (intervalMillis < 1) {
            throw new IllegalArgumentException(id + " intervalMillis: " + intervalMillis + " (expected: >= 1)");
        }
        if (timeoutMillis < 1 || timeoutMillis > intervalMillis) {
            throw new IllegalArgumentException(id + " timeoutMillis: " + timeoutMillis + " (expected: 1.."
                    + intervalMillis + ")");
        }
    }

    /** A target whose conversations ({@link ProbeKind#HTTP}, {@link ProbeKind#TCP_ECHO}) reuse one connection. */
    public ProbeTarget(String id, TargetRole role, String group, HostPort address, ProbeKind kind,
                       String healthCheckPath, int expectedStatus, long intervalMillis, long timeoutMillis) {
        this(id, role, group, address, kind, healthCheckPath, expectedStatus, intervalMillis, timeoutMillis, true);
    }

    /** A TCP connect probe of an upstream. */
    public static ProbeTarget tcp(String id, String group, HostPort address, long intervalMillis, long timeoutMillis) {
        return new ProbeTarget(id, TargetRole.UPSTREAM, group, address, ProbeKind.TCP_CONNECT, null, ANY_2XX_3XX,
                intervalMillis, timeoutMillis, false);
    }

    /** An HTTP health check of an upstream over a kept-alive connection (see {@link #withFreshConnections()}). */
    public static ProbeTarget http(String id, String group, HostPort address, String path, int expectedStatus,
                                   long intervalMillis, long timeoutMillis) {
        return new ProbeTarget(id, TargetRole.UPSTREAM, group, address, ProbeKind.HTTP, path, expectedStatus,
                intervalMillis, timeoutMillis, true);
    }

    /** This target with {@link #reuseConnection()} set to {@code reuse}. */
    public ProbeTarget withReuseConnection(boolean reuse) {
        return new ProbeTarget(id, role, group, address, kind, healthCheckPath, expectedStatus, intervalMillis,
                timeoutMillis, reuse);
    }

    /** This target opening a fresh connection for every probe. */
    public ProbeTarget withFreshConnections() {
        return withReuseConnection(false);
    }

    /** Whether an HTTP status passes this target's check. */
    public boolean statusPasses(int status) {
        return expectedStatus == ANY_2XX_3XX ? status >= 200 && status < 400 : status == expectedStatus;
    }
}
