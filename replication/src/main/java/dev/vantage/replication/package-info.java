/** The block-delta replication engine: volumes, Disruptor sender pipeline, frames, receiver. */
package dev.vantage.replication;
