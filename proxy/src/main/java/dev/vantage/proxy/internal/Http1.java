package dev.vantage.proxy.internal;

import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 grammar tables (RFC 9110 5.6.2, 5.5; RFC 9112 3) and small byte helpers shared by the request and
 * response parsers. Stateless.
 */
final class Http1 {

    static final byte CR = '\r';
    static final byte LF = '\n';
    static final byte SP = ' ';
    static final byte HTAB = '\t';

    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] FIELD_VCHAR = new boolean[256];
    private static final boolean[] TARGET = new boolean[256];
    private static final boolean[] HOST = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0x21; c <= 0x7E; c++) {
            FIELD_VCHAR[c] = true;
            TARGET[c] = true;
        }
        for (int c = 0x80; c <= 0xFF; c++) {
            FIELD_VCHAR[c] = true;
            TARGET[c] = true;
        }
        for (int c = 0; c < 256; c++) {
            HOST[c] = c < 128 && (Character.isLetterOrDigit(c) || "-._~%!$&'()*+,;=:[]".indexOf(c) >= 0);
        }
    }

    private Http1() {
    }

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xFF];
    }

    /** A byte allowed inside a field value other than SP/HTAB: VCHAR or obs-text. */
    static boolean isFieldVchar(byte b) {
        return FIELD_VCHAR[b & 0xFF];
    }

    static boolean isTargetChar(byte b) {
        return TARGET[b & 0xFF];
    }

    static boolean isHostChar(byte b) {
        return HOST[b & 0xFF];
    }

    static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** A Content-Length value: 1*DIGIT of at most 18 digits (fits a long), else -1. */
    static long parseContentLength(byte[] s, int start, int end) {
        if (end == start || end - start > 18) {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            if (!isDigit(s[i])) {
                return -1;
            }
            value = value * 10 + (s[i] - '0');
        }
        return value;
    }

    static boolean isOws(byte b) {
        return b == SP || b == HTAB;
    }

    /** ASCII case-insensitive comparison of {@code a[aOff..aOff+len)} with the lower-case {@code lower}. */
    static boolean equalsLower(byte[] a, int aOff, int len, byte[] lower) {
        if (len != lower.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            int c = a[aOff + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** ASCII case-insensitive comparison of a byte range with a char sequence. */
    static boolean equalsIgnoreCase(byte[] a, int aOff, int len, CharSequence other) {
        if (len != other.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            int c = a[aOff + i] & 0xFF;
            int d = other.charAt(i);
            if (c != d) {
                if (c >= 'A' && c <= 'Z') {
                    c += 32;
                }
                if (d >= 'A' && d <= 'Z') {
                    d += 32;
                }
                if (c != d) {
                    return false;
                }
            }
        }
        return true;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The standard reason phrase for the statuses the proxy itself sends. */
    static String reasonPhrase(int status) {
        switch (status) {
            case 100: return "Continue";
            case 200: return "OK";
            case 301: return "Moved Permanently";
            case 302: return "Found";
            case 303: return "See Other";
            case 307: return "Temporary Redirect";
            case 308: return "Permanent Redirect";
            case 400: return "Bad Request";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 408: return "Request Timeout";
            case 413: return "Content Too Large";
            case 414: return "URI Too Long";
            case 417: return "Expectation Failed";
            case 421: return "Misdirected Request";
            case 429: return "Too Many Requests";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 501: return "Not Implemented";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            case 505: return "HTTP Version Not Supported";
            default: return "Status";
        }
    }
}
