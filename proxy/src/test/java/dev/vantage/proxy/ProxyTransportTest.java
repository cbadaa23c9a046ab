package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vantage.config.Transport;
import dev.vantage.proxy.internal.Transports;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The transport suite: the same proxying behaviours, written once, run against io_uring, epoll and NIO (a
 * transport this machine lacks is skipped with the reason).
 */
@ExtendWith(LeakDetectionExtension.class)
class ProxyTransportTest {

    private static final Map<Transport, TestOrigin> ORIGINS = new EnumMap<>(Transport.class);
    private static final Map<Transport, ProxyServer> PROXIES = new EnumMap<>(Transport.class);

    private static synchronized int proxyPort(Transport transport) throws Exception {
        String reason = Transports.unavailabilityReason(transport);
        assumeTrue(reason == null, () -> "transport " + transport + " unavailable here: " + reason);
        if (!PROXIES.containsKey(transport)) {
            TestOrigin origin = new TestOrigin(transport.name());
            ORIGINS.put(transport, origin);
            ProxyServer proxy = ProxyFixture.start(transport, dev.vantage.config.HttpLimits.defaults(),
                    dev.vantage.config.RouteTimeouts.defaults(), dev.vantage.config.PoolSettings.defaults(),
                    builder -> { }, origin.port());
            assertThat(proxy.transport()).isEqualTo(transport);
            PROXIES.put(transport, proxy);
        }
        return ProxyFixture.port(PROXIES.get(transport));
    }

    @AfterAll
    static void stop() throws IOException {
        for (ProxyServer proxy : PROXIES.values()) {
            proxy.close();
        }
        for (TestOrigin origin : ORIGINS.values()) {
            origin.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldProxyManyRequestsOverOneKeepAliveConnectionReusingOneUpstreamConnection(Transport transport)
            throws Exception {
        int port = proxyPort(transport);
        int before = ORIGINS.get(transport).connections.get();
        try (RawClient client = new RawClient(port)) {
            for (int i = 0; i < 20; i++) {
                client.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
                RawClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("hello from " + transport.name());
            }
        }
        assertThat(ORIGINS.get(transport).connections.get() - before).isLessThanOrEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldStreamAnEightMebibyteResponseUnchanged(Transport transport) throws Exception {
        int port = proxyPort(transport);
        int size = 8 * 1024 * 1024;
        try (RawClient client = new RawClient(port)) {
            client.send("GET /bytes?n=" + size + " HTTP/1.1\r\nHost: test\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).hasSize(size);
            for (int i = 0; i < size; i += 4099) {
                assertThat(response.body()[i]).isEqualTo((byte) ((i % 65536) * 31));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldStreamAThirtyTwoMebibyteChunkedUploadToTheUpstream(Transport transport) throws Exception {
        int port = proxyPort(transport);
        CRC32 crc = new CRC32();
        long total = 32L * 1024 * 1024;
        try (RawClient client = new RawClient(port)) {
            OutputStream out = client.output();
            out.write("POST /echo-crc HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[65536];
            new Random(42).nextBytes(chunk);
            for (long sent = 0; sent < total; sent += chunk.length) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                crc.update(chunk);
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("length=" + total + " crc=" + crc.getValue());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldAnswerPipelinedRequestsInRequestOrder(Transport transport) throws Exception {
        int port = proxyPort(transport);
        try (RawClient client = new RawClient(port)) {
            client.send("GET /delay?ms=100 HTTP/1.1\r\nHost: test\r\n\r\n"
                    + "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"
                    + "POST /echo-crc HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /status?code=204 HTTP/1.1\r\nHost: test\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("late");
            assertThat(client.read().text()).isEqualTo("hello from " + transport.name());
            assertThat(client.read().text()).startsWith("length=3 ");
            assertThat(client.read().status()).isEqualTo(204);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void shouldTunnelAnUpgradedConnectionBothWays(Transport transport) throws Exception {
        int port = proxyPort(transport);
        try (RawClient client = new RawClient(port)) {
            client.send("GET /upgrade HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(101);
            assertThat(response.header("upgrade")).isEqualTo("websocket");
            assertThat(response.header("connection")).isEqualToIgnoringCase("upgrade");
            for (int i = 0; i < 3; i++) {
                String message = "frame-" + i;
                client.send(message);
                byte[] echoed = new byte[message.length()];
                int read = 0;
                while (read < echoed.length) {
                    int n = client.inputRead(echoed, read, echoed.length - read);
                    assertThat(n).isPositive();
                    read += n;
                }
                assertThat(new String(echoed, StandardCharsets.US_ASCII)).isEqualTo(message);
            }
        }
    }
}
