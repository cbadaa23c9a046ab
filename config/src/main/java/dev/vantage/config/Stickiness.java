package dev.vantage.config;

/**
 * How a route keeps a user on the same target.
 *
 * @param mode             default {@link StickinessMode#OFF}
 * @param strict           default false; when true, answer 503 rather than move a user whose target is unavailable
 * @param cookieName       affinity cookie name for {@code COOKIE}, default {@code vantage-affinity}
 * @param headerName       user key header for {@code HEADER}, default {@code X-User-Id}
 * @param cookieTtlSeconds 1..31536000, default 3600
 * @param loadFactor       bounded-load consistent hashing factor, 1.0..10.0, default 1.25
 */
public record Stickiness(StickinessMode mode, boolean strict, String cookieName, String headerName,
                         long cookieTtlSeconds, double loadFactor) {

    public static final String DEFAULT_COOKIE_NAME = "vantage-affinity";
    public static final String DEFAULT_HEADER_NAME = "X-User-Id";
    public static final long DEFAULT_COOKIE_TTL_SECONDS = 3_600;
    public static final double DEFAULT_LOAD_FACTOR = 1.25;

    public Stickiness {
        mode = mode == null ? StickinessMode.OFF : mode;
        cookieName = cookieName == null ? DEFAULT_COOKIE_NAME : cookieName;
        headerName = headerName == null ? DEFAULT_HEADER_NAME : headerName;
    }

    public static Stickiness off() {
        return new Stickiness(StickinessMode.OFF, false, DEFAULT_COOKIE_NAME, DEFAULT_HEADER_NAME,
                DEFAULT_COOKIE_TTL_SECONDS, DEFAULT_LOAD_FACTOR);
    }

    public static Stickiness cookie(boolean strict) {
        return new Stickiness(StickinessMode.COOKIE, strict, DEFAULT_COOKIE_NAME, DEFAULT_HEADER_NAME,
                DEFAULT_COOKIE_TTL_SECONDS, DEFAULT_LOAD_FACTOR);
    }
}
