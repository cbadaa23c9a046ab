package dev.vantage.probe.internal;

import java.net.ConnectException;
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
import io.netty.channel.ConnectTimeoutException;

import dev.vantage.probe.ProbeKind;
import dev.vantage.probe.ProbeTarget;

/**
 * One probe of one target over a fresh connection: connect, then (HTTP) write a GET with {@code Connection: close}
 * and read the status line, or (echo) write 16 bytes and read them back. Lives on the probe thread only. Completes
 * exactly once, by success, failure, timeout (told by the driver's {@link ProbeTimers}) or abort, and then closes its
 * channel and releases what it holds.
 */
final class ProbeAttempt extends ChannelInboundHandlerAdapter implements ChannelFutureListener, ProbeInFlight {

    /** Longest status line accepted before the answer is declared malformed. */
    static final int MAX_STATUS_LINE_BYTES = 1024;
    static final int ECHO_LENGTH_BYTES = 16;

    private final ProbeDriver driver;
    private final TargetSlot slot;
    private final long startNanos;
    private final byte[] echoPayload;
    private Channel channel;
    private ByteBuf received;
    private long requestSentNanos;
    private boolean connected;
    private boolean done;

    ProbeAttempt(ProbeDriver driver, TargetSlot slot, long startNanos, long sequence) {
        this.driver = driver;
        this.slot = slot;
        this.startNanos = startNanos;
        if (slot.target().kind() == ProbeKind.TCP_ECHO) {
            echoPayload = echoPayloadText(sequence).getBytes(StandardCharsets.US_ASCII);
        } else {
            echoPayload = null;
        }
    }

    long startNanos() {
        return startNanos;
    }

    TargetSlot slot() {
        return slot;
    }

    void start(ChannelFuture connectFuture) {
        channel = connectFuture.channel();
        connectFuture.addListener(this);
    }

    /** Connect completed. */
    @Override
    public void operationComplete(ChannelFuture future) {
        if (!driver.onProbeThread(() -> operationComplete(future))) {
            return;
        }
        if (done) {
            return;
        }
        if (!future.isSuccess()) {
            fail(describe(future.cause()));
            return;
        }
        connected = true;
        ProbeTarget target = slot.target();
        switch (target.kind()) {
            case TCP_CONNECT -> succeed(driver.nanoTime() - startNanos);
            case HTTP -> {
                requestSentNanos = driver.nanoTime();
                channel.writeAndFlush(Unpooled.wrappedBuffer(httpRequest(target, false)))
                        .addListener(this::writeComplete);
            }
            case TCP_ECHO -> {
                requestSentNanos = driver.nanoTime();
                channel.writeAndFlush(Unpooled.wrappedBuffer(echoPayload)).addListener(this::writeComplete);
            }
            default -> throw new IllegalStateException("kind: " + target.kind());
        }
    }

    private void writeComplete(io.netty.util.concurrent.Future<? super Void> future) {
        if (!future.isSuccess() && !done) {
            fail("write failed: " + describe(future.cause()));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf data)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (done) {
                return;
            }
            if (received == null) {
                received = ctx.alloc().heapBuffer(Math.min(MAX_STATUS_LINE_BYTES, Math.max(64, data.readableBytes())));
            }
            int room = MAX_STATUS_LINE_BYTES - received.writerIndex();
            received.writeBytes(data, Math.min(room, data.readableBytes()));
        } finally {
            data.release();
        }
        long now = driver.nanoTime();
        if (slot.target().kind() == ProbeKind.HTTP) {
            onHttpBytes(now);
        } else if (slot.target().kind() == ProbeKind.TCP_ECHO) {
            onEchoBytes(now);
        } else {
            // A connect probe has already completed; nothing to read.
            received.clear();
        }
    }

    private void onHttpBytes(long now) {
        int lineEnd = received.indexOf(received.readerIndex(), received.writerIndex(), (byte) '\n');
        if (lineEnd < 0) {
            if (received.writerIndex() >= MAX_STATUS_LINE_BYTES) {
                fail("bad answer: no HTTP status line in the first " + MAX_STATUS_LINE_BYTES + " bytes");
            }
            return;
        }
        String line = received.toString(0, lineEnd, StandardCharsets.US_ASCII).trim();
        int status = parseStatus(line);
        if (status < 0) {
            fail("bad answer: status line '" + printable(line) + "' (expected: HTTP/1.x NNN ...)");
        } else if (!slot.target().statusPasses(status)) {
            int expected = slot.target().expectedStatus();
            fail("status " + status + " (expected: " + (expected == ProbeTarget.ANY_2XX_3XX ? "2xx or 3xx"
                    : Integer.toString(expected)) + ")");
        } else {
            succeed(now - requestSentNanos);
        }
    }

    /** The status code of an HTTP/1.x status line, or -1 when the line is not one. */
    static int parseStatus(String line) {
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            return -1;
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            status = status * 10 + (c - '0');
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            return -1;
        }
        return status < 100 ? -1 : status;
    }

    private void onEchoBytes(long now) {
        if (received.readableBytes() < ECHO_LENGTH_BYTES) {
            return;
        }
        for (int i = 0; i < ECHO_LENGTH_BYTES; i++) {
            if (received.getByte(i) != echoPayload[i]) {
                fail("bad answer: echo differs from the 16 bytes sent");
                return;
            }
        }
        succeed(now - requestSentNanos);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            fail("connection closed before an answer");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done) {
            fail(describe(cause));
        }
    }

    /** The request of an HTTP check, as bytes: a GET of the path, closing the connection unless kept alive. */
    static byte[] httpRequest(ProbeTarget target, boolean keepAlive) {
        return ("GET " + target.healthCheckPath() + " HTTP/1.1\r\nHost: " + target.address()
                + "\r\nUser-Agent: vantage-probe\r\nAccept: */*\r\n" + (keepAlive ? "" : "Connection: close\r\n")
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The timeout message of a probe of {@code target}, depending on whether it got as far as connected. */
    static String timeoutError(ProbeTarget target, boolean connected) {
        boolean connectOnly = target.kind() == ProbeKind.TCP_CONNECT;
        return (connected && !connectOnly ? "timeout: no answer within " : "connect timeout: not connected within ")
                + target.timeoutMillis() + " ms";
    }

    /** The deadline passed. */
    @Override
    public void timeout() {
        if (!done) {
            fail(timeoutError(slot.target(), connected));
        }
    }

    @Override
    public void abort() {
        complete();
    }

    private void succeed(long rttNanos) {
        // A stalled loop may handle a late answer before the expired deadline: it is still a timeout.
        if (driver.nanoTime() - startNanos > TimeUnit.MILLISECONDS.toNanos(slot.target().timeoutMillis())) {
            timeout();
            return;
        }
        if (complete()) {
            driver.onSuccess(slot, rttNanos);
        }
    }

    private void fail(String error) {
        if (complete()) {
            driver.onFailure(slot, error);
        }
    }

    /** Marks the attempt done, releases its buffer and closes its channel. */
    private boolean complete() {
        if (done) {
            return false;
        }
        done = true;
        if (received != null) {
            received.release();
            received = null;
        }
        if (channel != null) {
            channel.close();
        }
        return true;
    }

    static String describe(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        if (cause instanceof ConnectException || root instanceof ConnectException) {
            return "connect failed: " + message;
        }
        return message;
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 80));
        for (int i = 0; i < text.length() && i < 80; i++) {
            char c = text.charAt(i);
            out.append(c >= ' ' && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    static String echoPayloadText(long sequence) {
        return String.format("VPROBE%010d", sequence % 10_000_000_000L);
    }

    static InetSocketAddress resolve(ProbeTarget target) {
        return new InetSocketAddress(target.address().host(), target.address().port());
    }

    /** Whether {@code host} is an IPv4 or IPv6 literal rather than a name. */
    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        int dots = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3;
    }
}
