package dev.vantage.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.HttpLimits;
import dev.vantage.config.Listener;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.TlsFiles;
import dev.vantage.config.Transport;

/** A listener with TLS files terminates TLS and tells the upstream the request came over https. */
@ExtendWith(LeakDetectionExtension.class)
class TlsListenerTest {

    @TempDir
    Path dir;

    @Test
    void shouldTerminateTlsAndForwardWithHttpsScheme() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        assumeTrue(selfSigned(cert, key), "openssl is not installed: TLS listener test skipped");
        try (TestOrigin origin = new TestOrigin("tls-origin")) {
            ProxyServer proxy = ProxyFixture.start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(),
                    PoolSettings.defaults(), builder -> builder.listeners(List.of(
                            new Listener("https", "127.0.0.1", 0, Transport.AUTO, new TlsFiles(cert, key)))),
                    origin.port());
            try {
                HttpClient client = HttpClient.newBuilder().sslContext(trusting(cert))
                        .connectTimeout(Duration.ofSeconds(5)).build();
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(
                        "https://127.0.0.1:" + ProxyFixture.port(proxy) + "/head")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).contains("X-Forwarded-Proto: https").contains("proto=https");
            } finally {
                proxy.close();
            }
        }
    }

    private static boolean selfSigned(Path cert, Path key) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
            try (InputStream out = p.getInputStream()) {
                out.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.size(cert) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            store.setCertificateEntry("vantage-test", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
