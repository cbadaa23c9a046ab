package dev.vantage.replication.internal;

/**
 * The messages of the replication protocol and what each {@link Frame} field means in them.
 * S = sender (source of the resource), R = receiver (mirror).
 */
public enum FrameType {
    /** S to R, opens a session: epoch; value = volume size; rawLength = block size; blockIndex = blocks planned; text = sender peer id. */
    HELLO,
    /** R to S: hashes of blocks blockIndex..blockIndex+rawLength-1 as payload (16 bytes each, little-endian). */
    MANIFEST,
    /** R to S, after the manifest: sequence = last durable sequence of this resource's stream; value = R's volume size. */
    READY,
    /** R to S: the session is refused (stale epoch, bad block size); value = R's epoch; text = reason. */
    REFUSE,
    /** S to R: one block's content: sequence, blockIndex, hash, codec, rawLength, payload (compressed or raw). */
    BLOCK,
    /** S to R: block blockIndex has the content R already holds with this hash (at block value last seen there). */
    REFERENCE,
    /** S to R: make everything up to sequence durable and acknowledge it. */
    FLUSH,
    /** S to R: the session's last frame has sequence; value = the volume size to end with. */
    END,
    /** R to S: every frame up to sequence is durable. */
    ACK,
    /** R to S: frame sequence was rejected and must be sent again with its payload; text = reason. */
    NACK,
    /** R to S: the session ended; everything up to sequence is durable and the volume has size value. */
    DONE,
    /**
     * S to R: send the sub-block hashes of the blocks listed in payload (8-byte little-endian indexes); rawLength =
     * sub-block size; value = 1 on the last request of the session.
     */
    SUBHASH_REQUEST,
    /**
     * R to S, one per request: payload = for each requested block, its index then rawLength XXH3-64 sub-block hashes
     * (8-byte little-endian each, 0 when R has no whole block there); value = the request's value.
     */
    SUBHASHES,
    /**
     * S to R: block blockIndex becomes R's current block with the sub-blocks whose bits are set in value replaced by
     * the payload (those sub-blocks concatenated in order, then encoded with codec); sequence, hash (of the whole new
     * block) and rawLength (block length) as in BLOCK. R verifies the result's hash before writing it.
     */
    PATCH;

    private static final FrameType[] VALUES = values();

    public static FrameType of(int ordinal) {
        if (ordinal < 0 || ordinal >= VALUES.length) {
            throw new IllegalArgumentException("frame type: " + ordinal + " (expected: 0.." + (VALUES.length - 1) + ")");
        }
        return VALUES[ordinal];
    }
}
