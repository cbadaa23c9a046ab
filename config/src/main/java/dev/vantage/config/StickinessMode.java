package dev.vantage.config;

/** What identifies a user for stickiness: nothing, a signed affinity cookie, a request header, or the client IP. */
public enum StickinessMode { OFF, COOKIE, HEADER, CLIENT_IP }
