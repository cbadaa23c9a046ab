package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Selection;
import dev.vantage.replication.internal.ExtFilesystem;
import dev.vantage.replication.internal.ExtImages;

/** Selective replication of a file named inside an ext4 image, end to end over loopback. */
class ExtFilesystemSelectiveSyncTest {

    private static final int BLOCK = 16 * 1024;
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    private final ReplicationEngine source = ReplicationEngine.create("site-a");
    private final ReplicationEngine mirror = ReplicationEngine.create("site-b");

    @AfterEach
    void close() {
        source.close();
        mirror.close();
    }

    @Test
    void shouldSendOnlyTheChangedBlocksOfTheNamedFileAndLeaveTheRestOfTheMirrorAlone() throws Exception {
        ExtImages.assumeE2fsprogs();
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("var/lib/db"));
        Files.createDirectories(tree.resolve("app"));
        Files.write(tree.resolve("var/lib/db/table.ibd"), TestData.random(1 << 20, 1));
        Files.write(tree.resolve("app/code.bin"), TestData.random(512 << 10, 2));
        Files.write(tree.resolve("notes.txt"), TestData.compressible(20_000, 3));
        Path src = ExtImages.build("ext4", 4096, tree, dir.resolve("src.img"), "32M");

        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));
        SyncRequest full = SyncRequest.of("res-1", src, "site-b", receiver.address()).withBlockSize(BLOCK, null)
                .withAttempts(3, 100);
        assertThat(source.sync(full).get(20, TimeUnit.SECONDS).blocksPlanned()).isEqualTo(32L * 1024 * 1024 / BLOCK);
        Path dst = dir.resolve("mirror/res-1.vol");
        assertThat(Volumes.verify(src, dst, BLOCK).identical()).isTrue();

        // rewrite bytes in place inside both files (same size), straight into the source image
        byte[] table = Files.readAllBytes(tree.resolve("var/lib/db/table.ibd"));
        TreeSet<Long> tableBlocks = overwrite(src, "/var/lib/db/table.ibd", table, 100_000, 8192, 11);
        tableBlocks.addAll(overwrite(src, "/var/lib/db/table.ibd", table, 700_000, 4096, 12));
        byte[] code = Files.readAllBytes(tree.resolve("app/code.bin"));
        TreeSet<Long> codeBlocks = overwrite(src, "/app/code.bin", code, 4096, 4096, 13);
        TreeSet<Long> changed = new TreeSet<>(tableBlocks);
        changed.addAll(codeBlocks);
        assertThat(Volumes.verify(src, dst, BLOCK).differingBlocks()).containsExactlyElementsOf(changed);

        ExtFilesystem.FileMap map;
        try (ExtFilesystem fs = ExtFilesystem.open(src)) {
            map = fs.resolve("/var/lib/db/table.ibd");
        }
        TreeSet<Long> planned = new TreeSet<>();
        for (ExtFilesystem.DataRange r : map.data()) {
            for (long b = r.volumeOffsetBytes() / BLOCK; b <= (r.volumeOffsetBytes() + r.lengthBytes() - 1) / BLOCK;
                 b++) {
                planned.add(b);
            }
        }
        for (long offset : map.metadataOffsets()) {
            planned.add(offset / BLOCK);
        }

        SyncResult selective = source.sync(full.withSelections(List.of(Selection.file("/var/lib/db/table.ibd"))))
                .get(20, TimeUnit.SECONDS);

        assertThat(selective.blocksPlanned()).isEqualTo(planned.size());
        assertThat(selective.blocksSent()).isEqualTo(tableBlocks.size());
        assertThat(selective.blocksSkipped()).isEqualTo(planned.size() - tableBlocks.size());
        assertThat(selective.referencesSent()).isZero();
        try (ExtFilesystem fs = ExtFilesystem.open(dst)) {
            assertThat(ExtImages.readFile(dst, fs.resolve("/var/lib/db/table.ibd"))).isEqualTo(table);
        }
        // the other file's change was not selected: the mirror still has its old blocks, and nothing else differs
        assertThat(Volumes.verify(src, dst, BLOCK).differingBlocks()).containsExactlyElementsOf(codeBlocks);
    }

    /**
     * Writes new random bytes over {@code length} bytes at {@code fileOffset} of {@code path} inside the image (and
     * into {@code content}); returns the volume blocks written.
     */
    private static TreeSet<Long> overwrite(Path image, String path, byte[] content, long fileOffset, int length,
                                           long seed) throws IOException {
        byte[] replacement = TestData.random(length, seed);
        System.arraycopy(replacement, 0, content, (int) fileOffset, length);
        TreeSet<Long> blocks = new TreeSet<>();
        try (ExtFilesystem fs = ExtFilesystem.open(image);
             FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            for (ExtFilesystem.DataRange r : fs.resolve(path).data()) {
                long from = Math.max(fileOffset, r.fileOffsetBytes());
                long to = Math.min(fileOffset + length, r.fileOffsetBytes() + r.lengthBytes());
                if (from >= to) {
                    continue;
                }
                long volumeOffset = r.volumeOffsetBytes() + (from - r.fileOffsetBytes());
                ch.write(ByteBuffer.wrap(replacement, (int) (from - fileOffset), (int) (to - from)), volumeOffset);
                for (long b = volumeOffset / BLOCK; b <= (volumeOffset + to - from - 1) / BLOCK; b++) {
                    blocks.add(b);
                }
            }
        }
        return blocks;
    }
}
