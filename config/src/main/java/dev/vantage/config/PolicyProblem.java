package dev.vantage.config;

/**
 * One problem found in a policy file, shown as {@code file:line:column path: value (expected: ...)}.
 *
 * @param file     the file name as given to the loader
 * @param line     1-based line of the offending node (of the key for unknown and duplicate keys)
 * @param column   1-based column of the offending node
 * @param path     where in the policy, e.g. {@code routes[2].timeouts.responseTimeoutMillis} (0-based indices);
 *                 empty for problems with the file as a whole
 * @param value    the offending value as written, or what is wrong with it ({@code unknown key}, ...)
 * @param expected what would be accepted
 */
public record PolicyProblem(String file, int line, int column, String path, String value, String expected) {

    /** The problem as one line for people. */
    public String message() {
        String where = file + ":" + line + ":" + column;
        String what = path.isEmpty() ? value : path + ": " + value;
        return where + " " + what + " (expected: " + expected + ")";
    }

    @Override
    public String toString() {
        return message();
    }
}
