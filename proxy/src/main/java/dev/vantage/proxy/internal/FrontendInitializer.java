package dev.vantage.proxy.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;

/** Installs TLS (when the listener has it) and a {@link FrontendConnection} on every accepted client channel. */
@ChannelHandler.Sharable
public final class FrontendInitializer extends ChannelInitializer<Channel> {

    private final ProxyEngine engine;
    private final SslContext tls;

    public FrontendInitializer(ProxyEngine engine) {
        this(engine, null);
    }

    /** With {@code tls} non-null, every client connection is TLS-terminated before HTTP parsing. */
    public FrontendInitializer(ProxyEngine engine, SslContext tls) {
        this.engine = engine;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel channel) {
        if (tls != null) {
            channel.pipeline().addLast(tls.newHandler(channel.alloc()));
        }
        channel.pipeline().addLast(new FrontendConnection(engine.loop(channel.eventLoop()), tls != null));
    }
}
