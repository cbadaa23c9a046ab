#!/usr/bin/env bash
# Side-by-side HTTP/1.1 parsing comparison: the same raw edge-case requests (framing, smuggling attempts, bad
# fields, odd targets and versions, garbage) sent to HAProxy, nginx and `vantage proxy`, all in front of one echo
# origin (perf/http-compare/origin.py) that reports what it received. Prints one line per case (statuses, +C when
# the proxy closed the connection, the request line(s) the origin saw) and
#   RESULT name=http.agreement  cases where Vantage answers as HAProxy and nginx do, over the cases where they agree
#
#   perf/http-compare.sh [--only-differences]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
filter=cat
[ "${1:-}" = "--only-differences" ] && filter="grep -v ^\s\s"

need() { command -v "$1" >/dev/null 2>&1 || { echo "# installing $2" >&2; apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2; }; }
need haproxy haproxy
need nginx nginx
need python3 python3
need curl curl

work="$(mktemp -d /tmp/vantage-http-compare.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
origin_port=$(free_port); haproxy_port=$(free_port); nginx_port=$(free_port); vantage_port=$(free_port)
mkdir -p "$work/logs"

python3 "$root/perf/http-compare/origin.py" "$origin_port" > "$work/origin.out" 2>&1 &
pids+=($!)

cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:$haproxy_port
  default_backend be
backend be
  server origin 127.0.0.1:$origin_port
CONF
haproxy -f "$work/haproxy.cfg" -db > "$work/haproxy.out" 2>&1 &
pids+=($!)

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/logs; proxy_temp_path $work/logs; fastcgi_temp_path $work/logs;
  uwsgi_temp_path $work/logs; scgi_temp_path $work/logs;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 8; }
  server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
nginx -c "$work/nginx.conf" -g 'daemon on;'

"$root/vantage" version >/dev/null   # builds the jar when needed
"$root/vantage" proxy --listen "127.0.0.1:$vantage_port" --to "127.0.0.1:$origin_port" --threads 1 \
  > "$work/vantage.out" 2>&1 &
pids+=($!)

wait_http() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0; sleep 0.1; done
  echo "no answer from $2 on port $1" >&2; cat "$work/vantage.out" "$work/haproxy.out" >&2; exit 2; }
wait_http "$origin_port" origin; wait_http "$haproxy_port" haproxy; wait_http "$nginx_port" nginx
wait_http "$vantage_port" vantage
echo "# $(haproxy -v | head -1); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
python3 "$root/perf/http-compare/cases.py" haproxy="$haproxy_port" nginx="$nginx_port" vantage="$vantage_port" | $filter
