package dev.vantage.config;

/** Conditions under which an idempotent request may be retried on another upstream. */
public enum RetryOn {
    /** The TCP connect failed or timed out; the request was never sent. */
    CONNECT_FAILURE,
    /** The connection was reset before any response byte arrived. */
    RESET,
    /** The upstream answered 503. */
    STATUS_503
}
