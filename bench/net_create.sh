#!/usr/bin/env bash
# What the network policy costs (issues 10 and 11).
#   sudo bench/net_create.sh [N]      (N iterations per cell, default 20)
#   AGENTSBX=path RUNC=path
# 1. Every invocation: `agentsbx --version`, as built (libnftables is
#    dlopen'ed only by a container with network rules) and with
#    libnftables preloaded (what linking it would cost every command).
# 2. create alone (the container deleted, untimed, after each), interleaved,
#    in a namespace of its own each time:
#      unrestricted   agent-safe with network unrestricted: no table
#      none           agent-safe (network none): the reject-all table
#      allowlist-100  an allowlist of 100 address entries, blockedPorts,
#                     maxConnections: the allowlist table with its sets
#      runc           reference
# Medians in ms, the time each table adds to create, ratios to runc.
# Results also go to bench/results/net_create.txt.
set -euo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/bundle.bash
. "$top/bench/bundle.bash"
N="${1:-${N:-20}}"
AGENTSBX="${AGENTSBX:-$top/agentsbx}"
RUNC="${RUNC:-$(command -v runc || true)}"
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }

tmp="$(mktemp -d /tmp/agentsbx-netbench.XXXXXX)"
cleanup() {
	bench_delete_all "$AGENTSBX" "$tmp/root"
	bench_delete_all "$RUNC" "$tmp/root-runc"
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/config" "$tmp/bundle"
export AGENTSBX_CONFIG_DIR="$tmp/config"
bench_rootfs "$tmp/bundle/rootfs"
bench_config "$tmp/bundle/rootfs" / >"$tmp/bundle/config.json"

echo '{"extends": "agent-safe", "network": {"mode": "unrestricted"}}' >"$tmp/unrestricted.json"
echo '{"extends": "agent-safe"}' >"$tmp/none.json"
entries="$(for i in $(seq 0 99); do printf '"198.51.%d.%d:%d",' $((i / 50)) $((i % 50 + 1)) $((8000 + i)); done)"
echo "{\"extends\": \"agent-safe\", \"network\": {\"mode\": \"allowlist\", \"allow\": [${entries%,}],
       \"blockedPorts\": [22, 25], \"maxConnections\": 64}}" >"$tmp/allowlist.json"

ms() { echo "scale=3; ($2 - $1) / 1000000" | bc; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- 1. --version ----
lib="$(ldconfig -p | awk '/libnftables.so.1 / { print $NF; exit }')"
for cell in plain preload; do : >"$tmp/v.$cell"; done
for ((i = 0; i < N * 5; i++)); do
	for cell in plain preload; do
		s=$(date +%s%N)
		if [ "$cell" = preload ]; then LD_PRELOAD="$lib" "$AGENTSBX" --version >/dev/null; else "$AGENTSBX" --version >/dev/null; fi
		e=$(date +%s%N)
		ms "$s" "$e" >>"$tmp/v.$cell"
	done
done

# ---- 2. create ----
cells=(unrestricted none allowlist-100)
[ -n "$RUNC" ] && cells+=(runc)
for c in "${cells[@]}"; do : >"$tmp/c.$c"; done
create_once() {
	local cell=$1 id=$2 s e
	s=$(date +%s%N)
	case "$cell" in
	runc) "$RUNC" --root "$tmp/root-runc" create -b "$tmp/bundle" "$id" ;;
	allowlist-100) "$AGENTSBX" --root "$tmp/root" --policy "$tmp/allowlist.json" create -b "$tmp/bundle" "$id" ;;
	*) "$AGENTSBX" --root "$tmp/root" --policy "$tmp/$cell.json" create -b "$tmp/bundle" "$id" ;;
	esac
	e=$(date +%s%N)
	case "$cell" in
	runc) "$RUNC" --root "$tmp/root-runc" delete -f "$id" ;;
	*) "$AGENTSBX" --root "$tmp/root" delete -f "$id" ;;
	esac
	ms "$s" "$e"
}
for ((i = 0; i < N; i++)); do
	for c in $(printf '%s\n' "${cells[@]}" | shuf); do
		create_once "$c" "nb-$$-$i-warm" >/dev/null
		create_once "$c" "nb-$$-$i" >>"$tmp/c.$c"
	done
done

mkdir -p "$top/bench/results"
{
	echo "net_create: N=$N, $(uname -r), $(date -u +%FT%TZ)"
	v0=$(median <"$tmp/v.plain") v1=$(median <"$tmp/v.preload")
	printf '%-28s %8s ms\n' "--version" "$v0" "--version, libnftables linked" "$v1"
	printf '%-28s %8s ms\n' "linking would add" "$(echo "$v1 - $v0" | bc)"
	base=$(median <"$tmp/c.unrestricted")
	for c in "${cells[@]}"; do
		m=$(median <"$tmp/c.$c")
		printf '%-28s %8s ms  (+%s ms vs unrestricted)' "create $c" "$m" "$(echo "$m - $base" | bc)"
		[ -n "$RUNC" ] && [ "$c" != runc ] && printf '  x%s of runc' "$(echo "scale=2; $m / $(median <"$tmp/c.runc")" | bc)"
		echo
	done
} | tee "$top/bench/results/net_create.txt"
