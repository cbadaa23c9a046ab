package dev.vantage.config;

/** {@code ASYNC}: a write is acknowledged by the primary alone; {@code QUORUM}: after W of N mirrors hold it. */
public enum ConsistencyMode { ASYNC, QUORUM }
