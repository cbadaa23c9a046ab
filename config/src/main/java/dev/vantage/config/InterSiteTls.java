package dev.vantage.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * PEM files that secure a site's traffic with other sites (replication, in both directions) with TLS: this site's
 * certificate and key, and the CA bundle its peers' certificates must chain to.
 *
 * @param certificateFile          PEM certificate chain of this site, leaf first; presented to peers both when this
 *                                 site sends and when it receives
 * @param privateKeyFile           PEM PKCS#8 private key of {@code certificateFile}
 * @param trustedCertificatesFile  PEM bundle of the CA certificates a peer's certificate must chain to
 * @param requireClientCertificate mutual TLS: a connecting peer must present a trusted certificate (default
 *                                 {@code true}); when {@code false} any client that completes a TLS handshake is
 *                                 served, and only the receiver is authenticated
 */
public record InterSiteTls(Path certificateFile, Path privateKeyFile, Path trustedCertificatesFile,
                           boolean requireClientCertificate) {

    public InterSiteTls {
        Objects.requireNonNull(certificateFile, "certificateFile");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        Objects.requireNonNull(trustedCertificatesFile, "trustedCertificatesFile");
    }

    /** Mutual TLS with these files: both ends present a certificate that chains to {@code trustedCertificatesFile}. */
    public static InterSiteTls mutual(Path certificateFile, Path privateKeyFile, Path trustedCertificatesFile) {
        return new InterSiteTls(certificateFile, privateKeyFile, trustedCertificatesFile, true);
    }
}
