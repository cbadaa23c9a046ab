package dev.vantage.replication.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A read-only reader of the ext2, ext3 and ext4 filesystem inside a volume file, which resolves a path to the byte
 * ranges of the volume holding the file's data and the metadata that maps it (the inode table block with its inode,
 * the extent tree's index and leaf blocks or the indirect blocks of a classic block map).
 *
 * <p>Threading: not thread-safe; one instance serves one planning pass and is then closed. It only issues
 * positional reads on its own read-only channel, so it never disturbs writers of the volume.
 *
 * <p>Scope and limits: the filesystem fills the volume file, or lies in the one partition of an MBR or GPT disk
 * image (512-byte sectors, primary MBR partitions) that holds an ext2/3/4 filesystem. The superblock, the group
 * descriptors (32 bytes, or {@code s_desc_size} with the 64bit feature; found through the meta groups of meta_bg),
 * inodes, extent trees (unwritten extents included) and classic block maps (direct, single, double and triple
 * indirect) are read as they are on disk; directories are scanned linearly, which also reads htree-indexed ones.
 * A journal is not replayed: what a mounted filesystem has only in its journal is not seen. Symbolic links are not followed, and files stored inline in the inode or encrypted are
 * refused, as are filesystems with {@code compression}, {@code dirdata} or that are an external journal device.
 * The result fits files updated in place (database tables, preallocated files, application code rewritten at the
 * same size): a mirror that already holds the image gets their new data and their mapping. A file that grows,
 * shrinks or is re-created also changes the filesystem's bitmaps, group descriptors and directories, which this
 * result does not name; replicate those with a block range or a delta.
 */
public final class ExtFilesystem implements AutoCloseable {

    /** Where a piece of the file's content lies in the volume file. */
    public record DataRange(long fileOffsetBytes, long volumeOffsetBytes, long lengthBytes, boolean unwritten) {
    }

    /**
     * A resolved regular file.
     *
     * @param path            the path as asked for
     * @param inodeNumber     its inode
     * @param sizeBytes       {@code i_size}
     * @param data            its content's ranges in the volume, in file order, coalesced, clipped to the size
     *                        (holes have none; {@code unwritten} ranges read as zeros in the file)
     * @param metadataOffsets volume file byte offsets of the filesystem blocks that describe it (the inode table block
     *                        holding its inode, then its extent tree or indirect blocks), each one block long
     * @param blockSizeBytes  the filesystem's block size
     */
    public record FileMap(String path, long inodeNumber, long sizeBytes, List<DataRange> data,
                          List<Long> metadataOffsets, int blockSizeBytes) {
    }

    private static final int SUPERBLOCK_OFFSET = 1024;
    private static final int MAGIC_OFFSET = SUPERBLOCK_OFFSET + 0x38;
    private static final int MAGIC = 0xEF53;
    private static final long ROOT_INODE = 2;
    private static final int SECTOR_BYTES = 512;

    private static final int COMPAT_HAS_JOURNAL = 0x4;
    private static final int COMPAT_SPARSE_SUPER2 = 0x200;
    private static final int RO_COMPAT_SPARSE_SUPER = 0x1;
    private static final int INCOMPAT_COMPRESSION = 0x1;
    private static final int INCOMPAT_FILETYPE = 0x2;
    private static final int INCOMPAT_RECOVER = 0x4;
    private static final int INCOMPAT_JOURNAL_DEV = 0x8;
    private static final int INCOMPAT_META_BG = 0x10;
    private static final int INCOMPAT_EXTENTS = 0x40;
    private static final int INCOMPAT_64BIT = 0x80;
    private static final int INCOMPAT_MMP = 0x100;
    private static final int INCOMPAT_FLEX_BG = 0x200;
    private static final int INCOMPAT_EA_INODE = 0x400;
    private static final int INCOMPAT_DIRDATA = 0x1000;
    private static final int INCOMPAT_CSUM_SEED = 0x2000;
    private static final int INCOMPAT_LARGEDIR = 0x4000;
    private static final int INCOMPAT_INLINE_DATA = 0x8000;
    private static final int INCOMPAT_ENCRYPT = 0x10000;
    private static final int INCOMPAT_CASEFOLD = 0x20000;
    /** Features whose on-disk layout this reader understands (inline data and encryption are refused per file). */
    private static final int INCOMPAT_SUPPORTED = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG
            | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_MMP | INCOMPAT_FLEX_BG | INCOMPAT_EA_INODE
            | INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR | INCOMPAT_INLINE_DATA | INCOMPAT_ENCRYPT | INCOMPAT_CASEFOLD;
    /** ro_compat features beyond sparse_super, large_file and btree_dir mark an ext4 filesystem. */
    private static final int RO_COMPAT_EXT3 = 0x7;

    private static final int MODE_TYPE_MASK = 0xF000;
    private static final int MODE_REGULAR = 0x8000;
    private static final int MODE_DIRECTORY = 0x4000;
    private static final int MODE_SYMLINK = 0xA000;
    private static final int FLAG_ENCRYPT = 0x800;
    private static final int FLAG_EXTENTS = 0x80000;
    private static final int FLAG_INLINE_DATA = 0x10000000;

    private static final int EXTENT_MAGIC = 0xF30A;
    private static final int EXTENT_MAX_DEPTH = 5;
    private static final int EXTENT_UNWRITTEN_OFFSET = 32768;
    private static final int DIRECT_BLOCKS = 12;

    private final Path volumeFile;
    private final FileChannel channel;
    /** Where the filesystem starts in the volume file: 0, or its partition's first byte. */
    private final long baseOffsetBytes;
    private final String kind;
    private final int blockSizeBytes;
    private final long blocksCount;
    private final long firstDataBlock;
    private final long inodesPerGroup;
    private final long inodesCount;
    private final int inodeSizeBytes;
    private final int descriptorSizeBytes;
    private final long groupCount;
    private final long blocksPerGroup;
    private final int incompat;
    private final int compat;
    private final int roCompat;
    private final long firstMetaBg;
    private final long[] backupGroups;

    private ExtFilesystem(Path volumeFile, FileChannel channel, long baseOffsetBytes) throws IOException {
        this.volumeFile = volumeFile;
        this.channel = channel;
        this.baseOffsetBytes = baseOffsetBytes;
        long fileSize = channel.size();
        ByteBuffer sb = read(SUPERBLOCK_OFFSET, 1024);
        int logBlockSize = sb.getInt(0x18);
        if (logBlockSize < 0 || logBlockSize > 6) {
            throw corrupt("s_log_block_size " + logBlockSize + " (expected: 0..6, blocks of 1 KiB..64 KiB)");
        }
        this.blockSizeBytes = 1024 << logBlockSize;
        this.incompat = sb.getInt(0x60);
        this.compat = sb.getInt(0x5C);
        this.roCompat = sb.getInt(0x64);
        this.kind = (incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG)) != 0
                || (roCompat & ~RO_COMPAT_EXT3) != 0 ? "ext4"
                : (compat & COMPAT_HAS_JOURNAL) != 0 ? "ext3" : "ext2";
        int unsupported = incompat & ~INCOMPAT_SUPPORTED;
        if (unsupported != 0) {
            throw new IOException("volume " + volumeFile + ": the " + kind + " filesystem uses "
                    + featureNames(unsupported) + " (expected: none of compression, journal_dev, dirdata;"
                    + " their on-disk layout is not read)");
        }
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        long blocksLo = sb.getInt(0x04) & 0xFFFFFFFFL;
        long blocksHi = is64 ? sb.getInt(0x150) & 0xFFFFFFFFL : 0;
        this.blocksCount = blocksLo | (blocksHi << 32);
        this.firstDataBlock = sb.getInt(0x14) & 0xFFFFFFFFL;
        this.blocksPerGroup = sb.getInt(0x20) & 0xFFFFFFFFL;
        this.firstMetaBg = sb.getInt(0x104) & 0xFFFFFFFFL;
        this.backupGroups = new long[] {sb.getInt(0x24C) & 0xFFFFFFFFL, sb.getInt(0x250) & 0xFFFFFFFFL};
        this.inodesPerGroup = sb.getInt(0x28) & 0xFFFFFFFFL;
        this.inodesCount = sb.getInt(0x00) & 0xFFFFFFFFL;
        int revLevel = sb.getInt(0x4C);
        this.inodeSizeBytes = revLevel == 0 ? 128 : sb.getShort(0x58) & 0xFFFF;
        this.descriptorSizeBytes = is64 ? sb.getShort(0xFE) & 0xFFFF : 32;
        if (blocksPerGroup == 0 || inodesPerGroup == 0 || blocksCount <= firstDataBlock) {
            throw corrupt("blocks per group " + blocksPerGroup + ", inodes per group " + inodesPerGroup
                    + ", blocks " + blocksCount + " (expected: > 0 each)");
        }
        if (inodeSizeBytes < 128 || Integer.bitCount(inodeSizeBytes) != 1 || inodeSizeBytes > blockSizeBytes) {
            throw corrupt("inode size " + inodeSizeBytes + " (expected: a power of two in 128..block size)");
        }
        if (descriptorSizeBytes < 32 || descriptorSizeBytes > blockSizeBytes
                || Integer.bitCount(descriptorSizeBytes) != 1) {
            throw corrupt("group descriptor size " + descriptorSizeBytes + " (expected: a power of two >= 32)");
        }
        if (blocksCount > (fileSize - baseOffsetBytes) / blockSizeBytes) {
            String needed = blocksCount > Long.MAX_VALUE / blockSizeBytes ? "more than " + Long.MAX_VALUE
                    : Long.toString(blocksCount * blockSizeBytes);
            throw new IOException("volume " + volumeFile + ": truncated " + kind + " filesystem ("
                    + blocksCount + " blocks of " + blockSizeBytes + " bytes need " + needed + " bytes"
                    + (baseOffsetBytes == 0 ? "" : " from byte " + baseOffsetBytes) + ", the file has "
                    + fileSize + ")");
        }
        this.groupCount = (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
    }

    /**
     * Opens the filesystem in {@code volumeFile} read-only, checking its superblock: the filesystem fills the file
     * (its superblock at byte 1024), or the file is a disk image with an MBR or GPT partition table of which exactly
     * one partition holds an ext2/3/4 filesystem.
     */
    public static ExtFilesystem open(Path volumeFile) throws IOException {
        FileChannel channel = FileChannel.open(volumeFile, StandardOpenOption.READ);
        try {
            return new ExtFilesystem(volumeFile, channel, locate(volumeFile, channel));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The byte offset of the filesystem in the file: 0, or the start of the one partition that holds one. */
    private static long locate(Path volumeFile, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < SUPERBLOCK_OFFSET + 1024) {
            throw new IOException("volume " + volumeFile + ": no ext2/3/4 filesystem (the file has " + fileSize
                    + " bytes, expected: at least 2048 with a superblock at byte 1024)");
        }
        int magic = magicAt(channel, 0);
        if (magic == MAGIC) {
            return 0;
        }
        List<long[]> partitions = partitions(channel);
        List<long[]> found = new ArrayList<>();
        for (long[] partition : partitions) {
            if (partition[1] + MAGIC_OFFSET + 2 <= fileSize && magicAt(channel, partition[1]) == MAGIC) {
                found.add(partition);
            }
        }
        if (found.size() == 1) {
            return found.get(0)[1];
        }
        String hex = String.format(Locale.ROOT, "%04x", magic);
        if (partitions.isEmpty()) {
            throw new IOException("volume " + volumeFile + ": no ext2/3/4 filesystem (superblock magic 0x" + hex
                    + " at byte " + MAGIC_OFFSET + ", expected: 0xef53)");
        }
        StringBuilder list = new StringBuilder();
        for (long[] partition : found.isEmpty() ? partitions : found) {
            list.append(list.length() == 0 ? "" : ", ").append(partition[0]).append(" at byte ").append(partition[1]);
        }
        if (found.isEmpty()) {
            throw new IOException("volume " + volumeFile + ": no ext2/3/4 filesystem (superblock magic 0x" + hex
                    + " at byte " + MAGIC_OFFSET + ", and none in its partitions " + list + "; expected: 0xef53)");
        }
        throw new IOException("volume " + volumeFile + ": " + found.size() + " partitions hold an ext2/3/4"
                + " filesystem (partitions " + list + "; expected: one, or select a byte range with bytes:START-END)");
    }

    private static int magicAt(FileChannel channel, long baseOffsetBytes) throws IOException {
        ByteBuffer magic = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        return readFully(channel, magic, baseOffsetBytes + MAGIC_OFFSET) ? magic.getShort(0) & 0xFFFF : -1;
    }

    /**
     * The partitions {number, start byte} of an MBR (primary partitions; extended ones are not followed) or, behind a
     * protective MBR, a GPT with 512-byte sectors; empty when the file has no partition table.
     */
    private static List<long[]> partitions(FileChannel channel) throws IOException {
        List<long[]> partitions = new ArrayList<>();
        ByteBuffer mbr = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        if (!readFully(channel, mbr, 0) || (mbr.getShort(510) & 0xFFFF) != 0xAA55) {
            return partitions;
        }
        boolean protective = false;
        for (int i = 0; i < 4; i++) {
            int at = 446 + 16 * i;
            int type = mbr.get(at + 4) & 0xFF;
            long startSector = mbr.getInt(at + 8) & 0xFFFFFFFFL;
            protective |= type == 0xEE;
            boolean extended = type == 0x05 || type == 0x0F || type == 0x85;
            if (type != 0 && type != 0xEE && !extended && startSector > 0) {
                partitions.add(new long[] {i + 1, startSector * SECTOR_BYTES});
            }
        }
        byte[] signature = new byte[8];
        mbr.get(SECTOR_BYTES, signature);
        if (!protective || !new String(signature, StandardCharsets.US_ASCII).equals("EFI PART")) {
            return partitions;
        }
        partitions.clear();
        long entriesSector = mbr.getLong(SECTOR_BYTES + 0x48);
        long entries = mbr.getInt(SECTOR_BYTES + 0x50) & 0xFFFFFFFFL;
        long entryBytes = mbr.getInt(SECTOR_BYTES + 0x54) & 0xFFFFFFFFL;
        if (entryBytes < 128 || entryBytes > 4096 || entries > 1024) {
            return partitions;
        }
        ByteBuffer entry = ByteBuffer.allocate((int) entryBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries; i++) {
            entry.clear();
            long position = entriesSector * SECTOR_BYTES + i * entryBytes;
            if (!readFully(channel, entry, position)) {
                break;
            }
            boolean used = entry.getLong(0) != 0 || entry.getLong(8) != 0;
            long firstSector = entry.getLong(0x20);
            if (used && firstSector > 0) {
                partitions.add(new long[] {i + 1, firstSector * SECTOR_BYTES});
            }
        }
        return partitions;
    }

    /** "ext2", "ext3" or "ext4", after the features the superblock names. */
    public String kind() {
        return kind;
    }

    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    /**
     * Resolves {@code path} (absolute inside the filesystem; a leading {@code /} is optional) to a regular file's
     * ranges in the volume.
     *
     * @throws IOException naming the path and what it found when it is missing, not a regular file, passes through a
     *                     symbolic link, or the filesystem is damaged
     */
    public FileMap resolve(String path) throws IOException {
        String shown = path.startsWith("/") ? path : "/" + path;
        long inode = ROOT_INODE;
        StringBuilder walked = new StringBuilder();
        for (String name : shown.split("/")) {
            if (name.isEmpty()) {
                continue;
            }
            Inode dir = inode(inode);
            String where = walked.length() == 0 ? "/" : walked.toString();
            if ((dir.mode & MODE_TYPE_MASK) == MODE_SYMLINK) {
                throw new IOException(shown + ": " + where + " is a symbolic link in the " + kind
                        + " filesystem of volume " + volumeFile + " (expected: a path without symbolic links;"
                        + " they are not followed)");
            }
            if ((dir.mode & MODE_TYPE_MASK) != MODE_DIRECTORY) {
                throw notFound(shown, where + " is not a directory");
            }
            refuseUnreadable(shown, where, dir);
            walked.append('/').append(name);
            inode = lookup(dir, name.getBytes(StandardCharsets.UTF_8));
            if (inode == 0) {
                throw notFound(shown, null);
            }
        }
        Inode file = inode(inode);
        int type = file.mode & MODE_TYPE_MASK;
        if (type == MODE_SYMLINK) {
            throw new IOException(shown + ": a symbolic link in the " + kind + " filesystem of volume " + volumeFile
                    + " (expected: a regular file; symbolic links are not followed)");
        }
        if (type != MODE_REGULAR) {
            throw new IOException(shown + ": " + typeName(type) + " in the " + kind + " filesystem of volume "
                    + volumeFile + " (expected: a regular file)");
        }
        refuseUnreadable(shown, "the file", file);
        List<Long> metadata = new ArrayList<>();
        metadata.add(baseOffsetBytes + file.tableBlock * blockSizeBytes);
        List<long[]> runs = map(file, metadata);
        List<DataRange> data = new ArrayList<>();
        for (long[] run : runs) {
            long fileOffset = run[0] * blockSizeBytes;
            if (fileOffset >= file.sizeBytes) {
                continue;
            }
            long length = Math.min(run[2] * blockSizeBytes, file.sizeBytes - fileOffset);
            boolean unwritten = run[3] != 0;
            long volumeOffset = baseOffsetBytes + run[1] * blockSizeBytes;
            DataRange last = data.isEmpty() ? null : data.get(data.size() - 1);
            if (last != null && last.unwritten() == unwritten
                    && last.fileOffsetBytes() + last.lengthBytes() == fileOffset
                    && last.volumeOffsetBytes() + last.lengthBytes() == volumeOffset) {
                data.set(data.size() - 1, new DataRange(last.fileOffsetBytes(), last.volumeOffsetBytes(),
                        last.lengthBytes() + length, unwritten));
            } else {
                data.add(new DataRange(fileOffset, volumeOffset, length, unwritten));
            }
        }
        return new FileMap(shown, inode, file.sizeBytes, List.copyOf(data), List.copyOf(metadata), blockSizeBytes);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void refuseUnreadable(String shown, String what, Inode inode) throws IOException {
        if ((inode.flags & FLAG_INLINE_DATA) != 0) {
            throw new IOException(shown + ": " + what + " keeps its data inline in its inode in the " + kind
                    + " filesystem of volume " + volumeFile + " (expected: data in blocks; inline data is not read)");
        }
        if ((inode.flags & FLAG_ENCRYPT) != 0) {
            throw new IOException(shown + ": " + what + " is encrypted in the " + kind + " filesystem of volume "
                    + volumeFile + " (expected: an unencrypted file and directories)");
        }
    }

    private IOException notFound(String shown, String why) {
        return new IOException(shown + ": not found in the " + kind + " filesystem of volume " + volumeFile
                + (why == null ? "" : ": " + why) + " (expected: an existing regular file)");
    }

    private IOException corrupt(String what) {
        return new IOException("volume " + volumeFile + ": damaged ext2/3/4 filesystem: " + what);
    }

    private static String typeName(int type) {
        return switch (type) {
            case MODE_DIRECTORY -> "a directory";
            case 0x2000 -> "a character device";
            case 0x6000 -> "a block device";
            case 0x1000 -> "a FIFO";
            case 0xC000 -> "a socket";
            default -> "an inode of type 0x" + Integer.toHexString(type);
        };
    }

    private static String featureNames(int flags) {
        List<String> names = new ArrayList<>();
        if ((flags & INCOMPAT_COMPRESSION) != 0) {
            names.add("compression");
        }
        if ((flags & INCOMPAT_JOURNAL_DEV) != 0) {
            names.add("journal_dev");
        }
        if ((flags & INCOMPAT_DIRDATA) != 0) {
            names.add("dirdata");
        }
        int rest = flags & ~(INCOMPAT_COMPRESSION | INCOMPAT_JOURNAL_DEV | INCOMPAT_DIRDATA);
        if (rest != 0) {
            names.add("incompatible features 0x" + Integer.toHexString(rest));
        }
        return String.join(", ", names);
    }

    /** An inode's fields this reader uses. */
    private record Inode(long number, int mode, long sizeBytes, int flags, ByteBuffer blockArea, long tableBlock) {
    }

    private Inode inode(long number) throws IOException {
        if (number < 1 || number > inodesCount) {
            throw corrupt("inode " + number + " (expected: 1.." + inodesCount + ")");
        }
        long group = (number - 1) / inodesPerGroup;
        long index = (number - 1) % inodesPerGroup;
        if (group >= groupCount) {
            throw corrupt("inode " + number + " in group " + group + " (expected: < " + groupCount + " groups)");
        }
        long descriptorOffset = descriptorOffset(group);
        ByteBuffer gd = read(descriptorOffset, descriptorSizeBytes);
        long table = gd.getInt(0x08) & 0xFFFFFFFFL;
        if (descriptorSizeBytes >= 64) {
            table |= (gd.getInt(0x28) & 0xFFFFFFFFL) << 32;
        }
        long offset = table * blockSizeBytes + index * inodeSizeBytes;
        checkBlock(table + (index * inodeSizeBytes) / blockSizeBytes, "inode table of group " + group);
        ByteBuffer raw = read(offset, 128);
        int mode = raw.getShort(0x00) & 0xFFFF;
        long size = (raw.getInt(0x04) & 0xFFFFFFFFL) | ((raw.getInt(0x6C) & 0xFFFFFFFFL) << 32);
        int flags = raw.getInt(0x20);
        ByteBuffer blockArea = raw.slice(0x28, 60).order(ByteOrder.LITTLE_ENDIAN);
        return new Inode(number, mode, size, flags, blockArea, offset / blockSizeBytes);
    }

    /**
     * Where group {@code group}'s descriptor lies: in the descriptor table right after the superblock's block, or,
     * with meta_bg, in the first block group of its meta group (after that group's superblock backup, if any).
     */
    private long descriptorOffset(long group) throws IOException {
        long perBlock = blockSizeBytes / descriptorSizeBytes;
        long tableBlock = group / perBlock;
        long block;
        if ((incompat & INCOMPAT_META_BG) == 0 || tableBlock < firstMetaBg) {
            block = firstDataBlock + 1 + tableBlock;
        } else {
            long firstGroup = tableBlock * perBlock;
            block = firstDataBlock + firstGroup * blocksPerGroup + (hasSuperblock(firstGroup) ? 1 : 0);
        }
        checkBlock(block, "group descriptor block of group " + group);
        return block * blockSizeBytes + (group % perBlock) * descriptorSizeBytes;
    }

    /** Whether block group {@code group} starts with a superblock (backup). */
    private boolean hasSuperblock(long group) {
        if (group == 0) {
            return true;
        }
        if ((compat & COMPAT_SPARSE_SUPER2) != 0) {
            return group == backupGroups[0] || group == backupGroups[1];
        }
        if ((roCompat & RO_COMPAT_SPARSE_SUPER) == 0 || group == 1) {
            return true;
        }
        return isPowerOf(group, 3) || isPowerOf(group, 5) || isPowerOf(group, 7);
    }

    private static boolean isPowerOf(long value, int base) {
        long v = value;
        while (v > 1 && v % base == 0) {
            v /= base;
        }
        return v == 1;
    }

    /** Logical-to-physical runs {logical, physical, count, unwritten 0/1} of an inode, in logical order. */
    private List<long[]> map(Inode inode, List<Long> metadata) throws IOException {
        List<long[]> runs = new ArrayList<>();
        if ((inode.flags & FLAG_EXTENTS) != 0) {
            walkExtents(inode.blockArea, -1, runs, metadata, inode);
        } else {
            long needed = (inode.sizeBytes + blockSizeBytes - 1) / blockSizeBytes;
            for (int i = 0; i < DIRECT_BLOCKS && i < needed; i++) {
                addRun(runs, i, inode.blockArea.getInt(4 * i) & 0xFFFFFFFFL, 1, false, inode);
            }
            long perBlock = blockSizeBytes / 4;
            long first = DIRECT_BLOCKS;
            long span = perBlock;
            for (int level = 1; level <= 3 && first < needed; level++) {
                long pointer = inode.blockArea.getInt(4 * (DIRECT_BLOCKS + level - 1)) & 0xFFFFFFFFL;
                walkIndirect(pointer, level, first, needed, runs, metadata, inode);
                first += span;
                span *= perBlock;
            }
        }
        runs.sort(Comparator.comparingLong(r -> r[0]));
        return runs;
    }

    private void walkExtents(ByteBuffer node, int expectedDepth, List<long[]> runs, List<Long> metadata, Inode inode)
            throws IOException {
        int magic = node.getShort(0) & 0xFFFF;
        int entries = node.getShort(2) & 0xFFFF;
        int depth = node.getShort(6) & 0xFFFF;
        if (magic != EXTENT_MAGIC || depth > EXTENT_MAX_DEPTH || (expectedDepth >= 0 && depth != expectedDepth)
                || 12 + 12L * entries > node.capacity()) {
            throw corrupt("extent tree of inode " + inode.number + ": header magic 0x" + Integer.toHexString(magic)
                    + ", depth " + depth + ", " + entries + " entries (expected: magic 0xf30a, depth <= "
                    + EXTENT_MAX_DEPTH + (expectedDepth >= 0 ? " and = " + expectedDepth : "")
                    + ", entries within the node)");
        }
        for (int i = 0; i < entries; i++) {
            int at = 12 + 12 * i;
            if (depth > 0) {
                long leaf = (node.getInt(at + 4) & 0xFFFFFFFFL) | ((long) (node.getShort(at + 8) & 0xFFFF) << 32);
                checkBlock(leaf, "extent tree block of inode " + inode.number);
                metadata.add(baseOffsetBytes + leaf * blockSizeBytes);
                walkExtents(read(leaf * blockSizeBytes, blockSizeBytes), depth - 1, runs, metadata, inode);
            } else {
                long logical = node.getInt(at) & 0xFFFFFFFFL;
                int length = node.getShort(at + 4) & 0xFFFF;
                long start = ((long) (node.getShort(at + 6) & 0xFFFF) << 32) | (node.getInt(at + 8) & 0xFFFFFFFFL);
                boolean unwritten = length > EXTENT_UNWRITTEN_OFFSET;
                addRun(runs, logical, start, unwritten ? length - EXTENT_UNWRITTEN_OFFSET : length, unwritten, inode);
            }
        }
    }

    private void walkIndirect(long block, int level, long firstLogical, long needed, List<long[]> runs,
                              List<Long> metadata, Inode inode) throws IOException {
        if (block == 0) {
            return;
        }
        checkBlock(block, "indirect block of inode " + inode.number);
        metadata.add(baseOffsetBytes + block * blockSizeBytes);
        ByteBuffer pointers = read(block * blockSizeBytes, blockSizeBytes);
        long perBlock = blockSizeBytes / 4;
        long span = 1;
        for (int l = 1; l < level; l++) {
            span *= perBlock;
        }
        for (int j = 0; j < perBlock; j++) {
            long logical = firstLogical + j * span;
            if (logical >= needed) {
                break;
            }
            long pointer = pointers.getInt(4 * j) & 0xFFFFFFFFL;
            if (level == 1) {
                addRun(runs, logical, pointer, 1, false, inode);
            } else {
                walkIndirect(pointer, level - 1, logical, needed, runs, metadata, inode);
            }
        }
    }

    private void addRun(List<long[]> runs, long logical, long physical, long count, boolean unwritten, Inode inode)
            throws IOException {
        if (physical == 0 || count == 0) {
            return;
        }
        if (physical + count > blocksCount) {
            throw corrupt("inode " + inode.number + " maps blocks " + physical + ".." + (physical + count - 1)
                    + " (expected: < " + blocksCount + ")");
        }
        long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null && (last[3] != 0) == unwritten && last[0] + last[2] == logical
                && last[1] + last[2] == physical) {
            last[2] += count;
        } else {
            runs.add(new long[] {logical, physical, count, unwritten ? 1 : 0});
        }
    }

    /** The inode number of {@code name} in {@code dir}, or 0. */
    private long lookup(Inode dir, byte[] name) throws IOException {
        List<long[]> runs = map(dir, new ArrayList<>());
        boolean hasFileType = (incompat & INCOMPAT_FILETYPE) != 0;
        for (long[] run : runs) {
            if (run[3] != 0) {
                continue;
            }
            for (long b = 0; b < run[2]; b++) {
                if ((run[0] + b) * blockSizeBytes >= dir.sizeBytes) {
                    break;
                }
                ByteBuffer block = read((run[1] + b) * blockSizeBytes, blockSizeBytes);
                int at = 0;
                while (at + 8 <= blockSizeBytes) {
                    long inode = block.getInt(at) & 0xFFFFFFFFL;
                    int recLen = block.getShort(at + 4) & 0xFFFF;
                    if ((recLen == 0 || recLen == 0xFFFF) && blockSizeBytes == 65536) {
                        recLen = 65536;
                    }
                    int nameLen = hasFileType ? block.get(at + 6) & 0xFF : block.getShort(at + 6) & 0xFFFF;
                    if (recLen < 8 || (recLen & 3) != 0 || at + recLen > blockSizeBytes || 8 + nameLen > recLen) {
                        throw corrupt("directory inode " + dir.number + ", block " + (run[1] + b) + ", entry at "
                                + at + ": record length " + recLen + ", name length " + nameLen
                                + " (expected: a multiple of 4 >= 8 + name length, within the block)");
                    }
                    if (inode != 0 && nameLen == name.length
                            && Arrays.equals(name, 0, name.length, block.array(), at + 8, at + 8 + nameLen)) {
                        return inode;
                    }
                    at += recLen;
                }
            }
        }
        return 0;
    }

    private void checkBlock(long block, String what) throws IOException {
        if (block < firstDataBlock || block >= blocksCount) {
            throw corrupt(what + " at block " + block + " (expected: " + firstDataBlock + ".." + (blocksCount - 1)
                    + ")");
        }
    }

    /** Reads {@code length} bytes at {@code offset} of the filesystem into a little-endian heap buffer. */
    private ByteBuffer read(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long position = baseOffsetBytes + offset;
        if (!readFully(channel, buffer, position)) {
            throw new IOException("volume " + volumeFile + ": truncated " + (kind == null ? "ext2/3/4" : kind)
                    + " filesystem (needed bytes " + position + ".." + (position + length - 1) + ", the file has "
                    + channel.size() + ")");
        }
        return buffer.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Fills {@code buffer} from {@code position}; false when the file ends first. */
    private static boolean readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long start = position - buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, start + buffer.position()) < 0) {
                return false;
            }
        }
        return true;
    }
}
