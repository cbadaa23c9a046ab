package dev.vantage.config;

/** Block payload codec on the replication wire; incompressible blocks are always sent raw. */
public enum Compression { LZ4, ZSTD, NONE }
