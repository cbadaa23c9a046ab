#!/usr/bin/env bash
# Block-delta replication vs rsync, side by side in one run (see BENCHMARKS.md):
#   replication.full_throughput_tmpfs  full sync MB/s into /dev/shm (the engine: iperf3 has no disk either) / iperf3
#   replication.full_throughput        the same into a file on disk (fdatasync before every ack) / iperf3
#   replication.full_throughput_resident  full sync into tmpfs by engines that stay up (perf's WarmFull) / iperf3
#   replication.delta_time[_z]         delta sync wall time (process start to exit) / rsync daemon (plain, -z); the
#                                      changes were written through the Volume API (dirty bitmap, no scan)
#   replication.delta_time_scan        the same changes made behind Vantage's back (it must scan, as rsync does)
#   replication.delta_time_resident    the same kind of change synced by engines that stay up (a site's `vantage run`),
#                                      no JVM start per sync (perf's WarmDelta) / the same rsync median
#   replication.delta_time_site        two running sites (`vantage run`), 1 % changed behind their back (plain writes,
#                                      found by a scan), the operator's `curl -X POST /replication/sync` / rsync plain
#   replication.delta_bytes[_z|_scan]  bytes on the socket (both directions) / rsync's own --stats bytes
#   replication.stage_*                JMH per-core MB/s of XXH3-128 / LZ4 / zstd / frame codec vs xxhsum, lz4, zstd
# Volume: 1 GiB (256 MiB with --quick), first half random, second half text-like (compressible, no two blocks
# alike); then 1 % of its 64 KiB blocks get 4 KiB of random bytes at a scattered offset (perf's VolumeChanges,
# through the Volume API). Delta runs restore both destinations (and Vantage's state) before each run.
# Usage: perf/replication-vs-rsync.sh [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
size_mib=$(( quick ? 256 : 1024 ))
reps=$(( quick ? 1 : 3 ))
block=65536

need() { command -v "$1" >/dev/null 2>&1 || { echo "installing $2" >&2; apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get install -y -q "$2" >/dev/null; }; }; }
need rsync rsync; need iperf3 iperf3; need curl curl; need xxhsum xxhash; need lz4 lz4; need zstd zstd; need python3 python3

work="$(mktemp -d /tmp/vantage-repl-bench.XXXXXX)"
shm="$(mktemp -d /dev/shm/vantage-repl-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work" "$shm"; }
trap cleanup EXIT
load() { uptime | sed 's/.*load average: //'; }

echo "# replication-vs-rsync: ${size_mib} MiB volume, ${reps} repetition(s), work dir $work (disk) and $shm (tmpfs), $(nproc) cores, no pinning, load $(load)" >&2
(cd "$root" && ./vantage version >/dev/null)
echo "# jvm: $(command -v java) ($(java -version 2>&1 | head -1)); every Vantage process runs on it" >&2
jar="$root/site/target/vantage.jar"
if [ ! -f "$root/perf/target/benchmarks.jar" ] || [ -n "$(find "$root/replication/src" "$root/perf/src" -name '*.java' -newer "$root/perf/target/benchmarks.jar" -print -quit)" ]; then
  (cd "$root" && mvn -B -q -o -DskipTests package -pl perf -am >&2 || mvn -B -q -DskipTests package -pl perf -am >&2)
fi
bjar="$root/perf/target/benchmarks.jar"
flags="-Dchronicle.analytics.disable=true -Dio.netty.tryReflectionSetAccessible=true --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED"
# Serial GC: fewer threads on a shared 2-core box. The delta runs and verifies are short-lived CLI processes: they use
# an AppCDS archive recorded by the first full sync (class loading is most of a cold start) and only the C1 JIT (C2's
# compiler threads compete for the 2 cores with the work of a run that lasts a second or two). The full-sync sender
# runs C1 only too, as the `vantage` launcher runs `replicate`; the receivers keep tiered compilation (a resident
# command).
flags="$flags -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off"
cds="$work/vantage.jsa"
vantage() { java $flags -jar "$jar" "$@"; }
vantage_short() { if [ -f "$cds" ]; then java $flags -XX:SharedArchiveFile="$cds" -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; else vantage "$@"; fi; }
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
result() { # name target value unit baseline
  python3 -c "import sys; n,t,v,u,b=sys.argv[1:]; v=float(v); b=float(b); print(f'RESULT name={n} target={t} value={v:.6g} unit={u} baseline={b:.6g} ratio={(v/b if b else 0):.4g}')" "$@"; }
stats() { python3 -c "import sys,statistics as s; x=sorted(map(float,sys.argv[1:])); print(f'{x[0]:.4g} {s.median(x):.4g} {x[-1]:.4g}')" "$@"; }

# ---------------------------------------------------------------- data
python3 "$root/perf/make-volume.py" "$work/src.img" "$size_mib" "$block"
size_bytes=$(stat -c %s "$work/src.img")
# Write back what setting up wrote, so that no timed run (Vantage fsyncs, rsync does not) pays for it.
sync

# ---------------------------------------------------------------- raw loopback TCP (iperf3)
iport=$(free_port)
iperf3 -s -1 -p "$iport" >/dev/null 2>&1 & pids+=($!)
sleep 1
tcp_mbps=$(iperf3 -c 127.0.0.1 -p "$iport" -t $(( quick ? 3 : 5 )) -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8e6)')
echo "# iperf3 loopback: $tcp_mbps MB/s (load $(load))" >&2

# ---------------------------------------------------------------- Vantage full sync (to an empty destination)
# Into tmpfs (what the engine does, as iperf3 measures no disk) and into a file on disk (the receiver acknowledges
# only what fdatasync made durable). Time is measured inside the sync: session start to the destination's durable DONE.
vport=$(free_port)
start_receiver() { # destination volume file
  rm -f "$work/receiver.log"  # else the wait below may see the previous receiver's "listening on"
  java $flags $( [ -f "$cds" ] && echo -XX:SharedArchiveFile="$cds" ) -jar "$jar" receive --listen 127.0.0.1:$vport --volume "$1" 2>"$work/receiver.log" & rpid=$!
  pids+=($rpid)
  for _ in $(seq 1 600); do grep -q "listening on" "$work/receiver.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "receiver did not start: $(cat "$work/receiver.log")" >&2; exit 2
}
stop_receiver() { kill "$rpid"; wait "$rpid" 2>/dev/null || true; }
full_sync() { # destination-dir label ; prints MB/s of volume data
  rm -rf "$1/vdst.img" "$1/vdst.img.vantage" "$work/src.img.vantage"
  start_receiver "$1/vdst.img"
  local archive="" line
  [ -f "$cds" ] || archive="-XX:ArchiveClassesAtExit=$cds"
  # C1 only, as the `vantage` launcher runs `replicate` (a one-shot transfer; see the launcher's comment).
  line=$(java $flags $archive -XX:TieredStopAtLevel=1 -jar "$jar" replicate --volume "$work/src.img" --to 127.0.0.1:$vport --mode full 2>"$work/full.log" | grep '^REPLICATE')
  stop_receiver
  echo "# vantage full into $2 (load $(load)): $line" >&2
  vantage_short verify "$work/src.img" "$1/vdst.img" >&2
  python3 -c "print($size_bytes/1e6/$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$line"))"
}
f_tmpfs=(); f_disk=()
for rep in $(seq 1 "$reps"); do f_tmpfs+=("$(full_sync "$shm" tmpfs)"); f_disk+=("$(full_sync "$work" disk)"); done
rm -rf "$shm/vdst.img" "$shm/vdst.img.vantage"
read -r tmin tmed tmax <<<"$(stats "${f_tmpfs[@]}")"; read -r dmin dmed dmax <<<"$(stats "${f_disk[@]}")"
echo "# full sync MB/s (min median max): tmpfs $tmin $tmed $tmax | disk $dmin $dmed $dmax | iperf3 $tcp_mbps" >&2
result replication.full_throughput_tmpfs "full sync ${size_mib}MiB into tmpfs MB/s vs iperf3 loopback" "$tmed" MB/s "$tcp_mbps"
result replication.full_throughput "full sync ${size_mib}MiB into a file on disk MB/s vs iperf3 loopback" "$dmed" MB/s "$tcp_mbps"
# The same full sync by a sender and a receiver engine that stay up (a site's `vantage run`): no JVM start and no JIT
# warm-up inside the measurement (perf's WarmFull: unmeasured rounds until the JIT is quiet, then measured rounds into
# tmpfs, each copy verified and deleted). Netty's sampled leak detection off, as `vantage run` runs.
java $flags -Dio.netty.leakDetection.level=disabled -cp "$bjar" dev.vantage.perf.WarmFull "$work/src.img" "$shm/warm-full" "$block" $(( quick ? 3 : 5 )) > "$work/warm-full.log" 2>&1 \
  || { cat "$work/warm-full.log" >&2; echo "WarmFull failed" >&2; exit 2; }
grep -E '^(# |WARM_FULL)' "$work/warm-full.log" | sed 's/^WARM_FULL/# WARM_FULL/' >&2
rm -rf "$shm/warm-full"
wfull=$(sed -nE 's/^WARM_FULL median_mbps=([0-9.]+).*/\1/p' "$work/warm-full.log")
result replication.full_throughput_resident "full sync ${size_mib}MiB into tmpfs by resident engines (no JVM start, JIT warm) MB/s vs iperf3 loopback" "$wfull" MB/s "$tcp_mbps"

# ---------------------------------------------------------------- rsync daemon, initial copy
rport=$(free_port)
mkdir -p "$work/rdst"
cat > "$work/rsyncd.conf" <<CONF
pid file = $work/rsyncd.pid
use chroot = no
uid = $(id -u)
gid = $(id -g)
[bench]
  path = $work/rdst
  read only = false
CONF
rsync --daemon --no-detach --config="$work/rsyncd.conf" --port="$rport" --address=127.0.0.1 & pids+=($!)
sleep 1
rsync -a "$work/src.img" "rsync://127.0.0.1:$rport/bench/src.img"

# Snapshots of the pre-change state: destinations (content + Vantage state, times preserved) and the source's state.
cp -a "$work/vdst.img" "$work/vdst.base"; cp -a "$work/vdst.img.vantage" "$work/vdst.base.vantage"
cp -a "$work/src.img.vantage" "$work/src.base.vantage"
cp -a "$work/rdst/src.img" "$work/rdst.base"

# ---------------------------------------------------------------- change 1 % of the blocks, scattered
# Through the Volume API: the source's dirty bitmap for the destination records them (that state is kept as src.api).
# The scan runs pair the changed file with the pre-change state (src.base): the changes happened behind Vantage's
# back, so it must read and hash the whole volume to find them, as rsync must.
changed=$(java $flags -cp "$bjar" dev.vantage.perf.VolumeChanges "$work/src.img" "$block" 1 4096 11)
cp -a "$work/src.img.vantage" "$work/src.api.vantage"
echo "# changed $changed blocks of $(( size_bytes / block )) (4 KiB each, through the Volume API)" >&2

restore() { # source state: api | base
  rm -rf "$work/vdst.img" "$work/vdst.img.vantage" "$work/src.img.vantage"
  cp -a "$work/vdst.base" "$work/vdst.img"; cp -a "$work/vdst.base.vantage" "$work/vdst.img.vantage"
  cp -a "$work/src.$1.vantage" "$work/src.img.vantage"
  cp -a "$work/rdst.base" "$work/rdst/src.img"
  sync  # the copies above are the benchmark's own writes: written back before the timed run, not during it
}
run_vantage() { # api | base
  restore "$1"; start_receiver "$work/vdst.img"
  local t0 t1 line t b
  t0=$(now); line=$(vantage_short replicate --volume "$work/src.img" --to 127.0.0.1:$vport --mode delta 2>"$work/delta.log" | grep '^REPLICATE'); t1=$(now)
  stop_receiver
  vantage_short verify "$work/src.img" "$work/vdst.img" >/dev/null || { echo "vantage delta: volumes differ" >&2; exit 2; }
  t=$(python3 -c "print($t1-$t0)"); b=$(sed -E 's/.*wire_bytes=([0-9]+).*/\1/' <<<"$line")
  if [ "$1" = api ]; then v_time+=("$t"); v_bytes+=("$b"); else s_time+=("$t"); s_bytes+=("$b"); fi
  echo "# vantage delta, $( [ "$1" = api ] && echo dirty bitmap || echo scan) (load $(load)): $(python3 -c "print(round($t,3))") s $line" >&2
}
run_rsync() { # extra flags
  restore base
  local t0 t1 out
  t0=$(now); out=$(rsync --no-whole-file --inplace --stats "$@" "$work/src.img" "rsync://127.0.0.1:$rport/bench/src.img"); t1=$(now)
  cmp -s "$work/src.img" "$work/rdst/src.img" || { echo "rsync: volumes differ" >&2; exit 2; }
  local sent recv
  sent=$(grep -E '^Total bytes sent' <<<"$out" | tr -dc '0-9'); recv=$(grep -E '^Total bytes received' <<<"$out" | tr -dc '0-9')
  echo "# rsync $* (load $(load)): $(python3 -c "print(round($t1-$t0,3))") s, sent $sent received $recv" >&2
  eval "r${1:+z}_time+=(\"$(python3 -c "print($t1-$t0)")\")"; eval "r${1:+z}_bytes+=(\"$((sent + recv))\")"
}
v_time=(); v_bytes=(); s_time=(); s_bytes=(); r_time=(); r_bytes=(); rz_time=(); rz_bytes=()
for rep in $(seq 1 "$reps"); do
  if (( rep % 2 )); then run_vantage api; run_vantage base; run_rsync; run_rsync -z; else run_rsync -z; run_rsync; run_vantage base; run_vantage api; fi
done
read -r vmin vmed vmax <<<"$(stats "${v_time[@]}")"; read -r smin smed smax <<<"$(stats "${s_time[@]}")"
read -r rmin rmed rmax <<<"$(stats "${r_time[@]}")"; read -r zmin zmed zmax <<<"$(stats "${rz_time[@]}")"
echo "# delta wall time s (min median max): vantage dirty bitmap $vmin $vmed $vmax | vantage scan $smin $smed $smax | rsync $rmin $rmed $rmax | rsync -z $zmin $zmed $zmax" >&2
result replication.delta_time "delta ${size_mib}MiB 1% changed via the Volume API, rsync daemon plain" "$vmed" s "$rmed"
result replication.delta_time_z "delta ${size_mib}MiB 1% changed via the Volume API, rsync daemon -z" "$vmed" s "$zmed"
result replication.delta_time_scan "delta ${size_mib}MiB 1% changed behind Vantage's back (scan), rsync daemon plain" "$smed" s "$rmed"
read -r _ vb _ <<<"$(stats "${v_bytes[@]}")"; read -r _ sb _ <<<"$(stats "${s_bytes[@]}")"
read -r _ rb _ <<<"$(stats "${r_bytes[@]}")"; read -r _ zb _ <<<"$(stats "${rz_bytes[@]}")"
result replication.delta_bytes "delta ${size_mib}MiB 1% changed via the Volume API, rsync daemon plain" "$vb" bytes "$rb"
result replication.delta_bytes_z "delta ${size_mib}MiB 1% changed via the Volume API, rsync daemon -z" "$vb" bytes "$zb"
result replication.delta_bytes_scan "delta ${size_mib}MiB 1% changed behind Vantage's back (scan), rsync daemon plain" "$sb" bytes "$rb"

# ---------------------------------------------------------------- resident site: the engines stay up
# The same kind of change (1 % of the blocks, 4 KiB each, through the Volume API) synced by a sender and a receiver
# engine that stay running, as in `vantage run`, so no JVM starts per sync: perf's WarmDelta (real protocol over
# loopback TCP, full sync first, 2 unmeasured rounds, then 5 measured rounds, each verified). Baseline: the same
# run's rsync median above.
cp "$work/src.img" "$work/warm.img"
java $flags -Dio.netty.leakDetection.level=disabled -cp "$bjar" dev.vantage.perf.WarmDelta "$work/warm.img" "$work/warm" "$block" 1 4096 5 13 > "$work/warm.log" 2>&1 \
  || { cat "$work/warm.log" >&2; echo "WarmDelta failed" >&2; exit 2; }
grep -E '^(# |WARM_DELTA)' "$work/warm.log" | sed 's/^WARM_DELTA/# WARM_DELTA/' >&2
wmed=$(sed -nE 's/^WARM_DELTA median_seconds=([0-9.]+).*/\1/p' "$work/warm.log")
result replication.delta_time_resident "delta ${size_mib}MiB 1% changed via the Volume API, sender and receiver resident (no JVM start per sync), rsync daemon plain" "$wmed" s "$rmed"
rm -rf "$work/warm.img" "$work/warm"

# ---------------------------------------------------------------- two running sites: on demand through the admin API
# What an operator runs with Vantage in place of rsync: two sites are up (`vantage run`), the primary holds the
# volume; an application changes 1 % of its blocks behind Vantage's back (plain writes into the file, so the primary
# scans and hashes the whole volume to find them, as rsync must), and the operator asks for a sync with one
# `curl -X POST .../replication/sync?resource=bench`, answered once the mirror has durably acknowledged everything.
# Timed: that curl call. The sites' state cannot be restored between runs, so each run changes other blocks (same
# count and size); after each, the mirror's copy is compared with the primary's.
sa_admin=$(free_port); sb_admin=$(free_port)
printf 'bench-token\n' > "$work/admin-token"
cat > "$work/sites.yaml" <<YAML
sites:
  - id: a
    location: {latitude: 50.1, longitude: 8.7}
    replicationAddress: 127.0.0.1:$(free_port)
    adminAddress: 127.0.0.1:$sa_admin
    listeners: [{name: http, address: 127.0.0.1, port: $(free_port)}]
    upstreamGroups: [{name: vol, upstreams: [127.0.0.1:$(free_port)]}]
  - id: b
    location: {latitude: 39.0, longitude: -77.5}
    replicationAddress: 127.0.0.1:$(free_port)
    adminAddress: 127.0.0.1:$sb_admin
    listeners: [{name: http, address: 127.0.0.1, port: $(free_port)}]
    upstreamGroups: [{name: vol, upstreams: [127.0.0.1:$(free_port)]}]
routes:
  - name: vol
    target: {resource: bench}
resources:
  - id: bench
    volumePath: $work/src.img
    blockSizeBytes: 64KiB
    primarySite: a
    mirrors:
      - {site: a, role: primary, upstreamGroup: vol}
      - {site: b, role: shadow, upstreamGroup: vol}
    replication:
      mode: delta
      schedule: {kind: on_demand}
admin: {tokenFile: $work/admin-token}
YAML
start_site() { # id
  java $flags -jar "$jar" run "$work/sites.yaml" --site "$1" --data "$work/site-$1" > "$work/site-$1.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 600); do grep -q "running; proxy" "$work/site-$1.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "site $1 did not start: $(tail -5 "$work/site-$1.log")" >&2; exit 2
}
start_site b; start_site a
site_sync() { # prints the curl wall time in seconds; fails unless the answer is 200
  local t0 t1 code
  t0=$(now)
  code=$(curl -s -o "$work/site-sync.json" -w '%{http_code}' -X POST -H 'Authorization: Bearer bench-token' \
    "http://127.0.0.1:$sa_admin/replication/sync?resource=bench&timeout_seconds=600")
  t1=$(now)
  [ "$code" = 200 ] || { echo "site sync: HTTP $code $(cat "$work/site-sync.json")" >&2; exit 2; }
  python3 -c "print($t1-$t0)"
}
sa_copy="$work/site-a/volumes/bench.img"; sb_copy="$work/site-b/volumes/bench.img"
first=$(site_sync)
cmp -s "$sa_copy" "$sb_copy" || { echo "site sync: the mirror's copy differs after the first sync" >&2; exit 2; }
echo "# sites: first sync (whole volume to an empty mirror) $(python3 -c "print(round($first,3))") s: $(cat "$work/site-sync.json")" >&2
change_behind() { # seed: 1 % of the blocks get 4 KiB of random bytes at a random offset, plain writes, then fsync
  python3 - "$sa_copy" "$block" "$1" <<'PY'
import os, random, sys
path, block, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
blocks = os.path.getsize(path) // block
with open(path, "r+b") as f:
    for b in sorted(rnd.sample(range(blocks), max(1, round(blocks / 100)))):
        f.seek(b * block + rnd.randrange(block - 4096 + 1)); f.write(rnd.randbytes(4096))
    f.flush(); os.fsync(f.fileno())
PY
}
site_time=(); for _ in 1 2; do change_behind $(( 100 + ${#site_time[@]} )); site_sync >/dev/null; done  # unmeasured: JIT
for rep in $(seq 1 $(( quick ? 3 : 5 ))); do
  change_behind $(( 200 + rep ))
  t=$(site_sync); site_time+=("$t")
  cmp -s "$sa_copy" "$sb_copy" || { echo "site sync: the mirror's copy differs" >&2; exit 2; }
  echo "# sites: on-demand delta (load $(load)): $(python3 -c "print(round($t,3))") s: $(cat "$work/site-sync.json")" >&2
done
read -r omin omed omax <<<"$(stats "${site_time[@]}")"
echo "# sites: on-demand delta wall time s (min median max): $omin $omed $omax" >&2
result replication.delta_time_site "delta ${size_mib}MiB 1% changed behind Vantage's back, two running sites, curl POST /replication/sync to the primary, rsync daemon plain" "$omed" s "$rmed"
for p in $(pgrep -f "run $work/sites.yaml" || true); do kill "$p" 2>/dev/null || true; done

# ---------------------------------------------------------------- pipeline stages: JMH vs native tools, 1 core each
sample_mib=$(( quick ? 32 : 64 ))
half=$(( size_bytes / 2 / 1048576 ))
{ dd if="$work/src.img" bs=1M count=$(( sample_mib / 2 )) 2>/dev/null; dd if="$work/src.img" bs=1M skip="$half" count=$(( sample_mib / 2 )) 2>/dev/null; } > "$work/sample.img"
sample_bytes=$(stat -c %s "$work/sample.img")
native_mbps() { # command... ; best of 3 runs, file in page cache
  local best=0 t0 t1
  for _ in 1 2 3; do t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); best=$(python3 -c "print(max($best, $sample_bytes/1e6/($t1-$t0)))"); done
  echo "$best"
}
cat "$work/sample.img" >/dev/null
xxh_native=$(native_mbps xxhsum -H2 "$work/sample.img")
lz4_native=$(native_mbps lz4 -1 -c "$work/sample.img")
zstd_native=$(native_mbps zstd -1 -T1 -c "$work/sample.img")
java -jar "$bjar" ReplicationBenchmarks -p dataFile="$work/sample.img" -p sampleBytes="$sample_bytes" \
  -f 1 -wi $(( quick ? 1 : 3 )) -i $(( quick ? 2 : 5 )) -w 1s -r 1s -rf csv -rff "$work/jmh.csv" >"$work/jmh.log" 2>&1 || { tail -20 "$work/jmh.log" >&2; exit 2; }
jmh_mbps() { python3 - "$work/jmh.csv" "$1" "$block" <<'PY'
import csv, sys
path, name, block = sys.argv[1], sys.argv[2], int(sys.argv[3])
for row in csv.DictReader(open(path)):
    if row["Benchmark"].endswith("." + name):
        print(float(row["Score"]) * block / 1e6); break
PY
}
result replication.stage_xxh3 "XXH3-128 64KiB blocks, JMH vs xxhsum -H2 (MB/s per core)" "$(jmh_mbps xxh3Hash)" MB/s "$xxh_native"
result replication.stage_lz4 "LZ4 compress 64KiB blocks, JMH vs lz4 -1 (MB/s per core)" "$(jmh_mbps lz4Compress)" MB/s "$lz4_native"
result replication.stage_zstd "zstd -1 compress 64KiB blocks, JMH vs zstd -1 -T1 (MB/s per core)" "$(jmh_mbps zstdCompress)" MB/s "$zstd_native"
result replication.stage_frame "frame encode+decode 64KiB, JMH vs iperf3 loopback (MB/s)" "$(jmh_mbps frameEncodeDecode)" MB/s "$tcp_mbps"
