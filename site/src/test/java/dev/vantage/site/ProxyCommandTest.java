package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code vantage proxy}: input validation and a real run in front of a loopback origin. */
class ProxyCommandTest {

    @Test
    void shouldRejectAnInvalidListenAddressWithExitCode1() {
        assertThat(VantageCli.execute("proxy", "--listen", "nowhere", "--to", "127.0.0.1:9")).isEqualTo(1);
    }

    @Test
    void shouldRejectAnUnknownTransportWithExitCode1() {
        assertThat(VantageCli.execute("proxy", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--transport",
                "carrier-pigeon")).isEqualTo(1);
    }

    @Test
    void shouldRejectANonPositiveTimeoutWithExitCode1() {
        assertThat(VantageCli.execute("proxy", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
                "--response-timeout-ms", "0")).isEqualTo(1);
    }

    @Test
    void shouldProxyToTheUpstreamUntilStopped() throws Exception {
        HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        origin.createContext("/", exchange -> {
            byte[] body = "from origin".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        origin.start();
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        ProxyCommand command = new ProxyCommand();
        String[] args = {"--listen", "127.0.0.1:" + port, "--to", "127.0.0.1:" + origin.getAddress().getPort(),
            "--threads", "1", "--transport", "nio"};
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> new CommandLine(command).execute(args));
        try {
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x")).build();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).ignoreExceptions().until(() ->
                    client.send(request, HttpResponse.BodyHandlers.ofString()).body().equals("from origin"));
        } finally {
            command.stop.countDown();
            assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
            origin.stop(0);
        }
    }
}
