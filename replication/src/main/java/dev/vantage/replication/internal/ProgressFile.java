package dev.vantage.replication.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * The receiver's durable progress for one resource (highest epoch seen, last durable sequence, when it was last in
 * sync), replaced atomically: written to a temporary file, forced, then renamed over the old one.
 */
public final class ProgressFile {

    /** The persisted values. */
    public record Progress(long epoch, long lastDurableSequence, long lastInSyncMillis) {
        public static final Progress INITIAL = new Progress(0, 0, -1);
    }

    private final Path file;

    public ProgressFile(Path file) {
        this.file = file;
    }

    public Progress read() throws IOException {
        if (!Files.exists(file)) {
            return Progress.INITIAL;
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        try {
            return new Progress(Long.parseLong(p.getProperty("epoch", "0")),
                    Long.parseLong(p.getProperty("lastDurableSequence", "0")),
                    Long.parseLong(p.getProperty("lastInSyncMillis", "-1")));
        } catch (NumberFormatException e) {
            throw new IOException("progress file " + file + ": " + e.getMessage() + " (expected: integers)", e);
        }
    }

    public void write(Progress progress) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        String text = "epoch=" + progress.epoch() + "\nlastDurableSequence=" + progress.lastDurableSequence()
                + "\nlastInSyncMillis=" + progress.lastInSyncMillis() + "\n";
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
