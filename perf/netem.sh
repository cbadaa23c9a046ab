#!/usr/bin/env bash
# Higher-fidelity WAN emulation with the kernel's netem in network namespaces (needs root, iproute2, sch_netem).
#   perf/netem.sh check                 say whether this machine can do it (exit 0 yes, 3 no, with the reason)
#   perf/netem.sh up [--sites N] [--delay MS] [--jitter MS] [--loss PCT] [--rate RATE]
#                                       N namespaces vantage-s1..sN (10.77.0.11, .12, ...) on bridge vantage-br;
#                                       every packet leaving a site gets the netem delay/jitter/loss/rate, so a
#                                       one-way trip between two sites costs --delay, a round trip twice that
#   perf/netem.sh set SITE [--delay MS] [--jitter MS] [--loss PCT] [--rate RATE]   change one site at run time
#   perf/netem.sh show                  the qdiscs of every site
#   perf/netem.sh down                  remove the namespaces and the bridge
# Run a process in a site with: ip netns exec vantage-s1 COMMAND. Without netem use the relay emulator in the
# vantage process instead: vantage wan run --listen ... --target ... --delay-ms ... (see perf/README.md).
set -euo pipefail
prefix=vantage-s
bridge=vantage-br
subnet=10.77.0

usage() { sed -n '2,13p' "$0"; exit 2; }

check() {
  if [ "$(id -u)" != 0 ]; then
    echo "netem: unavailable: needs root (running as uid $(id -u))"; return 3
  fi
  for tool in ip tc; do
    if ! command -v "$tool" >/dev/null; then
      echo "netem: unavailable: '$tool' not found (apt-get install -y iproute2)"; return 3
    fi
  done
  local probe="vantage-netem-probe-$$"
  if ! out=$(ip netns add "$probe" 2>&1); then
    echo "netem: unavailable: cannot create a network namespace ($out)"; return 3
  fi
  ip netns exec "$probe" ip link set lo up >/dev/null 2>&1 || true
  if ! out=$(ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>&1); then
    ip netns del "$probe" >/dev/null 2>&1 || true
    echo "netem: unavailable: the kernel has no netem qdisc (tc said: $out; try modprobe sch_netem)"; return 3
  fi
  ip netns del "$probe" >/dev/null 2>&1 || true
  echo "netem: available (root, network namespaces, netem qdisc)"
}

netem_args() {
  local delay=$1 jitter=$2 loss=$3 rate=$4 args=()
  args+=(delay "${delay}ms")
  [ "$jitter" != 0 ] && args+=("${jitter}ms" distribution normal)
  [ "$loss" != 0 ] && args+=(loss "${loss}%")
  [ -n "$rate" ] && args+=(rate "$rate")
  echo "${args[@]}"
}

parse_conditions() {
  delay=0; jitter=0; loss=0; rate=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --delay) delay=$2; shift 2 ;;
      --jitter) jitter=$2; shift 2 ;;
      --loss) loss=$2; shift 2 ;;
      --rate) rate=$2; shift 2 ;;
      --sites) sites=$2; shift 2 ;;
      *) echo "netem: unknown option $1" >&2; usage ;;
    esac
  done
}

up() {
  sites=2
  parse_conditions "$@"
  check >/dev/null || { check; exit 3; }
  if ip link show "$bridge" >/dev/null 2>&1; then
    echo "netem: $bridge exists already (run perf/netem.sh down first)" >&2; exit 1
  fi
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
  for i in $(seq 1 "$sites"); do
    ns="$prefix$i"
    ip netns add "$ns"
    ip link add "veth-s$i" type veth peer name eth0 netns "$ns"
    ip link set "veth-s$i" master "$bridge" up
    ip netns exec "$ns" ip addr add "$subnet.$((10 + i))/24" dev eth0
    ip netns exec "$ns" ip link set eth0 up
    ip netns exec "$ns" ip link set lo up
    # shellcheck disable=SC2046
    ip netns exec "$ns" tc qdisc add dev eth0 root netem $(netem_args "$delay" "$jitter" "$loss" "$rate")
    echo "netem: site $ns at $subnet.$((10 + i)) ($(ip netns exec "$ns" tc qdisc show dev eth0 | head -1))"
  done
  echo "netem: run processes with: ip netns exec ${prefix}1 COMMAND ; tear down with: perf/netem.sh down"
}

set_site() {
  [ $# -ge 1 ] || usage
  local site=$1; shift
  parse_conditions "$@"
  case "$site" in [0-9]*) site="$prefix$site" ;; esac
  # shellcheck disable=SC2046
  ip netns exec "$site" tc qdisc change dev eth0 root netem $(netem_args "$delay" "$jitter" "$loss" "$rate")
  ip netns exec "$site" tc qdisc show dev eth0
}

show() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do
    echo "$ns: $(ip netns exec "$ns" tc qdisc show dev eth0 2>/dev/null | head -1)"
  done
}

down() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do
    ip netns del "$ns" && echo "netem: removed $ns"
  done
  for link in $(ip -o link show | awk -F': ' '{print $2}' | grep '^veth-s' | cut -d@ -f1 || true); do
    ip link del "$link" 2>/dev/null || true
  done
  if ip link show "$bridge" >/dev/null 2>&1; then
    ip link del "$bridge" && echo "netem: removed $bridge"
  fi
}

[ $# -ge 1 ] || usage
command=$1; shift
case "$command" in
  check) check ;;
  up) up "$@" ;;
  set) set_site "$@" ;;
  show) show ;;
  down) down ;;
  *) usage ;;
esac
