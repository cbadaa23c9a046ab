package dev.vantage.replication;

/**
 * What a scan of a volume found.
 *
 * @param blocksHashed  blocks read and hashed
 * @param blocksChanged blocks whose content differed from the manifest (now marked dirty)
 * @param fullScan      whether every block was read (false when only blocks of unknown hash were)
 * @param durationNanos wall time of the scan
 */
public record ScanResult(long blocksHashed, long blocksChanged, boolean fullScan, long durationNanos) {
}
