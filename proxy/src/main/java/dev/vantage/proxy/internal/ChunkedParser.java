package dev.vantage.proxy.internal;

import io.netty.buffer.ByteBuf;

/**
 * Validates a chunked message body (RFC 9112 7.1) as it streams by and finds where it ends, without buffering:
 * the caller forwards the consumed bytes verbatim, or, with {@link #dataLength()}, only the chunk data.
 *
 * <p>Strict: a chunk size is 1 to 15 hex digits, optionally followed by {@code BWS ; extension}; every line ends
 * with CRLF; chunk data is followed by CRLF; trailer fields are token {@code :} value lines without CTLs. Anything
 * else is an error and the connection must be closed. One instance per connection side, reused for every
 * message; single-threaded (the channel's event loop).
 */
final class ChunkedParser {

    private static final int SIZE_START = 0;
    private static final int SIZE = 1;
    private static final int SIZE_BWS = 2;
    private static final int EXTENSION = 3;
    private static final int SIZE_LF = 4;
    private static final int DATA = 5;
    private static final int DATA_CR = 6;
    private static final int DATA_LF = 7;
    private static final int TRAILER_START = 8;
    private static final int TRAILER_NAME = 9;
    private static final int TRAILER_VALUE = 10;
    private static final int TRAILER_LF = 11;
    private static final int FINAL_LF = 12;
    private static final int DONE = 13;
    private static final int ERROR = 14;

    private static final int MAX_SIZE_DIGITS = 15;
    private static final int MAX_EXTENSION_BYTES = 4096;
    private static final int MAX_TRAILER_BYTES = 16384;

    private int state;
    private long chunkSize;
    private int sizeDigits;
    private int lineBytes;
    private int trailerBytes;
    private long dataBytes;
    private int dataStart;
    private int dataLength;
    private String error;

    void reset() {
        state = SIZE_START;
        chunkSize = 0;
        sizeDigits = 0;
        lineBytes = 0;
        trailerBytes = 0;
        dataBytes = 0;
        dataLength = 0;
        error = null;
    }

    boolean done() {
        return state == DONE;
    }

    boolean failed() {
        return state == ERROR;
    }

    /** Why parsing failed, for the log and the 400 body. */
    String error() {
        return error;
    }

    /** Total chunk data bytes seen in this message. */
    long dataBytes() {
        return dataBytes;
    }

    /** Start index of the data run consumed by the last {@link #advance} call (valid when dataLength &gt; 0). */
    int dataStart() {
        return dataStart;
    }

    /** Length of the data run consumed by the last {@link #advance} call, 0 when it consumed framing bytes only. */
    int dataLength() {
        return dataLength;
    }

    /**
     * Consumes bytes of {@code buf} from {@code index} (exclusive {@code end}) and returns the index after the
     * consumed ones. Stops early after one run of chunk data (see {@link #dataLength()}), at the end of the message,
     * or on an error.
     */
    int advance(ByteBuf buf, int index, int end) {
        dataLength = 0;
        int i = index;
        while (i < end) {
            switch (state) {
                case DATA: {
                    int run = (int) Math.min(chunkSize, end - i);
                    dataStart = i;
                    dataLength = run;
                    chunkSize -= run;
                    dataBytes += run;
                    if (chunkSize == 0) {
                        state = DATA_CR;
                    }
                    return i + run;
                }
                case DONE:
                case ERROR:
                    return i;
                default:
                    if (!step(buf.getByte(i))) {
                        return i;
                    }
                    i++;
                    if (state == DONE) {
                        return i;
                    }
            }
        }
        return i;
    }

    private boolean step(byte b) {
        switch (state) {
            case SIZE_START:
                if (hexValue(b) < 0) {
                    return fail("chunk size: not a hex digit");
                }
                chunkSize = hexValue(b);
                sizeDigits = 1;
                lineBytes = 1;
                state = SIZE;
                return true;
            case SIZE: {
                int v = hexValue(b);
                if (v >= 0) {
                    if (++sizeDigits > MAX_SIZE_DIGITS) {
                        return fail("chunk size: too many digits");
                    }
                    chunkSize = (chunkSize << 4) | v;
                    return true;
                }
                return afterSize(b);
            }
            case SIZE_BWS:
                if (Http1.isOws(b)) {
                    return countLine();
                }
                if (b == ';') {
                    state = EXTENSION;
                    return countLine();
                }
                return fail("chunk size: whitespace not followed by an extension");
            case EXTENSION:
                if (b == Http1.CR) {
                    state = SIZE_LF;
                    return true;
                }
                if (b != Http1.HTAB && (b & 0xFF) < 0x20 || b == 0x7F) {
                    return fail("chunk extension: control character");
                }
                return countLine();
            case SIZE_LF:
                if (b != Http1.LF) {
                    return fail("chunk size line: CR not followed by LF");
                }
                state = chunkSize == 0 ? TRAILER_START : DATA;
                return true;
            case DATA_CR:
                if (b != Http1.CR) {
                    return fail("chunk data: not followed by CRLF");
                }
                state = DATA_LF;
                return true;
            case DATA_LF:
                if (b != Http1.LF) {
                    return fail("chunk data: CR not followed by LF");
                }
                state = SIZE_START;
                return true;
            case TRAILER_START:
                if (b == Http1.CR) {
                    state = FINAL_LF;
                    return true;
                }
                if (!Http1.isTchar(b)) {
                    return fail("trailer field: invalid name");
                }
                state = TRAILER_NAME;
                return countTrailer();
            case TRAILER_NAME:
                if (b == ':') {
                    state = TRAILER_VALUE;
                    return countTrailer();
                }
                if (!Http1.isTchar(b)) {
                    return fail("trailer field: invalid name");
                }
                return countTrailer();
            case TRAILER_VALUE:
                if (b == Http1.CR) {
                    state = TRAILER_LF;
                    return true;
                }
                if (!Http1.isOws(b) && !Http1.isFieldVchar(b)) {
                    return fail("trailer field: invalid value");
                }
                return countTrailer();
            case TRAILER_LF:
                if (b != Http1.LF) {
                    return fail("trailer field: CR not followed by LF");
                }
                state = TRAILER_START;
                return true;
            case FINAL_LF:
                if (b != Http1.LF) {
                    return fail("last chunk: CR not followed by LF");
                }
                state = DONE;
                return true;
            default:
                return false;
        }
    }

    private boolean afterSize(byte b) {
        if (b == Http1.CR) {
            state = SIZE_LF;
            return true;
        }
        if (b == ';') {
            state = EXTENSION;
            return countLine();
        }
        if (Http1.isOws(b)) {
            state = SIZE_BWS;
            return countLine();
        }
        return fail("chunk size: invalid character");
    }

    private boolean countLine() {
        if (++lineBytes > MAX_EXTENSION_BYTES) {
            return fail("chunk extension: too long");
        }
        return true;
    }

    private boolean countTrailer() {
        if (++trailerBytes > MAX_TRAILER_BYTES) {
            return fail("trailer section: too long");
        }
        return true;
    }

    private boolean fail(String reason) {
        state = ERROR;
        error = reason;
        return false;
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
