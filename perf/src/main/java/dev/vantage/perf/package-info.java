/** Load generator, WAN link emulator and JMH benchmarks. */
package dev.vantage.perf;
