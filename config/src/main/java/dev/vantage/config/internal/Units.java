package dev.vantage.config.internal;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses human forms of durations ({@code 500ms}, {@code 2s}, {@code 1.5m}, {@code 1h}, {@code 1d}) and byte sizes
 * ({@code 512}, {@code 64KiB}, {@code 50MiB}, {@code 1GB}, optionally followed by {@code /s}). Stateless.
 */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?(/s)?");

    private Units() {
    }

    /** The duration in milliseconds, or -1 when {@code text} is not a duration with a unit or not whole millis. */
    public static long parseMillis(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return -1;
        }
        long unitMillis;
        switch (m.group(2)) {
            case "ms": unitMillis = 1; break;
            case "s": unitMillis = 1_000; break;
            case "m": unitMillis = 60_000; break;
            case "h": unitMillis = 3_600_000; break;
            default: unitMillis = 86_400_000; break;
        }
        return whole(m.group(1), unitMillis);
    }

    /**
     * The size in bytes, or -1 when {@code text} is not a size. {@code perSecond} allows a trailing {@code /s}.
     * Decimal units (KB, MB...) are powers of 1000, binary units (KiB, MiB...) powers of 1024.
     */
    public static long parseBytes(String text, boolean perSecond) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches() || (m.group(3) != null && !perSecond)) {
            return -1;
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        long multiplier;
        switch (unit) {
            case "b": multiplier = 1; break;
            case "kb": multiplier = 1_000L; break;
            case "mb": multiplier = 1_000_000L; break;
            case "gb": multiplier = 1_000_000_000L; break;
            case "tb": multiplier = 1_000_000_000_000L; break;
            case "kib": multiplier = 1L << 10; break;
            case "mib": multiplier = 1L << 20; break;
            case "gib": multiplier = 1L << 30; break;
            default: multiplier = 1L << 40; break;
        }
        return whole(m.group(1), multiplier);
    }

    private static long whole(String number, long multiplier) {
        try {
            BigDecimal value = new BigDecimal(number).multiply(BigDecimal.valueOf(multiplier));
            return value.longValueExact();
        } catch (ArithmeticException e) {
            return -1;
        }
    }
}
