#!/usr/bin/env bash
# Cost of active probing: 1 000 loopback targets probed every 1 s by dev.vantage.probe.LatencyProbes.
# A server process listens on 1 000 loopback ports (answers every HTTP request with a minimal 200 and keeps the
# connection open unless the request says Connection: close); a second process probes every port three ways, one
# after the other: tcp (TCP connect probes), http (HTTP checks over one kept-alive connection per target, the
# default) and http_fresh (HTTP checks with a fresh connection each), and measures its own CPU time over measurement
# windows after a warm-up. Only the probing process is measured: value = process CPU time / wall time, in percent of
# one core, per completed probe times the nominal 1 000 probes/s (median of the windows; the probe thread's own
# share is printed too). Goal: < 5 % of one core. Each kind is also compared with the floor measured in the same
# run (probe.raw_connect_floor): a plain blocking JDK connect + reset to the same ports (the kernel's work for a
# loopback connect, which every fresh-connection probe pays).
#   perf/probe-cost.sh [--quick]   (quick: 5 s warm-up + 3 windows of 3 s per kind, about 50 s;
#                                   full: 15 s + 3 x 10 s per kind, about 2.5 min)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/perf/target/benchmarks.jar"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "usage: perf/probe-cost.sh [--quick]" >&2; exit 2 ;;
  esac
done
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "probe-cost: building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl perf -am) >&2
fi
targets=1000
# The warm-up lets the JIT compile the probe path; on a loaded machine that takes seconds (C2 compilations show up
# in the process CPU: compare the probe thread's share when the two differ a lot).
kinds=tcp,http,http_fresh
if [ "$quick" = 1 ]; then warmup=5; window=3; else warmup=15; window=10; fi
# 1 000 listening ports plus 1 000 kept-alive connections need more descriptors than the usual soft limit of 1024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * targets + 512)) ]; then
  echo "probe-cost: open file limit $(ulimit -n) (expected: >= $((2 * targets + 512)); raise the hard limit)" >&2
  exit 2
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# No pinning: the figure is CPU time, not latency, and on a shared 2-core machine a pinned probe thread waits
# behind everything else on its core, which turns scheduling delay into probe timeouts. PROBE_COST_PIN=1 pins
# the probing process to cpu 0 and the server to cpu 1.
pin_server=() ; pin_probe=()
if [ "${PROBE_COST_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 1); pin_probe=(taskset -c 0)
  echo "# pinning: probing process on cpu 0, target server on cpu 1" >&2
else
  echo "# pinning: none" >&2
fi
# Agrona (the passive-result ring) needs jdk.internal.misc, as in the ./vantage launcher.
java_opts=(-Xms64m -Xmx256m -XX:+UseSerialGC -Dio.netty.tryReflectionSetAccessible=true
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
"${pin_server[@]}" java "${java_opts[@]}" -cp "$jar" dev.vantage.perf.probe.ProbeCostMain server \
  --targets "$targets" --port-file "$work/ports" &
server_pid=$!
for _ in $(seq 1 600); do
  [ -f "$work/ports" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "probe-cost: the target server died" >&2; exit 2; fi
  sleep 0.1
done
[ -f "$work/ports" ] || { echo "probe-cost: the target server did not start within 60 s" >&2; exit 2; }
"${pin_probe[@]}" java "${java_opts[@]}" -cp "$jar" dev.vantage.perf.probe.ProbeCostMain probe \
  --port-file "$work/ports" --interval-millis 1000 --warmup-seconds "$warmup" --window-seconds "$window" \
  --windows 3 --kinds "$kinds"
