package dev.vantage.replication.internal;

import java.nio.ByteBuffer;

import net.openhft.hashing.LongHashFunction;
import net.openhft.hashing.LongTupleHashFunction;

/**
 * XXH3-128 content hashes of blocks, XXH3-64 hashes of sub-blocks. Stateless and thread-safe; callers pass a two-element result array so that
 * hashing allocates nothing.
 */
public final class BlockHasher {

    private static final LongTupleHashFunction XXH3_128 = LongTupleHashFunction.xx128();
    private static final LongHashFunction XXH3_64 = LongHashFunction.xx3();

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

    /** XXH3-64 of {@code length} bytes of {@code buffer} from {@code offset} (sub-block hashes). */
    public static long hash64(ByteBuffer buffer, int offset, int length) {
        return XXH3_64.hashBytes(buffer, offset, length);
    }

    /**
     * Size of the sub-blocks a block of {@code blockSizeBytes} is patched in: 4 KiB, or more so that a block has at
     * most 64 of them (their mask fits in a long). A block of one sub-block is never patched.
     */
    public static int subBlockBytes(int blockSizeBytes) {
        return Math.max(4096, blockSizeBytes / 64);
    }
}
