package dev.vantage.site;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How an emulated WAN link between two sites behaves, per direction. Immutable.
 *
 * <p>Loss: TCP never loses bytes, it retransmits them. A lost segment therefore shows up as extra delay of one
 * retransmission timeout on that segment (and, since TCP delivers in order, on everything behind it). The relay
 * models exactly that: each chunk it reads is treated as {@code ceil(bytes / 1448)} segments, and with probability
 * {@code 1 - (1 - loss)^segments} it is held back for {@code retransmitTimeoutMillis} more.
 *
 * <p>Jitter: a uniform random extra delay in {@code [-jitterMillis, +jitterMillis]}; delivery order is kept (a
 * chunk never overtakes the previous one), as TCP would.
 *
 * @param delayMillis              one-way propagation delay, 0..60000 (a round trip costs twice this)
 * @param jitterMillis             0..60000
 * @param lossPercent              share of lost segments, 0..100
 * @param retransmitTimeoutMillis  extra delay of a lost segment, 1..60000 (Linux' minimum RTO is 200 ms)
 * @param bandwidthBytesPerSecond  token-bucket rate per direction, 0 = unlimited
 * @param partition                {@code NONE}, {@code REFUSE} (connections are reset, new ones refused) or
 *                                 {@code STALL} (connections stay open but no byte crosses until healed)
 */
public record WanLinkConditions(long delayMillis, long jitterMillis, double lossPercent, long retransmitTimeoutMillis,
                                long bandwidthBytesPerSecond, Partition partition) {

    public static final long DEFAULT_RETRANSMIT_TIMEOUT_MILLIS = 200;

    /** A network partition between the two sites. */
    public enum Partition {
        NONE, REFUSE, STALL;

        /** {@code none}, {@code refuse} or {@code stall}, case-insensitive. */
        public static Partition parse(String text) {
            for (Partition p : values()) {
                if (p.name().equalsIgnoreCase(text.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("partition: " + text + " (expected: none, refuse or stall)");
        }
    }

    public WanLinkConditions {
        partition = partition == null ? Partition.NONE : partition;
        List<String> problems = new ArrayList<>();
        if (delayMillis < 0 || delayMillis > 60_000) {
            problems.add("delayMillis: " + delayMillis + " (expected: 0..60000)");
        }
        if (jitterMillis < 0 || jitterMillis > 60_000) {
            problems.add("jitterMillis: " + jitterMillis + " (expected: 0..60000)");
        }
        if (!(lossPercent >= 0 && lossPercent <= 100)) {
            problems.add("lossPercent: " + lossPercent + " (expected: 0..100)");
        }
        if (retransmitTimeoutMillis < 1 || retransmitTimeoutMillis > 60_000) {
            problems.add("retransmitTimeoutMillis: " + retransmitTimeoutMillis + " (expected: 1..60000)");
        }
        if (bandwidthBytesPerSecond < 0) {
            problems.add("bandwidthBytesPerSecond: " + bandwidthBytesPerSecond + " (expected: >= 0, 0 = unlimited)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** A perfect link: no delay, no loss, no limit. */
    public static WanLinkConditions none() {
        return new WanLinkConditions(0, 0, 0, DEFAULT_RETRANSMIT_TIMEOUT_MILLIS, 0, Partition.NONE);
    }

    /** Only a one-way delay. */
    public static WanLinkConditions delay(long oneWayDelayMillis) {
        return none().withDelay(oneWayDelayMillis, 0);
    }

    public WanLinkConditions withDelay(long oneWayDelayMillis, long jitter) {
        return new WanLinkConditions(oneWayDelayMillis, jitter, lossPercent, retransmitTimeoutMillis,
                bandwidthBytesPerSecond, partition);
    }

    public WanLinkConditions withLoss(double percent, long retransmitTimeout) {
        return new WanLinkConditions(delayMillis, jitterMillis, percent, retransmitTimeout, bandwidthBytesPerSecond,
                partition);
    }

    public WanLinkConditions withBandwidth(long bytesPerSecond) {
        return new WanLinkConditions(delayMillis, jitterMillis, lossPercent, retransmitTimeoutMillis, bytesPerSecond,
                partition);
    }

    public WanLinkConditions withPartition(Partition value) {
        return new WanLinkConditions(delayMillis, jitterMillis, lossPercent, retransmitTimeoutMillis,
                bandwidthBytesPerSecond, value);
    }

    /**
     * Parses a rate: a plain number is bytes/s; suffixes {@code bit kbit mbit gbit} (bits/s, decimal),
     * {@code B kB MB GB} (bytes/s, decimal) and {@code KiB MiB GiB} (binary); {@code 0} or {@code unlimited} = 0.
     */
    public static long parseBandwidth(String text) {
        String t = text.trim().replace("/s", "").replace("ps", "");
        if (t.equalsIgnoreCase("unlimited")) {
            return 0;
        }
        int split = 0;
        while (split < t.length() && (Character.isDigit(t.charAt(split)) || t.charAt(split) == '.')) {
            split++;
        }
        double number;
        try {
            number = Double.parseDouble(t.substring(0, split));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bandwidth: " + text + " (expected: e.g. 10mbit, 512kB, 1MiB, 125000)", e);
        }
        String unit = t.substring(split).trim();
        double factor = switch (unit) {
            case "", "B" -> 1;
            case "bit" -> 1 / 8.0;
            case "kbit", "Kbit" -> 1000 / 8.0;
            case "mbit", "Mbit" -> 1_000_000 / 8.0;
            case "gbit", "Gbit" -> 1_000_000_000 / 8.0;
            case "kB", "KB" -> 1000;
            case "MB" -> 1_000_000;
            case "GB" -> 1_000_000_000;
            case "KiB" -> 1024;
            case "MiB" -> 1024 * 1024;
            case "GiB" -> 1024.0 * 1024 * 1024;
            default -> throw new IllegalArgumentException("bandwidth: " + text
                    + " (expected a unit among bit, kbit, mbit, gbit, B, kB, MB, GB, KiB, MiB, GiB)");
        };
        return Math.round(number * factor);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "delay %d ms ± %d ms, loss %.2f %% (rto %d ms), bandwidth %s, partition %s",
                delayMillis, jitterMillis, lossPercent, retransmitTimeoutMillis,
                bandwidthBytesPerSecond == 0 ? "unlimited" : bandwidthBytesPerSecond + " B/s",
                partition.name().toLowerCase(Locale.ROOT));
    }
}
