package dev.vantage.proxy.internal.routing;

/** Method classes of RFC 9110 section 9.2, compared without allocating. */
final class HttpMethods {

    private HttpMethods() {
    }

    /** GET, HEAD, OPTIONS, TRACE: reads that may go to any mirror within the lag bound. */
    static boolean isSafe(CharSequence method) {
        return is(method, "GET") || is(method, "HEAD") || is(method, "OPTIONS") || is(method, "TRACE");
    }

    /** Safe methods plus PUT and DELETE: the ones that may be retried. */
    static boolean isIdempotent(CharSequence method) {
        return isSafe(method) || is(method, "PUT") || is(method, "DELETE");
    }

    /** GET or HEAD: the requests that may be shadowed or hedged. */
    static boolean isGetOrHead(CharSequence method) {
        return is(method, "GET") || is(method, "HEAD");
    }

    static boolean is(CharSequence method, String name) {
        if (method == null || method.length() != name.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (method.charAt(i) != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
