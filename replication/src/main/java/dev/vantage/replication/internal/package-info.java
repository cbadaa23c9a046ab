/** Internals of the replication engine: bitmap and manifest files, wire frames, pipeline stages, transport. */
package dev.vantage.replication.internal;
