package dev.vantage.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A named volume of fixed-size blocks replicated between sites and served by its mirrors.
 *
 * @param id             unique
 * @param tenant         owning tenant id, default {@code default}
 * @param volumePath     the volume file; relative paths resolve against the policy file's directory, and each
 *                       site stores its copy under its own data directory
 * @param blockSizeBytes power of two in 4 KiB..1 MiB, default 64 KiB
 * @param primarySite    site id of the initial primary; must have a mirror with role {@code PRIMARY}
 * @param mirrors        at least one, at most one per site
 * @param replication    replication settings
 * @param consistency    write acknowledgement rule
 * @param conflictPolicy default {@link ConflictPolicy#LAST_WRITER_WINS}
 */
public record Resource(String id, String tenant, Path volumePath, int blockSizeBytes, String primarySite,
                       List<Mirror> mirrors, ReplicationSettings replication, Consistency consistency,
                       ConflictPolicy conflictPolicy) {

    public static final int DEFAULT_BLOCK_SIZE_BYTES = 65_536;
    public static final int MIN_BLOCK_SIZE_BYTES = 4_096;
    public static final int MAX_BLOCK_SIZE_BYTES = 1_048_576;

    public Resource {
        Objects.requireNonNull(id, "id");
        tenant = tenant == null ? Tenant.DEFAULT_ID : tenant;
        mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
        replication = replication == null ? ReplicationSettings.defaults() : replication;
        consistency = consistency == null ? Consistency.async() : consistency;
        conflictPolicy = conflictPolicy == null ? ConflictPolicy.LAST_WRITER_WINS : conflictPolicy;
    }

    /** The mirror of this resource at {@code siteId}. */
    public Optional<Mirror> mirrorAt(String siteId) {
        for (Mirror mirror : mirrors) {
            if (mirror.site().equals(siteId)) {
                return Optional.of(mirror);
            }
        }
        return Optional.empty();
    }
}
