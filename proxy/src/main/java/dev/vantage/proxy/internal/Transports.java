package dev.vantage.proxy.internal;

import dev.vantage.config.Transport;
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
 * Chooses the Netty transport: {@code AUTO} tries io_uring, then epoll, then NIO; a forced transport that is not
 * available on this machine is an error that names the reason. Stateless.
 */
public final class Transports {

    /** A usable transport: its name, I/O handler factory and channel classes. */
    public record Choice(Transport transport, String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerSocketChannel> serverChannel,
                         Class<? extends SocketChannel> socketChannel) {
    }

    private Transports() {
    }

    /** Whether {@code transport} can run here. */
    public static boolean isAvailable(Transport transport) {
        switch (transport) {
            case IO_URING:
                return IoUring.isAvailable();
            case EPOLL:
                return Epoll.isAvailable();
            default:
                return true;
        }
    }

    /** Why {@code transport} cannot run here, or {@code null} when it can. */
    public static String unavailabilityReason(Transport transport) {
        Throwable cause = null;
        if (transport == Transport.IO_URING && !IoUring.isAvailable()) {
            cause = IoUring.unavailabilityCause();
        } else if (transport == Transport.EPOLL && !Epoll.isAvailable()) {
            cause = Epoll.unavailabilityCause();
        } else {
            return null;
        }
        return cause == null ? "unavailable" : String.valueOf(cause.getMessage());
    }

    /**
     * The transport to use for {@code requested}.
     *
     * @throws IllegalStateException when a forced transport is not available
     */
    public static Choice choose(Transport requested) {
        Transport wanted = requested == null ? Transport.AUTO : requested;
        if (wanted == Transport.AUTO) {
            if (IoUring.isAvailable()) {
                return ioUring();
            }
            return Epoll.isAvailable() ? epoll() : nio();
        }
        if (!isAvailable(wanted)) {
            throw new IllegalStateException("transport: " + name(wanted) + " is not available on this machine ("
                    + unavailabilityReason(wanted) + ") (expected: auto, nio, or an available native transport)");
        }
        switch (wanted) {
            case IO_URING:
                return ioUring();
            case EPOLL:
                return epoll();
            default:
                return nio();
        }
    }

    /** {@code io_uring}, {@code epoll} or {@code nio}. */
    public static String name(Transport transport) {
        return transport == Transport.IO_URING ? "io_uring" : transport.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Choice ioUring() {
        return new Choice(Transport.IO_URING, "io_uring", IoUringIoHandler.newFactory(),
                IoUringServerSocketChannel.class, IoUringSocketChannel.class);
    }

    private static Choice epoll() {
        return new Choice(Transport.EPOLL, "epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class);
    }

    private static Choice nio() {
        return new Choice(Transport.NIO, "nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class);
    }
}
