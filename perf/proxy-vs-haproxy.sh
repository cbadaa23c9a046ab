#!/usr/bin/env bash
# Side-by-side HTTP/1.1 reverse proxy benchmark: Vantage (`vantage proxy --threads 1`) vs HAProxy (nbthread 1,
# http-reuse always) vs nginx (1 worker, upstream keepalive), all in front of the same nginx origin serving a
# 1 KiB body over keep-alive. Proxies run pinned to one core; origin and load generator to the other.
#
#   perf/proxy-vs-haproxy.sh [--quick]
#
# Prints (BENCHMARKS.md):
#   RESULT name=proxy.rps            closed loop, wrk -t1 -c64, median of N runs, baseline HAProxy
#   RESULT name=proxy.rps_vs_nginx   same, baseline nginx
# Order: throughput, then idle-connection heap, then latency (the slowest part comes last, so a run cut short by a
# time budget still printed the other results).
#   RESULT name=proxy.p99            open loop (perf/loadgen) at 50% of HAProxy's max rate, baseline HAProxy
#   RESULT name=proxy.p99_vs_nginx   same rate, baseline nginx
#   RESULT name=proxy.idle_conn_heap heap bytes per idle keep-alive connection at 10 000 connections, baseline 4096
#   RESULT name=proxy.cpu_per_request CPU microseconds (user+sys) the proxy process spent per request during the
#                                     closed-loop runs, baseline HAProxy: robust when other work shares the machine
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
# The JVM's JIT compiles on the same pinned core as the event loop, so Vantage gets a longer warm-up.
# Its warm-up repeats until two consecutive runs differ by less than 5% (at most max_warmups runs).
# Quick mode measures latency for HAProxy and Vantage only, with shorter open-loop runs.
if [ "$quick" = 1 ]; then reps=1; duration=4; warmup=2; max_warmups=6; idle_conns=10000
  latency_duration=3; latency_warmup=1; latency_targets="haproxy vantage"
else reps=3; duration=10; warmup=5; max_warmups=8; idle_conns=10000
  latency_duration=10; latency_warmup=2; latency_targets="haproxy nginx vantage"; fi
started=$(date +%s)
phase() { echo "# [$(( $(date +%s) - started ))s] $*"; }

need() { command -v "$1" >/dev/null 2>&1 || { echo "# installing $2" >&2; apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2; }; }
need haproxy haproxy
need nginx nginx
need wrk wrk
need python3 python3

hard_fds=$(ulimit -Hn); [ "$hard_fds" = unlimited ] && hard_fds=65536
[ "$hard_fds" -gt 65536 ] && hard_fds=65536
ulimit -n "$hard_fds"
if [ "$hard_fds" -lt 10500 ]; then idle_conns=$((hard_fds - 500)); fi
cpus=$(nproc)
if [ "$cpus" -ge 2 ]; then proxy_cpu=0; load_cpu=1; pin_proxy="taskset -c $proxy_cpu"; pin_load="taskset -c $load_cpu"
  pinning="proxies on cpu $proxy_cpu, origin and load generator on cpu $load_cpu"
else pin_proxy=""; pin_load=""; pinning="not pinned (1 cpu)"; fi

work="$(mktemp -d /tmp/vantage-proxy-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -f "$work/origin.pid" ] && kill "$(cat "$work/origin.pid")" 2>/dev/null || true
  [ -f "$work/nginx-proxy.pid" ] && kill "$(cat "$work/nginx-proxy.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
origin_port=$(free_port); haproxy_port=$(free_port); nginx_port=$(free_port); vantage_port=$(free_port); admin_port=$(free_port)

# ---- origin: nginx, 1 worker, 1 KiB body
body=$(head -c 1024 /dev/zero | tr '\0' 'x')
mkdir -p "$work/origin-logs" "$work/proxy-logs"
cat > "$work/origin.conf" <<CONF
worker_processes 1;
pid $work/origin.pid;
error_log $work/origin-logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/origin-logs;
  proxy_temp_path $work/origin-logs; fastcgi_temp_path $work/origin-logs; uwsgi_temp_path $work/origin-logs; scgi_temp_path $work/origin-logs;
  server { listen 127.0.0.1:$origin_port; location / { default_type text/plain; return 200 "$body"; } }
}
CONF
$pin_load nginx -c "$work/origin.conf" -g 'daemon on;'

# ---- HAProxy
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn $(( (hard_fds - 100) / 2 ))
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend fe
  bind 127.0.0.1:$haproxy_port
  default_backend be
backend be
  server origin 127.0.0.1:$origin_port maxconn 1000
CONF
$pin_proxy haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.out" 2>&1 &
pids+=($!)

# ---- nginx as a proxy
cat > "$work/nginx-proxy.conf" <<CONF
worker_processes 1;
pid $work/nginx-proxy.pid;
error_log $work/proxy-logs/error.log;
worker_rlimit_nofile $hard_fds;
events { worker_connections $((hard_fds - 100)); }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/proxy-logs;
  proxy_temp_path $work/proxy-logs; fastcgi_temp_path $work/proxy-logs; uwsgi_temp_path $work/proxy-logs; scgi_temp_path $work/proxy-logs;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
$pin_proxy nginx -c "$work/nginx-proxy.conf" -g 'daemon on;'

# ---- Vantage
"$root/vantage" version >/dev/null   # builds the jar when needed, before anything is timed
VANTAGE_JAVA_OPTS="${VANTAGE_JAVA_OPTS:--Xms512m -Xmx1g}" $pin_proxy "$root/vantage" proxy \
  --listen "127.0.0.1:$vantage_port" --to "127.0.0.1:$origin_port" --threads 1 --admin "127.0.0.1:$admin_port" \
  --idle-timeout-ms 300000 > "$work/vantage.out" 2>&1 &
vantage_pid=$!
pids+=($vantage_pid)

wait_http() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0; sleep 0.1; done
  echo "no answer from $2 on port $1" >&2; cat "$work/haproxy.out" "$work/vantage.out" >&2; exit 2; }
need curl curl
wait_http "$origin_port" origin; wait_http "$haproxy_port" haproxy; wait_http "$nginx_port" nginx
wait_http "$vantage_port" vantage
echo "# $(haproxy -v | head -1); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'); $(java -version 2>&1 | head -1)"
echo "# $(grep -o 'transport [a-z_]*' "$work/vantage.out" | head -1); pinning: $pinning; body 1024 bytes; runs=$reps duration=${duration}s"

rps_of() { # port -> requests/s (wrk -t1 -c64)
  $pin_load wrk -t1 -c64 -d"${duration}s" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'
}
stats() { # values... -> "min median max"
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s %s %s", v[1], m, v[NR]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

# CPU time (user+sys, microseconds) of a process and its children threads; nginx: master and workers.
cpu_us() { local total=0 pid; for pid in "$@"; do
    total=$(( total + $(awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000000 / hz}' "/proc/$pid/stat") ))
  done; echo "$total"; }
nginx_pids() { local master; master=$(cat "$work/nginx-proxy.pid"); echo "$master $(pgrep -P "$master" | tr '\n' ' ')"; }
haproxy_pid=$(pgrep -f "haproxy -f $work/haproxy.cfg" | head -1)

phase "warm-up: vantage ${duration}s runs until stable (max $max_warmups), others ${warmup}s"
previous=0
for _ in $(seq 1 "$max_warmups"); do
  current=$($pin_load wrk -t1 -c64 -d"${duration}s" "http://127.0.0.1:$vantage_port/" | awk '/Requests\/sec/ {print $2}')
  echo "#   vantage warm-up: $current req/s"
  if awk -v a="$current" -v b="$previous" 'BEGIN { exit !(b > 0 && a < b * 1.05 && a > b * 0.95) }'; then break; fi
  previous=$current
done
for port in $haproxy_port $nginx_port; do
  $pin_load wrk -t1 -c64 -d"${warmup}s" "http://127.0.0.1:$port/" >/dev/null
done

declare -a h_rps n_rps v_rps h_cpu n_cpu v_cpu
measure() { # name port pids... -> appends rps and cpu us/request
  local name=$1 port=$2; shift 2
  local c0 c1 out reqs
  c0=$(cpu_us "$@")
  out=$($pin_load wrk -t1 -c64 -d"${duration}s" "http://127.0.0.1:$port/")
  c1=$(cpu_us "$@")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  last_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  last_cpu=$(awk -v c=$((c1 - c0)) -v r="$reqs" 'BEGIN { printf "%.2f", c / r }')
}
phase "closed loop: wrk -t1 -c64 -d${duration}s, $reps run(s), alternating order"
for rep in $(seq 1 "$reps"); do
  if [ $((rep % 2)) = 1 ]; then order="haproxy nginx vantage"; else order="vantage nginx haproxy"; fi
  for name in $order; do
    case $name in
      haproxy) measure haproxy "$haproxy_port" "$haproxy_pid"; h_rps+=("$last_rps"); h_cpu+=("$last_cpu") ;;
      nginx) measure nginx "$nginx_port" $(nginx_pids); n_rps+=("$last_rps"); n_cpu+=("$last_cpu") ;;
      vantage) measure vantage "$vantage_port" "$vantage_pid"; v_rps+=("$last_rps"); v_cpu+=("$last_cpu") ;;
    esac
  done
  echo "# run $rep ($order): haproxy=${h_rps[-1]} nginx=${n_rps[-1]} vantage=${v_rps[-1]} req/s;" \
       "cpu us/request haproxy=${h_cpu[-1]} nginx=${n_cpu[-1]} vantage=${v_cpu[-1]}"
done
read -r h_min h_med h_max <<<"$(stats "${h_rps[@]}")"
read -r n_min n_med n_max <<<"$(stats "${n_rps[@]}")"
read -r v_min v_med v_max <<<"$(stats "${v_rps[@]}")"
echo "# rps min/median/max: haproxy $h_min/$h_med/$h_max nginx $n_min/$n_med/$n_max vantage $v_min/$v_med/$v_max"
echo "RESULT name=proxy.rps target=vantage value=$v_med unit=req/s baseline=$h_med ratio=$(ratio "$v_med" "$h_med")"
echo "RESULT name=proxy.rps_vs_nginx target=vantage value=$v_med unit=req/s baseline=$n_med ratio=$(ratio "$v_med" "$n_med")"
read -r _ hc_med _ <<<"$(stats "${h_cpu[@]}")"
read -r _ nc_med _ <<<"$(stats "${n_cpu[@]}")"
read -r _ vc_med _ <<<"$(stats "${v_cpu[@]}")"
echo "RESULT name=proxy.cpu_per_request target=vantage value=$vc_med unit=us baseline=$hc_med ratio=$(ratio "$vc_med" "$hc_med")"
echo "RESULT name=proxy.cpu_per_request_vs_nginx target=vantage value=$vc_med unit=us baseline=$nc_med ratio=$(ratio "$vc_med" "$nc_med")"

# ---- heap per idle keep-alive connection (live heap after a forced full GC, before and after)
phase "heap per idle connection: $idle_conns keep-alive connections after one request each"
live_heap() { jcmd "$vantage_pid" GC.class_histogram 2>/dev/null | awk '/^Total/ {print $3}'; }
before=$(live_heap)
cat > "$work/idle.py" <<'PY'
import os, socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
socks = []
batch = 250
for start in range(0, count, batch):
    group = [socket.create_connection(("127.0.0.1", port)) for _ in range(min(batch, count - start))]
    for s in group:
        s.sendall(request)
    for i, s in enumerate(group):
        got = b""
        while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 1024:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit("connection %d closed early" % (start + i))
            got += chunk
    socks.extend(group)
print(len(socks), flush=True)
while not os.path.exists(hold):
    time.sleep(0.1)
PY
$pin_load python3 "$work/idle.py" "$vantage_port" "$idle_conns" "$work/release" > "$work/idle.out" 2>&1 &
idle_pid=$!
pids+=($idle_pid)
for _ in $(seq 1 1200); do [ -s "$work/idle.out" ] && break; sleep 0.1; done
opened=$(head -1 "$work/idle.out")
if ! [[ "$opened" =~ ^[0-9]+$ ]]; then echo "idle connections failed: $(cat "$work/idle.out")" >&2; exit 2; fi
open_metric=$(curl -fsS "http://127.0.0.1:$admin_port/metrics" | awk '/^vantage_proxy_connections_open / {print $2}')
after=$(live_heap)
touch "$work/release"
wait "$idle_pid" 2>/dev/null || true
per_conn=$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN { printf "%.0f", (a - b) / n }')
echo "# idle connections: $opened opened, proxy reports $open_metric open; live heap ${before} -> ${after} bytes (jcmd GC.class_histogram, full GC)"
echo "RESULT name=proxy.idle_conn_heap target=vantage value=$per_conn unit=bytes baseline=4096 ratio=$(ratio "$per_conn" 4096)"

# ---- latency at 50% of HAProxy's max rate
rate=$(awk -v r="$h_med" 'BEGIN { printf "%d", r / 2 }')
phase "latency at $rate req/s (50% of HAProxy's median max rate)"
declare -A p99
if [ -x "$root/perf/loadgen" ]; then
  method="open loop, perf/loadgen --rate $rate --duration $latency_duration --connections 64, coordinated-omission corrected"
  for name in $latency_targets; do
    case $name in haproxy) port=$haproxy_port ;; nginx) port=$nginx_port ;; vantage) port=$vantage_port ;; esac
    line=$(LOADGEN_JAVA_OPTS="-Xms256m -Xmx512m" $pin_load "$root/perf/loadgen" --url "http://127.0.0.1:$port/" \
      --rate "$rate" --duration "$latency_duration" --warmup "$latency_warmup" --connections 64 --hgrm "$work/$name.hgrm" 2>/dev/null | grep '^LOADGEN')
    echo "# $name: $line"
    p99[$name]=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
  done
  unit=us
else
  method="closed loop (perf/loadgen missing): wrk -t1 -c16 --latency, p99 at fixed connections, not at a fixed rate"
  for name in $latency_targets; do
    case $name in haproxy) port=$haproxy_port ;; nginx) port=$nginx_port ;; vantage) port=$vantage_port ;; esac
    out=$($pin_load wrk -t1 -c16 -d"${duration}s" --latency "http://127.0.0.1:$port/")
    p99[$name]=$(awk '$1=="99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); print v } else if (v ~ /ms$/) { sub(/ms/,"",v); print v*1000 } else { sub(/s/,"",v); print v*1000000 } }' <<<"$out")
  done
  unit=us
fi
echo "# latency method: $method"
echo "RESULT name=proxy.p99 target=vantage value=${p99[vantage]} unit=$unit baseline=${p99[haproxy]} ratio=$(ratio "${p99[vantage]}" "${p99[haproxy]}")"
if [ -n "${p99[nginx]:-}" ]; then
  echo "RESULT name=proxy.p99_vs_nginx target=vantage value=${p99[vantage]} unit=$unit baseline=${p99[nginx]} ratio=$(ratio "${p99[vantage]}" "${p99[nginx]}")"
fi
phase done
