package dev.vantage.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Parses one complete HTTP/1.1 request head strictly (RFC 9112 2-7, RFC 9110 5, 7.2, 10.1.1) and writes the head
 * to send upstream: origin-form request line, end-to-end headers only (RFC 9110 7.6.1), and forwarding headers
 * ({@code X-Forwarded-For}, {@code X-Forwarded-Proto}, {@code Forwarded}).
 *
 * <p>Rejections (status, one-line reason): 400 for malformed request lines and header fields (bare CR, NUL,
 * obs-fold, whitespace before the colon, invalid names), missing or duplicate Host, an invalid Host,
 * Content-Length with Transfer-Encoding, duplicate or malformed Content-Length, Transfer-Encoding whose final
 * coding is not chunked or in HTTP/1.0; 501 for CONNECT and for transfer codings other than chunked; 505 for
 * versions other than HTTP/1.x; 413 for a body over the limit. Tolerated as RFC 9112 2.2 and 3 allow (and as
 * HAProxy and nginx do): a bare LF as line end, runs of SP in the request line, controls other than CR and NUL in
 * field values; expectations other than 100-continue are forwarded.
 *
 * <p>One instance per event loop; its scratch arrays are reused for every parse, so it is single-threaded and a
 * parse must complete before the next one starts.
 */
final class RequestHeadParser {

    private static final byte[] HOST = Http1.ascii("host");
    private static final byte[] CONTENT_LENGTH = Http1.ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = Http1.ascii("transfer-encoding");
    private static final byte[] CONNECTION = Http1.ascii("connection");
    private static final byte[] KEEP_ALIVE = Http1.ascii("keep-alive");
    private static final byte[] PROXY_CONNECTION = Http1.ascii("proxy-connection");
    private static final byte[] TE = Http1.ascii("te");
    private static final byte[] TRAILER = Http1.ascii("trailer");
    private static final byte[] UPGRADE = Http1.ascii("upgrade");
    private static final byte[] EXPECT = Http1.ascii("expect");
    private static final byte[] X_FORWARDED_FOR = Http1.ascii("x-forwarded-for");
    private static final byte[] X_FORWARDED_PROTO = Http1.ascii("x-forwarded-proto");
    private static final byte[] CLOSE = Http1.ascii("close");
    private static final byte[] CHUNKED = Http1.ascii("chunked");
    private static final byte[] CONTINUE = Http1.ascii("100-continue");
    private static final byte[] HTTP_VERSION_11 = Http1.ascii(" HTTP/1.1\r\n");
    private static final byte[] XFF_PREFIX = Http1.ascii("\r\nX-Forwarded-For: ");
    private static final byte[] XFP_HTTP = Http1.ascii("\r\nX-Forwarded-Proto: http");
    private static final byte[] XFP_HTTPS = Http1.ascii("\r\nX-Forwarded-Proto: https");
    private static final byte[] FORWARDED_FOR = Http1.ascii("\r\nForwarded: for=");
    private static final byte[] PROTO_HTTP = Http1.ascii(";proto=http");
    private static final byte[] PROTO_HTTPS = Http1.ascii(";proto=https");
    private static final byte[] CONNECTION_UPGRADE = Http1.ascii("\r\nConnection: upgrade");
    private static final byte[] SCHEME_HTTP = Http1.ascii("http");
    private static final byte[] SCHEME_HTTPS = Http1.ascii("https");
    private static final byte[] HOST_PREFIX = Http1.ascii("Host: ");

    private static final int KIND_OTHER = 0;
    private static final int KIND_HOST = 1;
    private static final int KIND_CONTENT_LENGTH = 2;
    private static final int KIND_TRANSFER_ENCODING = 3;
    private static final int KIND_CONNECTION = 4;
    private static final int KIND_HOP = 5;
    private static final int KIND_UPGRADE = 6;
    private static final int KIND_EXPECT = 7;
    private static final int KIND_XFF = 8;
    private static final int KIND_XFP = 9;

    private int maxHeaderCount;
    private int[] nameStart;
    private int[] nameEnd;
    private int[] valueStart;
    private int[] valueEnd;
    private int[] kind;
    private boolean[] dropped;
    private boolean secure;
    private byte[] src = new byte[0];
    private final FieldLine field = new FieldLine();

    private int status;
    private String reason;

    RequestHeadParser(int maxHeaderCount) {
        limit(maxHeaderCount);
    }

    /** Applies a (reloaded) header count limit, growing the scratch arrays when needed. */
    void limit(int headerCount) {
        maxHeaderCount = headerCount;
        if (nameStart != null && nameStart.length >= headerCount) {
            return;
        }
        nameStart = new int[maxHeaderCount];
        nameEnd = new int[maxHeaderCount];
        valueStart = new int[maxHeaderCount];
        valueEnd = new int[maxHeaderCount];
        kind = new int[maxHeaderCount];
        dropped = new boolean[maxHeaderCount];
    }

    /** Status of the last failed parse (400, 413, 417, 431, 501, 505). */
    int status() {
        return status;
    }

    /** One-line reason of the last failed parse. */
    String reason() {
        return reason;
    }

    /**
     * Parses {@code length} head bytes from {@code in} at {@code index} (request line through the empty line) into
     * {@code out}, allocating {@code out.upstreamHead} from {@code alloc} on success.
     *
     * @return true when the request is acceptable; else {@link #status()} and {@link #reason()} say why not
     */
    /** Sets the scheme of the next parsed requests' client connection (TLS or not), for the forwarding headers. */
    void secure(boolean tls) {
        this.secure = tls;
    }

    boolean parse(ByteBuf in, int index, int length, RequestHead out, ByteBufAllocator alloc, byte[] clientIp,
                  boolean clientIpv6, long maxBodyBytes, int headerCountLimit) {
        if (headerCountLimit != maxHeaderCount) {
            limit(headerCountLimit);
        }
        if (src.length < length) {
            src = new byte[Math.max(length, 4096)];
        }
        in.getBytes(index, src, 0, length);
        out.reset();
        byte[] s = src;

        // ---- request line: method SP request-target SP HTTP-version CRLF
        // A bare LF ends a line too (RFC 9112 2.2 allows it; the head sent upstream always uses CRLF), and runs of
        // SP separate the request line's parts (RFC 9112 3); a CR anywhere else stays an error.
        int lf = indexOf(s, 0, length, Http1.LF);
        if (lf <= 0) {
            return fail(400, "request line: not terminated by CRLF");
        }
        int lineEnd = s[lf - 1] == Http1.CR ? lf - 1 : lf;
        int sp1 = indexOf(s, 0, lineEnd, Http1.SP);
        int sp2 = lastIndexOf(s, 0, lineEnd, Http1.SP);
        int targetStart = sp1 + 1;
        while (sp1 > 0 && targetStart < sp2 && s[targetStart] == Http1.SP) {
            targetStart++;
        }
        int targetEnd = sp2;
        while (targetEnd > targetStart && s[targetEnd - 1] == Http1.SP) {
            targetEnd--;
        }
        if (sp1 <= 0 || targetEnd <= targetStart) {
            return fail(400, "request line: expected method SP target SP version");
        }
        for (int i = 0; i < sp1; i++) {
            if (!Http1.isTchar(s[i])) {
                return fail(400, "method: invalid character");
            }
        }
        int versionLength = lineEnd - sp2 - 1;
        if (versionLength != 8 || s[sp2 + 1] != 'H' || s[sp2 + 2] != 'T' || s[sp2 + 3] != 'T' || s[sp2 + 4] != 'P'
                || s[sp2 + 5] != '/' || !Http1.isDigit(s[sp2 + 6]) || s[sp2 + 7] != '.' || !Http1.isDigit(s[sp2 + 8])) {
            return fail(400, "HTTP version: malformed (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (s[sp2 + 6] != '1') {
            return fail(505, "HTTP version: " + (char) s[sp2 + 6] + "." + (char) s[sp2 + 8]
                    + " (expected: HTTP/1.1 or HTTP/1.0)");
        }
        out.http10 = s[sp2 + 8] == '0';
        for (int i = targetStart; i < targetEnd; i++) {
            if (!Http1.isTargetChar(s[i])) {
                return fail(400, "request target: invalid character");
            }
        }
        boolean connect = sp1 == 7 && startsWith(s, 0, "CONNECT");
        if (connect) {
            return fail(501, "CONNECT is not supported by this proxy");
        }
        out.head = sp1 == 4 && startsWith(s, 0, "HEAD");
        out.idempotent = out.head || (sp1 == 3 && (startsWith(s, 0, "GET") || startsWith(s, 0, "PUT")))
                || (sp1 == 6 && startsWith(s, 0, "DELETE")) || (sp1 == 7 && startsWith(s, 0, "OPTIONS"))
                || (sp1 == 5 && startsWith(s, 0, "TRACE"));
        int authorityStart = -1;
        int authorityEnd = -1;
        int pathStart = targetStart;
        if (s[targetStart] == '/') {
            pathStart = targetStart;
        } else if (s[targetStart] == '*' && targetEnd == targetStart + 1) {
            if (!(sp1 == 7 && startsWith(s, 0, "OPTIONS"))) {
                return fail(400, "request target: * is only allowed with OPTIONS");
            }
        } else {
            int schemeEnd = schemeEnd(s, targetStart, targetEnd);
            if (schemeEnd < 0) {
                return fail(400, "request target: expected origin-form (/path) or absolute-form (http://host/path)");
            }
            authorityStart = schemeEnd + 3;
            authorityEnd = authorityStart;
            while (authorityEnd < targetEnd && s[authorityEnd] != '/' && s[authorityEnd] != '?') {
                authorityEnd++;
            }
            if (authorityEnd == authorityStart || !validHost(s, authorityStart, authorityEnd)) {
                return fail(400, "request target: invalid authority");
            }
            pathStart = authorityEnd;
        }

        // ---- header fields
        int count = 0;
        int hostIndex = -1;
        int hostCount = 0;
        int contentLengthIndex = -1;
        int transferEncodingIndex = -1;
        int connectionCount = 0;
        int upgradeIndex = -1;
        int expectIndex = -1;
        int lineStart = lf + 1;
        while (true) {
            if (lineStart >= length) {
                return fail(400, "header section: not terminated by an empty line");
            }
            lf = indexOf(s, lineStart, length, Http1.LF);
            if (lf < 0) {
                return fail(400, "header section: not terminated by an empty line");
            }
            int end = lf > lineStart && s[lf - 1] == Http1.CR ? lf - 1 : lf;
            if (end == lineStart) {
                break;
            }
            if (Http1.isOws(s[lineStart])) {
                return fail(400, "header field: obs-fold or leading whitespace");
            }
            if (count == maxHeaderCount) {
                return fail(431, "header fields: more than " + maxHeaderCount);
            }
            // CR and NUL are rejected (RFC 9110 5.5 "MUST either reject or replace"); other controls are retained,
            // as the RFC allows and as HAProxy and nginx do.
            if (!field.scan(s, lineStart, end, true)) {
                return fail(400, "header field: " + field.error());
            }
            int colon = field.colon;
            int vs = field.valueStart;
            int ve = field.valueEnd;
            nameStart[count] = lineStart;
            nameEnd[count] = colon;
            valueStart[count] = vs;
            valueEnd[count] = ve;
            dropped[count] = false;
            int nameLength = colon - lineStart;
            int k = classify(s, lineStart, nameLength);
            kind[count] = k;
            switch (k) {
                case KIND_HOST:
                    hostCount++;
                    hostIndex = count;
                    break;
                case KIND_CONTENT_LENGTH:
                    if (contentLengthIndex >= 0) {
                        return fail(400, "Content-Length: duplicate");
                    }
                    contentLengthIndex = count;
                    break;
                case KIND_TRANSFER_ENCODING:
                    if (transferEncodingIndex >= 0) {
                        return fail(400, "Transfer-Encoding: duplicate");
                    }
                    transferEncodingIndex = count;
                    break;
                case KIND_CONNECTION:
                    connectionCount++;
                    break;
                case KIND_UPGRADE:
                    upgradeIndex = count;
                    break;
                case KIND_EXPECT:
                    expectIndex = count;
                    break;
                default:
                    break;
            }
            count++;
            lineStart = lf + 1;
        }

        // ---- Host (RFC 9112 3.2)
        if (hostCount > 1) {
            return fail(400, "Host: duplicate");
        }
        if (hostCount == 0 && !out.http10) {
            return fail(400, "Host: missing");
        }
        if (hostIndex >= 0 && !validHost(s, valueStart[hostIndex], valueEnd[hostIndex])) {
            return fail(400, "Host: invalid value");
        }

        // ---- framing (RFC 9112 6)
        if (transferEncodingIndex >= 0) {
            if (contentLengthIndex >= 0) {
                return fail(400, "Content-Length and Transfer-Encoding: both present");
            }
            if (out.http10) {
                return fail(400, "Transfer-Encoding: not allowed in HTTP/1.0");
            }
            int verdict = transferCoding(s, valueStart[transferEncodingIndex], valueEnd[transferEncodingIndex]);
            if (verdict != 0) {
                return fail(verdict, verdict == 501 ? "Transfer-Encoding: only chunked is supported"
                        : "Transfer-Encoding: chunked is not the final coding");
            }
            out.chunked = true;
        } else if (contentLengthIndex >= 0) {
            long value = Http1.parseContentLength(s, valueStart[contentLengthIndex], valueEnd[contentLengthIndex]);
            if (value < 0) {
                return fail(400, "Content-Length: malformed");
            }
            if (value > maxBodyBytes) {
                return fail(413, "Content-Length: " + value + " (expected: <= " + maxBodyBytes + ")");
            }
            out.contentLength = value;
        }

        // ---- Connection options (RFC 9110 7.6.1) and Expect (RFC 9110 10.1.1)
        boolean close = false;
        boolean keepAliveToken = false;
        boolean upgradeToken = false;
        for (int h = 0; h < count; h++) {
            if (kind[h] != KIND_CONNECTION) {
                continue;
            }
            int i = valueStart[h];
            int end = valueEnd[h];
            while (i < end) {
                while (i < end && (Http1.isOws(s[i]) || s[i] == ',')) {
                    i++;
                }
                int tokenStart = i;
                while (i < end && s[i] != ',' && !Http1.isOws(s[i])) {
                    i++;
                }
                int tokenLength = i - tokenStart;
                if (tokenLength == 0) {
                    continue;
                }
                if (Http1.equalsLower(s, tokenStart, tokenLength, CLOSE)) {
                    close = true;
                } else if (Http1.equalsLower(s, tokenStart, tokenLength, KEEP_ALIVE)) {
                    keepAliveToken = true;
                } else if (Http1.equalsLower(s, tokenStart, tokenLength, UPGRADE)) {
                    upgradeToken = true;
                }
                for (int other = 0; other < count; other++) {
                    if (kind[other] != KIND_HOST && kind[other] != KIND_CONTENT_LENGTH
                            && kind[other] != KIND_TRANSFER_ENCODING
                            && nameEnd[other] - nameStart[other] == tokenLength
                            && regionEqualsIgnoreCase(s, nameStart[other], tokenStart, tokenLength)) {
                        dropped[other] = true;
                    }
                }
            }
        }
        out.keepAlive = out.http10 ? keepAliveToken && !close : !close;
        out.upgrade = upgradeToken && upgradeIndex >= 0 && !out.http10;
        if (out.upgrade) {
            // "Connection: upgrade" names Upgrade, which must still reach the upstream when tunnelling.
            for (int h = 0; h < count; h++) {
                if (kind[h] == KIND_UPGRADE) {
                    dropped[h] = false;
                }
            }
        }
        // Other expectations are forwarded for the origin to meet or refuse (RFC 9110 10.1.1 makes 417 a MAY).
        if (expectIndex >= 0 && !out.http10 && Http1.equalsLower(s, valueStart[expectIndex],
                valueEnd[expectIndex] - valueStart[expectIndex], CONTINUE)) {
            out.expectContinue = true;
        }

        // ---- the head to send upstream
        int xffExtra = 0;
        for (int h = 0; h < count; h++) {
            if (kind[h] == KIND_XFF) {
                xffExtra += valueEnd[h] - valueStart[h] + 2;
            }
        }
        ByteBuf head = alloc.heapBuffer(length + 128 + xffExtra + 2 * clientIp.length);
        out.upstreamHead = head;
        head.writeBytes(s, 0, sp1 + 1);
        out.methodEnd = sp1;
        out.targetStart = sp1 + 1;
        if (authorityStart >= 0) {
            if (pathStart == targetEnd || s[pathStart] == '?') {
                head.writeByte('/');
            }
            head.writeBytes(s, pathStart, targetEnd - pathStart);
        } else {
            head.writeBytes(s, targetStart, targetEnd - targetStart);
        }
        out.targetEnd = head.writerIndex();
        out.pathEnd = out.targetStart;
        while (out.pathEnd < out.targetEnd && head.getByte(out.pathEnd) != '?') {
            out.pathEnd++;
        }
        head.writeBytes(HTTP_VERSION_11);
        out.headersStart = head.writerIndex();
        boolean first = true;
        if (authorityStart >= 0) {
            head.writeBytes(HOST_PREFIX);
            out.hostStart = head.writerIndex();
            head.writeBytes(s, authorityStart, authorityEnd - authorityStart);
            out.hostEnd = head.writerIndex();
            first = false;
        }
        for (int h = 0; h < count; h++) {
            int k = kind[h];
            if (dropped[h] || k == KIND_CONNECTION || k == KIND_HOP || k == KIND_XFF || k == KIND_XFP
                    || (k == KIND_UPGRADE && !out.upgrade) || (k == KIND_HOST && authorityStart >= 0)
                    || (k == KIND_EXPECT && out.http10)) {
                continue;
            }
            if (!first) {
                head.writeByte(Http1.CR).writeByte(Http1.LF);
            }
            first = false;
            head.writeBytes(s, nameStart[h], nameEnd[h] - nameStart[h]);
            head.writeByte(':').writeByte(' ');
            if (k == KIND_HOST) {
                out.hostStart = head.writerIndex();
                out.hostEnd = out.hostStart + valueEnd[h] - valueStart[h];
            }
            head.writeBytes(s, valueStart[h], valueEnd[h] - valueStart[h]);
        }
        if (out.upgrade) {
            head.writeBytes(CONNECTION_UPGRADE, first ? 2 : 0, CONNECTION_UPGRADE.length - (first ? 2 : 0));
            first = false;
        }
        head.writeBytes(XFF_PREFIX, first ? 2 : 0, XFF_PREFIX.length - (first ? 2 : 0));
        for (int h = 0; h < count; h++) {
            if (kind[h] == KIND_XFF && valueEnd[h] > valueStart[h]) {
                head.writeBytes(s, valueStart[h], valueEnd[h] - valueStart[h]);
                head.writeByte(',').writeByte(' ');
            }
        }
        head.writeBytes(clientIp);
        head.writeBytes(secure ? XFP_HTTPS : XFP_HTTP);
        head.writeBytes(FORWARDED_FOR);
        if (clientIpv6) {
            head.writeByte('"').writeByte('[').writeBytes(clientIp).writeByte(']').writeByte('"');
        } else {
            head.writeBytes(clientIp);
        }
        head.writeBytes(secure ? PROTO_HTTPS : PROTO_HTTP);
        return true;
    }

    private boolean fail(int failStatus, String failReason) {
        status = failStatus;
        reason = failReason;
        return false;
    }

    private static int classify(byte[] s, int start, int length) {
        switch (length) {
            case 2:
                return Http1.equalsLower(s, start, length, TE) ? KIND_HOP : KIND_OTHER;
            case 4:
                return Http1.equalsLower(s, start, length, HOST) ? KIND_HOST : KIND_OTHER;
            case 6:
                return Http1.equalsLower(s, start, length, EXPECT) ? KIND_EXPECT : KIND_OTHER;
            case 7:
                if (Http1.equalsLower(s, start, length, UPGRADE)) {
                    return KIND_UPGRADE;
                }
                return Http1.equalsLower(s, start, length, TRAILER) ? KIND_HOP : KIND_OTHER;
            case 10:
                if (Http1.equalsLower(s, start, length, CONNECTION)) {
                    return KIND_CONNECTION;
                }
                return Http1.equalsLower(s, start, length, KEEP_ALIVE) ? KIND_HOP : KIND_OTHER;
            case 14:
                return Http1.equalsLower(s, start, length, CONTENT_LENGTH) ? KIND_CONTENT_LENGTH : KIND_OTHER;
            case 15:
                return Http1.equalsLower(s, start, length, X_FORWARDED_FOR) ? KIND_XFF : KIND_OTHER;
            case 16:
                return Http1.equalsLower(s, start, length, PROXY_CONNECTION) ? KIND_HOP : KIND_OTHER;
            case 17:
                if (Http1.equalsLower(s, start, length, TRANSFER_ENCODING)) {
                    return KIND_TRANSFER_ENCODING;
                }
                return Http1.equalsLower(s, start, length, X_FORWARDED_PROTO) ? KIND_XFP : KIND_OTHER;
            default:
                return KIND_OTHER;
        }
    }

    /**
     * 0 when the list is exactly {@code chunked}; 501 for other codings ending in chunked; else 400. Empty list
     * elements are ignored (RFC 9110 5.6.1), so {@code "chunked,"} is {@code chunked}.
     */
    private static int transferCoding(byte[] s, int start, int end) {
        int last = end;
        while (last > start && (Http1.isOws(s[last - 1]) || s[last - 1] == ',')) {
            last--;
        }
        int tokenStart = last;
        while (tokenStart > start && s[tokenStart - 1] != ',' && !Http1.isOws(s[tokenStart - 1])) {
            tokenStart--;
        }
        if (!Http1.equalsLower(s, tokenStart, last - tokenStart, CHUNKED)) {
            return 400;
        }
        boolean others = false;
        for (int i = start; i < tokenStart; i++) {
            if (!Http1.isTchar(s[i]) && s[i] != ',' && !Http1.isOws(s[i])) {
                return 400;
            }
            others |= Http1.isTchar(s[i]);
        }
        return others ? 501 : 0;
    }

    /** uri-host [ ":" port ] (RFC 3986 3.2.2), or empty. */
    private static boolean validHost(byte[] s, int start, int end) {
        if (start == end) {
            return true;
        }
        int hostEnd = end;
        if (s[start] == '[') {
            int close = indexOf(s, start, end, (byte) ']');
            if (close < 0) {
                return false;
            }
            for (int i = start + 1; i < close; i++) {
                byte b = s[i];
                if (!(isHexDigit(b) || b == ':' || b == '.')) {
                    return false;
                }
            }
            if (close + 1 == end) {
                return true;
            }
            if (s[close + 1] != ':') {
                return false;
            }
            return validPort(s, close + 2, end);
        }
        int colon = indexOf(s, start, end, (byte) ':');
        if (colon >= 0) {
            hostEnd = colon;
            if (!validPort(s, colon + 1, end)) {
                return false;
            }
        }
        if (hostEnd == start) {
            return false;
        }
        for (int i = start; i < hostEnd; i++) {
            byte b = s[i];
            if (!Http1.isHostChar(b) || b == ':' || b == '[' || b == ']') {
                return false;
            }
        }
        return true;
    }

    private static boolean validPort(byte[] s, int start, int end) {
        if (end - start > 5) {
            return false;
        }
        for (int i = start; i < end; i++) {
            if (!Http1.isDigit(s[i])) {
                return false;
            }
        }
        return true;
    }

    /** Index of "://" after an http or https scheme at the target start, else -1. */
    private static int schemeEnd(byte[] s, int start, int end) {
        int i = start;
        while (i < end && s[i] != ':') {
            i++;
        }
        int length = i - start;
        boolean http = length == 4 && Http1.equalsLower(s, start, 4, SCHEME_HTTP);
        boolean https = length == 5 && Http1.equalsLower(s, start, 5, SCHEME_HTTPS);
        if (!(http || https) || i + 2 >= end || s[i + 1] != '/' || s[i + 2] != '/') {
            return -1;
        }
        return i;
    }

    private static boolean regionEqualsIgnoreCase(byte[] s, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            int x = s[a + i];
            int y = s[b + i];
            if (x != y) {
                if (x >= 'A' && x <= 'Z') {
                    x += 32;
                }
                if (y >= 'A' && y <= 'Z') {
                    y += 32;
                }
                if (x != y) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] s, int start, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (s[start + i] != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(byte[] s, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (s[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(byte[] s, int from, int to, byte b) {
        for (int i = to - 1; i >= from; i--) {
            if (s[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isHexDigit(byte b) {
        return Http1.isDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    /** The bytes of an address string, for the forwarding headers. */
    static byte[] addressBytes(String address) {
        return address.getBytes(StandardCharsets.US_ASCII);
    }
}
