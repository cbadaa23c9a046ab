package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;

class ReplicationCommandsTest {

    @TempDir
    Path dir;


    @Test
    void shouldReplicateAFileAndExitZeroOnceItIsDurableAtTheDestination() throws Exception {
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(40 * 65_536 + 123, 1));
        Path dst = dir.resolve("dst.img");
        try (ReplicationEngine receiver = ReplicationEngine.create("b")) {
            ReceiverEndpoint endpoint = receiver.startReceiver(new InetSocketAddress("127.0.0.1", 0), id -> dst);
            String to = "127.0.0.1:" + endpoint.address().getPort();
            assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", to, "--codec", "zstd"))
                    .isEqualTo(VantageCli.EXIT_OK);
            assertThat(VantageCli.execute("verify", src.toString(), dst.toString())).isEqualTo(VantageCli.EXIT_OK);

            byte[] patch = CliTestSupport.random(10, 2);
            try (var raf = new java.io.RandomAccessFile(src.toFile(), "rw")) {
                raf.seek(7L * 65_536 + 9);
                raf.write(patch);
            }
            PrintStream out = System.out;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(captured, true, "UTF-8"));
            try {
                assertThat(VantageCli.execute("verify", src.toString(), dst.toString()))
                        .isEqualTo(VantageCli.EXIT_INVALID_INPUT);
                assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", to, "--mode", "delta",
                        "--rate-limit", "50MiB/s")).isEqualTo(VantageCli.EXIT_OK);
            } finally {
                System.setOut(out);
            }
            assertThat(captured.toString("UTF-8")).contains("verify: 1 of 41 blocks differ: 7")
                    .contains("REPLICATE mode=delta blocks_planned=1 blocks_sent=1");
            assertThat(VantageCli.execute("verify", src.toString(), dst.toString())).isEqualTo(VantageCli.EXIT_OK);
        }
    }

    @Test
    void shouldRejectBadOptionsWithExitOne() throws Exception {
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(1000, 3));
        assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", "127.0.0.1:1",
                "--rate-limit", "fast")).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", "nowhere"))
                .isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(VantageCli.execute("verify", src.toString(), dir.resolve("missing").toString()))
                .isEqualTo(VantageCli.EXIT_INVALID_INPUT);
    }

    @Test
    void shouldReplicateAFileNamedInsideAnExt4Image() throws Exception {
        Path mkfs = Stream.of("/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4").map(Path::of).filter(Files::isExecutable)
                .findFirst().orElse(null);
        Assumptions.assumeTrue(mkfs != null, "e2fsprogs (mkfs.ext4) not installed: apt-get install e2fsprogs");
        Path tree = Files.createDirectories(dir.resolve("tree/var/lib"));
        Files.write(tree.resolve("table.ibd"), CliTestSupport.random(300_000, 5));
        Path src = dir.resolve("src.img");
        Process mkfsRun = new ProcessBuilder(mkfs.toString(), "-q", "-F", "-b", "4096", "-d",
                dir.resolve("tree").toString(), src.toString(), "16M").redirectErrorStream(true).start();
        String mkfsOutput = new String(mkfsRun.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(mkfsRun.waitFor()).as(mkfsOutput).isZero();
        Path dst = dir.resolve("dst.img");
        try (ReplicationEngine receiver = ReplicationEngine.create("b")) {
            ReceiverEndpoint endpoint = receiver.startReceiver(new InetSocketAddress("127.0.0.1", 0), id -> dst);
            String to = "127.0.0.1:" + endpoint.address().getPort();
            PrintStream out = System.out;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(captured, true, "UTF-8"));
            String errors;
            try {
                assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", to,
                        "--block-size", "4KiB", "--mode", "selective", "--select", "file:/var/lib/table.ibd"))
                        .isEqualTo(VantageCli.EXIT_OK);
                errors = CliTestSupport.stderrOf(() -> assertThat(VantageCli.execute("replicate", "--volume",
                        src.toString(), "--to", to, "--mode", "selective", "--select", "file:/var/lib/missing.ibd",
                        "--attempts", "1")).isEqualTo(VantageCli.EXIT_USAGE));
            } finally {
                System.setOut(out);
            }
            // 300 000 bytes take 74 blocks of 4 KiB, plus the inode table block that holds the file's inode
            assertThat(captured.toString("UTF-8")).contains("REPLICATE mode=selective blocks_planned=75 blocks_sent=");
            assertThat(errors).contains("failed: file selection: /var/lib/missing.ibd: not found in the ext4"
                    + " filesystem of volume " + src.toAbsolutePath() + " (expected: an existing regular file)");
        }
        Path any = Files.write(dir.resolve("any.img"), CliTestSupport.random(1000, 6));
        assertThat(VantageCli.execute("replicate", "--volume", any.toString(), "--to", "127.0.0.1:1",
                "--mode", "selective", "--select", "file:")).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
    }

    @Test
    void shouldExitTwoWhenTheDestinationIsUnreachable() throws Exception {
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(1000, 4));
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", "127.0.0.1:" + port,
                "--attempts", "1")).isEqualTo(VantageCli.EXIT_USAGE);
    }
}
