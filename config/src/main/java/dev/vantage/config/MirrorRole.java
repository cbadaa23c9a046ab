package dev.vantage.config;

/** The role of a mirror: {@code PRIMARY} (writable), {@code SHADOW} (read-only, kept in sync), {@code REPLICA} (writable, multi-master). */
public enum MirrorRole { PRIMARY, SHADOW, REPLICA }
