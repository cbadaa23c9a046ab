#!/usr/bin/env bash
# Predictor benchmarks: per-access-event model update cost for two event mixes (realistic: 5 % of events move the
# user; moves: every event does), JMH wall clock with -prof gc and the thread's CPU time for the same streams, and
# the heap of 10 000 users x 50 places. Prints RESULT lines per BENCHMARKS.md. --quick shortens the JMH run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "predictor-bench.sh: unknown argument: $arg (expected: --quick)" >&2; exit 2 ;;
  esac
done
jar="$root/perf/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/predictor/src" "$root/perf/src" -name '*.java' -newer "$jar" -print -quit)" ]; then
  (cd "$root" && mvn -B -q -DskipTests package -pl perf -am) >&2
fi
flags="-Dchronicle.analytics.disable=true --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED"
if [ "$quick" = 1 ]; then
  jmh_args=(-wi 1 -w 1 -i 3 -r 1 -f 1)
else
  jmh_args=(-wi 3 -w 2 -i 5 -r 2 -f 1)
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
java $flags -jar "$jar" 'PredictorBenchmarks.accessEvent' "${jmh_args[@]}" -prof gc -rf text -rff "$out" >&2
cat "$out" >&2
# With the mix parameter, JMH's text result has: Benchmark (mix) Mode Cnt Score Error Units.
status=0
for mix in realistic moves; do
  ns="$(awk -v m="$mix" '$1=="PredictorBenchmarks.accessEvent" && $2==m && $3=="avgt" {print $5; exit}' "$out")"
  alloc="$(awk -v m="$mix" '$1=="PredictorBenchmarks.accessEvent:gc.alloc.rate.norm" && $2==m {print $5; exit}' "$out")"
  if [ -z "$ns" ]; then
    echo "predictor-bench.sh: no accessEvent score for mix=$mix in the JMH output" >&2
    status=2
    continue
  fi
  ratio="$(awk -v v="$ns" 'BEGIN {printf "%.3f", v / 1000}')"
  echo "RESULT name=predictor.update_ns target=per_access_event_$mix value=$ns unit=ns baseline=1000 ratio=$ratio"
  echo "RESULT name=predictor.update_alloc_bytes target=per_access_event_$mix value=${alloc:-NaN} unit=B/op baseline=0 ratio=NaN"
done
# The same event streams timed on the thread's CPU clock (median and minimum of ten rounds; steadier on a shared
# machine).
# Quick mode (run-all.sh gives this script 50 s) probes the realistic mix only.
if [ "$quick" = 1 ]; then events=500000; probe_mixes=(realistic); else events=3000000; probe_mixes=(realistic moves); fi
for mix in "${probe_mixes[@]}"; do
  java $flags -Xmx1g -cp "$jar" 'dev.vantage.perf.jmh.PredictorBenchmarks$UpdateProbe' "$events" "$mix"
done
java $flags -Xmx1g -cp "$jar" 'dev.vantage.perf.jmh.PredictorBenchmarks$MemoryProbe' 10000 100
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
