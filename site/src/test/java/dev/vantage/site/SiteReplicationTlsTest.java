package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.InterSiteTls;
import dev.vantage.config.PolicyHolder;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;

/**
 * Mutual TLS between sites from the outside: {@code vantage replicate --tls-cert --tls-key --tls-ca} (all three or
 * none), and a site whose policy has {@code replicationTls} receiving only from peers with a trusted certificate.
 */
class SiteReplicationTlsTest {

    @TempDir
    Path dir;

    @Test
    void shouldReplicateOverMutualTlsWithTheThreeOptions() throws Exception {
        assumeTrue(openssl("version"), "openssl is not installed: replicate --tls test skipped");
        Path ca = authority();
        InterSiteTls receiverTls = site("receiver", ca);
        InterSiteTls senderTls = site("sender", ca);
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(20 * 65_536 + 7, 1));
        Path dst = dir.resolve("dst.img");
        try (ReplicationEngine receiver = ReplicationEngine.create("b", Clock.systemUTC(), receiverTls)) {
            ReceiverEndpoint endpoint = receiver.startReceiver(new InetSocketAddress("127.0.0.1", 0), id -> dst);
            String to = "127.0.0.1:" + endpoint.address().getPort();

            assertThat(VantageCli.execute("replicate", "--volume", src.toString(), "--to", to,
                    "--tls-cert", senderTls.certificateFile().toString(),
                    "--tls-key", senderTls.privateKeyFile().toString(), "--tls-ca", ca.toString()))
                    .isEqualTo(VantageCli.EXIT_OK);
            assertThat(VantageCli.execute("verify", src.toString(), dst.toString())).isEqualTo(VantageCli.EXIT_OK);

            String error = CliTestSupport.stderrOf(() -> assertThat(VantageCli.execute("replicate", "--volume", src.toString(),
                    "--to", to, "--attempts", "1")).isEqualTo(VantageCli.EXIT_USAGE));
            assertThat(error).contains("closed the connection before its first reply");
        }
    }

    @Test
    void shouldReceiveOverMutualTlsAtASiteWhosePolicyHasReplicationTls() throws Exception {
        assumeTrue(openssl("version"), "openssl is not installed: site replicationTls test skipped");
        Path ca = authority();
        InterSiteTls siteTls = site("here", ca);
        InterSiteTls peerTls = site("peer", ca);
        int replicationPort;
        int adminPort;
        int listenPort;
        try (java.net.ServerSocket a = new java.net.ServerSocket(0);
             java.net.ServerSocket b = new java.net.ServerSocket(0);
             java.net.ServerSocket c = new java.net.ServerSocket(0)) {
            replicationPort = a.getLocalPort();
            adminPort = b.getLocalPort();
            listenPort = c.getLocalPort();
        }
        Path policyFile = Files.writeString(dir.resolve("policy.yaml"), """
                sites:
                  - id: here
                    location: {latitude: 52.52, longitude: 13.405}
                    replicationAddress: 127.0.0.1:%d
                    adminAddress: 127.0.0.1:%d
                    replicationTls:
                      certificateFile: here.pem
                      privateKeyFile: here.key
                      trustedCertificatesFile: ca.pem
                    listeners:
                      - {name: http, address: 127.0.0.1, port: %d}
                    upstreamGroups:
                      - {name: web, upstreams: [127.0.0.1:9]}
                routes:
                  - name: all
                    target: {upstreamGroup: web}
                """.formatted(replicationPort, adminPort, listenPort));
        assertThat(siteTls.certificateFile()).isEqualTo(dir.resolve("here.pem"));
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(12 * 65_536, 5));
        try (PolicyHolder holder = PolicyHolder.load(policyFile);
             VantageSite vantage = VantageSite.builder(holder, "here").dataDirectory(dir.resolve("data")).threads(1)
                     .build().start();
             ReplicationEngine peer = ReplicationEngine.create("peer", Clock.systemUTC(), peerTls);
             ReplicationEngine plaintext = ReplicationEngine.create("plain")) {
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", replicationPort);
            peer.sync(SyncRequest.of("res-1", src, "here", to).withAttempts(1, 10)).get(60, TimeUnit.SECONDS);
            assertThat(VantageCli.execute("verify", src.toString(),
                    SiteReplication.volumePath(dir.resolve("data"), "res-1").toString())).isEqualTo(VantageCli.EXIT_OK);

            assertThat(plaintext.sync(SyncRequest.of("res-2", src, "here", to).withAttempts(1, 10)))
                    .failsWithin(Duration.ofSeconds(60)).withThrowableThat()
                    .withMessageContaining("closed the connection before its first reply");
            assertThat(vantage.replicationEngine().secured()).isTrue();
            assertThat(vantage.replicationEngine().renderPrometheus())
                    .contains("vantage_replication_tls_refused_peers_total 1");
        }
    }

    @Test
    void shouldRejectSomeButNotAllTlsOptionsWithExitOne() throws Exception {
        Path src = Files.write(dir.resolve("src.img"), CliTestSupport.random(1000, 3));
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        String error = CliTestSupport.stderrOf(() -> assertThat(VantageCli.execute("replicate", "--volume", src.toString(),
                "--to", "127.0.0.1:1", "--tls-cert", cert.toString(), "--tls-ca", dir.resolve("no-ca.pem").toString()))
                .isEqualTo(VantageCli.EXIT_INVALID_INPUT));
        assertThat(error).contains("--tls-ca: " + dir.resolve("no-ca.pem") + " (expected: an existing PEM file)")
                .contains("--tls-key: missing (expected: --tls-cert, --tls-key and --tls-ca together, or none)");
        assertThat(VantageCli.execute("receive", "--listen", "127.0.0.1:0", "--volume", dir.resolve("v").toString(),
                "--tls-key", cert.toString())).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
    }



    private Path authority() throws IOException, InterruptedException {
        Path cert = dir.resolve("ca.pem");
        assertThat(openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                "2", "-subj", "/CN=vantage test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-keyout", dir.resolve("ca.key").toString(), "-out", cert.toString())).isTrue();
        return cert;
    }

    private InterSiteTls site(String name, Path ca) throws IOException, InterruptedException {
        Path ext = Files.writeString(dir.resolve(name + ".ext"),
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
        Path key = dir.resolve(name + ".key");
        Path cert = dir.resolve(name + ".pem");
        assertThat(openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/CN=" + name, "-keyout", key.toString(), "-out", dir.resolve(name + ".csr").toString())).isTrue();
        assertThat(openssl("x509", "-req", "-in", dir.resolve(name + ".csr").toString(), "-CA", ca.toString(),
                "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-days", "2", "-extfile",
                ext.toString(), "-out", cert.toString())).isTrue();
        return InterSiteTls.mutual(cert, key, ca);
    }

    private boolean openssl(String... args) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            try (InputStream out = p.getInputStream()) {
                out.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
