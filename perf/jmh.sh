#!/usr/bin/env bash
# JMH benchmarks of the hot paths, with the GC profiler (allocation per operation).
#   perf/jmh.sh [--quick] [REGEX...]
# Builds perf/target/benchmarks.jar when stale, runs the SmokeBenchmark floor and then the benchmarks matching
# REGEX (all by default) one class at a time, so that a run cut short still has the classes done so far. JSON
# goes to perf/results/jmh-<time>/<Class>.json; after each class it prints one "JMH" line per benchmark (score,
# error, B/op) and one RESULT line per benchmark against the floor.
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
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "jmh.sh: unknown option $arg (expected: --quick, REGEX)" >&2; exit 2 ;;
    *) regexes+=("$arg") ;;
  esac
done
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "jmh.sh: building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl perf -am) >&2
fi
out="$root/perf/results/jmh-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
args=(-prof gc -rf json)
if [ "$quick" = 1 ]; then
  args+=(-f 1 -wi 1 -i 2 -w 1s -r 1s)
fi
jvm_flags="-Dchronicle.analytics.disable=true -Dio.netty.tryReflectionSetAccessible=true --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED"
lock_flag=""
[ "${JMH_IGNORE_LOCK:-0}" = 1 ] && lock_flag="-Djmh.ignoreLock=true"

# The classes to run: those with a benchmark matching any REGEX (JMH's own filter), the floor first.
classes=$(java -jar "$jar" -l ${regexes[@]+"${regexes[@]}"} 2>/dev/null | grep '^dev\.' | sed 's/\.[^.]*$//' \
  | grep -v '\.SmokeBenchmark$' | sort -u)
if [ -z "$classes" ]; then
  echo "jmh.sh: no benchmark matches ${regexes[*]:-(all)}" >&2
  exit 1
fi
run_class() { # CLASS FILTER...
  local class=$1; shift
  echo "jmh.sh: ${class##*.} ($*)" >&2
  # shellcheck disable=SC2086
  java $jvm_flags $lock_flag -jar "$jar" "$@" "${args[@]}" -rff "$out/${class##*.}.json" -jvmArgsAppend "$jvm_flags" >&2
}
run_class dev.vantage.perf.jmh.SmokeBenchmark '^dev\.vantage\.perf\.jmh\.SmokeBenchmark\.'
java -cp "$jar" dev.vantage.perf.JmhSummary "$out/SmokeBenchmark.json"
status=0
for class in $classes; do
  filters=()
  if [ ${#regexes[@]} -gt 0 ]; then
    # The user's filters, restricted to this class (JMH takes each as a regex found anywhere in the name).
    for r in "${regexes[@]}"; do
      java -jar "$jar" -l "$r" 2>/dev/null | grep -q "^$class\." && filters+=("^(?=.*(${r}))${class//./\\.}\\.")
    done
  else
    filters=("^${class//./\\.}\\.")
  fi
  if run_class "$class" "${filters[@]}"; then
    java -cp "$jar" dev.vantage.perf.JmhSummary --floor "$out/SmokeBenchmark.json" "$out/${class##*.}.json"
  else
    echo "jmh.sh: ${class##*.} failed (exit $?)" >&2
    status=1
  fi
done
echo "jmh.sh: results in $out" >&2
exit $status
