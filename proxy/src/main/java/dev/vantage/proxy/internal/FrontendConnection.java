package dev.vantage.proxy.internal;

import dev.vantage.config.HttpLimits;
import dev.vantage.config.Route;
import dev.vantage.proxy.AttemptOutcome;
import dev.vantage.proxy.EndpointGroup;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UserLocationSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: reads request heads strictly, routes each request, streams it to an upstream connection
 * from the loop's pool and streams the response back, one exchange at a time (pipelined requests wait in the
 * input buffer, so responses go out in request order).
 *
 * <p>Invariants: at most one exchange in flight; every input buffer is forwarded, kept as the single cumulation
 * buffer, or released; the upstream connection is detached before it is closed or handed back to the pool;
 * {@link UpstreamEndpoint#requestEnded()} is called exactly once per {@link UpstreamEndpoint#requestStarted()}.
 * Timeouts are enforced by the loop's sweep through {@link #deadlineNanos}. Confined to its event loop.
 *
 * <p>Hedged reads: a GET/HEAD without a body may have a second attempt (the hedge, fields {@code hedge*}) in flight
 * next to the first one, started by a one-shot timer after the selector's hedge delay (one scheduled task per hedged
 * request, only on routes that hedge). The first final response head wins: a hedge that wins is promoted into the
 * exchange's attempt fields, and the losing attempt's connection is detached and closed, never pooled, so at most one
 * response ever reaches the client. While both are in flight the failure of one only ends that one.
 */
final class FrontendConnection extends ChannelInboundHandlerAdapter {

    private static final int S_HEAD = 0;
    private static final int S_CONNECTING = 1;
    private static final int S_EXCHANGE = 2;
    private static final int S_TUNNEL = 3;
    private static final int S_CLOSED = 4;

    private static final int D_IDLE = 1;
    private static final int D_HEADER = 2;
    private static final int D_RESPONSE = 3;
    private static final int D_STREAM = 4;
    private static final int D_QUEUE = 5;

    private static final int PAUSE_UPSTREAM = 1;
    private static final int PAUSE_PIPELINE = 2;

    private static final int PIPELINE_LIMIT_BYTES = 65536;
    private static final int MAX_LEADING_EMPTY_LINE_BYTES = 64;
    private static final int MAX_METHOD_SCAN_BYTES = 64;
    private static final int MAX_ATTEMPTS = 8;

    private static final long MIN_DEADLINE_NANOS = 1_000_000L;

    private static final byte[] HTTP11 = Http1.ascii("HTTP/1.1 ");
    private static final byte[] CRLF = Http1.ascii("\r\n");
    private static final byte[] CONTENT_TYPE_AND_LENGTH =
            Http1.ascii("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    private static final byte[] CONNECTION_CLOSE = Http1.ascii("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = Http1.ascii("Connection: keep-alive\r\n");
    private static final ByteBuf RETRY_AFTER_ONE_SECOND = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(Http1.ascii("Retry-After: 1\r\n")).asReadOnly());

    final LoopContext loop;
    private Channel channel;
    int slot = -1;
    private InetSocketAddress remote;
    private byte[] clientIp = new byte[0];
    private boolean clientIpv6;
    private int state = S_HEAD;
    private ByteBuf cumulation;
    private boolean inRead;
    private boolean inProcess;
    private int pauseMask;

    // head scanning
    private int scanned;
    private int lineStart;
    private boolean requestLineDone;
    private int headerBytes;
    private int headerLines;

    // exchange
    RequestHead head;
    private ChunkedParser bodyChunks;
    private long bodyRemaining;
    private boolean requestComplete;
    private boolean responseStarted;
    private boolean closeAfter;
    private boolean upstreamFlushPending;
    private boolean endpointPending;
    private boolean queued;
    private boolean staleRetried;
    private Route route;
    private EndpointGroup candidates;
    private UpstreamEndpoint endpoint;
    private UpstreamPool pool;
    private UpstreamConnection upstream;
    private UpstreamConnection connectingTo;
    private ByteBuf attemptHead;
    private ByteBuf responseExtras;
    int attempt;
    private int[] excluded;
    private int excludedCount;
    long requestStartNanos;
    private long requestStartMillis;
    private long attemptStartNanos;
    private long responseTimeoutNanos;
    private int status;
    private long requestBodyBytes;
    private long responseBytes;
    /** The relayed response's body bytes (for {@code UpstreamSelector#onExchangeEnd}). */
    private long responseBodyBytes;
    private byte[] userKey;
    private int userKeyLength;
    private double userLatitude;
    private double userLongitude;
    private UserLocationSource userLocationSource = UserLocationSource.UNKNOWN;
    /** The tenant this connection is admitted to (counted against its connection limit), or null. */
    private String admittedTenant;
    String resourceId;

    // hedging: the second attempt; hedgeEndpoint != null while it is in flight (its requestStarted() was called)
    private Runnable hedgeTrigger;
    private ScheduledFuture<?> hedgeTimer;
    private UpstreamEndpoint hedgeEndpoint;
    private UpstreamPool hedgePool;
    private UpstreamConnection hedgeUpstream;
    private UpstreamConnection hedgeConnectingTo;
    private ByteBuf hedgeHead;
    private long hedgeStartNanos;
    private long hedgeTimeoutNanos;
    private boolean hedgeAcquiring;

    // timeouts
    long deadlineNanos;
    private int deadlineKind;
    private long progressMark;

    /** Whether the client connection is TLS: the forwarding headers then say {@code https}. */
    private final boolean secure;

    FrontendConnection(LoopContext loop) {
        this(loop, false);
    }

    FrontendConnection(LoopContext loop, boolean secure) {
        this.loop = loop;
        this.secure = secure;
    }

    // ------------------------------------------------------------------ channel events

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        remote = (InetSocketAddress) channel.remoteAddress();
        InetAddress address = remote.getAddress();
        String ip = address.getHostAddress();
        int scope = ip.indexOf('%');
        clientIp = (scope >= 0 ? ip.substring(0, scope) : ip).getBytes(StandardCharsets.US_ASCII);
        clientIpv6 = address instanceof Inet6Address;
        loop.register(this);
        loop.metrics.increment(LoopMetrics.CONNECTIONS_ACCEPTED);
        setDeadline(D_IDLE, loop.engine.limits().idleTimeoutMillis());
        if (loop.draining()) {
            state = S_CLOSED;
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (state == S_CLOSED) {
            in.release();
            return;
        }
        inRead = true;
        if (state == S_TUNNEL) {
            requestBodyBytes += in.readableBytes();
            writeUpstream(in);
            return;
        }
        if (state == S_EXCHANGE && !requestComplete && cumulation == null) {
            consumeBody(in);
        } else {
            cumulate(in);
        }
        process();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        if (upstreamFlushPending) {
            flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null && channel.isWritable()) {
            upstream.pauseRead(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = S_CLOSED;
        loop.unregister(this);
        loop.metrics.increment(LoopMetrics.CONNECTIONS_CLOSED);
        UpstreamConnection current = upstream;
        upstream = null;
        if (current != null) {
            current.detach();
            current.channel().close();
        }
        if (queued) {
            queued = false;
            pool.cancel(this);
        }
        connectingTo = null;
        cancelHedgeTimer();
        if (hedgeEndpoint != null) {
            cancelHedge();
        }
        endAttempt();
        releaseTenant();
        releaseExchangeBuffers();
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are normal for a proxy; the connection simply ends.
        ctx.close();
    }

    // ------------------------------------------------------------------ input processing

    private void process() {
        if (inProcess) {
            return;
        }
        inProcess = true;
        try {
            while (true) {
                if (state == S_HEAD) {
                    if (cumulation == null || !tryHead()) {
                        return;
                    }
                } else if (state == S_EXCHANGE && !requestComplete && cumulation != null) {
                    ByteBuf body = cumulation;
                    cumulation = null;
                    consumeBody(body);
                    if (!requestComplete) {
                        return;
                    }
                } else if (state == S_TUNNEL && cumulation != null) {
                    ByteBuf rest = cumulation;
                    cumulation = null;
                    writeUpstream(rest);
                    return;
                } else {
                    if (cumulation != null && state != S_CLOSED
                            && cumulation.readableBytes() > PIPELINE_LIMIT_BYTES) {
                        pause(PAUSE_PIPELINE);
                    }
                    return;
                }
            }
        } finally {
            inProcess = false;
        }
    }

    private void cumulate(ByteBuf in) {
        if (cumulation == null) {
            cumulation = in;
            return;
        }
        int incoming = in.readableBytes();
        if (cumulation.refCnt() == 1 && cumulation.writableBytes() >= incoming) {
            cumulation.writeBytes(in);
            in.release();
            return;
        }
        ByteBuf merged = channel.alloc().buffer(Math.max(512, 2 * (cumulation.readableBytes() + incoming)));
        merged.writeBytes(cumulation);
        merged.writeBytes(in);
        cumulation.release();
        in.release();
        cumulation = merged;
    }

    /**
     * Whether the bytes so far can start a request line: a token method up to the first SP. Lets garbage (a TLS
     * ClientHello, a binary protocol, leading spaces) be answered with 400 at once instead of after a timeout.
     */
    private static boolean methodLooksValid(ByteBuf b, int r, int w) {
        int end = Math.min(w, r + MAX_METHOD_SCAN_BYTES);
        for (int i = r; i < end; i++) {
            byte c = b.getByte(i);
            if (c == Http1.SP) {
                return i > r;
            }
            if (!Http1.isTchar(c)) {
                return c == Http1.CR || c == Http1.LF ? i > r : false;
            }
        }
        return true;
    }

    /** Looks for a complete head in the cumulation; true when one was consumed (the state moved on). */
    private boolean tryHead() {
        HttpLimits limits = loop.engine.limits();
        ByteBuf b = cumulation;
        int r = b.readerIndex();
        int w = b.writerIndex();
        if (!requestLineDone && scanned == 0) {
            int skipped = 0;
            while (r < w && (b.getByte(r) == Http1.CR || b.getByte(r) == Http1.LF)) {
                r++;
                skipped++;
            }
            if (skipped > MAX_LEADING_EMPTY_LINE_BYTES) {
                reject(400, "too many empty lines before the request line");
                return false;
            }
            b.readerIndex(r);
            if (r == w) {
                b.release();
                cumulation = null;
                return false;
            }
            if (deadlineKind != D_HEADER) {
                setDeadline(D_HEADER, limits.requestHeaderTimeoutMillis());
            }
        }
        if (!requestLineDone && !methodLooksValid(b, r, w)) {
            reject(400, "request line: method is not a token (not HTTP/1.x?)");
            return false;
        }
        int from = r + scanned;
        int headEnd;
        while (true) {
            int lf = b.indexOf(from, w, Http1.LF);
            if (lf < 0) {
                scanned = w - r;
                if (!requestLineDone && w - r > limits.maxRequestLineBytes() + 2) {
                    reject(414, "request line longer than " + limits.maxRequestLineBytes() + " bytes");
                } else if (requestLineDone && headerBytes + (w - r - lineStart) > limits.maxHeaderBytes()) {
                    reject(431, "header section larger than " + limits.maxHeaderBytes() + " bytes");
                }
                return false;
            }
            int lineLength = lf - (r + lineStart);
            if (!requestLineDone) {
                if (lineLength - 1 > limits.maxRequestLineBytes()) {
                    reject(414, "request line longer than " + limits.maxRequestLineBytes() + " bytes");
                    return false;
                }
                requestLineDone = true;
            } else if (lineLength == 0 || (lineLength == 1 && b.getByte(lf - 1) == Http1.CR)) {
                headEnd = lf + 1;
                break;
            } else {
                headerBytes += lineLength + 1;
                if (headerBytes > limits.maxHeaderBytes()) {
                    reject(431, "header section larger than " + limits.maxHeaderBytes() + " bytes");
                    return false;
                }
                if (++headerLines > limits.maxHeaderCount()) {
                    reject(431, "more than " + limits.maxHeaderCount() + " header fields");
                    return false;
                }
            }
            lineStart = lf + 1 - r;
            from = lf + 1;
        }
        scanned = 0;
        lineStart = 0;
        requestLineDone = false;
        headerBytes = 0;
        headerLines = 0;
        if (head == null) {
            head = new RequestHead();
        }
        RequestHeadParser parser = loop.requestParser;
        parser.secure(secure);
        boolean ok = parser.parse(b, r, headEnd - r, head, channel.alloc(), clientIp, clientIpv6,
                limits.maxRequestBodyBytes(), Math.max(1, limits.maxHeaderCount()));
        b.readerIndex(headEnd);
        if (!b.isReadable()) {
            b.release();
            cumulation = null;
        }
        if (!ok) {
            reject(parser.status(), parser.reason());
            return false;
        }
        beginRequest();
        return true;
    }

    private void beginRequest() {
        requestStartNanos = System.nanoTime();
        if (loop.engine.accessLog.enabled()) {
            requestStartMillis = System.currentTimeMillis();
        }
        requestComplete = !head.hasBody();
        if (head.chunked) {
            if (bodyChunks == null) {
                bodyChunks = new ChunkedParser();
            }
            bodyChunks.reset();
        } else {
            bodyRemaining = Math.max(0, head.contentLength);
        }
        attempt = 0;
        excludedCount = 0;
        status = 0;
        requestBodyBytes = 0;
        responseBytes = 0;
        responseBodyBytes = 0;
        responseStarted = false;
        staleRetried = false;
        userKeyLength = 0;
        userLocationSource = UserLocationSource.UNKNOWN;
        endpoint = null;
        ProxyTopology topology = loop.engine.topology();
        SelectionContext selection = loop.selection;
        selection.view(this);
        route = topology.routeTable().match(selection.host(), selection.path(), selection.method(), selection);
        if (route == null) {
            resourceId = null;
            respond(404, "no route matches this request", null);
            return;
        }
        resourceId = route.target().resource();
        if (!admitTenant(route.tenant())) {
            closeAfter = true;
            respond(429, "tenant connection limit reached", RETRY_AFTER_ONE_SECOND);
            return;
        }
        candidates = topology.localGroup(route);
        startAttempt(topology);
    }

    /** Counts this connection against {@code tenant}'s connection limit (once per connection and tenant). */
    private boolean admitTenant(String tenant) {
        if (tenant == null || tenant.equals(admittedTenant)) {
            return true;
        }
        releaseTenant();
        boolean admitted;
        try {
            admitted = loop.engine.selector.admitTenantConnection(tenant);
        } catch (RuntimeException e) {
            admitted = true;
        }
        if (admitted) {
            admittedTenant = tenant;
        }
        return admitted;
    }

    private void releaseTenant() {
        String tenant = admittedTenant;
        if (tenant != null) {
            admittedTenant = null;
            try {
                loop.engine.selector.releaseTenantConnection(tenant);
            } catch (RuntimeException e) {
                // A selector's bookkeeping must never break the connection's teardown.
            }
        }
    }

    private void startAttempt(ProxyTopology topology) {
        SelectionContext selection = loop.selection;
        selection.begin(this, topology, candidates);
        try {
            loop.engine.selector.select(route, selection, selection);
        } catch (RuntimeException e) {
            selection.decision = SelectionContext.REJECT;
            selection.status = 500;
            selection.text = "routing failed";
        }
        switch (selection.decision) {
            case SelectionContext.FORWARD:
                break;
            case SelectionContext.REDIRECT:
                respondRedirect(selection.status, selection.text, selection.responseHeaders);
                return;
            case SelectionContext.REJECT:
                respond(selection.status, selection.text, selection.responseHeaders);
                return;
            default:
                respond(503, "no upstream available", null);
                return;
        }
        endpoint = selection.chosen;
        boolean hedgeable = attempt == 0 && !head.hasBody() && !head.upgrade && (head.head || isGet());
        if (selection.shadowTarget != null && hedgeable) {
            ShadowRequest.send(loop, route, selection.shadowTarget, head.upstreamHead, head.head,
                    route.timeouts().connectTimeoutMillis(), route.timeouts().responseTimeoutMillis());
        }
        if (attemptHead != null) {
            attemptHead.release();
        }
        attemptHead = requestHead(selection);
        if (responseExtras != null) {
            responseExtras.release();
            responseExtras = null;
        }
        ByteBuf responseHeaders = selection.responseHeaders;
        if (responseHeaders.isReadable()) {
            responseExtras = channel.alloc().heapBuffer(responseHeaders.readableBytes());
            responseExtras.writeBytes(responseHeaders, responseHeaders.readerIndex(), responseHeaders.readableBytes());
        }
        long timeoutMillis = selection.responseTimeoutMillis > 0 ? selection.responseTimeoutMillis
                : route.timeouts().responseTimeoutMillis();
        responseTimeoutNanos = timeoutMillis * 1_000_000L;
        long hedgeDelayNanos = -1;
        if (hedgeable) {
            try {
                hedgeDelayNanos = loop.engine.selector.hedgeDelayNanos(route, selection);
            } catch (RuntimeException e) {
                hedgeDelayNanos = -1;
            }
        }
        endpoint.requestStarted();
        endpointPending = true;
        attemptStartNanos = attempt == 0 ? requestStartNanos : System.nanoTime();
        state = S_CONNECTING;
        setDeadlineNanos(D_RESPONSE, responseTimeoutNanos);
        if (hedgeDelayNanos >= 0) {
            armHedge(hedgeDelayNanos);
        }
        pool = loop.pool(endpoint);
        pool.acquire(this, route.timeouts().connectTimeoutMillis());
    }

    /** The head of one attempt: the rewritten request head, the selector's extra headers, the final CRLF. */
    private ByteBuf requestHead(SelectionContext selection) {
        ByteBuf base = head.upstreamHead;
        ByteBuf extra = selection.upstreamHeaders;
        ByteBuf request = channel.alloc().directBuffer(base.writerIndex() + extra.readableBytes() + 4);
        request.writeBytes(base, 0, base.writerIndex());
        request.writeBytes(extra, extra.readerIndex(), extra.readableBytes());
        request.writeBytes(CRLF).writeBytes(CRLF);
        return request;
    }

    // ------------------------------------------------------------------ hedged reads

    private void armHedge(long delayNanos) {
        if (hedgeTrigger == null) {
            hedgeTrigger = this::onHedgeTimer;
        }
        cancelHedgeTimer();
        hedgeTimer = loop.eventLoop.schedule(hedgeTrigger, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void cancelHedgeTimer() {
        ScheduledFuture<?> timer = hedgeTimer;
        if (timer != null) {
            hedgeTimer = null;
            timer.cancel(false);
        }
    }

    /** The first attempt has no response head after the hedge delay: send a copy to another upstream. */
    private void onHedgeTimer() {
        hedgeTimer = null;
        if ((state != S_CONNECTING && state != S_EXCHANGE) || responseStarted || attempt != 0 || hedgeEndpoint != null
                || route == null || endpoint == null || head.hasBody()) {
            return;
        }
        exclude(endpoint);
        SelectionContext selection = loop.selection;
        selection.begin(this, loop.engine.topology(), candidates);
        try {
            loop.engine.selector.selectHedge(route, selection, selection);
        } catch (RuntimeException e) {
            return;
        }
        UpstreamEndpoint target = selection.chosen;
        if (selection.decision != SelectionContext.FORWARD || target == null || target == endpoint) {
            return;
        }
        hedgeEndpoint = target;
        hedgePool = loop.pool(target);
        hedgeHead = requestHead(selection);
        hedgeStartNanos = System.nanoTime();
        long timeoutMillis = selection.responseTimeoutMillis > 0 ? selection.responseTimeoutMillis
                : route.timeouts().responseTimeoutMillis();
        hedgeTimeoutNanos = timeoutMillis * 1_000_000L;
        target.requestStarted();
        boolean acquired;
        hedgeAcquiring = true;
        try {
            acquired = hedgePool.tryAcquire(this, route.timeouts().connectTimeoutMillis());
        } finally {
            hedgeAcquiring = false;
        }
        if (!acquired) {
            // The upstream's pool is full: a hedge must not queue behind other requests.
            cancelHedge();
            return;
        }
        attempt++;
        loop.metrics.increment(LoopMetrics.HEDGES_SENT);
    }

    private void hedgeReady(UpstreamConnection connection) {
        hedgeConnectingTo = null;
        hedgeUpstream = connection;
        connection.attach(this, head.head, false);
        ByteBuf request = hedgeHead;
        hedgeHead = null;
        connection.write(request);
        connection.channel().flush();
    }

    /** The hedge failed while the first attempt still waits: report it and let the first attempt carry on. */
    private void hedgeFailed(AttemptOutcome outcome, int failStatus) {
        reportAttempt(hedgeEndpoint, outcome, failStatus, System.nanoTime() - hedgeStartNanos);
        endHedge();
    }

    /** The first attempt won (or the exchange ends): the hedge is reported cancelled and its connection closed. */
    private void cancelHedge() {
        reportAttempt(hedgeEndpoint, AttemptOutcome.CANCELLED, 0, System.nanoTime() - hedgeStartNanos);
        endHedge();
    }

    private void endHedge() {
        UpstreamConnection connection = hedgeUpstream;
        hedgeUpstream = null;
        if (connection != null) {
            connection.detach();
            connection.channel().close();
        }
        // A connection still being opened was sent nothing: the pool keeps it when it connects.
        hedgeConnectingTo = null;
        if (hedgeHead != null) {
            hedgeHead.release();
            hedgeHead = null;
        }
        UpstreamEndpoint ended = hedgeEndpoint;
        hedgeEndpoint = null;
        hedgePool = null;
        ended.requestEnded();
    }

    /** The hedge answered first: the first attempt is reported cancelled, its connection closed; the hedge goes on. */
    private void cancelFirstAttempt() {
        reportAttempt(endpoint, AttemptOutcome.CANCELLED, 0, System.nanoTime() - attemptStartNanos);
        dropUpstream();
        if (queued) {
            queued = false;
            pool.cancel(this);
        }
        connectingTo = null;
        promoteHedge();
    }

    /** The first attempt is over (failed or cancelled, its connection gone): the hedge becomes the attempt. */
    private void promoteHedge() {
        endAttempt();
        endpoint = hedgeEndpoint;
        endpointPending = true;
        pool = hedgePool;
        upstream = hedgeUpstream;
        connectingTo = hedgeConnectingTo;
        attemptStartNanos = hedgeStartNanos;
        if (attemptHead != null) {
            attemptHead.release();
        }
        // Still unsent when the hedge's connection is being opened; the usual path writes it then.
        attemptHead = hedgeHead;
        responseTimeoutNanos = hedgeTimeoutNanos;
        hedgeEndpoint = null;
        hedgePool = null;
        hedgeUpstream = null;
        hedgeConnectingTo = null;
        hedgeHead = null;
        staleRetried = true;
        state = upstream != null ? S_EXCHANGE : S_CONNECTING;
        setDeadlineNanos(D_RESPONSE, Math.max(MIN_DEADLINE_NANOS,
                hedgeStartNanos + hedgeTimeoutNanos - System.nanoTime()));
    }

    private void consumeBody(ByteBuf b) {
        int start = b.readerIndex();
        int end = b.writerIndex();
        int consumedEnd;
        if (head.chunked) {
            int index = start;
            while (index < end && !bodyChunks.done() && !bodyChunks.failed()) {
                index = bodyChunks.advance(b, index, end);
            }
            if (bodyChunks.failed()) {
                b.release();
                bodyError(400, "request body: " + bodyChunks.error());
                return;
            }
            long max = loop.engine.limits().maxRequestBodyBytes();
            if (bodyChunks.dataBytes() > max) {
                b.release();
                bodyError(413, "request body larger than " + max + " bytes");
                return;
            }
            consumedEnd = index;
            requestComplete = bodyChunks.done();
        } else {
            int n = (int) Math.min(bodyRemaining, end - start);
            bodyRemaining -= n;
            consumedEnd = start + n;
            requestComplete = bodyRemaining == 0;
        }
        int consumed = consumedEnd - start;
        requestBodyBytes += consumed;
        if (consumed == end - start) {
            if (consumed > 0) {
                writeUpstream(b);
            } else {
                b.release();
            }
        } else {
            if (consumed > 0) {
                writeUpstream(b.retainedSlice(start, consumed));
            }
            b.readerIndex(consumedEnd);
            cumulation = b;
        }
        if (requestComplete && !responseStarted && state == S_EXCHANGE) {
            setDeadlineNanos(D_RESPONSE, responseTimeoutNanos);
        }
    }

    private void bodyError(int errorStatus, String reason) {
        if (!responseStarted) {
            dropUpstream();
            endAttempt();
            closeAfter = true;
            respond(errorStatus, reason, null);
        } else {
            abortBoth();
        }
    }

    // ------------------------------------------------------------------ upstream side callbacks

    /** The pool started connecting a new connection for this request. */
    void connecting(UpstreamConnection connection) {
        if (hedgeAcquiring) {
            hedgeConnectingTo = connection;
        } else {
            connectingTo = connection;
        }
    }

    /** Whether a freshly connected {@code connection} is still wanted by this request. */
    boolean wants(UpstreamConnection connection) {
        return (state == S_CONNECTING && connectingTo == connection) || connection == hedgeConnectingTo;
    }

    /** The request waits in the pool's queue. */
    void queued(long timeoutMillis) {
        queued = true;
        setDeadline(D_QUEUE, timeoutMillis);
    }

    /** Whether a queued request still wants a connection (claims it when so). */
    boolean wantsQueued() {
        if (state == S_CONNECTING && queued) {
            queued = false;
            return true;
        }
        return false;
    }

    void upstreamReady(UpstreamConnection connection) {
        if (hedgeAcquiring || connection == hedgeConnectingTo) {
            hedgeReady(connection);
            return;
        }
        if (state != S_CONNECTING) {
            connection.pool().release(connection, true);
            return;
        }
        connectingTo = null;
        queued = false;
        upstream = connection;
        state = S_EXCHANGE;
        connection.attach(this, head.head, head.upgrade);
        if (replayable()) {
            // Kept until the response head arrives, so a stale pooled connection can be replayed.
            connection.write(attemptHead.retainedDuplicate());
        } else {
            connection.write(attemptHead);
            attemptHead = null;
        }
        upstreamFlushPending = true;
        if (requestComplete) {
            setDeadlineNanos(D_RESPONSE, responseTimeoutNanos);
        } else {
            setDeadline(D_STREAM, route.timeouts().idleTimeoutMillis());
        }
        process();
        if (!inRead) {
            flushUpstream();
        }
    }

    void connectFailed(UpstreamConnection connection) {
        if (connection == hedgeConnectingTo) {
            hedgeConnectingTo = null;
            hedgeFailed(AttemptOutcome.CONNECT_FAILURE, 502);
            return;
        }
        if (state != S_CONNECTING || connectingTo != connection) {
            return;
        }
        connectingTo = null;
        attemptFailed(AttemptOutcome.CONNECT_FAILURE, 502, "upstream connection failed");
    }

    /** The upstream closed before a complete response head. */
    void onUpstreamReset(UpstreamConnection connection) {
        if (connection == hedgeUpstream) {
            hedgeUpstream = null;
            hedgeFailed(AttemptOutcome.RESET, 502);
            return;
        }
        upstream = null;
        if (connection.exchanges > 1 && !staleRetried && attemptHead != null && replayable()) {
            // A pooled connection the upstream closed while idle: replay once on a fresh one (RFC 9112 9.3.1).
            staleRetried = true;
            state = S_CONNECTING;
            pool.acquire(this, route.timeouts().connectTimeoutMillis());
            return;
        }
        attemptFailed(AttemptOutcome.RESET, 502, "upstream closed the connection");
    }

    void onBadResponse(UpstreamConnection connection, String reason) {
        if (connection == hedgeUpstream) {
            hedgeUpstream = null;
            hedgeFailed(AttemptOutcome.RESET, 502);
            return;
        }
        upstream = null;
        attemptFailed(AttemptOutcome.RESET, 502, "upstream sent an invalid response");
    }

    private void attemptFailed(AttemptOutcome outcome, int failStatus, String reason) {
        cancelHedgeTimer();
        long latencyNanos = System.nanoTime() - attemptStartNanos;
        if (hedgeEndpoint != null) {
            // The hedge is still in flight: it is the retry.
            reportAttempt(endpoint, outcome, failStatus, latencyNanos);
            promoteHedge();
            return;
        }
        UpstreamEndpoint failed = endpoint;
        endAttempt();
        boolean retry = reportAttempt(failed, outcome, failStatus, latencyNanos);
        if (retry && replayable()) {
            exclude(failed);
            attempt++;
            loop.metrics.increment(LoopMetrics.RETRIES);
            startAttempt(loop.engine.topology());
            return;
        }
        respond(failStatus, reason, null);
    }

    private boolean reportAttempt(UpstreamEndpoint attempted, AttemptOutcome outcome, int attemptStatus,
                                  long latencyNanos) {
        SelectionContext selection = loop.selection;
        selection.view(this);
        try {
            return loop.engine.selector.onAttemptEnd(route, selection, attempted, outcome, attemptStatus,
                    latencyNanos);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean isGet() {
        byte[] a = head.array();
        int o = head.arrayOffset();
        return head.methodEnd == 3 && a[o] == 'G' && a[o + 1] == 'E' && a[o + 2] == 'T';
    }

    private boolean replayable() {
        return !head.hasBody() && !responseStarted && attempt + 1 < MAX_ATTEMPTS && state != S_CLOSED;
    }

    boolean http10() {
        return head.http10;
    }

    boolean clientKeepAlive() {
        return head.keepAlive && !closeAfter && !loop.draining() && requestComplete;
    }

    ByteBuf responseExtras() {
        return responseExtras;
    }

    void onInterim(UpstreamConnection connection, ByteBuf clientHead) {
        // While a hedge is in flight neither attempt's interim responses go out: the final head may come from the other.
        if (head.http10 || state == S_CLOSED || connection != upstream || hedgeEndpoint != null) {
            clientHead.release();
            return;
        }
        writeClient(clientHead);
    }

    /** A final response head arrived; false when the response is dropped for a retry. */
    boolean onResponseHead(UpstreamConnection connection, int responseStatus, boolean clientClose,
                           ByteBuf clientHead) {
        cancelHedgeTimer();
        long now = System.nanoTime();
        if (hedgeEndpoint != null && connection == hedgeUpstream) {
            boolean retry = reportAttempt(hedgeEndpoint, AttemptOutcome.RESPONSE, responseStatus,
                    now - hedgeStartNanos);
            if (retry) {
                // The hedge answered with a retryable status: the first attempt may still answer properly.
                clientHead.release();
                hedgeUpstream = null;
                connection.detach();
                connection.channel().close();
                endHedge();
                return false;
            }
            loop.metrics.increment(LoopMetrics.HEDGES_WON);
            cancelFirstAttempt();
        } else if (!acceptFirstAttemptHead(clientHead, responseStatus, now)) {
            return false;
        }
        if (attemptHead != null) {
            attemptHead.release();
            attemptHead = null;
        }
        status = responseStatus;
        responseStarted = true;
        if (clientClose) {
            closeAfter = true;
        }
        writeClient(clientHead);
        setDeadline(D_STREAM, route.timeouts().idleTimeoutMillis());
        return true;
    }

    /** The first attempt's head arrived: false when it is dropped (for a retry, or for the hedge still in flight). */
    private boolean acceptFirstAttemptHead(ByteBuf clientHead, int responseStatus, long now) {
        boolean retry = reportAttempt(endpoint, AttemptOutcome.RESPONSE, responseStatus, now - attemptStartNanos);
        if (retry && hedgeEndpoint != null) {
            clientHead.release();
            dropUpstream();
            promoteHedge();
            return false;
        }
        if (hedgeEndpoint != null) {
            cancelHedge();
        }
        if (retry && replayable()) {
            clientHead.release();
            dropUpstream();
            UpstreamEndpoint failed = endpoint;
            endAttempt();
            exclude(failed);
            attempt++;
            loop.metrics.increment(LoopMetrics.RETRIES);
            startAttempt(loop.engine.topology());
            return false;
        }
        return true;
    }

    void enterTunnel() {
        state = S_TUNNEL;
        requestComplete = true;
        endAttempt();
        loop.metrics.increment(LoopMetrics.TUNNELS);
        process();
    }

    void onResponseComplete(UpstreamConnection connection, boolean reusable) {
        responseBodyBytes = connection.bodyBytes;
        boolean reuse = reusable && requestComplete;
        if (!requestComplete) {
            closeAfter = true;
        }
        flushUpstreamIfPending();
        upstream = null;
        endAttempt();
        connection.pool().release(connection, reuse);
        finishExchange();
    }

    /** The upstream died or sent a broken body after the response started: the client sees a truncated reply. */
    void onUpstreamAbort() {
        upstream = null;
        endAttempt();
        abortBoth();
    }

    void onUpstreamWritable() {
        resume(PAUSE_UPSTREAM);
    }

    // ------------------------------------------------------------------ writing

    void writeClient(ByteBuf data) {
        responseBytes += data.readableBytes();
        channel.write(data, channel.voidPromise());
        UpstreamConnection current = upstream;
        if (current != null) {
            current.markFlush(channel);
            if (!channel.isWritable()) {
                current.pauseRead(true);
            }
        }
    }

    private void writeUpstream(ByteBuf data) {
        UpstreamConnection current = upstream;
        if (current == null) {
            data.release();
            return;
        }
        current.write(data);
        upstreamFlushPending = true;
        if (!current.channel().isWritable()) {
            pause(PAUSE_UPSTREAM);
        }
        if (!inRead) {
            flushUpstream();
        }
    }

    private void flushUpstream() {
        upstreamFlushPending = false;
        UpstreamConnection current = upstream;
        if (current != null) {
            current.channel().flush();
        }
    }

    private void flushUpstreamIfPending() {
        if (upstreamFlushPending) {
            flushUpstream();
        }
    }

    /** A response the proxy makes itself for a parsed request (errors, redirects, selector rejections). */
    private void respond(int responseStatus, CharSequence reason, ByteBuf extraHeaders) {
        writeSimple(responseStatus, reason, null, extraHeaders);
    }

    private void respondRedirect(int responseStatus, CharSequence location, ByteBuf extraHeaders) {
        writeSimple(responseStatus, "redirecting to " + location, location, extraHeaders);
    }

    private void writeSimple(int responseStatus, CharSequence reason, CharSequence location, ByteBuf extraHeaders) {
        cancelHedgeTimer();
        if (hedgeEndpoint != null) {
            cancelHedge();
        }
        dropUpstream();
        endAttempt();
        if (queued) {
            queued = false;
            pool.cancel(this);
        }
        connectingTo = null;
        boolean close = closeAfter || !requestComplete || !head.keepAlive || loop.draining();
        status = responseStatus;
        responseStarted = true;
        closeAfter = close;
        ByteBuf out = simpleResponse(responseStatus, reason, location, extraHeaders, close, head.http10, head.head);
        responseBytes += out.readableBytes();
        channel.writeAndFlush(out, channel.voidPromise());
        finishExchange();
    }

    private ByteBuf simpleResponse(int responseStatus, CharSequence reason, CharSequence location,
                                   ByteBuf extraHeaders, boolean close, boolean http10, boolean noBody) {
        int bodyLength = reason.length() + 1;
        ByteBuf out = channel.alloc().directBuffer(192 + bodyLength + (location == null ? 0 : location.length())
                + (extraHeaders == null ? 0 : extraHeaders.readableBytes()));
        out.writeBytes(HTTP11);
        writeAscii(out, Integer.toString(responseStatus));
        out.writeByte(' ');
        writeAscii(out, Http1.reasonPhrase(responseStatus));
        out.writeBytes(CRLF);
        if (location != null) {
            writeAscii(out, "Location: ");
            writeAscii(out, location);
            out.writeBytes(CRLF);
        }
        if (extraHeaders != null && extraHeaders.isReadable()) {
            out.writeBytes(extraHeaders, extraHeaders.readerIndex(), extraHeaders.readableBytes());
        }
        out.writeBytes(CONTENT_TYPE_AND_LENGTH);
        writeAscii(out, Integer.toString(bodyLength));
        out.writeBytes(CRLF);
        if (close) {
            out.writeBytes(CONNECTION_CLOSE);
        } else if (http10) {
            out.writeBytes(CONNECTION_KEEP_ALIVE);
        }
        out.writeBytes(CRLF);
        if (!noBody) {
            writeAscii(out, reason);
            out.writeByte('\n');
        }
        return out;
    }

    private static void writeAscii(ByteBuf out, CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.writeByte(c >= 0x20 && c < 0x7F ? c : '?');
        }
    }

    /** Rejects an unparsable or abusive request: answer, count, close. */
    private void reject(int rejectStatus, String reason) {
        loop.metrics.increment(LoopMetrics.REJECTED_REQUESTS);
        loop.metrics.recordResponse(rejectStatus, 0);
        state = S_CLOSED;
        deadlineNanos = 0;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        ByteBuf out = simpleResponse(rejectStatus, reason, null, null, true, false, false);
        channel.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    // ------------------------------------------------------------------ exchange end

    private void finishExchange() {
        long latencyNanos = System.nanoTime() - requestStartNanos;
        if (route != null && endpoint != null && responseStarted) {
            SelectionContext selection = loop.selection;
            selection.view(this);
            try {
                loop.engine.selector.onExchangeEnd(route, selection, endpoint, status, responseBodyBytes);
            } catch (RuntimeException e) {
                // A selector's bookkeeping must never break the exchange.
            }
        }
        loop.metrics.recordResponse(status, latencyNanos);
        loop.metrics.add(LoopMetrics.REQUEST_BODY_BYTES, requestBodyBytes);
        loop.metrics.add(LoopMetrics.RESPONSE_BYTES, responseBytes);
        AccessLog log = loop.engine.accessLog;
        if (log.enabled()) {
            log.offer(requestStartMillis, latencyNanos, status, requestBodyBytes, responseBytes,
                    route == null ? null : route.name(), endpoint == null ? null : endpoint.endpoint(), resourceId,
                    userKey == null ? clientIp : userKey, userKeyLength, clientIp, head.array(), head.arrayOffset(), head.methodEnd,
                    head.targetStart, head.targetEnd, userLatitude, userLongitude, userLocationSource);
        }
        releaseExchangeBuffers();
        route = null;
        endpoint = null;
        candidates = null;
        if (closeAfter || state == S_CLOSED) {
            state = S_CLOSED;
            deadlineNanos = 0;
            if (channel.isActive()) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        state = S_HEAD;
        resume(PAUSE_PIPELINE | PAUSE_UPSTREAM);
        if (cumulation != null) {
            setDeadline(D_HEADER, loop.engine.limits().requestHeaderTimeoutMillis());
        } else {
            setDeadline(D_IDLE, loop.engine.limits().idleTimeoutMillis());
        }
        process();
    }

    private void releaseExchangeBuffers() {
        if (head != null) {
            head.release();
        }
        if (attemptHead != null) {
            attemptHead.release();
            attemptHead = null;
        }
        if (responseExtras != null) {
            responseExtras.release();
            responseExtras = null;
        }
    }

    private void endAttempt() {
        if (endpointPending) {
            endpointPending = false;
            endpoint.requestEnded();
        }
    }

    private void dropUpstream() {
        UpstreamConnection current = upstream;
        upstream = null;
        if (current != null) {
            current.detach();
            current.channel().close();
        }
        upstreamFlushPending = false;
    }

    private void abortBoth() {
        cancelHedgeTimer();
        if (hedgeEndpoint != null) {
            cancelHedge();
        }
        dropUpstream();
        endAttempt();
        if (status != 0) {
            loop.metrics.recordResponse(status, System.nanoTime() - requestStartNanos);
        }
        state = S_CLOSED;
        deadlineNanos = 0;
        releaseExchangeBuffers();
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ------------------------------------------------------------------ timeouts, draining, backpressure

    private void setDeadline(int kind, long timeoutMillis) {
        setDeadlineNanos(kind, timeoutMillis * 1_000_000L);
    }

    private void setDeadlineNanos(int kind, long timeoutNanos) {
        deadlineKind = kind;
        long at = System.nanoTime() + timeoutNanos;
        deadlineNanos = at == 0 ? 1 : at;
        progressMark = requestBodyBytes + responseBytes;
    }

    /** Called by the loop's sweep when {@link #deadlineNanos} has passed. */
    void onDeadline(long nowNanos) {
        switch (deadlineKind) {
            case D_IDLE:
                deadlineNanos = 0;
                if (state == S_HEAD && cumulation == null) {
                    state = S_CLOSED;
                    channel.close();
                }
                return;
            case D_HEADER:
                deadlineNanos = 0;
                if (state == S_HEAD) {
                    loop.metrics.increment(LoopMetrics.HEADER_TIMEOUTS);
                    reject(408, "request header not received in time");
                }
                return;
            case D_RESPONSE:
                deadlineNanos = 0;
                if ((state == S_EXCHANGE || state == S_CONNECTING) && !responseStarted) {
                    upstreamTimeout();
                }
                return;
            case D_STREAM: {
                long progress = requestBodyBytes + responseBytes;
                if (progress != progressMark) {
                    progressMark = progress;
                    deadlineNanos = nowNanos + route.timeouts().idleTimeoutMillis() * 1_000_000L;
                    return;
                }
                deadlineNanos = 0;
                if (state == S_EXCHANGE && !responseStarted) {
                    upstreamTimeout();
                } else if (state == S_EXCHANGE || state == S_TUNNEL) {
                    abortBoth();
                }
                return;
            }
            case D_QUEUE:
                deadlineNanos = 0;
                if (queued) {
                    queued = false;
                    pool.cancel(this);
                    attemptFailed(AttemptOutcome.TIMEOUT, 503, "upstream connection limit reached");
                }
                return;
            default:
                deadlineNanos = 0;
        }
    }

    private void upstreamTimeout() {
        loop.metrics.increment(LoopMetrics.UPSTREAM_TIMEOUTS);
        dropUpstream();
        connectingTo = null;
        attemptFailed(AttemptOutcome.TIMEOUT, 504, "upstream did not answer in time");
    }

    void onDrain() {
        if (state == S_HEAD && cumulation == null) {
            state = S_CLOSED;
            channel.close();
        } else {
            closeAfter = true;
        }
    }

    private void pause(int reason) {
        int before = pauseMask;
        pauseMask |= reason;
        if (before == 0) {
            channel.config().setAutoRead(false);
        }
    }

    private void resume(int reasons) {
        if ((pauseMask & reasons) == 0) {
            return;
        }
        pauseMask &= ~reasons;
        if (pauseMask == 0) {
            channel.config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ selection helpers

    InetSocketAddress clientAddress() {
        return remote;
    }

    boolean isExcluded(UpstreamEndpoint candidate) {
        for (int i = 0; i < excludedCount; i++) {
            if (excluded[i] == candidate.index()) {
                return true;
            }
        }
        return false;
    }

    private void exclude(UpstreamEndpoint failed) {
        if (failed == null) {
            return;
        }
        if (excluded == null) {
            excluded = new int[MAX_ATTEMPTS];
        }
        if (excludedCount < excluded.length) {
            excluded[excludedCount++] = failed.index();
        }
    }

    void userLocation(double latitudeDegrees, double longitudeDegrees, UserLocationSource source) {
        userLatitude = latitudeDegrees;
        userLongitude = longitudeDegrees;
        userLocationSource = source == null ? UserLocationSource.UNKNOWN : source;
    }

    void userKey(CharSequence key) {
        int length = Math.min(key.length(), 256);
        if (userKey == null || userKey.length < length) {
            userKey = new byte[Math.max(32, length)];
        }
        for (int i = 0; i < length; i++) {
            char c = key.charAt(i);
            userKey[i] = (byte) (c >= 0x20 && c < 0x7F ? c : '?');
        }
        userKeyLength = length;
    }
}
