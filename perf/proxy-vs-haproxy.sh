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
#   RESULT name=proxy.p99            open loop (perf/loadgen) at 50% of HAProxy's max rate, baseline HAProxy
#   RESULT name=proxy.p99_vs_nginx   same rate, baseline nginx
#   RESULT name=proxy.idle_conn_heap heap bytes per idle keep-alive connection at 10 000 connections, baseline 4096
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ "$quick" = 1 ]; then reps=1; duration=5; warmup=3; idle_conns=10000; else reps=3; duration=10; warmup=8; idle_conns=10000; fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "# installing $2" >&2; apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2; }; }
need haproxy haproxy
need nginx nginx
need wrk wrk
need python3 python3

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
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
  maxconn 100000
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
$pin_proxy haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 &
pids+=($!)

# ---- nginx as a proxy
cat > "$work/nginx-proxy.conf" <<CONF
worker_processes 1;
pid $work/nginx-proxy.pid;
error_log $work/proxy-logs/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 60000; }
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

wait_http() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer on port $1" >&2; cat "$work/vantage.out" >&2; exit 2; }
need curl curl
for port in $origin_port $haproxy_port $nginx_port $vantage_port; do wait_http "$port"; done
echo "# $(haproxy -v | head -1); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'); $(java -version 2>&1 | head -1)"
echo "# $(grep -o 'transport [a-z_]*' "$work/vantage.out" | head -1); pinning: $pinning; body 1024 bytes; runs=$reps duration=${duration}s"

rps_of() { # port -> requests/s (wrk -t1 -c64)
  $pin_load wrk -t1 -c64 -d"${duration}s" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'
}
stats() { # values... -> "min median max"
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s %s %s", v[1], m, v[NR]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

# warm-up (JIT for Vantage; caches for all)
for port in $vantage_port $haproxy_port $nginx_port; do
  $pin_load wrk -t1 -c64 -d"${warmup}s" "http://127.0.0.1:$port/" >/dev/null
done

declare -a h_rps n_rps v_rps
for rep in $(seq 1 "$reps"); do
  if [ $((rep % 2)) = 1 ]; then order="haproxy nginx vantage"; else order="vantage nginx haproxy"; fi
  for name in $order; do
    case $name in
      haproxy) h_rps+=("$(rps_of "$haproxy_port")") ;;
      nginx) n_rps+=("$(rps_of "$nginx_port")") ;;
      vantage) v_rps+=("$(rps_of "$vantage_port")") ;;
    esac
  done
  echo "# run $rep ($order): haproxy=${h_rps[-1]} nginx=${n_rps[-1]} vantage=${v_rps[-1]} req/s"
done
read -r h_min h_med h_max <<<"$(stats "${h_rps[@]}")"
read -r n_min n_med n_max <<<"$(stats "${n_rps[@]}")"
read -r v_min v_med v_max <<<"$(stats "${v_rps[@]}")"
echo "# rps min/median/max: haproxy $h_min/$h_med/$h_max nginx $n_min/$n_med/$n_max vantage $v_min/$v_med/$v_max"
echo "RESULT name=proxy.rps target=vantage value=$v_med unit=req/s baseline=$h_med ratio=$(ratio "$v_med" "$h_med")"
echo "RESULT name=proxy.rps_vs_nginx target=vantage value=$v_med unit=req/s baseline=$n_med ratio=$(ratio "$v_med" "$n_med")"

# ---- latency at 50% of HAProxy's max rate
rate=$(awk -v r="$h_med" 'BEGIN { printf "%d", r / 2 }')
declare -A p99
if [ -x "$root/perf/loadgen" ]; then
  method="open loop, perf/loadgen --rate $rate --connections 64, coordinated-omission corrected"
  for name in haproxy nginx vantage; do
    case $name in haproxy) port=$haproxy_port ;; nginx) port=$nginx_port ;; vantage) port=$vantage_port ;; esac
    line=$(LOADGEN_JAVA_OPTS="-Xms256m -Xmx512m" $pin_load "$root/perf/loadgen" --url "http://127.0.0.1:$port/" \
      --rate "$rate" --duration "$duration" --warmup 2 --connections 64 --hgrm "$work/$name.hgrm" 2>/dev/null | grep '^LOADGEN')
    echo "# $name: $line"
    p99[$name]=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
  done
  unit=us
else
  method="closed loop (perf/loadgen missing): wrk -t1 -c16 --latency, p99 at fixed connections, not at a fixed rate"
  for name in haproxy nginx vantage; do
    case $name in haproxy) port=$haproxy_port ;; nginx) port=$nginx_port ;; vantage) port=$vantage_port ;; esac
    out=$($pin_load wrk -t1 -c16 -d"${duration}s" --latency "http://127.0.0.1:$port/")
    p99[$name]=$(awk '$1=="99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); print v } else if (v ~ /ms$/) { sub(/ms/,"",v); print v*1000 } else { sub(/s/,"",v); print v*1000000 } }' <<<"$out")
  done
  unit=us
fi
echo "# latency method: $method"
echo "RESULT name=proxy.p99 target=vantage value=${p99[vantage]} unit=$unit baseline=${p99[haproxy]} ratio=$(ratio "${p99[vantage]}" "${p99[haproxy]}")"
echo "RESULT name=proxy.p99_vs_nginx target=vantage value=${p99[vantage]} unit=$unit baseline=${p99[nginx]} ratio=$(ratio "${p99[vantage]}" "${p99[nginx]}")"

# ---- heap per idle keep-alive connection (live heap after a forced full GC, before and after)
live_heap() { jcmd "$vantage_pid" GC.class_histogram 2>/dev/null | awk '/^Total/ {print $3}'; }
before=$(live_heap)
cat > "$work/idle.py" <<'PY'
import socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
socks = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    got = b""
    while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 1024:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection %d closed early" % i)
        got += chunk
    socks.append(s)
print(len(socks), flush=True)
while not __import__("os").path.exists(hold):
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
