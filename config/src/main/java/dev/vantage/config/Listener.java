package dev.vantage.config;

import java.util.Objects;

/**
 * One socket a site accepts user traffic on.
 *
 * @param name      unique within the site
 * @param address   bind address (IP literal or host name), e.g. {@code 0.0.0.0}
 * @param port      1..65535
 * @param transport event loop transport
 * @param tls       PEM files for HTTPS, or {@code null} for plain HTTP
 */
public record Listener(String name, String address, int port, Transport transport, TlsFiles tls) {

    public static final String DEFAULT_ADDRESS = "0.0.0.0";

    public Listener {
        Objects.requireNonNull(name, "name");
        address = address == null ? DEFAULT_ADDRESS : address;
        transport = transport == null ? Transport.AUTO : transport;
    }

    /** A plain HTTP listener with the automatic transport. */
    public static Listener http(String name, String address, int port) {
        return new Listener(name, address, port, Transport.AUTO, null);
    }

    /** {@code address:port} as written in errors and logs. */
    public String endpoint() {
        return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
    }
}
