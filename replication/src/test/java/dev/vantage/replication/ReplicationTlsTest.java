package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.InterSiteTls;

/**
 * Replication between sites over TLS on loopback, with certificates made by the openssl CLI at test time: mutual TLS
 * syncs, and peers with an untrusted, missing or wrongly named certificate, or no TLS at all, are refused before
 * anything is applied.
 */
class ReplicationTlsTest {

    private static final int BLOCK = 16 * 1024;
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    private static final String LOOPBACK = "IP:127.0.0.1,DNS:localhost";

    @TempDir
    Path dir;

    private TestCertificates certificates;
    private Path trusted;
    private final List<ReplicationEngine> engines = new ArrayList<>();

    @BeforeEach
    void makeAuthority() throws Exception {
        assumeTrue(TestCertificates.opensslAvailable(), "openssl is not installed: replication TLS test skipped");
        Files.createDirectories(dir.resolve("certs"));
        certificates = new TestCertificates(dir.resolve("certs"));
        trusted = certificates.authority("vantage");
    }

    @AfterEach
    void close() {
        engines.forEach(ReplicationEngine::close);
    }

    private ReplicationEngine engine(String siteId, InterSiteTls tls) {
        ReplicationEngine engine = ReplicationEngine.create(siteId, Clock.systemUTC(), tls);
        engines.add(engine);
        return engine;
    }

    private Path sourceVolume(int blocks) throws IOException {
        byte[] content = new byte[blocks * BLOCK];
        for (int b = 0; b < blocks; b++) {
            byte[] block = b % 2 == 0 ? TestData.random(BLOCK, b) : TestData.compressible(BLOCK, b);
            System.arraycopy(block, 0, content, b * BLOCK, BLOCK);
        }
        return TestData.write(dir.resolve("src.img"), content);
    }

    private static SyncRequest request(Path volume, ReceiverEndpoint receiver) {
        return SyncRequest.of("res-1", volume, "site-b", receiver.address()).withBlockSize(BLOCK, null)
                .withAttempts(1, 10);
    }

    private static long counter(ReplicationEngine engine, String name) {
        for (String line : engine.renderPrometheus().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in the metrics");
    }

    private static String failure(ReplicationEngine source, SyncRequest request) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> source.sync(request).get(60, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class);
        return thrown.getCause().getMessage();
    }

    private void assertNothingApplied(ReplicationEngine mirror, ReceiverEndpoint receiver) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> counter(mirror, "vantage_replication_tls_refused_peers_total") == 1);
        assertThat(receiver.progress("res-1")).isEmpty();
        assertThat(dir.resolve("mirror/res-1.vol")).doesNotExist();
    }

    @Test
    void shouldSyncOverMutualTlsAndEndWithIdenticalVolumes() throws Exception {
        ReplicationEngine source = engine("site-a", certificates.site("site-a", "vantage", trusted, LOOPBACK));
        ReplicationEngine mirror = engine("site-b", certificates.site("site-b", "vantage", trusted, LOOPBACK));
        Path src = sourceVolume(96);
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        SyncResult result = source.sync(request(src, receiver)).get(60, TimeUnit.SECONDS);

        assertThat(result.blocksSent()).isEqualTo(96);
        assertThat(Volumes.verify(src, dir.resolve("mirror/res-1.vol"), BLOCK).identical()).isTrue();
        assertThat(receiver.progress("res-1").orElseThrow().phase()).isEqualTo(MirrorProgress.Phase.IN_SYNC);
        assertThat(source.secured()).isTrue();
        assertThat(counter(mirror, "vantage_replication_tls_refused_peers_total")).isZero();
        assertThat(counter(source, "vantage_replication_tls_failed_connections_total")).isZero();
    }

    @Test
    void shouldRefuseASenderWhoseCertificateComesFromAnotherAuthority() throws Exception {
        certificates.authority("rogue");
        ReplicationEngine source = engine("site-a", certificates.site("site-a", "rogue", trusted, LOOPBACK));
        ReplicationEngine mirror = engine("site-b", certificates.site("site-b", "vantage", trusted, LOOPBACK));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        String error = failure(source, request(sourceVolume(8), receiver));

        assertThat(error).contains("tls").contains("127.0.0.1:" + receiver.address().getPort())
                .contains("expected:");
        assertNothingApplied(mirror, receiver);
        assertThat(counter(source, "vantage_replication_tls_failed_connections_total")).isEqualTo(1);
    }

    @Test
    void shouldRefuseAClientWithoutCertificateInMutualMode() throws Exception {
        ReplicationEngine mirror = engine("site-b", certificates.site("site-b", "vantage", trusted, LOOPBACK));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        // A TLS client that trusts the receiver but has no certificate of its own: the JDK's socket.
        try (SSLSocket socket = (SSLSocket) trusting(trusted).getSocketFactory()
                .createSocket("127.0.0.1", receiver.address().getPort())) {
            socket.setSoTimeout(20_000);
            assertThatThrownBy(() -> {
                socket.startHandshake();
                socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 1, 2, 3, 4});
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() < 0) {
                    throw new IOException("closed by the receiver");
                }
            }).isInstanceOf(IOException.class);
        }
        assertNothingApplied(mirror, receiver);
    }

    @Test
    void shouldFailCleanlyWhenAPlaintextSenderMeetsATlsReceiver() throws Exception {
        ReplicationEngine source = engine("site-a", null);
        ReplicationEngine mirror = engine("site-b", certificates.site("site-b", "vantage", trusted, LOOPBACK));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        String error = failure(source, request(sourceVolume(8), receiver));

        assertThat(error).contains("closed the connection before its first reply")
                .contains("a receiver that requires TLS closes plaintext connections");
        assertNothingApplied(mirror, receiver);
    }

    @Test
    void shouldRefuseAReceiverWhoseCertificateNamesAnotherHost() throws Exception {
        ReplicationEngine source = engine("site-a", certificates.site("site-a", "vantage", trusted, LOOPBACK));
        ReplicationEngine mirror = engine("site-b",
                certificates.site("site-b", "vantage", trusted, "DNS:elsewhere.example"));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        String error = failure(source, request(sourceVolume(8), receiver));

        assertThat(error).contains("tls handshake with 127.0.0.1:" + receiver.address().getPort() + " failed")
                .contains("names 127.0.0.1)");
        assertThat(counter(source, "vantage_replication_tls_failed_connections_total")).isEqualTo(1);
        assertThat(receiver.progress("res-1")).isEmpty();
        assertThat(dir.resolve("mirror/res-1.vol")).doesNotExist();
    }

    @Test
    void shouldRefuseAReceiverWhoseCertificateComesFromAnotherAuthority() throws Exception {
        certificates.authority("rogue");
        ReplicationEngine source = engine("site-a", certificates.site("site-a", "vantage", trusted, LOOPBACK));
        ReplicationEngine mirror = engine("site-b", certificates.site("site-b", "rogue", trusted, LOOPBACK));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        String error = failure(source, request(sourceVolume(8), receiver));

        assertThat(error).contains("tls handshake with 127.0.0.1:" + receiver.address().getPort() + " failed")
                .contains("chains to " + trusted);
        assertThat(dir.resolve("mirror/res-1.vol")).doesNotExist();
    }

    @Test
    void shouldServeAClientWithoutCertificateWhenMutualTlsIsOff() throws Exception {
        InterSiteTls mutual = certificates.site("site-b", "vantage", trusted, LOOPBACK);
        ReplicationEngine mirror = engine("site-b", new InterSiteTls(mutual.certificateFile(),
                mutual.privateKeyFile(), mutual.trustedCertificatesFile(), false));
        ReceiverEndpoint receiver = mirror.startReceiver(ANY, dir.resolve("mirror"));

        try (SSLSocket socket = (SSLSocket) trusting(trusted).getSocketFactory()
                .createSocket("127.0.0.1", receiver.address().getPort())) {
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        }
        assertThat(counter(mirror, "vantage_replication_tls_refused_peers_total")).isZero();
    }

    @Test
    void shouldNameTheFilesWhenTheyCannotBeRead() throws Exception {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "not a certificate");
        InterSiteTls broken = InterSiteTls.mutual(notPem, notPem, trusted);

        assertThatThrownBy(() -> ReplicationEngine.create("site-a", Clock.systemUTC(), broken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("certificateFile " + notPem)
                .hasMessageContaining("(expected: readable PEM files");
    }

    private static SSLContext trusting(Path caFile) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            store.setCertificateEntry("vantage-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
