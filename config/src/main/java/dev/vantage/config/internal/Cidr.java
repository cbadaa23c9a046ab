package dev.vantage.config.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Checks the syntax of IPv4 and IPv6 address blocks without any name lookup. Stateless. */
final class Cidr {

    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private Cidr() {
    }

    static boolean isValid(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return false;
        }
        String address = text.substring(0, slash);
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        if (IPV4.matcher(address).matches()) {
            return prefix >= 0 && prefix <= 32;
        }
        if (address.indexOf(':') >= 0 && IPV6_CHARS.matcher(address).matches()) {
            try {
                // A literal with ':' is parsed, never looked up.
                InetAddress.getByName(address);
                return prefix >= 0 && prefix <= 128;
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /** Whether {@code address} is an IPv4 or IPv6 wildcard (any) address. */
    static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("0:0:0:0:0:0:0:0")
                || address.equals("*") || address.isEmpty();
    }
}
