package dev.vantage.config;

/**
 * Part of a volume replicated in {@link ReplicationMode#SELECTIVE} mode: an inclusive block range, or a file: either
 * {@code bytes:START-END}, an inclusive byte range of the volume file, or the path of a regular file inside the
 * volume's ext2/3/4 filesystem (relative to its root, a leading {@code /} optional), which the replication engine
 * resolves each cycle to the blocks of the file's data and of the metadata that maps it.
 *
 * @param firstBlock first block index, inclusive, &gt;= 0 (-1 for a file selection)
 * @param lastBlock  last block index, inclusive, &gt;= firstBlock (-1 for a file selection)
 * @param file       file path, or {@code null} for a block range
 */
public record Selection(long firstBlock, long lastBlock, String file) {

    public static Selection blocks(long firstBlock, long lastBlock) {
        return new Selection(firstBlock, lastBlock, null);
    }

    public static Selection file(String file) {
        return new Selection(-1, -1, file);
    }

    public boolean isFile() {
        return file != null;
    }

    /** Whether block {@code index} is in this block range (always false for a file selection). */
    public boolean containsBlock(long index) {
        return file == null && index >= firstBlock && index <= lastBlock;
    }
}
