package dev.vantage.replication;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vantage.config.InterSiteTls;

/** Certificate authorities and site certificates (EC P-256, PEM) made with the {@code openssl} CLI in a directory. */
final class TestCertificates {

    private final Path dir;

    TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Whether the openssl CLI runs here; tests that need certificates skip when it does not. */
    static boolean opensslAvailable() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            try (InputStream out = p.getInputStream()) {
                out.transferTo(OutputStream.nullOutputStream());
            }
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Makes the self-signed CA {@code name}: {@code name-ca.pem} and {@code name-ca.key}. */
    Path authority(String name) throws IOException, InterruptedException {
        Path cert = dir.resolve(name + "-ca.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=" + name + " test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", dir.resolve(name + "-ca.key").toString(), "-out", cert.toString());
        return cert;
    }

    /**
     * Makes the certificate of site {@code site}, signed by CA {@code authority}, naming {@code subjectAltNames}
     * (e.g. {@code IP:127.0.0.1}); returns mutual TLS settings that trust {@code trusted}.
     */
    InterSiteTls site(String site, String authority, Path trusted, String subjectAltNames)
            throws IOException, InterruptedException {
        Path key = dir.resolve(site + ".key");
        Path csr = dir.resolve(site + ".csr");
        Path cert = dir.resolve(site + ".pem");
        Path ext = dir.resolve(site + ".ext");
        Files.writeString(ext, "subjectAltName=" + subjectAltNames + "\nextendedKeyUsage=serverAuth,clientAuth\n",
                StandardCharsets.US_ASCII);
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + site,
                "-keyout", key.toString(), "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", dir.resolve(authority + "-ca.pem").toString(),
                "-CAkey", dir.resolve(authority + "-ca.key").toString(), "-CAcreateserial", "-days", "2",
                "-extfile", ext.toString(), "-out", cert.toString());
        return InterSiteTls.mutual(cert, key, trusted);
    }

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output;
        try (InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
        }
    }
}
