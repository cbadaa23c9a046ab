package dev.vantage.config;

/**
 * How concurrent writes to the same block at two replicas are resolved. The losing version is always kept
 * and reported. {@code LAST_WRITER_WINS}: by (hybrid logical clock, site id); {@code PRIMARY_WINS}: the
 * primary's version wins.
 */
public enum ConflictPolicy { LAST_WRITER_WINS, PRIMARY_WINS }
