package dev.vantage.perf.internal;

import java.util.Locale;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * The Netty transports the load tools can run on. {@link #best} prefers epoll, then io_uring, then NIO: on the
 * loaded 2-core test machine io_uring's timers fired late (p50 1.9 s against 15 ms for epoll at 100 req/s to the
 * same nginx), which an open-loop generator that sends on a timer cannot afford.
 */
public enum Transport {
    IO_URING("io_uring"),
    EPOLL("epoll"),
    NIO("nio");

    private final String displayName;

    Transport(String displayName) {
        this.displayName = displayName;
    }

    public String displayName() {
        return displayName;
    }

    /** The best transport this machine supports. */
    public static Transport best() {
        if (EPOLL.isAvailable()) {
            return EPOLL;
        }
        return IO_URING.isAvailable() ? IO_URING : NIO;
    }

    /**
     * The transport named {@code name} ({@code auto}, {@code io_uring}, {@code epoll} or {@code nio}).
     *
     * @throws IllegalArgumentException when the name is unknown or the transport is not available here
     */
    public static Transport parse(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("auto")) {
            return best();
        }
        for (Transport transport : values()) {
            if (transport.displayName.equals(lower)) {
                if (!transport.isAvailable()) {
                    throw new IllegalArgumentException("transport: " + name + " is not available on this machine"
                            + " (expected: one of auto, nio" + (EPOLL.isAvailable() ? ", epoll" : "")
                            + (IO_URING.isAvailable() ? ", io_uring" : "") + ")");
                }
                return transport;
            }
        }
        throw new IllegalArgumentException("transport: " + name + " (expected: auto, io_uring, epoll or nio)");
    }

    public boolean isAvailable() {
        try {
            return switch (this) {
                case IO_URING -> IoUring.isAvailable();
                case EPOLL -> Epoll.isAvailable();
                case NIO -> true;
            };
        } catch (LinkageError e) {
            return false;
        }
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return switch (this) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    public Class<? extends ServerSocketChannel> serverSocketChannelClass() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }
}
