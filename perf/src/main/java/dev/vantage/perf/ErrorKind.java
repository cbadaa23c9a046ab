package dev.vantage.perf;

import java.util.Locale;

/** Why a request of the load generator failed, as printed in its error summary. */
public enum ErrorKind {
    /** A connection attempt failed (counted per attempt; refused, unreachable or connect timeout). */
    CONNECT,
    /** No complete response within the request timeout, or a request queued longer than the timeout. */
    TIMEOUT,
    /** The connection was reset or closed while a request was in flight. */
    RESET,
    /** The response could not be parsed as HTTP/1.1. */
    PROTOCOL,
    /** A 4xx response (its latency is still recorded). */
    STATUS_4XX,
    /** A 5xx response (its latency is still recorded). */
    STATUS_5XX;

    /** The name in output: {@code connect}, {@code status_5xx}... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
