package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Compression;
import dev.vantage.config.Throttle;

/** Kills the receiver JVM with SIGKILL mid-transfer and checks that the sync resumes and ends identical. */
class ReceiverCrashTest {

    private static final int BLOCK = 16 * 1024;
    private static final int BLOCKS = 512;

    @TempDir
    Path dir;

    private final ReplicationEngine source = ReplicationEngine.create("site-a");
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void close() {
        source.close();
        for (Process p : processes) {
            p.destroyForcibly();
        }
    }

    private Process startReceiver(int port, Path dataDir, Path readyFile) throws IOException {
        Files.deleteIfExists(readyFile);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        String flags = System.getProperty("vantage.jvm.flags", "");
        for (String flag : flags.split("\\s+")) {
            if (!flag.isBlank()) {
                command.add(flag);
            }
        }
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ReceiverProcess.class.getName());
        command.add(Integer.toString(port));
        command.add(dataDir.toString());
        command.add(readyFile.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("receiver-" + processes.size() + ".log").toFile()).start();
        processes.add(p);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(readyFile) || !p.isAlive());
        assertThat(p.isAlive()).as("receiver process started (log in %s)", dir).isTrue();
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    @Test
    void shouldResumeFromLastDurableAckAfterTheReceiverProcessIsKilled() throws Exception {
        Path src = TestData.write(dir.resolve("src.img"), TestData.random(BLOCKS * BLOCK, 7));
        Path dataDir = dir.resolve("mirror");
        int port = freePort();
        Process receiver = startReceiver(port, dataDir, dir.resolve("ready"));
        // 2 MiB/s: the 8 MiB transfer takes about 4 s, so the kill lands in the middle.
        SyncRequest request = SyncRequest.of("res-1", src, "site-b", new InetSocketAddress("127.0.0.1", port))
                .withBlockSize(BLOCK, null).withCompression(Compression.NONE)
                .withThrottle(new Throttle(2L << 20, 0, List.of())).withAttempts(200, 100);
        CompletableFuture<SyncResult> sync = source.sync(request);
        await().atMost(Duration.ofSeconds(60)).until(() -> source.progress("res-1", "site-b")
                .map(p -> p.consistentUpToSequence() >= BLOCKS / 4).orElse(false));
        assertThat(sync).isNotDone();
        receiver.destroyForcibly();
        assertThat(receiver.waitFor(30, TimeUnit.SECONDS)).isTrue();

        startReceiver(port, dataDir, dir.resolve("ready"));
        SyncResult result = sync.get(120, TimeUnit.SECONDS);

        assertThat(result.attempts()).isGreaterThanOrEqualTo(2);
        assertThat(result.lastAttemptBlocksSent()).isPositive().isLessThan(BLOCKS);
        assertThat(result.lastSequence()).isGreaterThanOrEqualTo(BLOCKS / 4);
        assertThat(Volumes.verify(src, dataDir.resolve("res-1.vol"), BLOCK).identical()).isTrue();
    }
}
