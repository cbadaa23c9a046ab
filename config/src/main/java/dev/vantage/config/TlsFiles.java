package dev.vantage.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * PEM files that turn a listener into an HTTPS listener.
 *
 * @param certificateFile PEM certificate chain, leaf first
 * @param privateKeyFile  PEM PKCS#8 private key
 */
public record TlsFiles(Path certificateFile, Path privateKeyFile) {
    public TlsFiles {
        Objects.requireNonNull(certificateFile, "certificateFile");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
    }
}
