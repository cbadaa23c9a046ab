package dev.vantage.config;

import java.util.Objects;

/**
 * One backend server behind the proxy.
 *
 * @param host   host name or IP literal
 * @param port   1..65535
 * @param weight operator weight, &gt; 0 (default 1.0); the predictor multiplies it
 */
public record Upstream(String host, int port, double weight) {

    public static final double DEFAULT_WEIGHT = 1.0;

    public Upstream {
        Objects.requireNonNull(host, "host");
    }

    public static Upstream of(String host, int port) {
        return new Upstream(host, port, DEFAULT_WEIGHT);
    }

    /** {@code host:port}. */
    public String endpoint() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
