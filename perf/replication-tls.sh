#!/usr/bin/env bash
# The cost of mutual TLS between sites, side by side in one run (see BENCHMARKS.md):
#   replication.tls_full_throughput  full sync MB/s of volume data over mutual TLS / the same sync in plaintext
# Each run is `vantage replicate --mode full` of a fresh volume to a fresh `vantage receive` on loopback (an empty
# destination, so every block travels); plaintext and TLS runs alternate. Volume: 512 MiB (192 MiB with --quick),
# first half random, second half text-like. Certificates (EC P-256, one private CA) are made with openssl.
# Usage: perf/replication-tls.sh [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
size_mib=$(( quick ? 192 : 512 ))
reps=$(( quick ? 1 : 3 ))

need() { command -v "$1" >/dev/null 2>&1 || { echo "installing $2" >&2; apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get install -y -q "$2" >/dev/null; }; }; }
need openssl openssl; need python3 python3

work="$(mktemp -d /tmp/vantage-tls-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "# replication-tls: ${size_mib} MiB volume, ${reps} repetition(s) each, work dir $work, $(nproc) cores, no pinning, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
(cd "$root" && ./vantage version >/dev/null)
jar="$root/site/target/vantage.jar"
flags="-Dchronicle.analytics.disable=true -Dio.netty.tryReflectionSetAccessible=true --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED -XX:+UseSerialGC"
vantage() { java $flags -jar "$jar" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
result() { # name target value unit baseline
  python3 -c "import sys; n,t,v,u,b=sys.argv[1:]; v=float(v); b=float(b); print(f'RESULT name={n} target={t} value={v:.6g} unit={u} baseline={b:.6g} ratio={(v/b if b else 0):.4g}')" "$@"; }
stats() { python3 -c "import sys,statistics as s; x=sorted(map(float,sys.argv[1:])); print(f'{x[0]:.4g} {s.median(x):.4g} {x[-1]:.4g}')" "$@"; }

# ---------------------------------------------------------------- certificates
certs="$work/certs"; mkdir -p "$certs"
(cd "$certs"
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
     -addext basicConstraints=critical,CA:TRUE -keyout ca.key -out ca.pem >/dev/null 2>&1
 for s in sender receiver; do
   openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$s" -keyout $s.key -out $s.csr >/dev/null 2>&1
   printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > $s.ext
   openssl x509 -req -in $s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile $s.ext -out $s.pem >/dev/null 2>&1
 done)
tls_of() { echo "--tls-cert $certs/$1.pem --tls-key $certs/$1.key --tls-ca $certs/ca.pem"; }

# ---------------------------------------------------------------- data
python3 "$root/perf/make-volume.py" "$work/src.img" "$size_mib" 65536 \
  "the mirror site block epoch volume replica shadow primary route user"
size_bytes=$(stat -c %s "$work/src.img")

# ---------------------------------------------------------------- one full sync: $1 = plain | tls
run() {
  local kind=$1 port rpid line seconds rtls="" stls=""
  [ "$kind" = tls ] && { rtls=$(tls_of receiver); stls=$(tls_of sender); }
  rm -rf "$work/dst.img" "$work/dst.img.vantage" "$work/src.img.vantage"
  port=$(free_port)
  # shellcheck disable=SC2086
  java $flags -jar "$jar" receive --listen 127.0.0.1:$port --volume "$work/dst.img" $rtls 2>"$work/receiver.log" & rpid=$!
  pids+=($rpid)
  for _ in $(seq 1 600); do grep -q "listening on" "$work/receiver.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$work/receiver.log" || { echo "receiver did not start: $(cat "$work/receiver.log")" >&2; exit 2; }
  # shellcheck disable=SC2086
  line=$(vantage replicate --volume "$work/src.img" --to 127.0.0.1:$port --mode full --attempts 1 $stls 2>"$work/$kind.log" | grep '^REPLICATE') \
      || { echo "replicate ($kind) failed: $(tail -3 "$work/$kind.log")" >&2; exit 2; }
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  vantage verify "$work/src.img" "$work/dst.img" >/dev/null || { echo "verify ($kind): volumes differ" >&2; exit 2; }
  seconds=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$line")
  echo "# $kind: $line" >&2
  python3 -c "print($size_bytes/1e6/$seconds)"
}

plain=(); tls=()
for i in $(seq 1 "$reps"); do
  if [ $(( i % 2 )) = 1 ]; then plain+=("$(run plain)"); tls+=("$(run tls)")
  else tls+=("$(run tls)"); plain+=("$(run plain)"); fi
done
read -r pmin pmed pmax <<<"$(stats "${plain[@]}")"
read -r tmin tmed tmax <<<"$(stats "${tls[@]}")"
echo "# plaintext MB/s min/median/max: $pmin $pmed $pmax" >&2
echo "# mutual TLS MB/s min/median/max: $tmin $tmed $tmax" >&2
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
result replication.tls_full_throughput "full sync ${size_mib}MiB MB/s over mutual TLS vs plaintext" "$tmed" MB/s "$pmed"
