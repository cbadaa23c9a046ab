package dev.vantage.proxy.internal;

import io.netty.buffer.ByteBuf;

/**
 * The parsed request head of the exchange in progress on one client connection, and the head to send upstream
 * (without its final CRLF, so each attempt can add headers). Offsets point into {@link #upstreamHead}.
 *
 * <p>Owned by one {@code FrontendConnection}; reused for every request on that connection; event loop only.
 */
final class RequestHead {

    /** Rewritten head: request line in origin-form, end-to-end headers, forwarding headers; no final CRLF. */
    ByteBuf upstreamHead;
    int methodEnd;
    int targetStart;
    int targetEnd;
    int pathEnd;
    int hostStart;
    int hostEnd;
    int headersStart;

    boolean http10;
    boolean head;
    boolean idempotent;
    boolean connect;
    long contentLength;
    boolean chunked;
    boolean keepAlive;
    boolean upgrade;
    boolean expectContinue;

    void reset() {
        release();
        methodEnd = targetStart = targetEnd = pathEnd = hostStart = hostEnd = headersStart = 0;
        http10 = head = idempotent = connect = chunked = keepAlive = upgrade = expectContinue = false;
        contentLength = -1;
    }

    void release() {
        if (upstreamHead != null) {
            upstreamHead.release();
            upstreamHead = null;
        }
    }

    boolean hasBody() {
        return chunked || contentLength > 0;
    }

    byte[] array() {
        return upstreamHead.array();
    }

    int arrayOffset() {
        return upstreamHead.arrayOffset();
    }
}
