package dev.vantage.site;

import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine.Option;

import dev.vantage.config.InterSiteTls;

/** The {@code --tls-*} options of the replication commands: mutual TLS with the peer, or plaintext when absent. */
final class TlsOptions {

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain of this end (with --tls-key and --tls-ca: mutual TLS).")
    Path certificateFile;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM PKCS#8 private key of --tls-cert.")
    Path privateKeyFile;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM bundle of the CAs the peer's certificate must chain to.")
    Path trustedCertificatesFile;

    /**
     * Mutual TLS settings, or {@code null} when no option was given.
     *
     * @throws IllegalArgumentException when only some options were given or a file does not exist (every problem)
     */
    InterSiteTls settings() {
        Path[] files = {certificateFile, privateKeyFile, trustedCertificatesFile};
        String[] names = {"--tls-cert", "--tls-key", "--tls-ca"};
        StringBuilder problems = new StringBuilder();
        int given = 0;
        for (int i = 0; i < files.length; i++) {
            if (files[i] != null) {
                given++;
                if (!Files.isRegularFile(files[i])) {
                    append(problems, names[i] + ": " + files[i] + " (expected: an existing PEM file)");
                }
            }
        }
        if (given == 0) {
            return null;
        }
        for (int i = 0; i < files.length; i++) {
            if (files[i] == null) {
                append(problems, names[i]
                        + ": missing (expected: --tls-cert, --tls-key and --tls-ca together, or none)");
            }
        }
        if (problems.length() > 0) {
            throw new IllegalArgumentException(problems.toString());
        }
        return InterSiteTls.mutual(certificateFile, privateKeyFile, trustedCertificatesFile);
    }

    private static void append(StringBuilder problems, String problem) {
        problems.append(problems.length() == 0 ? "" : System.lineSeparator()).append(problem);
    }
}
