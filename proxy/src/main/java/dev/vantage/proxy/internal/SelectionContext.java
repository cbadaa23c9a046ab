package dev.vantage.proxy.internal;

import dev.vantage.proxy.EndpointGroup;
import dev.vantage.proxy.ProxyRequest;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.Selection;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UserLocationSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * The loop's single {@link ProxyRequest} view and {@link Selection} slot: pointed at the connection being routed
 * before each selector call, so routing allocates nothing. Also the header lookup the route table calls.
 *
 * <p>Confined to its event loop; only valid during one selector (or route table) call.
 */
final class SelectionContext implements ProxyRequest, Selection, Function<CharSequence, String> {

    static final int NONE = 0;
    static final int FORWARD = 1;
    static final int REDIRECT = 2;
    static final int REJECT = 3;

    private static final int MAX_EXTRA_HEADERS = 8;

    private final LoopContext loop;
    private final AsciiView method = new AsciiView();
    private final AsciiView target = new AsciiView();
    private final AsciiView path = new AsciiView();
    private final AsciiView host = new AsciiView();
    private final AsciiView headerValue = new AsciiView();
    final ByteBuf upstreamHeaders = Unpooled.buffer(256);
    final ByteBuf responseHeaders = Unpooled.buffer(256);
    private int upstreamHeaderCount;
    private int responseHeaderCount;

    private FrontendConnection connection;
    private ProxyTopology topology;
    private EndpointGroup candidates;
    int decision;
    UpstreamEndpoint chosen;
    int status;
    CharSequence text;
    long responseTimeoutMillis;
    UpstreamEndpoint shadowTarget;

    SelectionContext(LoopContext loop) {
        this.loop = loop;
    }

    /** Points the view at {@code c}'s current request (for route matching and {@code onAttemptEnd}). */
    void view(FrontendConnection c) {
        connection = c;
        RequestHead head = c.head;
        byte[] array = head.array();
        int base = head.arrayOffset();
        method.set(array, base, head.methodEnd);
        target.set(array, base + head.targetStart, head.targetEnd - head.targetStart);
        path.set(array, base + head.targetStart, head.pathEnd - head.targetStart);
        host.set(array, base + head.hostStart, head.hostEnd - head.hostStart);
    }

    /** Resets the slot for one selector call on {@code c}. */
    void begin(FrontendConnection c, ProxyTopology currentTopology, EndpointGroup group) {
        view(c);
        topology = currentTopology;
        candidates = group;
        decision = NONE;
        chosen = null;
        status = 0;
        text = null;
        responseTimeoutMillis = 0;
        shadowTarget = null;
        upstreamHeaders.clear();
        responseHeaders.clear();
        upstreamHeaderCount = 0;
        responseHeaderCount = 0;
    }

    // ---- ProxyRequest

    @Override
    public CharSequence method() {
        return method;
    }

    @Override
    public CharSequence target() {
        return target;
    }

    @Override
    public CharSequence path() {
        return path;
    }

    @Override
    public CharSequence host() {
        return host;
    }

    @Override
    public CharSequence header(CharSequence name) {
        RequestHead head = connection.head;
        byte[] a = head.array();
        int base = head.arrayOffset();
        int end = base + head.upstreamHead.writerIndex();
        int line = base + head.headersStart;
        while (line < end) {
            int lineEnd = line;
            while (lineEnd < end && a[lineEnd] != Http1.CR) {
                lineEnd++;
            }
            int colon = line;
            while (colon < lineEnd && a[colon] != ':') {
                colon++;
            }
            if (colon < lineEnd && Http1.equalsIgnoreCase(a, line, colon - line, name)) {
                int valueStart = colon + 1;
                while (valueStart < lineEnd && Http1.isOws(a[valueStart])) {
                    valueStart++;
                }
                return headerValue.set(a, valueStart, lineEnd - valueStart);
            }
            line = lineEnd + 2;
        }
        return null;
    }

    @Override
    public String apply(CharSequence name) {
        CharSequence value = header(name);
        return value == null ? null : value.toString();
    }

    @Override
    public InetSocketAddress clientAddress() {
        return connection.clientAddress();
    }

    @Override
    public boolean idempotent() {
        return connection.head.idempotent;
    }

    @Override
    public boolean hasBody() {
        return connection.head.hasBody();
    }

    @Override
    public long startNanos() {
        return connection.requestStartNanos;
    }

    // ---- Selection

    @Override
    public ProxyTopology topology() {
        return topology;
    }

    @Override
    public EndpointGroup candidates() {
        return candidates;
    }

    @Override
    public int attempt() {
        return connection.attempt;
    }

    @Override
    public boolean isExcluded(UpstreamEndpoint endpoint) {
        return connection.isExcluded(endpoint);
    }

    @Override
    public void forward(UpstreamEndpoint endpoint) {
        decision = FORWARD;
        chosen = endpoint;
    }

    @Override
    public void redirect(int redirectStatus, CharSequence location) {
        if (redirectStatus < 300 || redirectStatus > 399) {
            throw new IllegalArgumentException("redirect status: " + redirectStatus + " (expected: 3xx)");
        }
        decision = REDIRECT;
        status = redirectStatus;
        text = location;
    }

    @Override
    public void reject(int rejectStatus, CharSequence reason) {
        if (rejectStatus < 400 || rejectStatus > 599) {
            throw new IllegalArgumentException("reject status: " + rejectStatus + " (expected: 4xx or 5xx)");
        }
        decision = REJECT;
        status = rejectStatus;
        text = reason;
    }

    @Override
    public void responseTimeoutMillis(long timeoutMillis) {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("responseTimeoutMillis: " + timeoutMillis + " (expected: > 0)");
        }
        responseTimeoutMillis = timeoutMillis;
    }

    @Override
    public void addUpstreamHeader(CharSequence name, CharSequence value) {
        if (upstreamHeaderCount++ < MAX_EXTRA_HEADERS) {
            writeHeader(upstreamHeaders, name, value, true);
        }
    }

    @Override
    public void addResponseHeader(CharSequence name, CharSequence value) {
        if (responseHeaderCount++ < MAX_EXTRA_HEADERS) {
            writeHeader(responseHeaders, name, value, false);
        }
    }

    /** Request headers are written as CRLF name: value (the head has no final CRLF); response ones as lines. */
    private static void writeHeader(ByteBuf out, CharSequence name, CharSequence value, boolean leadingCrlf) {
        for (int i = 0; i < name.length(); i++) {
            if (!Http1.isTchar((byte) name.charAt(i)) || name.charAt(i) > 0x7F) {
                throw new IllegalArgumentException("header name: " + name + " (expected: an RFC 9110 token)");
            }
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xFF || (!Http1.isFieldVchar((byte) c) && c != ' ' && c != '\t')) {
                throw new IllegalArgumentException("header value of " + name + ": control or non-Latin-1 character");
            }
        }
        if (leadingCrlf) {
            out.writeByte(Http1.CR).writeByte(Http1.LF);
        }
        writeAscii(out, name);
        out.writeByte(':').writeByte(' ');
        writeAscii(out, value);
        if (!leadingCrlf) {
            out.writeByte(Http1.CR).writeByte(Http1.LF);
        }
    }

    private static void writeAscii(ByteBuf out, CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            out.writeByte(text.charAt(i));
        }
    }

    @Override
    public void userKey(CharSequence key) {
        connection.userKey(key);
    }

    @Override
    public void resource(CharSequence resourceId) {
        connection.resourceId = resourceId.toString();
    }

    @Override
    public void userLocation(double latitudeDegrees, double longitudeDegrees, UserLocationSource source) {
        connection.userLocation(latitudeDegrees, longitudeDegrees, source);
    }

    @Override
    public void shadow(UpstreamEndpoint shadow) {
        shadowTarget = shadow;
    }

    LoopContext loop() {
        return loop;
    }
}
