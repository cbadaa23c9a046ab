package dev.vantage.proxy.internal;

/**
 * Splits one header field line ({@code name ":" OWS value OWS}, RFC 9112 5) of a head held in a byte array and
 * validates it; request and response head parsers share it. A scratch object: each parser owns one and reads
 * {@link #colon}, {@link #valueStart} and {@link #valueEnd} right after a successful {@link #scan}.
 */
final class FieldLine {

    /** Index of the colon; the name is {@code [lineStart, colon)}. */
    int colon;
    /** Start of the value without leading OWS. */
    int valueStart;
    /** End (exclusive) of the value without trailing OWS. */
    int valueEnd;
    private String error;

    /**
     * Scans the line {@code [lineStart, end)} (line terminator excluded).
     *
     * @param retainControls whether controls other than CR and NUL may stand in the value (RFC 9110 5.5 lets a
     *                       recipient keep them); when false any control but HTAB is an error
     * @return true when the line is a valid field; else {@link #error()} says why
     */
    boolean scan(byte[] s, int lineStart, int end, boolean retainControls) {
        int c = lineStart;
        while (c < end && s[c] != ':') {
            if (!Http1.isTchar(s[c])) {
                return fail(Http1.isOws(s[c]) ? "whitespace before the colon" : "invalid name character");
            }
            c++;
        }
        if (c == lineStart) {
            return fail("empty name");
        }
        if (c == end) {
            return fail("no colon");
        }
        int vs = c + 1;
        int ve = end;
        for (int i = vs; i < ve; i++) {
            byte b = s[i];
            if (b == Http1.CR || b == 0) {
                return fail(b == 0 ? "NUL in value" : "bare CR in value");
            }
            if (!retainControls && !Http1.isFieldVchar(b) && !Http1.isOws(b)) {
                return fail("control character in value");
            }
        }
        while (vs < ve && Http1.isOws(s[vs])) {
            vs++;
        }
        while (ve > vs && Http1.isOws(s[ve - 1])) {
            ve--;
        }
        colon = c;
        valueStart = vs;
        valueEnd = ve;
        error = null;
        return true;
    }

    /** Why the last {@link #scan} failed, e.g. "no colon". */
    String error() {
        return error;
    }

    private boolean fail(String reason) {
        error = reason;
        return false;
    }
}
