#!/usr/bin/env bash
# Predictor benchmarks: per-access-event model update cost (JMH, with -prof gc) and the heap of
# 10 000 users x 50 places. Prints RESULT lines per BENCHMARKS.md. --quick shortens the JMH run.
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
  jmh_args=(-wi 2 -w 1 -i 3 -r 1 -f 1)
else
  jmh_args=(-wi 3 -w 2 -i 5 -r 2 -f 1)
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
java $flags -jar "$jar" 'PredictorBenchmarks.accessEvent' "${jmh_args[@]}" -prof gc -rf text -rff "$out" >&2
cat "$out" >&2
ns="$(awk '/PredictorBenchmarks.accessEvent / && $2=="avgt" {print $4; exit}' "$out")"
alloc="$(awk '/accessEvent:gc.alloc.rate.norm/ {print $4; exit}' "$out")"
if [ -z "$ns" ]; then
  echo "predictor-bench.sh: no accessEvent score in the JMH output" >&2
  exit 2
fi
ratio="$(awk -v v="$ns" 'BEGIN {printf "%.3f", v / 1000}')"
echo "RESULT name=predictor.update_ns target=per_access_event value=$ns unit=ns baseline=1000 ratio=$ratio"
echo "RESULT name=predictor.update_alloc_bytes target=per_access_event value=${alloc:-NaN} unit=B/op baseline=0 ratio=NaN"
java $flags -Xmx1g -cp "$jar" 'dev.vantage.perf.jmh.PredictorBenchmarks$MemoryProbe' 10000 100
