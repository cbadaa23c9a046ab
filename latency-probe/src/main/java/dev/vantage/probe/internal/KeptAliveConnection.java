package dev.vantage.probe.internal;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import dev.vantage.probe.ProbeKind;
import dev.vantage.probe.ProbeTarget;

/**
 * The probes of one HTTP or echo target over one kept-alive connection (what Envoy's {@code reuse_connection} does):
 * the connection stays open between probes and each probe writes one request on it; the RTT is request written to
 * response head (HTTP) or to the 16th byte read back (echo), so a check costs a write and a read, not a handshake.
 * The connection is reopened, and {@link TargetSlot#connectionsOpened} counted, when the server closed it
 * ({@code Connection: close}, an idle timeout) or it failed.
 *
 * <p>Probe thread only. Invariants: at most one probe at a time and at most one request on the wire, so an answer is
 * never taken for the answer to a later request: a probe that timed out leaves its request outstanding, a late answer
 * is read and dropped, and the connection is reused only once that answer is complete; one whose answer is still
 * missing (or still arriving) when the next probe starts is closed and replaced, as is one with a malformed answer.
 * Keeping the connection over a mere late answer matters on a starved machine, where closing it would turn every
 * slow answer into a reconnect, more work, and more slow answers. When a reused connection
 * closes before any byte of the answer (the server's idle close crossing the request), the probe is retried once on a
 * fresh connection within the same deadline, as HTTP clients do for idempotent requests.
 */
final class KeptAliveConnection implements ProbeInFlight {

    private final ProbeDriver driver;
    private final TargetSlot slot;
    private final boolean http;
    /** The HTTP request, or {@code null} for echo. */
    private final byte[] httpRequest;
    private Connection connection;
    private boolean probing;
    private long startNanos;
    private long requestSentNanos;
    private boolean requestSent;
    private boolean retried;
    private byte[] echoPayload;
    private long echoSequence;
    private InetSocketAddress address;

    KeptAliveConnection(ProbeDriver driver, TargetSlot slot) {
        this.driver = driver;
        this.slot = slot;
        ProbeTarget target = slot.target();
        this.http = target.kind() == ProbeKind.HTTP;
        this.httpRequest = http ? ProbeAttempt.httpRequest(target, true) : null;
    }

    /** Starts one probe at {@code nowNanos}, over the open connection when there is one. */
    void start(long nowNanos, InetSocketAddress targetAddress) {
        address = targetAddress;
        probing = true;
        startNanos = nowNanos;
        requestSent = false;
        retried = false;
        if (connection != null && connection.answering) {
            // The previous answer is missing or still arriving (a timed-out probe, a large body): not free.
            dropConnection();
        }
        if (connection == null) {
            connect();
        } else if (connection.connected) {
            send();
        }
        // Otherwise a connect is in progress: the request goes out when it completes.
    }

    /** Whether a connection is open or being opened (for tests and the admin view). */
    boolean hasConnection() {
        return connection != null;
    }

    @Override
    public void timeout() {
        if (!probing) {
            return;
        }
        boolean connected = connection != null && connection.connected;
        if (!requestSent) {
            dropConnection(); // still connecting: the next probe starts over
        }
        // Otherwise the request stays outstanding: its answer, if it comes, is read and dropped (see start()).
        fail(ProbeAttempt.timeoutError(slot.target(), connected));
    }

    @Override
    public void abort() {
        probing = false;
        dropConnection();
    }

    private void connect() {
        Connection opening = new Connection();
        connection = opening;
        slot.connectionsOpened++;
        driver.onConnectionOpened();
        ChannelFuture future = driver.conversationBootstrap().handler(opening).connect(address);
        opening.channel = future.channel();
        future.addListener(opening);
    }

    private void send() {
        ByteBuf request;
        if (http) {
            request = Unpooled.wrappedBuffer(httpRequest);
        } else {
            echoPayload = ProbeAttempt.echoPayloadText(++echoSequence).getBytes(StandardCharsets.US_ASCII);
            request = Unpooled.wrappedBuffer(echoPayload);
        }
        requestSent = true;
        connection.answering = true;
        connection.answerBytesSeen = false;
        requestSentNanos = driver.nanoTime();
        // A failed write fires exceptionCaught and then channelInactive, which fail the probe: no promise per probe.
        connection.channel.writeAndFlush(request, connection.channel.voidPromise());
    }

    private void dropConnection() {
        Connection dropped = connection;
        connection = null;
        if (dropped != null) {
            dropped.close();
        }
    }

    private void succeed(long rttNanos) {
        // A stalled loop may read a late answer before it runs the expired deadline: it is still a timeout.
        if (driver.nanoTime() - startNanos > TimeUnit.MILLISECONDS.toNanos(slot.target().timeoutMillis())) {
            timeout();
            return;
        }
        probing = false;
        driver.onSuccess(slot, rttNanos);
    }

    private void fail(String error) {
        probing = false;
        driver.onFailure(slot, error);
    }

    /** One TCP connection of this target; events of a connection that is no longer the current one are ignored. */
    private final class Connection extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
        Channel channel;
        boolean connected;
        /** A request is on the wire and its answer is not complete yet. */
        boolean answering;
        boolean answerBytesSeen;
        int answers;
        boolean closeAfterAnswer;
        String failure;
        private ByteBuf echoReceived;

        private boolean current() {
            return connection == this;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (http) {
                ctx.pipeline().addBefore(ctx.name(), null, new HttpResponseDecoder());
            }
        }

        /** Connect completed. */
        @Override
        public void operationComplete(ChannelFuture future) {
            if (!driver.onProbeThread(() -> operationComplete(future))) {
                return;
            }
            if (!current()) {
                return;
            }
            if (!future.isSuccess()) {
                connection = null;
                if (probing) {
                    fail(ProbeAttempt.describe(future.cause()));
                }
                return;
            }
            connected = true;
            if (probing && !requestSent) {
                send();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!current() || !answering) {
                    // Nothing was asked: an unsolicited answer makes the connection untrustworthy.
                    if (current()) {
                        dropConnection();
                    }
                    return;
                }
                answerBytesSeen = true;
                if (http) {
                    onHttp(msg);
                } else if (msg instanceof ByteBuf data) {
                    onEcho(data);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onHttp(Object msg) {
            if (msg instanceof HttpResponse response) {
                long now = driver.nanoTime();
                if (response.decoderResult().isFailure()) {
                    dropConnection();
                    if (probing) {
                        fail("bad answer: " + ProbeAttempt.describe(response.decoderResult().cause()));
                    }
                    return;
                }
                int status = response.status().code();
                if (status >= 100 && status < 200 && status != 101) {
                    return; // informational: the final answer follows
                }
                closeAfterAnswer = !HttpUtil.isKeepAlive(response) || status == 101;
                if (probing) {
                    ProbeTarget target = slot.target();
                    if (target.statusPasses(status)) {
                        succeed(now - requestSentNanos);
                    } else {
                        int expected = target.expectedStatus();
                        fail("status " + status + " (expected: " + (expected == ProbeTarget.ANY_2XX_3XX ? "2xx or 3xx"
                                : Integer.toString(expected)) + ")");
                    }
                }
            }
            if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
                dropConnection();
                if (probing) {
                    fail("bad answer: " + ProbeAttempt.describe(content.decoderResult().cause()));
                }
                return;
            }
            if (msg instanceof LastHttpContent && current()) {
                answering = false;
                answers++;
                if (closeAfterAnswer) {
                    dropConnection();
                }
            }
        }

        private void onEcho(ByteBuf data) {
            if (echoReceived == null) {
                echoReceived = channel.alloc().heapBuffer(ProbeAttempt.ECHO_LENGTH_BYTES);
            }
            echoReceived.writeBytes(data, Math.min(data.readableBytes(),
                    ProbeAttempt.ECHO_LENGTH_BYTES - echoReceived.readableBytes()));
            if (data.isReadable()) {
                // More than was sent: the peer is not an echo server we can keep talking to.
                dropConnection();
                if (probing) {
                    fail("bad answer: more bytes than the 16 sent");
                }
                return;
            }
            if (echoReceived.readableBytes() < ProbeAttempt.ECHO_LENGTH_BYTES) {
                return;
            }
            long now = driver.nanoTime();
            boolean same = true;
            for (int i = 0; i < ProbeAttempt.ECHO_LENGTH_BYTES; i++) {
                same &= echoReceived.getByte(i) == echoPayload[i];
            }
            echoReceived.clear();
            answering = false;
            answers++;
            if (!same) {
                dropConnection();
                if (probing) {
                    fail("bad answer: echo differs from the 16 bytes sent");
                }
            } else if (probing) {
                succeed(now - requestSentNanos);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = ProbeAttempt.describe(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseEcho();
            if (!current()) {
                return;
            }
            connection = null;
            if (!probing || !requestSent) {
                return; // closed while idle (the server's idle timeout, Connection: close): reopened at the next probe
            }
            if (answers > 0 && !answerBytesSeen && !retried) {
                // The server closed a reused connection as the request crossed it: one retry on a fresh one.
                retried = true;
                requestSent = false;
                connect();
                return;
            }
            fail(failure != null ? failure : "connection closed before an answer");
        }

        void close() {
            releaseEcho();
            if (channel != null) {
                channel.close();
            }
        }

        private void releaseEcho() {
            if (echoReceived != null) {
                echoReceived.release();
                echoReceived = null;
            }
        }
    }
}
