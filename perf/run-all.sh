#!/usr/bin/env bash
# Runs every side-by-side comparison of BENCHMARKS.md, in order, each within a time budget, and collects
# their RESULT lines into perf/results/summary.txt:
#   perf/run-all.sh [--quick]
# --quick is passed on to every script (the whole quick run stays under 10 minutes on 2 cores).
# A script that does not exist is reported as "MISSING <name>", one that fails or overruns its budget as
# "FAILED <name> exit=<code>"; nothing is hidden, and the exit code is 1 when anything was missing or failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run-all.sh: unknown argument $arg (expected: --quick)" >&2; exit 2 ;;
  esac
done

# name:budget-seconds-in-quick-mode (full runs get five times as long).
# Quick budgets add up to 530 s, which leaves 70 s of the 10 minutes for building the jars when they are stale.
scripts=(
  "proxy-vs-haproxy.sh:120"
  "routing-bench.sh:100"
  "replication-vs-rsync.sh:100"
  "predictor-bench.sh:50"
  "probe-cost.sh:60"
  "jmh.sh:100"
)
results="$root/perf/results"
mkdir -p "$results"
summary="$results/summary.txt"
started=$(date +%s)
{
  echo "# perf/run-all.sh $* -- $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r), $(java -version 2>&1 | head -1)"
} > "$summary"

# Build once up front (when any source is newer than the jars) so that no script's budget is spent compiling.
jars=("$root/perf/target/benchmarks.jar" "$root/site/target/vantage.jar")
stale=0
for jar in "${jars[@]}"; do
  if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "run-all: building the jars (mvn -B -q -DskipTests package -pl site,perf -am) ..." >&2
  if ! mvn -B -q -DskipTests package -pl site,perf -am >&2; then
    echo "FAILED build exit=1" | tee -a "$summary"
    exit 1
  fi
fi
# Both jars are current now. ./vantage also counts perf's generated JMH sources (in perf/target) as newer
# sources; marking vantage.jar as the newer file keeps it from rebuilding inside a script's budget.
touch "$root/site/target/vantage.jar"

echo "# build $(( $(date +%s) - started )) s" >> "$summary"

status=0
for entry in "${scripts[@]}"; do
  name="${entry%%:*}"
  budget="${entry##*:}"
  [ "$quick" = 1 ] || budget=$((budget * 5))
  script="$root/perf/$name"
  if [ ! -f "$script" ]; then
    echo "MISSING $name" | tee -a "$summary"
    status=1
    continue
  fi
  log="$results/${name%.sh}.log"
  echo "run-all: $name (budget ${budget} s, log $log) ..." >&2
  t0=$(date +%s)
  args=()
  [ "$quick" = 1 ] && args+=(--quick)
  timeout --signal=TERM --kill-after=15 "$budget" bash "$script" ${args[@]+"${args[@]}"} > "$log" 2>&1
  code=$?
  t1=$(date +%s)
  grep -E '^RESULT ' "$log" | tee -a "$summary"
  if [ "$code" = 124 ] || [ "$code" = 137 ]; then
    echo "FAILED $name exit=$code (time budget of ${budget} s exceeded after $((t1 - t0)) s; see $log)" | tee -a "$summary"
    status=1
  elif [ "$code" != 0 ]; then
    echo "FAILED $name exit=$code (after $((t1 - t0)) s; last lines of $log below)" | tee -a "$summary"
    tail -5 "$log" | sed 's/^/  | /' >&2
    status=1
  elif ! grep -qE '^RESULT ' "$log"; then
    echo "FAILED $name exit=0 but printed no RESULT line (see $log)" | tee -a "$summary"
    status=1
  else
    echo "OK $name $((t1 - t0)) s" >> "$summary"
  fi
done
echo "# total $(( $(date +%s) - started )) s" >> "$summary"

echo
echo "==== perf/run-all.sh summary ($summary) ===="
cat "$summary"
exit $status
