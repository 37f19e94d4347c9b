#!/usr/bin/env bash
# What the command trail (audit.commands, issue 13) adds to an exec.
#   sudo bench/exec_trail.sh [R]     (R containers per cell, default 5)
#   AGENTSBX=path RUNC=path LOOP=5000
# Inside a busybox container, `/bin/true` run LOOP times by the shell (an
# absolute path, so each is a real fork + execve), timed in the container
# with /proc/uptime (busybox date has no %N; 10 ms over LOOP execs).  Cells,
# interleaved:
#   trail-on    agentsbx, agent-safe with an audit log and audit.commands true
#   trail-off   agentsbx, the same policy with audit.commands false
#   runc        reference, same bundle
# Prints the median per-exec time of each cell (µs), what the trail adds per
# exec, and the ratios; the issue's target (under 30 µs added) is
# informational.  Results also go to bench/results/exec_trail.txt.
set -euo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/bundle.bash
. "$top/bench/bundle.bash"
R="${1:-${R:-5}}"
LOOP="${LOOP:-5000}"
AGENTSBX="${AGENTSBX:-$top/agentsbx}"
RUNC="${RUNC:-$(command -v runc || true)}"

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$AGENTSBX" ] || { echo "bench: agentsbx missing at $AGENTSBX" >&2; exit 1; }

tmp="$(mktemp -d /tmp/agentsbx-trailbench.XXXXXX)"
cleanup() {
	bench_delete_all "$AGENTSBX" "$tmp/root-agentsbx"
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/config" "$tmp/bundle"
export AGENTSBX_CONFIG_DIR="$tmp/config"
bench_rootfs "$tmp/bundle/rootfs"
# busybox date has no %N: /proc/uptime (10 ms) over LOOP execs
script="read s x </proc/uptime; i=0; while [ \$i -lt $LOOP ]; do /bin/true; i=\$((i + 1)); done; read e x </proc/uptime; echo \$e \$s"
bench_config "$tmp/bundle/rootfs" / |
	jq --arg s "$script" '.process.args = ["/bin/sh", "-c", $s] | .linux.resources.pids = {limit: 64}' \
		>"$tmp/bundle/config.json"
for c in on off; do
	want=true
	[ "$c" = off ] && want=false
	jq -n --arg a "$tmp/audit-$c.jsonl" --argjson w "$want" \
		'{extends: "agent-safe", audit: {path: $a, commands: $w}}' >"$tmp/policy-$c.json"
done

run_cell() { # CELL ID: prints ns per exec
	case "$1" in
	trail-on | trail-off)
		"$AGENTSBX" --root "$tmp/root-agentsbx" --policy "$tmp/policy-${1#trail-}.json" \
			run -b "$tmp/bundle" "$2" </dev/null
		;;
	runc) "$RUNC" --root "$tmp/root-runc" run -b "$tmp/bundle" "$2" </dev/null ;;
	esac
}

cells="trail-on trail-off"
[ -n "$RUNC" ] && cells="$cells runc"
declare -A samples
for r in $(seq 1 "$R"); do
	for cell in $(printf '%s\n' $cells | shuf); do
		ns="$(run_cell "$cell" "tb-$cell-$r-$$" | tail -n1 |
			awk -v n="$LOOP" '{printf "%d", ($1 - $2) * 1e9 / n}')"
		samples[$cell]+="$ns "
	done
done
mkdir -p "$top/bench/results"
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
{
	echo "exec of /bin/true in a loop of $LOOP inside the container, $R containers per cell ($(date -u +%FT%TZ), $(uname -r))"
	for cell in $cells; do
		m="$(median <<<"${samples[$cell]}")"
		printf '%-10s %8.1f us per exec   (samples ns: %s)\n' "$cell" "$(echo "$m / 1000" | bc -l)" "${samples[$cell]}"
		declare "med_${cell//-/_}=$m"
	done
	added="$(echo "($med_trail_on - $med_trail_off) / 1000" | bc -l)"
	printf 'trail adds %.1f us per exec (target: under 30 us): %s\n' "$added" \
		"$(echo "$added < 30" | bc -l | sed 's/1/met/; s/0/not met/')"
	printf 'ratio trail-on / trail-off: %.2f\n' "$(echo "$med_trail_on / $med_trail_off" | bc -l)"
	if [ -n "$RUNC" ]; then
		printf 'ratio trail-on / runc: %.2f   trail-off / runc: %.2f\n' \
			"$(echo "$med_trail_on / $med_runc" | bc -l)" "$(echo "$med_trail_off / $med_runc" | bc -l)"
	fi
	echo "lines in the trail-on log: $(wc -l <"$tmp/audit-on.jsonl")"
} | tee "$top/bench/results/exec_trail.txt.new"
mv "$top/bench/results/exec_trail.txt.new" "$top/bench/results/exec_trail.txt"
