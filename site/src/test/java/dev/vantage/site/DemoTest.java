package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product end to end: the demo's three sites on loopback behind emulated WAN links (delays scaled down
 * to keep the test short), with every step of its story checked by the demo itself.
 */
class DemoTest {

    @TempDir
    Path data;

    @Test
    void shouldPassEveryCheckOfTheThreeSiteStory() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int failed;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            failed = Demo.run(Path.of("../examples/three-site.yaml"), data, 0.25, out);
        }
        String transcript = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(transcript);

        assertThat(transcript).doesNotContain("CHECK FAILED").contains("checks, 0 failed");
        assertThat(failed).isZero();
    }
}
