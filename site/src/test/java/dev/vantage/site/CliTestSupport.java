package dev.vantage.site;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Helpers shared by the tests of the CLI commands. Not thread-safe: {@link #stderrOf} swaps {@code System.err}. */
final class CliTestSupport {

    private CliTestSupport() {
    }

    /** Runs {@code action} and returns what it printed on standard error. */
    static String stderrOf(Runnable action) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** {@code length} pseudo-random bytes from {@code seed}. */
    static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }
}
