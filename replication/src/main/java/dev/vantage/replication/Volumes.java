package dev.vantage.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import dev.vantage.replication.internal.BlockHasher;

/** Operations on volume files that need no state directory. Stateless. */
public final class Volumes {

    /** At most this many differing block indexes are listed in a {@link VerifyResult}. */
    public static final int MAX_REPORTED_BLOCKS = 1000;

    private Volumes() {
    }

    /** Compares {@code a} and {@code b} block by block (XXH3-128 of each block), reading both files once. */
    public static VerifyResult verify(Path a, Path b, int blockSizeBytes) throws IOException {
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ);
             FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            long sizeA = ca.size();
            long sizeB = cb.size();
            long blocks = (Math.max(sizeA, sizeB) + blockSizeBytes - 1) / blockSizeBytes;
            ByteBuffer ba = ByteBuffer.allocateDirect(blockSizeBytes);
            ByteBuffer bb = ByteBuffer.allocateDirect(blockSizeBytes);
            long[] ha = new long[2];
            long[] hb = new long[2];
            List<Long> differing = new ArrayList<>();
            long count = 0;
            for (long i = 0; i < blocks; i++) {
                int la = read(ca, i * blockSizeBytes, ba, blockSizeBytes);
                int lb = read(cb, i * blockSizeBytes, bb, blockSizeBytes);
                BlockHasher.hash(ba, 0, la, ha);
                BlockHasher.hash(bb, 0, lb, hb);
                if (la != lb || ha[0] != hb[0] || ha[1] != hb[1]) {
                    count++;
                    if (differing.size() < MAX_REPORTED_BLOCKS) {
                        differing.add(i);
                    }
                }
            }
            return new VerifyResult(blockSizeBytes, sizeA, sizeB, blocks, differing, count);
        }
    }

    private static int read(FileChannel ch, long position, ByteBuffer dst, int length) throws IOException {
        dst.clear().limit(length);
        while (dst.hasRemaining()) {
            if (ch.read(dst, position + dst.position()) < 0) {
                break;
            }
        }
        return dst.position();
    }
}
