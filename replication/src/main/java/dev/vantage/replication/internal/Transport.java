package dev.vantage.replication.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.LengthFieldPrepender;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import dev.vantage.config.InterSiteTls;

/**
 * The Netty transport of the replication protocol: epoll when available, else NIO; every connection frames
 * messages with a 4-byte length and counts the bytes it moves and, when the site has {@link InterSiteTls}, is
 * encrypted and authenticated with TLS (see {@link PeerTls}). Immutable after construction; the counters are
 * atomic.
 */
public final class Transport implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean epoll;
    private final PeerTls tls;

    /** A plaintext transport. */
    public Transport(int threads) {
        this(threads, null);
    }

    /**
     * A transport that secures every connection with {@code tls}, or plaintext when {@code null}.
     *
     * @throws IllegalArgumentException when a certificate, key or CA file cannot be read
     */
    public Transport(int threads, InterSiteTls tls) {
        this.tls = tls == null ? null : PeerTls.of(tls);
        this.epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** Whether connections are TLS. */
    public boolean secured() {
        return tls != null;
    }

    /** Peers refused by this transport's receivers because their TLS handshake failed (untrusted, no certificate). */
    public long tlsRefusedPeers() {
        return tls == null ? 0 : tls.refusedPeers.get();
    }

    /** Connections of this transport's senders whose TLS handshake or session failed. */
    public long tlsFailedConnections() {
        return tls == null ? 0 : tls.failedConnections.get();
    }

    /** Sets up an outgoing connection to {@code peer}: TLS first when configured, then {@link #initPipeline}. */
    public void initClientPipeline(Channel channel, InetSocketAddress peer, AtomicLong wireBytes,
                                   ChannelHandler handler) {
        if (tls != null) {
            tls.addClient(channel, peer);
        } else {
            channel.pipeline().addLast("plaintext-hint", new PeerTls.PlaintextHint(peer));
        }
        initPipeline(channel.pipeline(), wireBytes, handler);
    }

    /** Sets up an accepted connection: TLS first when configured, then {@link #initPipeline}. */
    public void initServerPipeline(Channel channel, AtomicLong wireBytes, ChannelHandler handler) {
        if (tls != null) {
            tls.addServer(channel);
        }
        initPipeline(channel.pipeline(), wireBytes, handler);
    }

    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends Channel> socketChannel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }

    /** Adds byte counting and length framing to {@code pipeline}, then {@code handler}. */
    public static void initPipeline(ChannelPipeline pipeline, AtomicLong wireBytes, ChannelHandler handler) {
        pipeline.addLast("wire-bytes", new WireByteCounter(wireBytes));
        pipeline.addLast("frame-decoder", new FrameSplitter(FrameCodec.MAX_FRAME_BYTES));
        pipeline.addLast("frame-prepender", new LengthFieldPrepender(4));
        pipeline.addLast("protocol", handler);
    }

    /** Counts bytes read from and written to the socket. */
    static final class WireByteCounter extends ChannelDuplexHandler {
        private final AtomicLong bytes;

        WireByteCounter(AtomicLong bytes) {
            this.bytes = bytes;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                bytes.addAndGet(buf.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                bytes.addAndGet(buf.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
