package dev.vantage.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Parses one upstream response head and writes the head to send to the client: hop-by-hop fields removed
 * (RFC 9110 7.6.1), framing decided per RFC 9112 6.3 (HEAD, 1xx, 204 and 304 have no body; chunked wins over
 * Content-Length, which is then removed), {@code Connection: close} or {@code keep-alive} set for the client side,
 * and a chunked body turned into a close-delimited one for HTTP/1.0 clients.
 *
 * <p>A malformed head (bad status line, bare CR/LF, controls, invalid names, conflicting lengths) is an error the
 * caller answers with 502. One instance per event loop (scratch reused); single-threaded.
 */
final class ResponseHeadParser {

    static final int FRAMING_NONE = 0;
    static final int FRAMING_LENGTH = 1;
    static final int FRAMING_CHUNKED = 2;
    static final int FRAMING_CLOSE = 3;

    private static final byte[] CONTENT_LENGTH = Http1.ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = Http1.ascii("transfer-encoding");
    private static final byte[] CONNECTION = Http1.ascii("connection");
    private static final byte[] KEEP_ALIVE = Http1.ascii("keep-alive");
    private static final byte[] PROXY_CONNECTION = Http1.ascii("proxy-connection");
    private static final byte[] TE = Http1.ascii("te");
    private static final byte[] TRAILER = Http1.ascii("trailer");
    private static final byte[] UPGRADE = Http1.ascii("upgrade");
    private static final byte[] CLOSE = Http1.ascii("close");
    private static final byte[] CHUNKED = Http1.ascii("chunked");
    private static final byte[] STATUS_PREFIX = Http1.ascii("HTTP/1.1 ");
    private static final byte[] CRLF = Http1.ascii("\r\n");
    private static final byte[] CONNECTION_CLOSE = Http1.ascii("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = Http1.ascii("Connection: keep-alive\r\n");
    private static final byte[] CONNECTION_UPGRADE = Http1.ascii("Connection: upgrade\r\n");

    private static final int MAX_FIELDS = 256;

    private final int[] nameStart = new int[MAX_FIELDS];
    private final int[] nameEnd = new int[MAX_FIELDS];
    private final int[] valueStart = new int[MAX_FIELDS];
    private final int[] valueEnd = new int[MAX_FIELDS];
    private final boolean[] dropped = new boolean[MAX_FIELDS];
    private final FieldLine field = new FieldLine();
    private byte[] src = new byte[4096];

    int status;
    int framing;
    long contentLength;
    /** The upstream connection may be reused after this response. */
    boolean upstreamKeepAlive;
    /** The client connection must be closed after this response. */
    boolean clientClose;
    /** The response body is chunked upstream but sent close-delimited to an HTTP/1.0 client. */
    boolean dechunk;
    String error;

    /**
     * Parses {@code length} bytes at {@code index} of {@code in} (status line through the empty line).
     *
     * @param headRequest    the request method was HEAD
     * @param clientHttp10   the client spoke HTTP/1.0
     * @param clientKeepAlive the client connection may stay open (client asked for it and the proxy is not draining)
     * @param upgradeRequested the request asked for a protocol upgrade
     * @param extraHeaders   response headers added by the selector, {@code name: value\r\n} lines, or {@code null}
     * @return the head to write to the client, or {@code null} with {@link #error} set
     */
    ByteBuf parse(ByteBuf in, int index, int length, boolean headRequest, boolean clientHttp10,
                  boolean clientKeepAlive, boolean upgradeRequested, ByteBuf extraHeaders, ByteBufAllocator alloc) {
        if (src.length < length) {
            src = new byte[Math.max(length, src.length * 2)];
        }
        in.getBytes(index, src, 0, length);
        byte[] s = src;
        error = null;
        int lf = RequestHeadParser.indexOf(s, 0, length, Http1.LF);
        if (lf < 13 || s[lf - 1] != Http1.CR || s[0] != 'H' || s[1] != 'T' || s[2] != 'T' || s[3] != 'P'
                || s[4] != '/' || s[5] != '1' || s[6] != '.' || !Http1.isDigit(s[7]) || s[8] != Http1.SP
                || !Http1.isDigit(s[9]) || !Http1.isDigit(s[10]) || !Http1.isDigit(s[11])) {
            return fail("upstream status line malformed");
        }
        boolean upstreamHttp10 = s[7] == '0';
        status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
        if (status < 100) {
            return fail("upstream status code out of range");
        }
        int reasonStart = lf - 1;
        if (s[12] == Http1.SP) {
            reasonStart = 13;
        } else if (s[12] != Http1.CR) {
            return fail("upstream status line malformed");
        }
        for (int i = reasonStart; i < lf - 1; i++) {
            if (!Http1.isFieldVchar(s[i]) && !Http1.isOws(s[i])) {
                return fail("upstream reason phrase has control characters");
            }
        }
        int count = 0;
        int contentLengthIndex = -1;
        boolean chunked = false;
        boolean transferEncoding = false;
        long length0 = -1;
        boolean close = upstreamHttp10;
        int lineStart = lf + 1;
        while (true) {
            lf = RequestHeadParser.indexOf(s, lineStart, length, Http1.LF);
            if (lf < 0 || lf == lineStart || s[lf - 1] != Http1.CR) {
                return fail("upstream header section malformed");
            }
            int end = lf - 1;
            if (end == lineStart) {
                break;
            }
            if (count == MAX_FIELDS) {
                return fail("upstream sent too many header fields");
            }
            if (!field.scan(s, lineStart, end, false)) {
                return fail("upstream header field: " + field.error());
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
            if (Http1.equalsLower(s, lineStart, nameLength, CONTENT_LENGTH)) {
                long value = Http1.parseContentLength(s, vs, ve);
                if (value < 0 || (length0 >= 0 && value != length0)) {
                    return fail("upstream Content-Length malformed or conflicting");
                }
                if (contentLengthIndex >= 0) {
                    dropped[count] = true;
                }
                length0 = value;
                contentLengthIndex = count;
            } else if (Http1.equalsLower(s, lineStart, nameLength, TRANSFER_ENCODING)) {
                transferEncoding = true;
                chunked = endsWithChunked(s, vs, ve);
            } else if (Http1.equalsLower(s, lineStart, nameLength, CONNECTION)) {
                dropped[count] = true;
                if (containsToken(s, vs, ve, CLOSE)) {
                    close = true;
                } else if (upstreamHttp10 && containsToken(s, vs, ve, KEEP_ALIVE)) {
                    close = false;
                }
            } else if (Http1.equalsLower(s, lineStart, nameLength, KEEP_ALIVE)
                    || Http1.equalsLower(s, lineStart, nameLength, PROXY_CONNECTION)
                    || Http1.equalsLower(s, lineStart, nameLength, TE)
                    || Http1.equalsLower(s, lineStart, nameLength, TRAILER)) {
                dropped[count] = true;
            } else if (Http1.equalsLower(s, lineStart, nameLength, UPGRADE)) {
                dropped[count] = !(status == 101 && upgradeRequested);
            }
            count++;
            lineStart = lf + 1;
        }
        // Fields named by Connection are hop-by-hop too.
        for (int h = 0; h < count; h++) {
            if (Http1.equalsLower(s, nameStart[h], nameEnd[h] - nameStart[h], CONNECTION)) {
                dropNamed(s, valueStart[h], valueEnd[h], count);
            }
        }

        boolean switching = status == 101;
        if (switching && upgradeRequested) {
            for (int h = 0; h < count; h++) {
                if (Http1.equalsLower(s, nameStart[h], nameEnd[h] - nameStart[h], UPGRADE)) {
                    dropped[h] = false;
                }
            }
        }
        boolean interim = status < 200 && !switching;
        dechunk = false;
        if (switching && !upgradeRequested) {
            return fail("upstream switched protocols without an upgrade request");
        }
        if (headRequest || interim || switching || status == 204 || status == 304) {
            framing = FRAMING_NONE;
        } else if (transferEncoding) {
            if (!chunked) {
                framing = FRAMING_CLOSE;
                close = true;
            } else {
                framing = FRAMING_CHUNKED;
                dechunk = clientHttp10;
            }
            if (contentLengthIndex >= 0) {
                for (int h = 0; h < count; h++) {
                    if (Http1.equalsLower(s, nameStart[h], nameEnd[h] - nameStart[h], CONTENT_LENGTH)) {
                        dropped[h] = true;
                    }
                }
            }
        } else if (contentLengthIndex >= 0) {
            framing = length0 == 0 ? FRAMING_NONE : FRAMING_LENGTH;
        } else {
            framing = FRAMING_CLOSE;
            close = true;
        }
        contentLength = length0;
        if (dechunk) {
            for (int h = 0; h < count; h++) {
                if (Http1.equalsLower(s, nameStart[h], nameEnd[h] - nameStart[h], TRANSFER_ENCODING)) {
                    dropped[h] = true;
                }
            }
        }
        upstreamKeepAlive = !close && !switching;
        if (interim) {
            clientClose = false;
        } else {
            clientClose = !clientKeepAlive || framing == FRAMING_CLOSE || dechunk;
        }

        ByteBuf out = alloc.directBuffer(length + 64 + (extraHeaders == null ? 0 : extraHeaders.readableBytes()));
        out.writeBytes(STATUS_PREFIX);
        out.writeBytes(s, 9, 3);
        out.writeByte(Http1.SP);
        out.writeBytes(s, reasonStart, lf0(s, length) - reasonStart);
        out.writeBytes(CRLF);
        for (int h = 0; h < count; h++) {
            if (dropped[h]) {
                continue;
            }
            out.writeBytes(s, nameStart[h], nameEnd[h] - nameStart[h]);
            out.writeByte(':').writeByte(Http1.SP);
            out.writeBytes(s, valueStart[h], valueEnd[h] - valueStart[h]);
            out.writeBytes(CRLF);
        }
        if (switching) {
            out.writeBytes(CONNECTION_UPGRADE);
        } else if (!interim) {
            if (clientClose) {
                out.writeBytes(CONNECTION_CLOSE);
            } else if (clientHttp10) {
                out.writeBytes(CONNECTION_KEEP_ALIVE);
            }
            if (extraHeaders != null) {
                out.writeBytes(extraHeaders, extraHeaders.readerIndex(), extraHeaders.readableBytes());
            }
        }
        out.writeBytes(CRLF);
        return out;
    }

    private ByteBuf fail(String reason) {
        error = reason;
        return null;
    }

    /** End of the status line's reason (the CR of the first line). */
    private static int lf0(byte[] s, int length) {
        return RequestHeadParser.indexOf(s, 0, length, Http1.LF) - 1;
    }

    private void dropNamed(byte[] s, int start, int end, int count) {
        int i = start;
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
            for (int h = 0; h < count; h++) {
                int nameLength = nameEnd[h] - nameStart[h];
                if (nameLength == tokenLength && !Http1.equalsLower(s, nameStart[h], nameLength, CONTENT_LENGTH)
                        && !Http1.equalsLower(s, nameStart[h], nameLength, TRANSFER_ENCODING)
                        && sameIgnoreCase(s, nameStart[h], tokenStart, tokenLength)) {
                    dropped[h] = true;
                }
            }
        }
    }

    private static boolean sameIgnoreCase(byte[] s, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            int x = s[a + i] | 0x20;
            int y = s[b + i] | 0x20;
            if (x != y) {
                return false;
            }
        }
        return true;
    }

    private static boolean containsToken(byte[] s, int start, int end, byte[] token) {
        int i = start;
        while (i < end) {
            while (i < end && (Http1.isOws(s[i]) || s[i] == ',')) {
                i++;
            }
            int tokenStart = i;
            while (i < end && s[i] != ',' && !Http1.isOws(s[i])) {
                i++;
            }
            if (Http1.equalsLower(s, tokenStart, i - tokenStart, token)) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsWithChunked(byte[] s, int start, int end) {
        int tokenStart = end;
        while (tokenStart > start && s[tokenStart - 1] != ',') {
            tokenStart--;
        }
        while (tokenStart < end && Http1.isOws(s[tokenStart])) {
            tokenStart++;
        }
        return Http1.equalsLower(s, tokenStart, end - tokenStart, CHUNKED);
    }
}
