package dev.vantage.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Keys for the HMAC-SHA256 affinity cookie. The first key signs; every key verifies, so keys rotate by
 * prepending a new one and removing the old one after the cookie TTL.
 *
 * @param secrets    inline secrets (at least 16 characters each), tried before {@code secretFiles}
 * @param secretFiles files whose first line (trimmed) is a secret
 */
public record AffinitySettings(List<String> secrets, List<Path> secretFiles) {

    public AffinitySettings {
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        secretFiles = secretFiles == null ? List.of() : List.copyOf(secretFiles);
    }

    /** No configured keys: a site then signs with a random per-process key (cookies do not survive restarts). */
    public static AffinitySettings defaults() {
        return new AffinitySettings(List.of(), List.of());
    }

    @Override
    public String toString() {
        return "AffinitySettings[secrets=" + secrets.size() + " hidden, secretFiles=" + secretFiles + "]";
    }
}
