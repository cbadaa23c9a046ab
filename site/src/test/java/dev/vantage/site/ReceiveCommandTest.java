package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.replication.Volumes;

/** {@code vantage receive}: ready (volume opened, code warm) before it says it listens. */
class ReceiveCommandTest {

    @TempDir
    Path dir;

    @Test
    void shouldExitOneWhenTheVolumeCannotBeOpened() throws Exception {
        Path notAFile = Files.createDirectories(dir.resolve("a-directory"));
        String error = CliTestSupport.stderrOf(() -> assertThat(VantageCli.execute("receive", "--listen", "127.0.0.1:0",
                "--volume", notAFile.toString())).isEqualTo(VantageCli.EXIT_INVALID_INPUT));
        assertThat(error).contains("receive: --volume: " + notAFile).contains("(expected: a file it can open as a volume)");
    }

    @Test
    void shouldReceiveTheFirstSyncAfterSayingItListens() throws Exception {
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(300_000, 5));
        Path dst = dir.resolve("dst.img");
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread receiver = new Thread(() -> exit.set(VantageCli.execute("receive", "--listen", "127.0.0.1:" + port,
                "--volume", dst.toString())), "receive-command");
        try {
            receiver.start();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> captured.toString(StandardCharsets.UTF_8).contains("listening on"));
            assertThat(Files.isDirectory(dir.resolve("dst.img.vantage"))).as("volume state opened").isTrue();
            assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", "127.0.0.1:" + port))
                    .isEqualTo(VantageCli.EXIT_OK);
        } finally {
            receiver.interrupt();
            receiver.join(30_000);
            System.setErr(err);
        }
        assertThat(receiver.isAlive()).isFalse();
        assertThat(Volumes.verify(src, dst, 65_536).identical()).isTrue();
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("warm-up failed");
    }


}
