package dev.vantage.config;

/**
 * Limits the HTTP/1.1 front end enforces on every listener.
 *
 * @param maxRequestLineBytes        256..1048576, default 8192 (414 above)
 * @param maxHeaderBytes             1024..1048576, default 16384 (431 above)
 * @param maxHeaderCount             1..10000, default 100 (431 above)
 * @param requestHeaderTimeoutMillis 1..600000, default 10000 (408 when the header block is not complete in time)
 * @param maxRequestBodyBytes        0..2^62, default 64 MiB (413 above)
 * @param idleTimeoutMillis          1..86400000, default 60000; idle keep-alive client connections are closed
 * @param drainTimeoutMillis         0..3600000, default 30000; how long a shutdown or removed listener waits for
 *                                   in-flight requests
 */
public record HttpLimits(int maxRequestLineBytes, int maxHeaderBytes, int maxHeaderCount,
                         long requestHeaderTimeoutMillis, long maxRequestBodyBytes, long idleTimeoutMillis,
                         long drainTimeoutMillis) {

    public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = 8_192;
    public static final int DEFAULT_MAX_HEADER_BYTES = 16_384;
    public static final int DEFAULT_MAX_HEADER_COUNT = 100;
    public static final long DEFAULT_REQUEST_HEADER_TIMEOUT_MILLIS = 10_000;
    public static final long DEFAULT_MAX_REQUEST_BODY_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;
    public static final long DEFAULT_DRAIN_TIMEOUT_MILLIS = 30_000;

    public static HttpLimits defaults() {
        return new HttpLimits(DEFAULT_MAX_REQUEST_LINE_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT,
                DEFAULT_REQUEST_HEADER_TIMEOUT_MILLIS, DEFAULT_MAX_REQUEST_BODY_BYTES, DEFAULT_IDLE_TIMEOUT_MILLIS,
                DEFAULT_DRAIN_TIMEOUT_MILLIS);
    }
}
