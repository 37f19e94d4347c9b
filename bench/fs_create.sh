#!/usr/bin/env bash
# Create-time cost of the filesystem policy (issue 6).
#   sudo bench/fs_create.sh [N]     (N iterations per cell, default 20)
#   AGENTSBX=path RUNC=path SIZES="1000 10000 100000" SECRET_EVERY=64
# For workspaces of 1k, 10k and 100k files (a source-like tree: directories
# of 20-50 files, 3-5 levels deep, with .env, secrets/, *.key and *.pem
# entries sprinkled in and an output/ directory), bind-mounted at /workspace
# of a busybox bundle, measures the wall time of `create` alone (the
# container is deleted, untimed, after each create; each timed create follows
# an untimed one of the same runtime), interleaved in a random order:
#   agentsbx --policy none         exact runc behaviour, no policy
#   agentsbx --policy agent-safe   the default policy (hides the secrets,
#                                  workspace read-only but output/)
#   runc                           reference, same bundle
# and prints the medians (ms), the time the policy adds, the ratios, and
# whether the issue's target (under 15 ms added for 10k files) is met.  The
# target is informational: missing it is not a failing exit.  The tree is
# warm in the page cache after the warm-up, as for an agent that creates
# container after container on the same workspace.  Results also go to
# bench/results/fs_create.txt.
set -euo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/bundle.bash
. "$top/bench/bundle.bash"
N="${1:-${N:-20}}"
AGENTSBX="${AGENTSBX:-$top/agentsbx}"
RUNC="${RUNC:-$(command -v runc || true)}"
SIZES="${SIZES:-1000 10000 100000}"
SECRET_EVERY="${SECRET_EVERY:-64}" # one hidden entry every that many directories

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$AGENTSBX" ] || { echo "bench: agentsbx missing at $AGENTSBX" >&2; exit 1; }

tmp="$(mktemp -d /tmp/agentsbx-fsbench.XXXXXX)"
cleanup() {
	bench_delete_all "$AGENTSBX" "$tmp/root-agentsbx"
	bench_delete_all "$RUNC" "$tmp/root-runc"
	rm -rf "$tmp"
}
trap cleanup EXIT
# an empty config directory: no host policy.json interferes
mkdir -p "$tmp/config"
export AGENTSBX_CONFIG_DIR="$tmp/config"

# ---- rootfs (bench/bundle.bash, as bench/run.sh) ----
rootfs="$tmp/rootfs"
bench_rootfs "$rootfs"
mkdir -p "$rootfs/workspace"

# ---- workspaces ----
# make_workspace DIR NFILES: a deterministic tree; prints the number of
# entries agent-safe hides in it
make_workspace() {
	local ws=$1 n=$2
	mkdir -p "$ws"
	awk -v N="$n" -v E="$SECRET_EVERY" '
	function gen(p, d, maxd,   nf, i, ns, k) {
		if (left <= 0) return
		print "D " p; nd++
		nf = 20 + int(rand() * 31); if (nf > left) nf = left
		for (i = 0; i < nf; i++) print "F " p "/" sprintf("f%03d.%s", i, ext[i % 7])
		left -= nf
		if (nd % E == 0) {
			k = int(nd / E) % 4
			if (k == 0) print "S " p "/.env"
			if (k == 1) { print "D " p "/secrets"; print "S " p "/secrets/db.txt"; print "S " p "/secrets/token" }
			if (k == 2) print "S " p "/server.key"
			if (k == 3) print "S " p "/tls.pem"
		}
		if (d < maxd) {
			ns = 2 + int(rand() * 3)
			for (i = 0; i < ns; i++) gen(p "/" word[(i + d) % 8], d + 1, maxd)
		}
	}
	BEGIN {
		srand(42); left = N
		split("py c h js md json txt", e, " "); for (i = 1; i <= 7; i++) ext[i - 1] = e[i]
		split("src lib core util api internal tests cmd", w, " "); for (i = 1; i <= 8; i++) word[i - 1] = w[i]
		for (t = 0; left > 0; t++) gen(sprintf("pkg%02d", t), 1, 3 + int(rand() * 3))
	}' >"$ws.list"
	(
		cd "$ws"
		mkdir -p secrets keys src output
		echo "API_TOKEN=top-secret" >.env
		echo "db-password" >secrets/db.txt
		echo "-----BEGIN PRIVATE KEY-----" >keys/server.key
		echo "print('app')" >src/app.py
		echo "# workspace" >README.md
		sed -n 's/^D //p' "$ws.list" | xargs -r mkdir -p
		sed -n 's/^F //p' "$ws.list" | xargs -r touch
		sed -n 's/^S //p' "$ws.list" | while read -r f; do echo "secret" >"$f"; done
	)
	find "$ws" \( -name secrets -prune -o -name '.env*' -o -name '*.key' -o -name '*.pem' \) -print | wc -l
}

# make_bundle DIR WORKSPACE: the benchmark bundle with WORKSPACE at /workspace
make_bundle() {
	mkdir -p "$1"
	bench_config "$rootfs" /workspace |
		jq --arg ws "$2" '.mounts += [{destination: "/workspace", type: "bind", source: $ws, options: ["rbind", "rw"]}]' \
			>"$1/config.json"
}

declare -A HIDDEN FAILED
for s in $SIZES; do
	HIDDEN[$s]=$(make_workspace "$tmp/ws-$s" "$s")
	make_bundle "$tmp/bundle-$s" "$tmp/ws-$s"
done

variants=(none agent-safe)
[ -n "$RUNC" ] && [ -x "$RUNC" ] && variants+=(runc)

# create_cmd VARIANT: the runtime command line, up to the create arguments
create_cmd() {
	case $1 in
	none | agent-safe) echo "$AGENTSBX --root $tmp/root-agentsbx --policy $1" ;;
	runc) echo "$RUNC --root $tmp/root-runc" ;;
	esac
}

# one_create SIZE VARIANT ID [record]: create (timed; kept with record), delete
one_create() {
	local s=$1 v=$2 id=$3 cmd t0 t1
	cmd=$(create_cmd "$v")
	t0=${EPOCHREALTIME/./}
	if $cmd create -b "$tmp/bundle-$s" "$id" </dev/null >/dev/null 2>"$tmp/err"; then
		t1=${EPOCHREALTIME/./}
		[ -z "${4:-}" ] || echo $((t1 - t0)) >>"$tmp/t-$s-$v"
	else
		FAILED[$s/$v]=$(tail -n1 "$tmp/err")
	fi
	$cmd delete -f "$id" >/dev/null 2>&1 || true
}

for s in $SIZES; do # warm-up: one create each (also warms the page cache)
	for v in "${variants[@]}"; do one_create "$s" "$v" "w-$s-$v"; done
done
for ((n = 1; n <= N; n++)); do
	for s in $SIZES; do
		# a random order each time; each timed create follows an untimed one
		# of the same runtime: after runc's delete, the next cgroup
		# migration waits an RCU grace period (~10 ms here) that would
		# otherwise land on whichever create comes next
		for v in $(shuf -e "${variants[@]}"); do
			[ -n "${FAILED[$s/$v]:-}" ] && continue
			one_create "$s" "$v" "s$n-$s-$v"
			one_create "$s" "$v" "c$n-$s-$v" record
		done
	done
done

median_ms() { # FILE of microseconds
	[ -s "$1" ] || { echo -; return; }
	sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}
calc() { awk -v a="$1" -v b="$2" "BEGIN { if (a == \"-\" || b == \"-\") print \"-\"; else printf \"%.2f\", $3 }"; }

out="$tmp/table"
{
	echo "agentsbx create time, workspace bind-mounted at /workspace: median of N=$N, interleaved, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel $(uname -r), $(nproc) CPUs; $("$AGENTSBX" --version 2>/dev/null | head -n1) ($(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo
	printf '%8s %8s %10s %16s %10s %8s %10s\n' files hidden "none ms" "agent-safe ms" "added ms" ratio "runc ms"
	for s in $SIZES; do
		a=$(median_ms "$tmp/t-$s-none") b=$(median_ms "$tmp/t-$s-agent-safe") r=$(median_ms "$tmp/t-$s-runc")
		printf '%8s %8s %10s %16s %10s %8s %10s\n' "$s" "${HIDDEN[$s]}" "$a" "$b" \
			"$(calc "$b" "$a" 'a - b')" "$(calc "$b" "$a" 'a / b')" "$r"
		[ "$s" = 10000 ] && added10k=$(calc "$b" "$a" 'a - b')
	done
	for k in "${!FAILED[@]}"; do echo "failed: $k: ${FAILED[$k]}"; done
	echo
	if [ -n "${added10k:-}" ] && [ "$added10k" != - ]; then
		awk -v x="$added10k" 'BEGIN { printf "target <15 ms added for 10k files: %s (%s ms)\n", (x < 15 ? "met" : "not met"), x }'
	else
		echo "target <15 ms added for 10k files: not measured"
	fi
} >"$out"

cat "$out"
mkdir -p "$top/bench/results"
cp "$out" "$top/bench/results/fs_create.txt"
