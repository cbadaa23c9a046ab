package dev.vantage.replication;

import java.nio.file.Path;

/**
 * One concurrent write that lost last-writer-wins resolution at a multi-master volume, kept with its bytes.
 * Immutable.
 *
 * @param sequence         this volume's conflict number, from 1
 * @param blockIndex       the block both writes touched
 * @param detectedAtMillis wall-clock time the conflict was resolved here
 * @param detectedAtSite   the site that resolved it (this volume's site)
 * @param winner           the version that became current (its vector before the merge)
 * @param loser            the losing version: who wrote it, when, what it knew, its content hash
 * @param loserLengthBytes length of the losing block
 * @param loserBytes       the file holding the losing block's bytes
 */
public record ConflictRecord(long sequence, long blockIndex, long detectedAtMillis, String detectedAtSite,
                             ConflictResolver.BlockVersion winner, ConflictResolver.BlockVersion loser,
                             int loserLengthBytes, Path loserBytes) {

    /** This record as one JSON object (hashes in hex). */
    public String toJson() {
        return "{\"sequence\":" + sequence + ",\"block\":" + blockIndex + ",\"detectedAtMillis\":" + detectedAtMillis
                + ",\"detectedAt\":" + Json.quote(detectedAtSite) + ",\"winner\":" + versionJson(winner)
                + ",\"loser\":" + versionJson(loser) + ",\"loserLengthBytes\":" + loserLengthBytes
                + ",\"loserBytes\":" + Json.quote(loserBytes.toString()) + "}";
    }

    private static String versionJson(ConflictResolver.BlockVersion v) {
        return "{\"site\":" + Json.quote(v.siteId()) + ",\"hlc\":\"" + v.hlc().physicalMillis() + "." + v.hlc().logical()
                + "\",\"vector\":" + Json.quote(v.vector().toWire()) + ",\"hash\":\""
                + String.format("%016x%016x", v.hashHigh(), v.hashLow()) + "\"}";
    }
}
