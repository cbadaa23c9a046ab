package dev.vantage.config;

/** Which Netty transport a listener uses; {@link #AUTO} tries io_uring, then epoll, then NIO. */
public enum Transport { AUTO, IO_URING, EPOLL, NIO }
