package dev.vantage.probe.internal;

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

import dev.vantage.probe.ProbeTransport;

/**
 * A Netty transport: the I/O handler factory and the socket channel classes that go with it.
 *
 * @param name               {@code io_uring}, {@code epoll} or {@code nio}
 * @param ioHandlerFactory   for the event loop group
 * @param channelClass       client sockets
 * @param serverChannelClass server sockets (for tests and benchmarks)
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends SocketChannel> channelClass,
                        Class<? extends ServerSocketChannel> serverChannelClass) {

    /**
     * The transport for {@code preference}: AUTO picks io_uring, then epoll, then NIO.
     *
     * @throws IllegalStateException when a native transport is asked for by name and is not available here
     */
    public static Transport select(ProbeTransport preference) {
        return switch (preference) {
            case AUTO -> IoUring.isAvailable() ? ioUring() : Epoll.isAvailable() ? epoll() : nio();
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("transport: io_uring (unavailable here: "
                            + IoUring.unavailabilityCause() + ")");
                }
                yield ioUring();
            }
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport: epoll (unavailable here: "
                            + Epoll.unavailabilityCause() + ")");
                }
                yield epoll();
            }
            case NIO -> nio();
        };
    }

    /** Whether {@code preference} can be selected on this machine. */
    public static boolean available(ProbeTransport preference) {
        return switch (preference) {
            case AUTO, NIO -> true;
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
        };
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringSocketChannel.class,
                IoUringServerSocketChannel.class);
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollSocketChannel.class,
                EpollServerSocketChannel.class);
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioSocketChannel.class, NioServerSocketChannel.class);
    }
}
