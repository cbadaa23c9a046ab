package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.vantage.config.HostPort;

/** Admin paths registered async: the answer comes when the handler's future completes, the admin thread stays free. */
class AdminServerAsyncTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final AdminServer admin = new AdminServer("s3cret");
    private final AtomicReference<CompletableFuture<AdminServer.Response>> pending = new AtomicReference<>();
    private int port;

    @BeforeEach
    void start() throws Exception {
        admin.register("GET", "/ping", request -> AdminServer.Response.text("pong\n"));
        admin.registerAsync("POST", "/wait", request -> {
            CompletableFuture<AdminServer.Response> answer = new CompletableFuture<>();
            pending.set(answer);
            return answer;
        });
        port = admin.start(new HostPort("127.0.0.1", 0)).getPort();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private CompletableFuture<HttpResponse<String>> postWait() {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/wait?x=1"))
                .header("Authorization", "Bearer s3cret").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswerWhenTheFutureCompletesAndServeOtherCallsMeanwhile() throws Exception {
        CompletableFuture<HttpResponse<String>> waiting = postWait();
        await().atMost(Duration.ofSeconds(10)).until(() -> pending.get() != null);

        HttpResponse<String> ping = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(waiting).isNotDone();

        pending.get().complete(new AdminServer.Response(202, "application/json", "{\"done\":true}\n"));
        HttpResponse<String> answered = waiting.get(10, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(202);
        assertThat(answered.body()).isEqualTo("{\"done\":true}\n");
    }

    @Test
    void shouldAnswerFiveHundredWithTheReasonWhenTheFutureFails() throws Exception {
        CompletableFuture<HttpResponse<String>> waiting = postWait();
        await().atMost(Duration.ofSeconds(10)).until(() -> pending.get() != null);

        pending.get().completeExceptionally(new IllegalStateException("volume: gone"));

        HttpResponse<String> answered = waiting.get(10, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(500);
        assertThat(answered.body()).isEqualTo("{\"error\":\"volume: gone\"}\n");
    }

    @Test
    void shouldGuardAsyncMutatingCallsWithTheToken() throws Exception {
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/wait")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(pending.get()).as("the handler never ran").isNull();
    }
}
