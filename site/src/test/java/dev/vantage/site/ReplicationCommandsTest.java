package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

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
