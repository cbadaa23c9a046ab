package dev.vantage.proxy.internal.routing;

/** Finds one cookie in a {@code Cookie} request header (RFC 6265 section 5.4 syntax) without allocating. */
final class Cookies {

    private Cookies() {
    }

    /**
     * The value of cookie {@code name} in {@code header}, as {@code start << 32 | end}, or -1 when absent. A quoted
     * value is returned without its quotes.
     */
    static long find(CharSequence header, String name) {
        if (header == null) {
            return -1;
        }
        int length = header.length();
        int i = 0;
        while (i < length) {
            while (i < length && (header.charAt(i) == ' ' || header.charAt(i) == '\t' || header.charAt(i) == ';')) {
                i++;
            }
            int nameStart = i;
            while (i < length && header.charAt(i) != '=' && header.charAt(i) != ';') {
                i++;
            }
            int nameEnd = i;
            while (nameEnd > nameStart && header.charAt(nameEnd - 1) == ' ') {
                nameEnd--;
            }
            if (i >= length || header.charAt(i) == ';') {
                continue;
            }
            int valueStart = i + 1;
            int valueEnd = valueStart;
            while (valueEnd < length && header.charAt(valueEnd) != ';') {
                valueEnd++;
            }
            i = valueEnd;
            if (regionEquals(header, nameStart, nameEnd, name)) {
                int vs = valueStart;
                int ve = valueEnd;
                while (vs < ve && header.charAt(vs) == ' ') {
                    vs++;
                }
                while (ve > vs && header.charAt(ve - 1) == ' ') {
                    ve--;
                }
                if (ve - vs >= 2 && header.charAt(vs) == '"' && header.charAt(ve - 1) == '"') {
                    vs++;
                    ve--;
                }
                return (long) vs << 32 | ve;
            }
        }
        return -1;
    }

    private static boolean regionEquals(CharSequence text, int start, int end, String name) {
        if (end - start != name.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (text.charAt(start + i) != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
