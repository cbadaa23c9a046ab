package dev.vantage.replication.internal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.ssl.SSLException;

import dev.vantage.config.InterSiteTls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;

/**
 * TLS between sites for the replication transport: one server context (this site's certificate; peers must present
 * a certificate that chains to the trusted CA bundle in mutual mode) and one client context (the same certificate;
 * the receiver's certificate must chain to the bundle and name the address the sender dialled). TLS 1.3, else 1.2.
 *
 * <p>Threading: immutable after {@link #of}; the handlers run on their channel's event loop, the counters are atomic.
 * Refused peers are logged at most once per {@link #LOG_INTERVAL_NANOS} (with the number left out), so a scanner
 * hammering the port cannot flood the log from an event loop.
 */
final class PeerTls {

    private static final Logger LOG = Logger.getLogger(PeerTls.class.getName());
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    final AtomicLong refusedPeers = new AtomicLong();
    final AtomicLong failedConnections = new AtomicLong();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private final AtomicLong unloggedRefusals = new AtomicLong();
    private final InterSiteTls files;
    private final SslContext server;
    private final SslContext client;

    private PeerTls(InterSiteTls files, SslContext server, SslContext client) {
        this.files = files;
        this.server = server;
        this.client = client;
    }

    /**
     * Reads the PEM files of {@code files}.
     *
     * @throws IllegalArgumentException naming the files when one cannot be read or does not hold what it should
     */
    static PeerTls of(InterSiteTls files) {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        try {
            SslContext server = SslContextBuilder
                    .forServer(files.certificateFile().toFile(), files.privateKeyFile().toFile())
                    .trustManager(files.trustedCertificatesFile().toFile())
                    .clientAuth(files.requireClientCertificate() ? ClientAuth.REQUIRE : ClientAuth.NONE)
                    .protocols(PROTOCOLS).sslProvider(provider).build();
            SslContext client = SslContextBuilder.forClient()
                    .keyManager(files.certificateFile().toFile(), files.privateKeyFile().toFile())
                    .trustManager(files.trustedCertificatesFile().toFile())
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols(PROTOCOLS).sslProvider(provider).build();
            return new PeerTls(files, server, client);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("replication tls: certificateFile " + files.certificateFile()
                    + ", privateKeyFile " + files.privateKeyFile() + ", trustedCertificatesFile "
                    + files.trustedCertificatesFile() + ": " + reason(e) + " (expected: readable PEM files: a"
                    + " certificate chain, its PKCS#8 private key and a CA bundle)", e);
        }
    }

    /** Adds the client side of TLS to {@code channel}, verifying that the peer's certificate names {@code peer}. */
    void addClient(Channel channel, InetSocketAddress peer) {
        SslHandler ssl = client.newHandler(channel.alloc(), peer.getHostString(), peer.getPort());
        channel.pipeline().addLast("tls", ssl);
        channel.pipeline().addLast("tls-errors", new ClientErrors(peer));
    }

    /** Adds the server side of TLS to an accepted {@code channel}. */
    void addServer(Channel channel) {
        channel.pipeline().addLast("tls", server.newHandler(channel.alloc()));
        channel.pipeline().addLast("tls-refusals", new ServerRefusals());
    }

    private Path trusted() {
        return files.trustedCertificatesFile();
    }

    /**
     * The first line of the innermost message of {@code error}: the engines wrap the reason (an untrusted chain, a
     * name that does not match) in generic messages such as "General OpenSslEngine problem".
     */
    static String reason(Throwable error) {
        String message = null;
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "the peer did not speak TLS";
            }
            if (t.getMessage() != null && !(t instanceof DecoderException)) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            message = error.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** Counts and logs peers whose handshake failed; nothing of theirs reaches the protocol handler. */
    private final class ServerRefusals extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                refusedPeers.incrementAndGet();
                logRefusal(ctx.channel().remoteAddress(), done.cause());
                ctx.close();
            }
            super.userEventTriggered(ctx, event);
        }
    }

    private void logRefusal(SocketAddress peer, Throwable cause) {
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last < LOG_INTERVAL_NANOS || !lastLogNanos.compareAndSet(last, now)) {
            unloggedRefusals.incrementAndGet();
            return;
        }
        long skipped = unloggedRefusals.getAndSet(0);
        String reason = reason(cause);
        // An alert means the peer gave up on this site (it did not trust our certificate), not the other way round.
        String expected = reason.toLowerCase(java.util.Locale.ROOT).contains("alert")
                ? "a peer that trusts this site's certificate " + files.certificateFile()
                : "a certificate that chains to " + trusted()
                        + (files.requireClientCertificate() ? ", presented by every connecting site" : "");
        LOG.log(Level.WARNING, () -> "replication: refused peer " + peer + ": tls handshake failed: " + reason
                + " (expected: " + expected + ")"
                + (skipped > 0 ? "; " + skipped + " more refusals since the last line" : ""));
    }

    /** Turns handshake and session failures on a sender's connection into errors that say what to check. */
    private final class ClientErrors extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress peer;
        private boolean handshaken;
        private boolean reported;

        ClientErrors(InetSocketAddress peer) {
            this.peer = peer;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    handshaken = true;
                } else {
                    report(ctx, done.cause());
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (isTls(cause)) {
                report(ctx, cause);
            } else {
                ctx.fireExceptionCaught(cause);
            }
        }

        private void report(ChannelHandlerContext ctx, Throwable cause) {
            if (reported) {
                return;
            }
            reported = true;
            failedConnections.incrementAndGet();
            String where = peer.getHostString() + ":" + peer.getPort();
            String message = handshaken
                    ? "tls session with " + where + " failed: " + reason(cause) + " (expected: the peer to accept"
                            + " this site's certificate " + files.certificateFile() + "; it must chain to a CA the"
                            + " peer trusts)"
                    : "tls handshake with " + where + " failed: " + reason(cause) + " (expected: a peer certificate"
                            + " that chains to " + trusted() + " and names " + peer.getHostString() + ")";
            ctx.fireExceptionCaught(new SSLException(message, cause));
        }

        private static boolean isTls(Throwable cause) {
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof SSLException) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * On a plaintext sender's connection, explains a close before the peer's first reply: a receiver that requires
     * TLS closes plaintext connections without a word.
     */
    static final class PlaintextHint extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress peer;
        private boolean answered;

        PlaintextHint(InetSocketAddress peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!answered && msg instanceof ByteBuf buf && buf.isReadable()) {
                answered = true;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (!answered) {
                ctx.fireExceptionCaught(new java.io.IOException("peer " + peer.getHostString() + ":" + peer.getPort()
                        + " closed the connection before its first reply (expected: a reply; a receiver that"
                        + " requires TLS closes plaintext connections, so give this site the receiver's tls"
                        + " settings)"));
            }
            super.channelInactive(ctx);
        }
    }
}
