package dev.vantage.replication;

import java.util.List;

/**
 * The block-by-block comparison of two volumes.
 *
 * @param blockSizeBytes    block size used
 * @param sizeBytesA        size of the first volume
 * @param sizeBytesB        size of the second volume
 * @param blocksCompared    blocks compared (those of the longer volume)
 * @param differingBlocks   indexes of blocks that differ, at most {@link Volumes#MAX_REPORTED_BLOCKS}
 * @param differingCount    how many blocks differ in total
 */
public record VerifyResult(int blockSizeBytes, long sizeBytesA, long sizeBytesB, long blocksCompared,
                           List<Long> differingBlocks, long differingCount) {

    public VerifyResult {
        differingBlocks = List.copyOf(differingBlocks);
    }

    public boolean identical() {
        return differingCount == 0 && sizeBytesA == sizeBytesB;
    }
}
