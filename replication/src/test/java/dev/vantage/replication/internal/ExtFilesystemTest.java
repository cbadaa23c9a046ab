package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.vantage.config.ReplicationMode;
import dev.vantage.config.Selection;
import dev.vantage.replication.Volume;

class ExtFilesystemTest {

    private static final int MANY_FILES = 400;

    @TempDir
    Path dir;

    private Path source;
    private Map<String, byte[]> files;

    @BeforeEach
    void populate() throws IOException {
        ExtImages.assumeE2fsprogs();
        source = dir.resolve("src");
        files = new LinkedHashMap<>();
        put("a/b/c/deep.txt", "deep inside three directories\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < MANY_FILES; i++) {
            put(String.format("many/entry-with-a-longer-name-%03d.txt", i),
                    ("entry " + i + "\n").getBytes(StandardCharsets.UTF_8));
        }
        put("empty", new byte[0]);
        put("tail.txt", random(5000, 1));
        put("big.bin", random(6 << 20, 2));
        // 16 data islands separated by holes: 16 extents (an extent tree of depth 1 on ext4), holes in a block map
        byte[] sparse = new byte[16 * 65536 + 100];
        Files.createDirectories(source);
        try (FileChannel ch = FileChannel.open(source.resolve("sparse.bin"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 16; i++) {
                byte[] island = random(4096, 100 + i);
                System.arraycopy(island, 0, sparse, i * 65536 + 8192, island.length);
                ch.write(ByteBuffer.wrap(island), i * 65536L + 8192);
            }
            ch.truncate(sparse.length);
            ch.write(ByteBuffer.wrap(new byte[1]), sparse.length - 1);
        }
        files.put("sparse.bin", sparse);
        // 400 islands of 1 KiB 8 KiB apart: 400 extents, more than 4 leaves of 84 on 1 KiB blocks (a tree of depth 2)
        byte[] deep = new byte[400 * 8192];
        try (FileChannel ch = FileChannel.open(source.resolve("sparse-deep.bin"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 400; i++) {
                byte[] island = random(1024, 1000 + i);
                System.arraycopy(island, 0, deep, i * 8192, island.length);
                ch.write(ByteBuffer.wrap(island), i * 8192L);
            }
            ch.truncate(deep.length);
            ch.write(ByteBuffer.wrap(new byte[1]), deep.length - 1);
        }
        files.put("sparse-deep.bin", deep);
        // written in 64 KiB pieces with different content, appended one by one
        try (FileChannel ch = FileChannel.open(source.resolve("pieces.bin"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            byte[] all = new byte[20 * 65536];
            for (int i = 0; i < 20; i++) {
                byte[] piece = random(65536, 200 + i);
                System.arraycopy(piece, 0, all, i * 65536, piece.length);
                ch.write(ByteBuffer.wrap(piece));
                ch.force(false);
            }
            files.put("pieces.bin", all);
        }
        Files.createSymbolicLink(source.resolve("link"), Path.of("a/b/c/deep.txt"));
        Files.createSymbolicLink(source.resolve("dirlink"), Path.of("a"));
    }

    private void put(String name, byte[] content) throws IOException {
        Path p = source.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        files.put(name, content);
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Path image(String type, int blockSizeBytes) throws IOException, InterruptedException {
        return ExtImages.build(type, blockSizeBytes, source, dir.resolve(type + "-" + blockSizeBytes + ".img"), "64M");
    }

    @ParameterizedTest(name = "{0} with {1}-byte blocks")
    @CsvSource({"ext4,4096", "ext4,1024", "ext3,1024", "ext2,1024", "ext2,4096"})
    void shouldMapEveryRegularFileToItsExactBytesInTheImage(String type, int blockSizeBytes) throws Exception {
        Path image = image(type, blockSizeBytes);
        long imageBytes = Files.size(image);
        try (ExtFilesystem fs = ExtFilesystem.open(image);
             FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            assertThat(fs.kind()).isEqualTo(type);
            assertThat(fs.blockSizeBytes()).isEqualTo(blockSizeBytes);
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                ExtFilesystem.FileMap map = fs.resolve("/" + e.getKey());
                byte[] content = e.getValue();
                assertThat(map.sizeBytes()).as(e.getKey()).isEqualTo(content.length);
                byte[] rebuilt = new byte[content.length];
                long nextFileOffset = 0;
                for (ExtFilesystem.DataRange range : map.data()) {
                    assertThat(range.unwritten()).as(e.getKey()).isFalse();
                    assertThat(range.fileOffsetBytes()).as("%s ranges in file order", e.getKey())
                            .isGreaterThanOrEqualTo(nextFileOffset);
                    assertThat(range.volumeOffsetBytes() + range.lengthBytes()).isLessThanOrEqualTo(imageBytes);
                    ByteBuffer bytes = ByteBuffer.wrap(rebuilt, (int) range.fileOffsetBytes(),
                            (int) range.lengthBytes());
                    while (bytes.hasRemaining()) {
                        ch.read(bytes, range.volumeOffsetBytes() + bytes.position() - range.fileOffsetBytes());
                    }
                    nextFileOffset = range.fileOffsetBytes() + range.lengthBytes();
                }
                // what no range covers are holes, which read as zeros
                assertThat(Arrays.equals(rebuilt, content)).as("content of %s read through its ranges", e.getKey())
                        .isTrue();
                assertThat(map.metadataOffsets()).as(e.getKey()).isNotEmpty()
                        .allSatisfy(offset -> assertThat(offset % blockSizeBytes).isZero())
                        .allSatisfy(offset -> assertThat(offset + blockSizeBytes).isLessThanOrEqualTo(imageBytes));
            }
        }
    }

    @ParameterizedTest(name = "{0} with {1}-byte blocks")
    @CsvSource({"ext4,4096", "ext4,1024", "ext2,1024"})
    void shouldNameTheSameBlocksAsDebugfs(String type, int blockSizeBytes) throws Exception {
        Path image = image(type, blockSizeBytes);
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            for (String name : List.of("big.bin", "sparse.bin", "sparse-deep.bin", "a/b/c/deep.txt", "tail.txt",
                    "pieces.bin")) {
                String blocks = ExtImages.debugfs(image, "blocks /" + name);
                String imap = ExtImages.debugfs(image, "imap /" + name);
                org.junit.jupiter.api.Assumptions.assumeTrue(blocks != null, "debugfs not installed");
                ExtFilesystem.FileMap map = fs.resolve(name);
                Set<Long> expected = new HashSet<>();
                for (String token : blocks.substring(blocks.indexOf('\n') + 1).trim().split("\\s+")) {
                    expected.add(Long.parseLong(token));
                }
                Set<Long> mine = new HashSet<>();
                for (ExtFilesystem.DataRange r : map.data()) {
                    for (long b = r.volumeOffsetBytes() / blockSizeBytes;
                         b <= (r.volumeOffsetBytes() + r.lengthBytes() - 1) / blockSizeBytes; b++) {
                        mine.add(b);
                    }
                }
                Matcher located = Pattern.compile("located at block (\\d+)").matcher(imap);
                assertThat(located.find()).as(imap).isTrue();
                assertThat(map.metadataOffsets().get(0) / blockSizeBytes).as("inode table block of %s", name)
                        .isEqualTo(Long.parseLong(located.group(1)));
                for (long offset : map.metadataOffsets().subList(1, map.metadataOffsets().size())) {
                    mine.add(offset / blockSizeBytes);
                }
                assertThat(mine).as("data and mapping blocks of %s", name).isEqualTo(expected);
            }
            if (!type.equals("ext2")) {
                assertThat(ExtImages.debugfs(image, "htree /many")).as("the large directory has an htree index")
                        .contains("Root node dump");
            }
            // a 6 MiB file with 1 KiB blocks needs a double indirect block (or, on ext4, a few extents)
            int metadataBlocks = fs.resolve("big.bin").metadataOffsets().size();
            if (type.equals("ext2")) {
                assertThat(metadataBlocks).isEqualTo(1 + 1 + 1 + (6144 - 12 - 256 + 255) / 256);
            } else if (blockSizeBytes == 4096) {
                assertThat(fs.resolve("sparse.bin").metadataOffsets()).as("inode table and extent leaf").hasSize(2);
            } else {
                // a tree of depth 1 has at most 4 leaves (the inode holds 4 entries): more blocks mean depth 2
                assertThat(fs.resolve("sparse-deep.bin").metadataOffsets()).as("inode table and extent tree blocks")
                        .hasSizeGreaterThan(1 + 4);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ext2", "ext3"})
    void shouldMapBlockMapBoundariesHolesAndTripleIndirectBlocks(String type) throws Exception {
        // 1 KiB blocks: 12 direct, 256 through the single indirect block, 65 536 through the double, then triple
        Path boundaries = Files.createDirectories(dir.resolve("boundaries"));
        Map<String, long[]> pieces = new LinkedHashMap<>();
        pieces.put("direct-only", new long[] {0, 12 * 1024});
        pieces.put("first-single", new long[] {0, 12 * 1024 + 1});
        pieces.put("single-full", new long[] {0, 268 * 1024});
        pieces.put("first-double", new long[] {0, 268 * 1024 + 1});
        // the single indirect range is a hole: its pointer is 0
        pieces.put("hole-over-single", new long[] {0, 1024, 300 * 1024, 1024});
        // data past 12 + 256 + 65 536 blocks (64.26 MiB) needs the triple indirect block
        pieces.put("triple", new long[] {0, 4096, 65L << 20, 4096, (66L << 20) - 100, 100});
        Map<String, byte[][]> written = new LinkedHashMap<>();
        long seed = 500;
        for (Map.Entry<String, long[]> e : pieces.entrySet()) {
            long[] p = e.getValue();
            byte[][] chunks = new byte[p.length / 2][];
            try (FileChannel ch = FileChannel.open(boundaries.resolve(e.getKey()), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                for (int i = 0; i < p.length; i += 2) {
                    chunks[i / 2] = random((int) p[i + 1], seed++);
                    ch.write(ByteBuffer.wrap(chunks[i / 2]), p[i]);
                }
            }
            written.put(e.getKey(), chunks);
        }
        Path image = ExtImages.build(type, 1024, boundaries, dir.resolve(type + "-boundaries.img"), "16M");
        try (ExtFilesystem fs = ExtFilesystem.open(image);
             FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (Map.Entry<String, long[]> e : pieces.entrySet()) {
                long[] p = e.getValue();
                ExtFilesystem.FileMap map = fs.resolve("/" + e.getKey());
                assertThat(map.sizeBytes()).isEqualTo(p[p.length - 2] + p[p.length - 1]);
                // every written piece is covered by ranges holding its bytes; nothing else is mapped beyond the
                // blocks the pieces touch
                long mappedBytes = 0;
                for (ExtFilesystem.DataRange r : map.data()) {
                    mappedBytes += r.lengthBytes();
                    byte[] bytes = new byte[(int) r.lengthBytes()];
                    ch.read(ByteBuffer.wrap(bytes), r.volumeOffsetBytes());
                    for (int i = 0; i < p.length; i += 2) {
                        long from = Math.max(p[i], r.fileOffsetBytes());
                        long to = Math.min(p[i] + p[i + 1], r.fileOffsetBytes() + r.lengthBytes());
                        if (from < to) {
                            byte[] expected = Arrays.copyOfRange(written.get(e.getKey())[i / 2],
                                    (int) (from - p[i]), (int) (to - p[i]));
                            byte[] actual = Arrays.copyOfRange(bytes, (int) (from - r.fileOffsetBytes()),
                                    (int) (to - r.fileOffsetBytes()));
                            assertThat(actual).as("%s bytes %d..%d", e.getKey(), from, to).isEqualTo(expected);
                        }
                    }
                }
                long pieceBytes = 0;
                for (int i = 1; i < p.length; i += 2) {
                    pieceBytes += p[i];
                }
                assertThat(mappedBytes).as(e.getKey()).isBetween(pieceBytes, pieceBytes + (p.length / 2) * 2048L);
                String blocks = ExtImages.debugfs(image, "blocks /" + e.getKey());
                if (blocks != null) {
                    Set<Long> expected = new HashSet<>();
                    for (String token : blocks.substring(blocks.indexOf('\n') + 1).trim().split("\\s+")) {
                        expected.add(Long.parseLong(token));
                    }
                    Set<Long> mine = new HashSet<>();
                    for (ExtFilesystem.DataRange r : map.data()) {
                        for (long b = r.volumeOffsetBytes() / 1024; b <= (r.volumeOffsetBytes() + r.lengthBytes() - 1)
                                / 1024; b++) {
                            mine.add(b);
                        }
                    }
                    map.metadataOffsets().subList(1, map.metadataOffsets().size()).forEach(o -> mine.add(o / 1024));
                    assertThat(mine).as("data and mapping blocks of %s", e.getKey()).isEqualTo(expected);
                }
            }
            // the inode table block; the triple indirect block, one double below it and the two singles that hold
            // logical blocks 66 560 and 67 583 (offsets 756 and 1 779 past the triple's start: singles 2 and 6)
            assertThat(fs.resolve("/triple").metadataOffsets()).hasSize(1 + 1 + 1 + 2);
            assertThat(fs.resolve("/hole-over-single").metadataOffsets()).as("inode table, double, single")
                    .hasSize(3);
        }
    }

    @Test
    void shouldAcceptAPathWithoutALeadingSlash() throws Exception {
        try (ExtFilesystem fs = ExtFilesystem.open(image("ext4", 4096))) {
            assertThat(fs.resolve("a/b/c/deep.txt").data()).isEqualTo(fs.resolve("/a/b/c/deep.txt").data());
            assertThat(fs.resolve("/empty").data()).isEmpty();
        }
    }

    @Test
    void shouldRefuseAMissingPathNamingItAndTheVolume() throws Exception {
        Path image = image("ext4", 4096);
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            assertThatThrownBy(() -> fs.resolve("/var/lib/db/t.ibd")).isInstanceOf(IOException.class)
                    .hasMessage("/var/lib/db/t.ibd: not found in the ext4 filesystem of volume " + image
                            + " (expected: an existing regular file)");
            assertThatThrownBy(() -> fs.resolve("/a/b/c/deep.txt/x")).hasMessage("/a/b/c/deep.txt/x: not found in"
                    + " the ext4 filesystem of volume " + image + ": /a/b/c/deep.txt is not a directory"
                    + " (expected: an existing regular file)");
        }
    }

    @Test
    void shouldRefuseADirectory() throws Exception {
        Path image = image("ext3", 1024);
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            assertThatThrownBy(() -> fs.resolve("/a/b")).hasMessage("/a/b: a directory in the ext3 filesystem of"
                    + " volume " + image + " (expected: a regular file)");
            assertThatThrownBy(() -> fs.resolve("/")).hasMessageContaining("/: a directory");
        }
    }

    @Test
    void shouldFollowNoSymbolicLink() throws Exception {
        Path image = image("ext4", 4096);
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            assertThatThrownBy(() -> fs.resolve("/link")).hasMessage("/link: a symbolic link in the ext4"
                    + " filesystem of volume " + image + " (expected: a regular file; symbolic links are not"
                    + " followed)");
            assertThatThrownBy(() -> fs.resolve("/dirlink/b/c/deep.txt")).hasMessage("/dirlink/b/c/deep.txt:"
                    + " /dirlink is a symbolic link in the ext4 filesystem of volume " + image + " (expected: a path"
                    + " without symbolic links; they are not followed)");
        }
    }

    @Test
    void shouldRefuseAFileWithoutAnExtFilesystem() throws Exception {
        Path image = Files.write(dir.resolve("random.img"), random(1 << 20, 9));
        ByteBuffer magic = ByteBuffer.wrap(Files.readAllBytes(image), 1080, 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        String hex = String.format("%04x", magic.getShort(1080) & 0xFFFF);
        assertThatThrownBy(() -> ExtFilesystem.open(image)).isInstanceOf(IOException.class)
                .hasMessage("volume " + image + ": no ext2/3/4 filesystem (superblock magic 0x" + hex
                        + " at byte 1080, expected: 0xef53)");
        Path tiny = Files.write(dir.resolve("tiny.img"), new byte[100]);
        assertThatThrownBy(() -> ExtFilesystem.open(tiny)).hasMessageContaining("no ext2/3/4 filesystem (the file"
                + " has 100 bytes");
    }

    @Test
    void shouldRefuseATruncatedImage() throws Exception {
        Path image = image("ext4", 4096);
        Path truncated = dir.resolve("truncated.img");
        try (FileChannel in = FileChannel.open(image, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(truncated, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            in.transferTo(0, 1 << 20, out);
        }
        assertThatThrownBy(() -> ExtFilesystem.open(truncated)).hasMessage("volume " + truncated + ": truncated ext4"
                + " filesystem (16384 blocks of 4096 bytes need 67108864 bytes, the file has 1048576)");
    }

    @Test
    void shouldFindInodesThroughTheMetaGroupsOfMetaBg() throws Exception {
        // 1 KiB blocks, 32-byte descriptors: 32 groups per descriptor block; 16 inodes per group put the 700 files
        // of one directory into groups of the second meta group, whose descriptors lie in its own first group
        Path metaSource = Files.createDirectories(dir.resolve("meta-src/many"));
        for (int i = 0; i < 700; i++) {
            Files.writeString(metaSource.resolve("f" + i), "file number " + i + "\n");
        }
        Path image = ExtImages.build("ext4", 1024, dir.resolve("meta-src"), dir.resolve("meta.img"), "64M",
                List.of("-g", "1024", "-i", "65536", "-O", "meta_bg,^resize_inode,^64bit"));
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            ExtFilesystem.FileMap last = fs.resolve("/many/f699");
            assertThat(last.inodeNumber()).as("an inode of group >= 32").isGreaterThan(32 * 16);
            for (int i = 0; i < 700; i += 7) {
                ExtFilesystem.FileMap map = fs.resolve("/many/f" + i);
                assertThat(ExtImages.readFile(image, map)).isEqualTo(("file number " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void shouldReportPreallocatedBlocksAsUnwrittenRanges() throws Exception {
        Path image = image("ext4", 4096);
        // blocks 0-2 hold tail.txt's 5 000 bytes; 3-40 become unwritten extents, inside the file once it is 200 000
        ExtImages.debugfsWrite(image, "fallocate /tail.txt 0 40");
        ExtImages.debugfsWrite(image, "sif /tail.txt size 200000");
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            ExtFilesystem.FileMap map = fs.resolve("/tail.txt");
            assertThat(map.sizeBytes()).isEqualTo(200_000);
            List<ExtFilesystem.DataRange> written = map.data().stream().filter(r -> !r.unwritten()).toList();
            List<ExtFilesystem.DataRange> unwritten = map.data().stream().filter(ExtFilesystem.DataRange::unwritten)
                    .toList();
            assertThat(written).hasSize(1);
            assertThat(written.get(0).fileOffsetBytes()).isZero();
            assertThat(written.get(0).lengthBytes()).isGreaterThanOrEqualTo(5000).isLessThanOrEqualTo(3 * 4096);
            assertThat(unwritten).isNotEmpty();
            assertThat(unwritten.get(0).fileOffsetBytes()).isEqualTo(written.get(0).lengthBytes());
            ExtFilesystem.DataRange end = unwritten.get(unwritten.size() - 1);
            assertThat(end.fileOffsetBytes() + end.lengthBytes()).isEqualTo(41L * 4096);
            byte[] content = ExtImages.readFile(image, new ExtFilesystem.FileMap(map.path(), map.inodeNumber(),
                    written.get(0).lengthBytes(), written, map.metadataOffsets(), map.blockSizeBytes()));
            assertThat(Arrays.copyOf(content, 5000)).isEqualTo(files.get("tail.txt"));
        }
    }

    @Test
    void shouldRefuseAFileKeptInlineInItsInode() throws Exception {
        Path image = ExtImages.build("ext4", 4096, source, dir.resolve("inline.img"), "64M",
                List.of("-O", "inline_data"));
        try (ExtFilesystem fs = ExtFilesystem.open(image)) {
            assertThatThrownBy(() -> fs.resolve("/empty")).hasMessage("/empty: the file keeps its data inline in its"
                    + " inode in the ext4 filesystem of volume " + image + " (expected: data in blocks; inline data is"
                    + " not read)");
            // small directories are inline too
            assertThatThrownBy(() -> fs.resolve("/a/b/c/deep.txt")).hasMessage("/a/b/c/deep.txt: /a keeps its data"
                    + " inline in its inode in the ext4 filesystem of volume " + image + " (expected: data in blocks;"
                    + " inline data is not read)");
            assertThat(ExtImages.readFile(image, fs.resolve("/big.bin"))).isEqualTo(files.get("big.bin"));
        }
    }

    @Test
    void shouldRefuseAnExternalJournalDevice() throws Exception {
        Path image = dir.resolve("journal.img");
        ExtImages.runTool("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "journal_dev", image.toString(), "8M");
        assertThatThrownBy(() -> ExtFilesystem.open(image)).hasMessage("volume " + image + ": the ext4 filesystem"
                + " uses journal_dev (expected: none of compression, journal_dev, dirdata; their on-disk layout is"
                + " not read)");
    }

    @Test
    void shouldFindTheFilesystemInTheOnePartitionOfAnMbrOrGptDiskImage() throws Exception {
        Path image = image("ext4", 4096);
        long start = 1 << 20;
        for (boolean gpt : new boolean[] {false, true}) {
            Path disk = dir.resolve(gpt ? "gpt-disk.img" : "mbr-disk.img");
            try (FileChannel out = FileChannel.open(disk, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(gpt ? gptTable(start, Files.size(image)) : mbr(0x83, start)), 0);
                copy(image, out, start);
            }
            try (ExtFilesystem fs = ExtFilesystem.open(disk)) {
                for (String name : List.of("big.bin", "sparse.bin", "a/b/c/deep.txt",
                        "many/entry-with-a-longer-name-399.txt")) {
                    ExtFilesystem.FileMap map = fs.resolve(name);
                    assertThat(map.data()).allSatisfy(r -> assertThat(r.volumeOffsetBytes()).isGreaterThan(start));
                    assertThat(map.metadataOffsets()).allSatisfy(o -> assertThat(o).isGreaterThan(start));
                    assertThat(ExtImages.readFile(disk, map)).as("%s in the partition of %s", name, disk).isEqualTo(files.get(name));
                }
            }
        }
    }

    @Test
    void shouldRefuseADiskImageWhoseFilesystemIsNotInExactlyOnePartition() throws Exception {
        Path tiny = Files.createDirectories(dir.resolve("tiny-src"));
        Files.writeString(tiny.resolve("x"), "x");
        Path image = ExtImages.build("ext2", 1024, tiny, dir.resolve("tiny.img"), "2M");
        Path two = dir.resolve("two.img");
        try (FileChannel out = FileChannel.open(two, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] table = mbr(0x83, 1 << 20);
            System.arraycopy(table, 446, table, 446 + 16, 16);
            ByteBuffer.wrap(table).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(446 + 16 + 8, 4 << 20 >> 9);
            out.write(ByteBuffer.wrap(table), 0);
            copy(image, out, 1 << 20);
            copy(image, out, 4 << 20);
        }
        assertThatThrownBy(() -> ExtFilesystem.open(two)).hasMessage("volume " + two + ": 2 partitions hold an"
                + " ext2/3/4 filesystem (partitions 1 at byte 1048576, 2 at byte 4194304; expected: one, or select a"
                + " byte range with bytes:START-END)");
        Path none = dir.resolve("none.img");
        byte[] noFs = new byte[4 << 20];
        System.arraycopy(mbr(0x07, 1 << 20), 0, noFs, 0, 512);
        Files.write(none, noFs);
        assertThatThrownBy(() -> ExtFilesystem.open(none)).hasMessage("volume " + none + ": no ext2/3/4 filesystem"
                + " (superblock magic 0x0000 at byte 1080, and none in its partitions 1 at byte 1048576; expected:"
                + " 0xef53)");
    }

    private static void copy(Path from, FileChannel to, long position) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            long done = 0;
            while (done < in.size()) {
                done += in.transferTo(done, in.size() - done, to.position(position + done));
            }
        }
    }

    /** A master boot record with one primary partition of {@code type} at byte {@code start}. */
    private static byte[] mbr(int type, long start) {
        ByteBuffer b = ByteBuffer.allocate(512).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(446 + 4, (byte) type).putInt(446 + 8, (int) (start / 512)).putInt(446 + 12, 1 << 20);
        b.putShort(510, (short) 0xAA55);
        return b.array();
    }

    /** A protective MBR, a GPT header and an entry array (CRC32s set) with one Linux partition at {@code start}. */
    private static byte[] gptTable(long start, long sizeBytes) {
        ByteBuffer b = ByteBuffer.wrap(mbr(0xEE, 512)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] all = new byte[512 * 34];
        System.arraycopy(b.array(), 0, all, 0, 512);
        ByteBuffer g = ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // entry 0 at LBA 2: type GUID 0FC63DAF-8483-4772-8E79-3D69D8477DE4 (Linux filesystem), a unique GUID, LBAs
        g.position(1024);
        g.putInt(0x0FC63DAF).putShort((short) 0x8483).putShort((short) 0x4772);
        g.put(new byte[] {(byte) 0x8E, 0x79, 0x3D, 0x69, (byte) 0xD8, 0x47, 0x7D, (byte) 0xE4});
        g.putLong(0x1234_5678_9ABC_DEF0L).putLong(0x0FED_CBA9_8765_4321L);
        g.putLong(start / 512).putLong((start + sizeBytes) / 512 - 1);
        java.util.zip.CRC32 entriesCrc = new java.util.zip.CRC32();
        entriesCrc.update(all, 1024, 128 * 128);
        g.position(512);
        g.put("EFI PART".getBytes(StandardCharsets.US_ASCII)).putInt(0x00010000).putInt(92).putInt(0).putInt(0);
        g.putLong(1).putLong((start + sizeBytes) / 512).putLong(34).putLong((start + sizeBytes) / 512 - 1);
        g.putLong(0x1111_2222_3333_4444L).putLong(0x5555_6666_7777_8888L);
        g.putLong(2).putInt(128).putInt(128).putInt((int) entriesCrc.getValue());
        java.util.zip.CRC32 headerCrc = new java.util.zip.CRC32();
        headerCrc.update(all, 512, 92);
        g.putInt(512 + 16, (int) headerCrc.getValue());
        return all;
    }

    @Test
    void shouldPlanTheVolumeBlocksOfANamedFileAndItsMetadata() throws Exception {
        Path image = image("ext4", 4096);
        int volumeBlock = 16384;
        try (Volume volume = Volume.open(image, volumeBlock, dir.resolve("state"));
             ExtFilesystem fs = ExtFilesystem.open(image)) {
            ExtFilesystem.FileMap map = fs.resolve("/sparse.bin");
            BitSet expected = new BitSet();
            for (ExtFilesystem.DataRange r : map.data()) {
                expected.set((int) (r.volumeOffsetBytes() / volumeBlock),
                        (int) ((r.volumeOffsetBytes() + r.lengthBytes() - 1) / volumeBlock) + 1);
            }
            for (long offset : map.metadataOffsets()) {
                expected.set((int) (offset / volumeBlock));
            }
            long[] planned = BlockPlan.candidates(volume, ReplicationMode.SELECTIVE,
                    List.of(Selection.file("sparse.bin")), "peer");
            assertThat(planned).containsExactly(expected.stream().asLongStream().toArray());
            assertThat(planned.length).isLessThan(20);
            long[] both = BlockPlan.candidates(volume, ReplicationMode.SELECTIVE,
                    List.of(Selection.file("/sparse.bin"), Selection.file("bytes:0-0")), "peer");
            assertThat(both).contains(0L).contains(planned);
            assertThatThrownBy(() -> BlockPlan.candidates(volume, ReplicationMode.SELECTIVE,
                    List.of(Selection.file("/var/lib/db/t.ibd")), "peer")).isInstanceOf(IOException.class)
                    .hasMessage("file selection: /var/lib/db/t.ibd: not found in the ext4 filesystem of volume "
                            + image + " (expected: an existing regular file)");
        }
        Path plain = Files.write(dir.resolve("plain.img"), new byte[4 << 20]);
        try (Volume volume = Volume.open(plain, volumeBlock, dir.resolve("state2"))) {
            assertThatThrownBy(() -> BlockPlan.candidates(volume, ReplicationMode.SELECTIVE,
                    List.of(Selection.file("/etc/hosts")), "peer"))
                    .hasMessage("file selection: /etc/hosts: volume " + plain.toAbsolutePath() + ": no ext2/3/4"
                            + " filesystem (superblock magic 0x0000 at byte 1080, expected: 0xef53)");
        }
    }
}
