package dev.vantage.proxy;

import java.net.InetSocketAddress;

/**
 * A read-only view of the request being routed, handed to {@link UpstreamSelector}.
 *
 * <p>Validity: the character sequences returned here are flyweights over the proxy's own buffer. They are valid
 * only during the selector call that received this view; copy ({@code toString()}) what must be kept. Reading
 * them allocates nothing. All calls happen on the request's event loop.
 */
public interface ProxyRequest {

    /** The method, e.g. {@code GET}. */
    CharSequence method();

    /** The request target as received (origin-form {@code /path?query}, or the path of an absolute-form URI). */
    CharSequence target();

    /** The path part of the target (without query). */
    CharSequence path();

    /** The Host header value (may carry a port); never missing for a request that reaches a selector. */
    CharSequence host();

    /**
     * The first value of a request header, or {@code null}. The returned view is reused by the next
     * {@code header} call; copy it first when two values are needed at once.
     *
     * @param name header name, compared ASCII case-insensitively
     */
    CharSequence header(CharSequence name);

    /** The client's socket address (the TCP peer). */
    InetSocketAddress clientAddress();

    /** GET, HEAD, OPTIONS, TRACE, PUT or DELETE (RFC 9110 9.2.2). */
    boolean idempotent();

    /** Whether the request carries a body (Content-Length &gt; 0 or chunked). */
    boolean hasBody();

    /** {@link System#nanoTime()} when the request head was complete. */
    long startNanos();

    /**
     * 0 for the first attempt at this request, 1 for the first retry, and so on (the same as
     * {@link Selection#attempt()}); lets {@link UpstreamSelector#onAttemptEnd} apply a retry limit.
     */
    default int attempt() {
        return 0;
    }
}
