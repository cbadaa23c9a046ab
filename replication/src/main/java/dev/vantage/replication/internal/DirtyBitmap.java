package dev.vantage.replication.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A persistent bitmap of dirty blocks for one replication peer, one bit per block in a side file of 64-bit
 * little-endian words. Not thread-safe: the owning volume serialises every call.
 *
 * <p>Invariant: after {@link #markRange} returns with {@code force = true}, the marks are on stable storage, so a
 * crash after a write was acknowledged never loses its dirty mark.
 */
public final class DirtyBitmap implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private long[] words;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);

    private DirtyBitmap(Path file, FileChannel channel, long[] words) {
        this.file = file;
        this.channel = channel;
        this.words = words;
    }

    /**
     * Opens the bitmap in {@code file}; when the file does not exist it is created with every one of
     * {@code blockCount} blocks dirty (a new peer has nothing yet).
     */
    public static DirtyBitmap open(Path file, long blockCount) throws IOException {
        boolean fresh = !Files.exists(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long[] words;
        if (fresh) {
            words = new long[wordCount(blockCount)];
            for (long b = 0; b < blockCount; b++) {
                words[(int) (b >>> 6)] |= 1L << b;
            }
        } else {
            int count = (int) (channel.size() / 8);
            ByteBuffer buf = ByteBuffer.allocate(count * 8).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
                // read until full
            }
            buf.flip();
            words = new long[Math.max(count, wordCount(blockCount))];
            for (int i = 0; i < count; i++) {
                words[i] = buf.getLong();
            }
        }
        DirtyBitmap bitmap = new DirtyBitmap(file, channel, words);
        if (fresh) {
            bitmap.writeWords(0, words.length);
            channel.force(true);
        }
        return bitmap;
    }

    private static int wordCount(long blockCount) {
        return (int) ((blockCount + 63) >>> 6);
    }

    public Path file() {
        return file;
    }

    /** Marks blocks {@code first..last} (inclusive) dirty and, when {@code force}, makes the marks durable. */
    public void markRange(long first, long last, boolean force) {
        ensureCapacity(last + 1);
        int firstWord = (int) (first >>> 6);
        int lastWord = (int) (last >>> 6);
        boolean changed = false;
        for (long b = first; b <= last; b++) {
            int w = (int) (b >>> 6);
            long before = words[w];
            words[w] = before | (1L << b);
            changed |= before != words[w];
        }
        if (changed) {
            writeWords(firstWord, lastWord - firstWord + 1);
        }
        if (force) {
            force();
        }
    }

    /** Clears block {@code index}; the change reaches disk with the next {@link #force()}. */
    public void clear(long index) {
        int w = (int) (index >>> 6);
        if (w >= words.length) {
            return;
        }
        long before = words[w];
        words[w] = before & ~(1L << index);
        if (before != words[w]) {
            writeWords(w, 1);
        }
    }

    public boolean isDirty(long index) {
        int w = (int) (index >>> 6);
        return w < words.length && (words[w] & (1L << index)) != 0;
    }

    /** The next dirty block at or after {@code from} and below {@code limit}, or -1. */
    public long nextDirty(long from, long limit) {
        for (long b = from; b < limit; ) {
            int w = (int) (b >>> 6);
            if (w >= words.length) {
                return -1;
            }
            long word = words[w] & (-1L << b);
            if (word != 0) {
                long found = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                return found < limit ? found : -1;
            }
            b = ((long) w + 1) << 6;
        }
        return -1;
    }

    /** Number of dirty blocks below {@code limit}. */
    public long count(long limit) {
        long n = 0;
        for (long b = nextDirty(0, limit); b >= 0; b = nextDirty(b + 1, limit)) {
            n++;
        }
        return n;
    }

    public void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("dirty bitmap " + file + ": force failed", e);
        }
    }

    private void ensureCapacity(long blockCount) {
        int needed = wordCount(blockCount);
        if (needed > words.length) {
            words = Arrays.copyOf(words, Math.max(needed, words.length * 2));
        }
    }

    private void writeWords(int firstWord, int count) {
        try {
            int done = 0;
            while (done < count) {
                scratch.clear();
                int n = Math.min(count - done, scratch.capacity() / 8);
                for (int i = 0; i < n; i++) {
                    scratch.putLong(words[firstWord + done + i]);
                }
                scratch.flip();
                long position = (long) (firstWord + done) * 8;
                while (scratch.hasRemaining()) {
                    position += channel.write(scratch, position);
                }
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("dirty bitmap " + file + ": write failed", e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
