#!/usr/bin/env bash
# JMH benchmarks of the hot paths, with the GC profiler (allocation per operation).
#   perf/jmh.sh [--quick] [REGEX...]
# Builds perf/target/benchmarks.jar when stale, runs the benchmarks matching REGEX (all by default; the
# SmokeBenchmark floor is always included), writes JSON to perf/results/jmh-<time>.json and prints a summary:
# one "JMH" line per benchmark (score, error, B/op) and one RESULT line per benchmark against the floor.
# --quick: -f 1 -wi 1 -i 2 -w 1s -r 1s (for CI smoke runs and perf/run-all.sh --quick).
# JMH_IGNORE_LOCK=1 runs even while another JMH holds /tmp/jmh.lock (shared machines; figures then disturb
# each other, so say so next to them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/perf/target/benchmarks.jar"
quick=0
regexes=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "jmh.sh: unknown option $arg (expected: --quick, REGEX)" >&2; exit 2 ;;
    *) regexes+=("$arg") ;;
  esac
done
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "jmh.sh: building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl perf -am) >&2
fi
mkdir -p "$root/perf/results"
out="$root/perf/results/jmh-$(date -u +%Y%m%dT%H%M%SZ).json"
args=(-prof gc -rf json -rff "$out")
if [ "$quick" = 1 ]; then
  args+=(-f 1 -wi 1 -i 2 -w 1s -r 1s)
fi
if [ ${#regexes[@]} -gt 0 ]; then
  regexes+=("SmokeBenchmark")
fi
jvm_flags="-Dchronicle.analytics.disable=true -Dio.netty.tryReflectionSetAccessible=true --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED"
echo "jmh.sh: java -jar benchmarks.jar ${regexes[*]:-(all)} ${args[*]}" >&2
# shellcheck disable=SC2086
lock_flag=""
[ "${JMH_IGNORE_LOCK:-0}" = 1 ] && lock_flag="-Djmh.ignoreLock=true"
java $jvm_flags $lock_flag -jar "$jar" ${regexes[@]+"${regexes[@]}"} "${args[@]}" -jvmArgsAppend "$jvm_flags" >&2
echo "jmh.sh: results in $out" >&2
java -cp "$jar" dev.vantage.perf.JmhSummary "$out"
