package dev.vantage.replication.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The receiver's durable progress for one resource (highest epoch seen, last durable sequence, when it was last in
 * sync). Two 64-byte slots written alternately, each with a counter and a CRC32C, and forced: a crash mid-write
 * tears at most the slot being written, and reading picks the valid slot with the highest counter. One fdatasync
 * per update, no rename (this runs once per acknowledged batch). Not thread-safe: the receiver's applier owns it.
 */
public final class ProgressFile implements AutoCloseable {

    /** The persisted values. */
    public record Progress(long epoch, long lastDurableSequence, long lastInSyncMillis) {
        public static final Progress INITIAL = new Progress(0, 0, -1);
    }

    private static final long MAGIC = 0x5654505247524531L; // "VTPRGRE1"
    private static final int SLOT_BYTES = 64;

    private final Path file;
    private FileChannel channel;
    private long counter;
    private final ByteBuffer slot = ByteBuffer.allocate(SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    public ProgressFile(Path file) {
        this.file = file;
    }

    public Progress read() throws IOException {
        if (!Files.exists(file)) {
            return Progress.INITIAL;
        }
        Progress best = Progress.INITIAL;
        long bestCounter = -1;
        FileChannel ch = channel();
        for (int s = 0; s < 2; s++) {
            slot.clear();
            while (slot.hasRemaining() && ch.read(slot, (long) s * SLOT_BYTES + slot.position()) > 0) {
                // read the whole slot
            }
            if (slot.position() < SLOT_BYTES || slot.getLong(0) != MAGIC) {
                continue;
            }
            crc.reset();
            crc.update(slot.array(), 0, 40);
            if ((int) crc.getValue() != slot.getInt(40)) {
                continue;
            }
            long c = slot.getLong(8);
            if (c > bestCounter) {
                bestCounter = c;
                best = new Progress(slot.getLong(16), slot.getLong(24), slot.getLong(32));
            }
        }
        counter = Math.max(counter, bestCounter + 1);
        return best;
    }

    public void write(Progress progress) throws IOException {
        long c = counter++;
        slot.clear();
        slot.putLong(0, MAGIC).putLong(8, c).putLong(16, progress.epoch()).putLong(24, progress.lastDurableSequence())
                .putLong(32, progress.lastInSyncMillis());
        crc.reset();
        crc.update(slot.array(), 0, 40);
        slot.putInt(40, (int) crc.getValue());
        FileChannel ch = channel();
        long position = (c & 1) * SLOT_BYTES;
        while (slot.hasRemaining()) {
            position += ch.write(slot, position);
        }
        ch.force(false);
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }
        return channel;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
