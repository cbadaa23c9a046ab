package dev.vantage.probe;

/** How a target is probed. */
public enum ProbeKind {
    /** TCP connect time; the connection is reset right after it is established. */
    TCP_CONNECT,
    /** An HTTP/1.1 GET of the health check path; RTT is the time from request written to status line received. */
    HTTP,
    /** A TCP connect, then 16 bytes written and read back (RFC 862 echo); RTT is write to last byte read back. */
    TCP_ECHO;

    /** The lower-case name used in JSON and metric labels. */
    public String label() {
        return switch (this) {
            case TCP_CONNECT -> "tcp";
            case HTTP -> "http";
            case TCP_ECHO -> "echo";
        };
    }
}
