package dev.vantage.proxy.internal;

import java.nio.charset.StandardCharsets;

/**
 * A reusable {@link CharSequence} over a range of a byte array (ISO-8859-1), so that request parts can be handed
 * to selectors and the route table without allocating. Valid only while the underlying bytes are; single-threaded.
 */
final class AsciiView implements CharSequence {

    private byte[] bytes = new byte[0];
    private int offset;
    private int length;

    AsciiView set(byte[] array, int start, int len) {
        bytes = array;
        offset = start;
        length = len;
        return this;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0.." + (length - 1) + ")");
        }
        return (char) (bytes[offset + index] & 0xFF);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }

    @Override
    public String toString() {
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }
}
