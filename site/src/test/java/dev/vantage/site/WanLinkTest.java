package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.util.ResourceLeakDetector;

class WanLinkTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private ServerSocket echoServer;
    private WanLink link;

    @BeforeAll
    static void detectEveryLeak() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void startEchoServer() throws IOException {
        echoServer = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        threads.submit(() -> {
            while (!echoServer.isClosed()) {
                Socket socket;
                try {
                    socket = echoServer.accept();
                } catch (IOException e) {
                    return null;
                }
                threads.submit(() -> {
                    try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                        in.transferTo(out);
                    }
                    return null;
                });
            }
            return null;
        });
    }

    @AfterEach
    void stop() throws IOException {
        if (link != null) {
            link.close();
        }
        echoServer.close();
        threads.shutdownNow();
    }

    private InetSocketAddress echoAddress() {
        return new InetSocketAddress("127.0.0.1", echoServer.getLocalPort());
    }

    private Socket connectThroughLink() throws IOException {
        Socket socket = new Socket(link.listenAddress().getAddress(), link.listenAddress().getPort());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static long roundTripNanos(Socket socket) throws IOException {
        long start = System.nanoTime();
        socket.getOutputStream().write('x');
        socket.getOutputStream().flush();
        assertThat(socket.getInputStream().read()).isEqualTo('x');
        return System.nanoTime() - start;
    }

    @Test
    void shouldAddTheConfiguredDelayInEachDirection() throws IOException {
        link = WanLink.start("a-b", ANY_PORT, echoAddress(), WanLinkConditions.delay(100));
        try (Socket socket = connectThroughLink()) {
            roundTripNanos(socket);
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                best = Math.min(best, roundTripNanos(socket));
            }
            // One-way delay 100 ms each way: a round trip takes at least 200 ms (timer granularity allowed).
            assertThat(TimeUnit.NANOSECONDS.toMillis(best)).isBetween(195L, 2_000L);
        }
    }

    @Test
    void shouldApplyAChangedDelayToNewData() throws IOException {
        link = WanLink.start("a-b", ANY_PORT, echoAddress(), WanLinkConditions.none());
        try (Socket socket = connectThroughLink()) {
            roundTripNanos(socket);
            link.conditions(WanLinkConditions.delay(150));
            assertThat(TimeUnit.NANOSECONDS.toMillis(roundTripNanos(socket))).isGreaterThanOrEqualTo(295L);
        }
    }

    @Test
    void shouldHoldTheBandwidthLimitRoughly() throws Exception {
        long bytesPerSecond = 256 * 1024;
        link = WanLink.start("a-b", ANY_PORT, echoAddress(), WanLinkConditions.none().withBandwidth(bytesPerSecond));
        byte[] payload = new byte[256 * 1024];
        new Random(1).nextBytes(payload);
        try (Socket socket = connectThroughLink()) {
            long start = System.nanoTime();
            Future<byte[]> echoed = readAsync(socket, payload.length);
            socket.getOutputStream().write(payload);
            socket.getOutputStream().flush();
            assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo(payload);
            double seconds = (System.nanoTime() - start) / 1e9;
            // Each direction is limited to 256 KiB/s: 256 KiB take about a second (the two directions overlap).
            assertThat(payload.length / seconds).isLessThanOrEqualTo(1.25 * bytesPerSecond);
        }
    }

    @Test
    void shouldKeepTheByteStreamIntactThroughJitterAndLoss() throws Exception {
        link = WanLink.start("a-b", ANY_PORT, echoAddress(),
                WanLinkConditions.none().withDelay(5, 5).withLoss(5, 20));
        byte[] payload = new byte[2 * 1024 * 1024];
        new Random(2).nextBytes(payload);
        try (Socket socket = connectThroughLink()) {
            Future<byte[]> echoed = readAsync(socket, payload.length);
            OutputStream out = socket.getOutputStream();
            for (int offset = 0; offset < payload.length; offset += 8192) {
                out.write(payload, offset, Math.min(8192, payload.length - offset));
            }
            out.flush();
            byte[] back = echoed.get(60, TimeUnit.SECONDS);
            assertThat(MessageDigest.getInstance("SHA-256").digest(back))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));
        }
        assertThat(link.bytesForwarded()).isEqualTo(2L * payload.length);
    }

    @Test
    void shouldStallDuringAPartitionAndDeliverAfterHealing() throws Exception {
        link = WanLink.start("a-b", ANY_PORT, echoAddress(), WanLinkConditions.none());
        try (Socket socket = connectThroughLink()) {
            roundTripNanos(socket);
            link.conditions(link.conditions().withPartition(WanLinkConditions.Partition.STALL));
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Future<byte[]> echoed = readAsync(socket, 4);
            long forwardedBefore = link.bytesForwarded();
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> !echoed.isDone() && link.bytesForwarded() == forwardedBefore);

            link.conditions(link.conditions().withPartition(WanLinkConditions.Partition.NONE));

            assertThat(new String(echoed.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
    }

    @Test
    void shouldResetConnectionsWhileRefusingAndAcceptAgainAfterHealing() throws Exception {
        link = WanLink.start("a-b", ANY_PORT, echoAddress(), WanLinkConditions.none());
        Socket open = connectThroughLink();
        roundTripNanos(open);

        link.conditions(link.conditions().withPartition(WanLinkConditions.Partition.REFUSE));

        assertThat(readUntilClosed(open)).isTrue();
        try (Socket refused = connectThroughLink()) {
            boolean resetOnWrite = false;
            try {
                refused.getOutputStream().write('x');
            } catch (java.net.SocketException e) {
                resetOnWrite = true; // the reset can arrive before our first byte leaves
            }
            assertThat(resetOnWrite || readUntilClosed(refused)).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> link.openConnections() == 0);
        link.conditions(link.conditions().withPartition(WanLinkConditions.Partition.NONE));
        try (Socket healed = connectThroughLink()) {
            assertThat(roundTripNanos(healed)).isPositive();
            assertThat(link.openConnections()).isEqualTo(1);
        }
        open.close();
    }

    @Test
    void shouldChangeALinkThroughTheControlEndpoint(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("wan.yaml");
        Files.writeString(yaml, String.join("\n",
                "control: 127.0.0.1:0",
                "links:",
                "  - {name: fra-par, listen: 127.0.0.1:0, target: 127.0.0.1:" + echoServer.getLocalPort()
                        + ", delayMillis: 10, bandwidth: 10mbit}",
                ""));
        try (WanLinks links = WanLinks.fromYaml(yaml)) {
            InetSocketAddress control = links.controlAddress();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> changed = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + control.getPort() + "/links/fra-par"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"delayMillis\": 40, \"partition\": \"stall\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> bad = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + control.getPort() + "/links/fra-par"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"lossPercent\": 140}")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(changed.statusCode()).isEqualTo(200);
            assertThat(links.link("fra-par").conditions()).isEqualTo(new WanLinkConditions(40, 0, 0, 200, 1_250_000,
                    WanLinkConditions.Partition.STALL));
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("lossPercent: 140.0 (expected: 0..100)");
        }
    }

    @Test
    void shouldRejectInvalidConditionsWithEveryProblem() {
        assertThatThrownBy(() -> new WanLinkConditions(-1, 0, 101, 0, -5, null))
                .hasMessageContaining("delayMillis: -1 (expected: 0..60000)")
                .hasMessageContaining("lossPercent: 101.0 (expected: 0..100)")
                .hasMessageContaining("retransmitTimeoutMillis: 0 (expected: 1..60000)")
                .hasMessageContaining("bandwidthBytesPerSecond: -5");
        assertThat(WanLinkConditions.parseBandwidth("10mbit")).isEqualTo(1_250_000);
        assertThat(WanLinkConditions.parseBandwidth("1MiB")).isEqualTo(1_048_576);
    }

    private Future<byte[]> readAsync(Socket socket, int length) {
        return threads.submit(() -> {
            byte[] buffer = new byte[length];
            int read = 0;
            InputStream in = socket.getInputStream();
            while (read < length) {
                int n = in.read(buffer, read, length - read);
                if (n < 0) {
                    return Arrays.copyOf(buffer, read);
                }
                read += n;
            }
            return buffer;
        });
    }

    /** True when the peer closed or reset the connection (within the socket timeout). */
    private static boolean readUntilClosed(Socket socket) {
        AtomicInteger ignored = new AtomicInteger();
        try {
            while (socket.getInputStream().read() >= 0) {
                ignored.incrementAndGet();
            }
            return true;
        } catch (java.net.SocketException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
