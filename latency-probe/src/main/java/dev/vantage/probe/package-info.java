/** Active probes, per-target latency statistics, health state machine and the lock-free probe table. */
package dev.vantage.probe;
