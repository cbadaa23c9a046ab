package dev.vantage.proxy.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;

/** Installs a {@link FrontendConnection} on every accepted client channel. Stateless and shared. */
@ChannelHandler.Sharable
public final class FrontendInitializer extends ChannelInitializer<Channel> {

    private final ProxyEngine engine;

    public FrontendInitializer(ProxyEngine engine) {
        this.engine = engine;
    }

    @Override
    protected void initChannel(Channel channel) {
        channel.pipeline().addLast(new FrontendConnection(engine.loop(channel.eventLoop())));
    }
}
