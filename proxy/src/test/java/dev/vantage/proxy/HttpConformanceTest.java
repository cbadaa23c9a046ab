package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vantage.config.HttpLimits;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Transport;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * RFC 9110/9112 request parsing rules, one test per rule, through a raw socket: each malformed request gets its
 * status, the connection is closed, and nothing reaches the upstream.
 */
@ExtendWith(LeakDetectionExtension.class)
class HttpConformanceTest {

    private static TestOrigin origin;
    private static ProxyServer proxy;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("origin");
        proxy = ProxyFixture.start(origin.port());
        port = ProxyFixture.port(proxy);
    }

    @AfterAll
    static void stop() throws IOException {
        proxy.close();
        origin.close();
    }

    /** Sends {@code request}, expects {@code status}, a closed connection and no upstream request. */
    private static RawClient.Response rejected(String request, int status) throws IOException {
        int before = origin.requests.get();
        try (RawClient client = new RawClient(port)) {
            client.send(request);
            RawClient.Response response = client.read();
            assertThat(response.status()).as("status for %s", request.replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(status);
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(response.text()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(client.closedByPeer()).as("connection closed after %s", status).isTrue();
        }
        assertThat(origin.requests.get()).as("requests that reached the upstream").isEqualTo(before);
        return null;
    }

    private static RawClient.Response accepted(String request) throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send(request);
            return client.read();
        }
    }

    @Test
    void shouldAnswer414ToARequestLineOverTheLimit() throws IOException {
        rejected("GET /" + "a".repeat(HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
    }

    @Test
    void shouldAnswer414BeforeTheRequestLineEvenEnds() throws IOException {
        rejected("GET /" + "a".repeat(HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES + 100), 414);
    }

    @Test
    void shouldAnswer431ToAHeaderSectionOverTheLimit() throws IOException {
        rejected("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(HttpLimits.DEFAULT_MAX_HEADER_BYTES) + "\r\n\r\n",
                431);
    }

    @Test
    void shouldAnswer431ToMoreHeaderFieldsThanTheLimit() throws IOException {
        StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < HttpLimits.DEFAULT_MAX_HEADER_COUNT + 1; i++) {
            request.append("X-H").append(i).append(": v\r\n");
        }
        rejected(request.append("\r\n").toString(), 431);
    }

    @Test
    void shouldRejectContentLengthTogetherWithTransferEncoding() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n", 400);
    }

    @Test
    void shouldRejectTransferEncodingTogetherWithContentLength() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n", 400);
    }

    @Test
    void shouldRejectDuplicateContentLengthEvenWithEqualValues() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
    }

    @Test
    void shouldRejectConflictingContentLengths() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
    }

    @Test
    void shouldRejectAContentLengthList() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400);
    }

    @Test
    void shouldRejectMalformedContentLengthValues() throws IOException {
        for (String value : new String[] {"12a", "-1", "+3", "0x3", "1 2", ""}) {
            rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n\r\nabc", 400);
        }
    }

    @Test
    void shouldRejectAContentLengthThatOverflows() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    }

    @Test
    void shouldAnswer413ToADeclaredBodyOverTheLimit() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nContent-Length: " + (HttpLimits.DEFAULT_MAX_REQUEST_BODY_BYTES + 1)
                + "\r\n\r\n", 413);
    }

    @Test
    void shouldRejectMalformedChunkSizes() throws IOException {
        for (String size : new String[] {"zz", "0x5", "-5", "+5", "5 ", " 5", "", "fffffffffffffffff"}) {
            try (RawClient client = new RawClient(port)) {
                client.send("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + size
                        + "\r\nhello\r\n0\r\n\r\n");
                RawClient.Response response = client.read();
                assertThat(response.status()).as("chunk size '%s'", size).isEqualTo(400);
                assertThat(client.closedByPeer()).isTrue();
            }
        }
    }

    @Test
    void shouldRejectChunkDataNotFollowedByCrlf() throws IOException {
        try (RawClient client = new RawClient(port)) {
            client.send("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void shouldRejectTransferEncodingWhoseFinalCodingIsNotChunked() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400);
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400);
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400);
    }

    @Test
    void shouldAnswer501ToTransferCodingsOtherThanChunked() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    }

    @Test
    void shouldRejectDuplicateTransferEncodingFields() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n", 400);
    }

    @Test
    void shouldRejectTransferEncodingInHttp10() throws IOException {
        rejected("POST /echo-crc HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    }

    @Test
    void shouldRejectObsFold() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400);
    }

    @Test
    void shouldRejectWhitespaceBeforeTheFirstHeaderField() throws IOException {
        rejected("GET /hello HTTP/1.1\r\n Host: x\r\n\r\n", 400);
    }

    @Test
    void shouldRejectABareCrInAHeaderValue() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400);
    }

    @Test
    void shouldAcceptBareLfLineEndingsAndForwardCrlf() throws IOException {
        RawClient.Response mixed = accepted("GET /head HTTP/1.1\r\nHost: x\nX-A: b\r\n\n");
        assertThat(mixed.status()).isEqualTo(200);
        assertThat(mixed.text()).startsWith("GET /head HTTP/1.1\r\nHost: x\r\nX-A: b\r\n");
        RawClient.Response allLf = accepted("GET /head HTTP/1.1\nHost: x\nX-B: c\n\n");
        assertThat(allLf.status()).isEqualTo(200);
        assertThat(allLf.text()).startsWith("GET /head HTTP/1.1\r\nHost: x\r\nX-B: c\r\n")
                .doesNotContainPattern("[^\r]\n");
    }

    @Test
    void shouldStillRejectABareLfInsideAChunkedBody() throws IOException {
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
                400);
    }

    @Test
    void shouldAnswer400AtOnceToBytesThatCannotStartARequest() throws IOException {
        rejected("\u0016\u0003\u0001\u0000\u00a5\u0001", 400);
        rejected("    ", 400);
        rejected("GET\u0001", 400);
    }

    @Test
    void shouldRejectNulInAHeaderValue() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400);
    }

    @Test
    void shouldRetainControlCharactersOtherThanCrAndNulInAHeaderValue() throws IOException {
        RawClient.Response response = accepted("GET /head HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\u007fc\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).contains("\r\nX-A: a\u0001b\u007fc\r\n");
    }

    @Test
    void shouldRejectAMissingHostInHttp11() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nX-A: b\r\n\r\n", 400);
    }

    @Test
    void shouldRejectDuplicateHostFields() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    }

    @Test
    void shouldRejectAnInvalidHost() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: a:b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: user@a\r\n\r\n", 400);
    }

    @Test
    void shouldRejectWhitespaceBetweenFieldNameAndColon() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost : x\r\n\r\n", 400);
        rejected("POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400);
    }

    @Test
    void shouldRejectInvalidFieldNames() throws IOException {
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400);
    }

    @Test
    void shouldRejectAnInvalidMethod() throws IOException {
        rejected("G(T /hello HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void shouldRejectAMalformedRequestLine() throws IOException {
        rejected("GET\r\nHost: x\r\n\r\n", 400);
        rejected("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("GET /a HTTP/1.1 \r\nHost: x\r\n\r\n", 400);
        rejected("GET\t/a\tHTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void shouldAcceptRunsOfSpacesBetweenTheRequestLinesParts() throws IOException {
        RawClient.Response response = accepted("GET  /head   HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).startsWith("GET /head HTTP/1.1\r\n");
    }

    @Test
    void shouldIgnoreEmptyElementsOfTheTransferEncodingList() throws IOException {
        RawClient.Response response = accepted(
                "POST /echo-crc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked,\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).startsWith("length=5 ");
    }

    @Test
    void shouldRejectAnInvalidRequestTarget() throws IOException {
        rejected("GET hello HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("GET ftp://x/hello HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("GET /a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void shouldRejectAMalformedVersion() throws IOException {
        rejected("GET /hello HTTP/1\r\nHost: x\r\n\r\n", 400);
        rejected("GET /hello http/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("GET /hello HTTP/1.1x\r\nHost: x\r\n\r\n", 400);
        rejected("GET /hello HTTP/11.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void shouldAnswer505ToUnsupportedMajorVersions() throws IOException {
        rejected("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505);
        rejected("GET /hello HTTP/0.9\r\nHost: x\r\n\r\n", 505);
    }

    @Test
    void shouldForwardExpectationsOtherThan100Continue() throws IOException {
        RawClient.Response response = accepted("GET /head HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).contains("\r\nExpect: teapot\r\n");
    }

    @Test
    void shouldAnswer501ToConnect() throws IOException {
        rejected("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", 501);
    }

    @Test
    void shouldServeAbsoluteFormWithTheTargetsAuthorityAsHost() throws IOException {
        RawClient.Response response = accepted(
                "GET http://Example.org:8080/head?x=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).startsWith("GET /head?x=1 HTTP/1.1\r\n").contains("Host: Example.org:8080\r\n")
                .doesNotContain("ignored.example");
    }

    @Test
    void shouldServeAbsoluteFormWithoutAPathAsSlash() throws IOException {
        RawClient.Response response = accepted("OPTIONS http://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n");
        assertThat(response.status()).isEqualTo(404);
        assertThat(origin.lastHeads.get("/")).startsWith("OPTIONS / HTTP/1.1\r\n");
    }

    @Test
    void shouldAcceptEmptyLinesBeforeTheRequestLine() throws IOException {
        assertThat(accepted("\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void shouldAcceptHttp10WithoutHost() throws IOException {
        RawClient.Response response = accepted("GET /hello HTTP/1.0\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("connection")).isEqualTo("close");
    }

    @Test
    void shouldAcceptOptionsAsterisk() throws IOException {
        assertThat(accepted("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(404);
    }

    @Test
    void shouldAnswer408WhenTheHeadIsNotCompleteInTime() throws Exception {
        TestOrigin slowOrigin = new TestOrigin("slow");
        ProxyServer strict = ProxyFixture.start(Transport.AUTO, ProxyFixture.limits(300, 60_000),
                RouteTimeouts.defaults(), PoolSettings.defaults(), builder -> { }, slowOrigin.port());
        try (RawClient client = new RawClient(ProxyFixture.port(strict))) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(client.closedByPeer()).isTrue();
            assertThat(strict.metricsText()).contains("vantage_proxy_request_header_timeouts_total 1");
        } finally {
            strict.close();
            slowOrigin.close();
        }
    }

    @Test
    void shouldCloseIdleKeepAliveConnectionsAfterTheIdleTimeout() throws Exception {
        TestOrigin idleOrigin = new TestOrigin("idle");
        ProxyServer strict = ProxyFixture.start(Transport.AUTO, ProxyFixture.limits(10_000, 300),
                RouteTimeouts.defaults(), PoolSettings.defaults(), builder -> { }, idleOrigin.port());
        try (RawClient client = new RawClient(ProxyFixture.port(strict))) {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(client::closedByPeer);
        } finally {
            strict.close();
            idleOrigin.close();
        }
    }
}
