/**
 * JMH benchmarks of every hot path, one class per module ({@code ProxyBenchmarks}, {@code RoutingBenchmarks},
 * {@code ReplicationBenchmarks}, {@code PredictorBenchmarks}, ...). Built into {@code perf/target/benchmarks.jar}.
 */
package dev.vantage.perf.jmh;
