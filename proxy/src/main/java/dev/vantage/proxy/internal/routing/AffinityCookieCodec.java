package dev.vantage.proxy.internal.routing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Signs and verifies the affinity cookie that names a user's sticky target.
 *
 * <p>Layout (30 bytes, 40 characters of unpadded base64url): version (1) | key fingerprint (1) | expiry in epoch
 * seconds (4, unsigned) | target id (8) | the first 16 bytes of HMAC-SHA256 over version, fingerprint, expiry, the
 * target's site id, a zero byte and its upstream endpoint. The newest key signs; every configured key verifies, so
 * keys rotate without logging users out. Tags are compared in constant time. A cookie that does not decode, names
 * an unknown target, fails the tag check or has expired is rejected and never trusted.
 *
 * <p>Threading: not thread-safe (reusable MAC state and scratch buffers); one instance per event loop.
 */
final class AffinityCookieCodec {

    static final int OK = 0;
    static final int GARBLED = -1;
    static final int UNKNOWN_TARGET = -2;
    static final int BAD_SIGNATURE = -3;
    static final int EXPIRED = -4;

    static final int ENCODED_LENGTH = 40;
    private static final int RAW_LENGTH = 30;
    private static final int TAG_OFFSET = 14;
    private static final int TAG_LENGTH = 16;
    private static final byte VERSION = 1;
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
    private static final byte[] DECODE = new byte[128];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            DECODE[ALPHABET[i]] = (byte) i;
        }
    }

    /** Resolves the target id carried in a cookie to the target's identity bytes. */
    interface Targets {
        /** The target index for {@code targetId}, or -1. */
        int indexOf(long targetId);

        byte[] siteBytes(int index);

        byte[] upstreamBytes(int index);

        long targetId(int index);
    }

    private final HmacSha256[] macs;
    private final byte[] fingerprints;
    private final byte[] raw = new byte[RAW_LENGTH];
    private final byte[] mac = new byte[HmacSha256.MAC_LENGTH_BYTES];
    private int lastTargetIndex = -1;
    private long lastExpiryEpochSeconds;

    /**
     * @param keys secrets, newest first; at least one
     */
    AffinityCookieCodec(List<byte[]> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("affinity keys: 0 (expected: at least one)");
        }
        macs = new HmacSha256[keys.size()];
        fingerprints = new byte[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            macs[i] = new HmacSha256(keys.get(i));
            fingerprints[i] = fingerprint(keys.get(i));
        }
    }

    /** The secrets of {@code texts} as UTF-8 bytes. */
    static List<byte[]> utf8(List<String> texts) {
        return texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    private static byte fingerprint(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("vantage-affinity-key".getBytes(StandardCharsets.US_ASCII));
            return sha.digest(key)[0];
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A new cookie value naming target {@code index}, valid until {@code expiryEpochSeconds}; allocates the text. */
    String issue(Targets targets, int index, long expiryEpochSeconds) {
        raw[0] = VERSION;
        raw[1] = fingerprints[0];
        putInt(raw, 2, (int) Math.min(expiryEpochSeconds, 0xffff_ffffL));
        putLong(raw, 6, targets.targetId(index));
        sign(macs[0], targets, index);
        System.arraycopy(mac, 0, raw, TAG_OFFSET, TAG_LENGTH);
        char[] text = new char[ENCODED_LENGTH];
        for (int i = 0, o = 0; i < RAW_LENGTH; i += 3) {
            int v = (raw[i] & 0xff) << 16 | (raw[i + 1] & 0xff) << 8 | (raw[i + 2] & 0xff);
            text[o++] = ALPHABET[(v >>> 18) & 63];
            text[o++] = ALPHABET[(v >>> 12) & 63];
            text[o++] = ALPHABET[(v >>> 6) & 63];
            text[o++] = ALPHABET[v & 63];
        }
        return new String(text);
    }

    /**
     * Verifies the cookie value {@code text[start, end)}.
     *
     * @return {@link #OK} (then {@link #lastTargetIndex()} names the target) or a negative reason code
     */
    int verify(CharSequence text, int start, int end, Targets targets, long nowEpochSeconds) {
        lastTargetIndex = -1;
        if (end - start != ENCODED_LENGTH) {
            return GARBLED;
        }
        for (int i = 0, o = 0; i < ENCODED_LENGTH; i += 4) {
            int v = 0;
            for (int j = 0; j < 4; j++) {
                char c = text.charAt(start + i + j);
                int d = c < 128 ? DECODE[c] : -1;
                if (d < 0) {
                    return GARBLED;
                }
                v = v << 6 | d;
            }
            raw[o++] = (byte) (v >>> 16);
            raw[o++] = (byte) (v >>> 8);
            raw[o++] = (byte) v;
        }
        if (raw[0] != VERSION) {
            return GARBLED;
        }
        int index = targets.indexOf(getLong(raw, 6));
        if (index < 0) {
            return UNKNOWN_TARGET;
        }
        boolean valid = false;
        for (int k = 0; k < macs.length && !valid; k++) {
            if (fingerprints[k] == raw[1]) {
                sign(macs[k], targets, index);
                valid = tagEquals();
            }
        }
        if (!valid) {
            return BAD_SIGNATURE;
        }
        long expiry = getInt(raw, 2) & 0xffff_ffffL;
        if (expiry <= nowEpochSeconds) {
            return EXPIRED;
        }
        lastTargetIndex = index;
        lastExpiryEpochSeconds = expiry;
        return OK;
    }

    /** The target of the last successful {@link #verify}. */
    int lastTargetIndex() {
        return lastTargetIndex;
    }

    /** The expiry carried by the last successfully verified cookie, epoch seconds. */
    long lastExpiryEpochSeconds() {
        return lastExpiryEpochSeconds;
    }

    private void sign(HmacSha256 hmac, Targets targets, int index) {
        hmac.begin();
        hmac.update(raw, 0, 6);
        byte[] site = targets.siteBytes(index);
        hmac.update(site, 0, site.length);
        hmac.update((byte) 0);
        byte[] upstream = targets.upstreamBytes(index);
        hmac.update(upstream, 0, upstream.length);
        hmac.finish(mac, 0);
    }

    /** Constant-time comparison of the received tag with the computed one. */
    private boolean tagEquals() {
        int diff = 0;
        for (int i = 0; i < TAG_LENGTH; i++) {
            diff |= raw[TAG_OFFSET + i] ^ mac[i];
        }
        return diff == 0;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    private static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }

    private static long getLong(byte[] b, int at) {
        return (long) getInt(b, at) << 32 | (getInt(b, at + 4) & 0xffff_ffffL);
    }
}
