package dev.vantage.config;

/** {@code FULL}: every block (skipping matching hashes); {@code DELTA}: dirty blocks since the last cycle; {@code SELECTIVE}: only the selections. */
public enum ReplicationMode { FULL, DELTA, SELECTIVE }
