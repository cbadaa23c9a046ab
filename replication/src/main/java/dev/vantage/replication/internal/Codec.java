package dev.vantage.replication.internal;

/** How a block payload is encoded on the wire. */
public enum Codec {
    RAW, LZ4, ZSTD;

    private static final Codec[] VALUES = values();

    public static Codec of(int ordinal) {
        if (ordinal < 0 || ordinal >= VALUES.length) {
            throw new IllegalArgumentException("codec: " + ordinal + " (expected: 0.." + (VALUES.length - 1) + ")");
        }
        return VALUES[ordinal];
    }
}
