package dev.vantage.proxy.internal.routing;

/** Stable, allocation-free 64-bit hashes of text for user keys, ring points and cookie target ids. */
final class Hashing {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /** The hash of {@code text[start, end)}, UTF-16 code units, finished with a strong mixer. */
    static long hash(CharSequence text, int start, int end) {
        long h = FNV_OFFSET;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            h = (h ^ (c & 0xff)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return mix(h ^ (end - start));
    }

    static long hash(CharSequence text) {
        return hash(text, 0, text.length());
    }

    /** The splitmix64 finalizer: spreads every input bit over the whole output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
