package dev.vantage.proxy.internal.routing;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * HMAC-SHA256 (RFC 2104) that writes into caller buffers and allocates nothing per message, unlike
 * {@code javax.crypto.Mac} whose {@code doFinal} allocates. Not thread-safe: one instance per thread.
 */
final class HmacSha256 {

    static final int MAC_LENGTH_BYTES = 32;
    private static final int BLOCK_LENGTH_BYTES = 64;

    private final MessageDigest digest;
    private final byte[] innerPad = new byte[BLOCK_LENGTH_BYTES];
    private final byte[] outerPad = new byte[BLOCK_LENGTH_BYTES];
    private final byte[] innerHash = new byte[MAC_LENGTH_BYTES];

    HmacSha256(byte[] key) {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        byte[] block = key.length > BLOCK_LENGTH_BYTES ? digest.digest(key) : key;
        for (int i = 0; i < BLOCK_LENGTH_BYTES; i++) {
            byte k = i < block.length ? block[i] : 0;
            innerPad[i] = (byte) (k ^ 0x36);
            outerPad[i] = (byte) (k ^ 0x5c);
        }
    }

    /** Starts a message. */
    void begin() {
        digest.reset();
        digest.update(innerPad, 0, BLOCK_LENGTH_BYTES);
    }

    void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    void update(byte value) {
        digest.update(value);
    }

    /** Ends the message and writes the 32-byte MAC into {@code out} at {@code offset}. */
    void finish(byte[] out, int offset) {
        try {
            digest.digest(innerHash, 0, MAC_LENGTH_BYTES);
            digest.update(outerPad, 0, BLOCK_LENGTH_BYTES);
            digest.update(innerHash, 0, MAC_LENGTH_BYTES);
            digest.digest(out, offset, MAC_LENGTH_BYTES);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 digest into a 32-byte buffer failed", e);
        }
    }
}
