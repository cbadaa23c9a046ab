package dev.vantage.config;

import java.nio.file.Path;

/**
 * Admin API settings shared by all sites (each site's admin address is {@link Site#adminAddress()}).
 *
 * @param tokenFile file holding the bearer token for mutating admin calls (first line, trimmed), or {@code null}
 *                  to allow only read-only admin calls
 */
public record AdminSettings(Path tokenFile) {

    public static AdminSettings defaults() {
        return new AdminSettings(null);
    }
}
