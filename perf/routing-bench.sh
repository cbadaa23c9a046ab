#!/usr/bin/env bash
# Best-mirror selection vs round-robin vs least-request, side by side in one run (BENCHMARKS.md "routing.p99").
# Three loopback origins add 5, 20 and 80 ms to every response; three Vantage proxies (one event loop each, real
# request path) sit in front of all three, differing only in the upstream selector:
#   best_mirror   - the routing engine (peak-EWMA x (pending+1) / weight, power of two choices)
#   round_robin   - cycles through the upstreams
#   least_request - power of two choices on pending requests (the proxy's default, Envoy's LEAST_REQUEST)
# Open-loop load from perf/loadgen (coordinated-omission corrected) at a fixed rate. Every measured run is preceded by
# a warm-up at the same rate (not recorded) long enough for the scorer to re-learn the origins after the proxy sat idle
# while the others ran. Repetitions alternate the order of the selectors (ABC BCA CAB ACB BAC CBA: every selector in
# every position, and after every other one over 6 repetitions); the RESULT lines are ratios of the per-selector
# medians, and the paired per-repetition ratios are printed as min/median/max. Servers pinned to cpu 0, load generator
# to cpu 1. The default rate (200 req/s, ~4-16 requests in flight) is far below what one core proxies, so the figures
# measure the routing, not saturation; a run whose achieved rate falls below 95 % of the target is flagged.
#
#   perf/routing-bench.sh [--quick]    (ROUTING_BENCH_RATE=N overrides the rate)
#
# Prints:
#   RESULT name=routing.p99 target=best_mirror_vs_round_robin ...      (< 1 is better)
#   RESULT name=routing.p50 target=best_mirror_vs_round_robin ...
#   RESULT name=routing.p99_vs_least_request target=best_mirror_vs_least_request ...
#   RESULT name=routing.p50_vs_least_request target=best_mirror_vs_least_request ...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "routing-bench.sh: unknown argument $arg (expected: --quick)" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then reps=3; duration=3; warmup=2; else reps=6; duration=15; warmup=5; fi
rate=${ROUTING_BENCH_RATE:-200}
connections=64

jar="$root/perf/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "# routing-bench: building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl perf -am) >&2
fi

cpus=$(nproc)
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  pin_servers="taskset -c 0"; pin_load="taskset -c 1"; pinning="origins and proxies on cpu 0, load generator on cpu 1"
else
  pin_servers=""; pin_load=""; pinning="not pinned"
fi

work="$(mktemp -d /tmp/vantage-routing-bench.XXXXXX)"
server_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.3; done
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/stdin"
# shellcheck disable=SC2086
$pin_servers java -Xms256m -Xmx512m -XX:+UseParallelGC -Dio.netty.tryReflectionSetAccessible=true \
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED \
  -cp "$jar" dev.vantage.perf.RoutingComparisonServer 5 20 80 < "$work/stdin" > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
exec 3> "$work/stdin"
for _ in $(seq 1 600); do
  grep -q '^READY' "$work/server.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; echo "routing-bench: servers failed to start" >&2; exit 2; }
  sleep 0.1
done
grep -q '^READY' "$work/server.out" || { cat "$work/server.err" >&2; echo "routing-bench: servers not ready after 60 s" >&2; exit 2; }
ready=$(grep '^READY' "$work/server.out")
port_of() { echo "$ready" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }

modes=(best_mirror round_robin least_request)
# Williams-style orders of the three selectors (indexes into modes): positions balanced every 3 repetitions,
# predecessors balanced every 6.
orders=("0 1 2" "1 2 0" "2 0 1" "0 2 1" "1 0 2" "2 1 0")
echo "# routing-bench: origins +5/+20/+80 ms, rate ${rate} rps open loop, ${connections} connections, ${duration} s (after ${warmup} s warm-up at the same rate) x ${reps} repetitions, alternating order; ${pinning}"
echo "# routing-bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$reps"); do
  for k in ${orders[$(( (rep - 1) % 6 ))]}; do
    mode=${modes[$k]}
    port=$(port_of "$mode")
    # shellcheck disable=SC2086
    line=$($pin_load "$root/perf/loadgen" --url "http://127.0.0.1:$port/bench" --rate "$rate" --duration "$duration" \
      --warmup "$warmup" --connections "$connections" --hgrm "$work/$mode-$rep.hgrm" 2> "$work/$mode-$rep.err" | grep '^LOADGEN' || true)
    if [ -z "$line" ]; then cat "$work/$mode-$rep.err" >&2; echo "routing-bench: loadgen failed for $mode" >&2; exit 2; fi
    echo "# rep $rep $mode: $line"
    echo "$line" | tr ' ' '\n' | grep -E '^(p50_us|p99_us|achieved_rps|errors)=' | sed "s/^/$mode /" >> "$work/figures"
    echo "$line" | tr ' ' '\n' | grep -E '^(p50_us|p99_us)=' | sed "s/^/$rep $mode /" >> "$work/paired"
    achieved=$(echo "$line" | tr ' ' '\n' | grep '^achieved_rps=' | cut -d= -f2)
    if awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }'; then
      echo "# WARNING rep $rep $mode: achieved ${achieved} of ${rate} req/s (the box could not hold the rate)"
    fi
  done
done
echo "# routing-bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

stat() { # mode key -> "min median max"
  grep "^$1 $2=" "$work/figures" | cut -d= -f2 | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s %s %s", v[1], m, v[NR]}'
}
median() { stat "$1" "$2" | awk '{print $2}'; }
for mode in "${modes[@]}"; do
  echo "# $mode: p50_us min/median/max $(stat "$mode" p50_us | tr ' ' '/')  p99_us $(stat "$mode" p99_us | tr ' ' '/')  achieved_rps $(stat "$mode" achieved_rps | tr ' ' '/')  errors $(stat "$mode" errors | tr ' ' '/')"
done
paired() { # key baseline_mode -> "min median max" of best_mirror/baseline per repetition
  for rep in $(seq 1 "$reps"); do
    v=$(grep "^$rep best_mirror $1=" "$work/paired" | cut -d= -f2)
    b=$(grep "^$rep $2 $1=" "$work/paired" | cut -d= -f2)
    awk -v v="$v" -v b="$b" 'BEGIN { if (b > 0) printf "%.3f\n", v / b }'
  done | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s/%s/%s", v[1], m, v[NR]}'
}
for baseline in round_robin least_request; do
  echo "# paired ratios best_mirror/$baseline per repetition (min/median/max): p50 $(paired p50_us "$baseline")  p99 $(paired p99_us "$baseline")"
done
result() { # name target value baseline
  awk -v n="$1" -v t="$2" -v v="$3" -v b="$4" 'BEGIN { printf "RESULT name=%s target=%s value=%s unit=us baseline=%s ratio=%.3f\n", n, t, v, b, (b > 0 ? v / b : 0) }'
}
result routing.p99 best_mirror_vs_round_robin "$(median best_mirror p99_us)" "$(median round_robin p99_us)"
result routing.p50 best_mirror_vs_round_robin "$(median best_mirror p50_us)" "$(median round_robin p50_us)"
result routing.p99_vs_least_request best_mirror_vs_least_request "$(median best_mirror p99_us)" "$(median least_request p99_us)"
result routing.p50_vs_least_request best_mirror_vs_least_request "$(median best_mirror p50_us)" "$(median least_request p50_us)"
