package dev.vantage.replication.internal;

import java.nio.ByteBuffer;

import net.openhft.hashing.LongTupleHashFunction;

/**
 * XXH3-128 content hashes of blocks. Stateless and thread-safe; callers pass a two-element result array so that
 * hashing allocates nothing.
 */
public final class BlockHasher {

    private static final LongTupleHashFunction XXH3_128 = LongTupleHashFunction.xx128();

    private BlockHasher() {
    }

    /** Hashes {@code length} bytes of {@code buffer} from {@code offset} into {@code result[0..1]}. */
    public static void hash(ByteBuffer buffer, int offset, int length, long[] result) {
        XXH3_128.hashBytes(buffer, offset, length, result);
    }

    /** Hashes {@code length} bytes of {@code bytes} from {@code offset} into {@code result[0..1]}. */
    public static void hash(byte[] bytes, int offset, int length, long[] result) {
        XXH3_128.hashBytes(bytes, offset, length, result);
    }
}
