package dev.vantage.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;

import io.netty.channel.ConnectTimeoutException;
import org.junit.jupiter.api.Test;

class ProbeAttemptTest {

    @Test
    void shouldParseTheStatusOfAnHttp1StatusLine() {
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 200 OK")).isEqualTo(200);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.0 503 Service Unavailable")).isEqualTo(503);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 204")).isEqualTo(204);
    }

    @Test
    void shouldRejectWhatIsNotAStatusLine() {
        assertThat(ProbeAttempt.parseStatus("SSH-2.0-OpenSSH_9.2")).isEqualTo(-1);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 20 OK")).isEqualTo(-1);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 2000 OK")).isEqualTo(-1);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 abc OK")).isEqualTo(-1);
        assertThat(ProbeAttempt.parseStatus("HTTP/1.1 099 OK")).isEqualTo(-1);
        assertThat(ProbeAttempt.parseStatus("HTTP/2 200")).isEqualTo(-1);
    }

    @Test
    void shouldDescribeFailuresForPeople() {
        assertThat(ProbeAttempt.describe(new ConnectTimeoutException("connection timed out after 500 ms")))
                .isEqualTo("connect timeout");
        assertThat(ProbeAttempt.describe(new ConnectException("Connection refused")))
                .isEqualTo("connect failed: Connection refused");
        assertThat(ProbeAttempt.describe(new IllegalStateException("outer", new RuntimeException("root cause"))))
                .isEqualTo("root cause");
    }

    @Test
    void shouldTellIpLiteralsFromNames() {
        assertThat(ProbeAttempt.isIpLiteral("127.0.0.1")).isTrue();
        assertThat(ProbeAttempt.isIpLiteral("::1")).isTrue();
        assertThat(ProbeAttempt.isIpLiteral("localhost")).isFalse();
        assertThat(ProbeAttempt.isIpLiteral("10.0.0")).isFalse();
        assertThat(ProbeAttempt.isIpLiteral("web-1.example")).isFalse();
    }
}
