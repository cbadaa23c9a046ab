package dev.vantage.probe;

/** Which Netty transport the probe event loop uses. */
public enum ProbeTransport {
    /** io_uring when available, else epoll, else NIO. */
    AUTO,
    IO_URING,
    EPOLL,
    NIO
}
