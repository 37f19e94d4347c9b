#!/usr/bin/env bash
# Startup benchmark: agentsbx vs runc vs crun on the same busybox bundle.
#   sudo bench/run.sh [N]        (N iterations per runtime, default 50)
# Measures, per runtime, interleaved:
#   (a) create + start + wait for exit + delete of /bin/true
#   (b) run of /bin/true
#   (c) exec of /bin/true in a running container
# agentsbx runs under the policy preset none (exact runc behaviour, as the
# comparison needs), and again as "agentsbx+policy" under the default
# agent-safe policy, whose row shows what the policy's overlay costs.
# and prints the median wall time of each (ms), the peak RSS (KB) of the
# runtime process (GNU time %M, max over create/start/delete or run), and the
# ratios agentsbx/runc and agentsbx/crun.  Results also go to
# bench/results/latest.txt.
#
# Debian's crun refuses the hybrid cgroup layout, so the whole benchmark
# runs in a private mount namespace in which /sys/fs/cgroup/unified is
# unmounted; the host's mounts are never touched.
set -euo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/bundle.bash
. "$top/bench/bundle.bash"
N="${1:-${N:-50}}"
AGENTSBX="${AGENTSBX:-$top/agentsbx}"
RUNC="${RUNC:-$(command -v runc || true)}"
CRUN="${CRUN:-$(command -v crun || true)}"
GNUTIME="${GNUTIME:-/usr/bin/time}"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: run as root" >&2
	exit 1
fi

if [ -z "${BENCH_IN_PRIVATE_NS:-}" ]; then
	exec unshare -m --propagation private env BENCH_IN_PRIVATE_NS=1 \
		AGENTSBX="$AGENTSBX" RUNC="$RUNC" CRUN="$CRUN" "$0" "$N"
fi

# only inside the private mount namespace
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	umount /sys/fs/cgroup/unified
fi

[ -x "$GNUTIME" ] || {
	echo "bench: GNU time missing at $GNUTIME (apt-get install time)" >&2
	exit 1
}

tmp="$(mktemp -d /tmp/agentsbx-bench.XXXXXX)"
names=() bins=()
cleanup() {
	local i id
	for i in "${!names[@]}"; do
		for id in $("${bins[$i]}" --root "$tmp/root-${names[$i]}" list -q 2>/dev/null); do
			"${bins[$i]}" --root "$tmp/root-${names[$i]}" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- bundle ----
bundle="$tmp/bundle"
bench_rootfs "$bundle/rootfs"
bench_config rootfs / >"$bundle/config.json"

# a second bundle for (c): the same rootfs, a process that waits
mkdir -p "$tmp/bundle-exec"
sed -e 's#"args": \["/bin/true"\]#"args": ["/bin/sleep", "100000"]#' \
	-e "s#\"path\": \"rootfs\"#\"path\": \"$bundle/rootfs\"#" "$bundle/config.json" >"$tmp/bundle-exec/config.json"

# policy config directories: none for the comparison, empty (the default,
# agent-safe) for the policy row
mkdir -p "$tmp/policy-none" "$tmp/policy-default"
echo '{"extends": "none"}' >"$tmp/policy-none/policy.json"
policy_dir() { [ "$1" = agentsbx+policy ] && echo "$tmp/policy-default" || echo "$tmp/policy-none"; }

# ---- runtimes ----
add_runtime() { # NAME BIN
	if [ -n "$2" ] && [ -x "$2" ]; then
		names+=("$1")
		bins+=("$2")
	else
		missing+=("$1")
	fi
}
missing=()
add_runtime agentsbx "$AGENTSBX"
add_runtime agentsbx+policy "$AGENTSBX"
add_runtime runc "$RUNC"
add_runtime crun "$CRUN"

now_ns() { date +%s%N; }

# timed RT-INDEX RSSFILE CMD...: runs CMD under GNU time, appends peak RSS
timed() {
	local rssf="$1"
	shift
	"$GNUTIME" -f %M -a -o "$rssf" "$@" </dev/null >/dev/null 2>>"$tmp/errors"
}

broken=()
for i in "${!names[@]}"; do
	export AGENTSBX_CONFIG_DIR="$(policy_dir "${names[$i]}")"
	"${bins[$i]}" --root "$tmp/root-${names[$i]}" run -d -b "$tmp/bundle-exec" exec-target </dev/null >/dev/null 2>&1 ||
		echo "bench: ${names[$i]} cannot start the exec target" >&2
	# one warm-up run; a runtime that cannot run the bundle is reported
	if ! "${bins[$i]}" --root "$tmp/root-${names[$i]}" run -b "$bundle" warmup </dev/null >/dev/null 2>"$tmp/warmup-${names[$i]}"; then
		broken[$i]=1
		echo "bench: ${names[$i]} cannot run the bundle: $(tail -n1 "$tmp/warmup-${names[$i]}")" >&2
	fi
	"${bins[$i]}" --root "$tmp/root-${names[$i]}" delete -f warmup >/dev/null 2>&1 || true
done

for ((n = 1; n <= N; n++)); do
	for i in "${!names[@]}"; do
		[ -n "${broken[$i]:-}" ] && continue
		nm="${names[$i]}" rt="${bins[$i]}" root="$tmp/root-${names[$i]}"
		export AGENTSBX_CONFIG_DIR="$(policy_dir "$nm")"
		id="b$n"
		# (a) create + start + wait + delete
		t0=$(now_ns)
		timed "$tmp/rss-a-$nm" "$rt" --root "$root" create -b "$bundle" "$id" || { echo "bench: $nm create failed" >&2; }
		timed "$tmp/rss-a-$nm" "$rt" --root "$root" start "$id" || true
		while [ "$("$rt" --root "$root" state "$id" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')" = running ]; do :; done
		timed "$tmp/rss-a-$nm" "$rt" --root "$root" delete -f "$id" || true
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000)) >>"$tmp/a-$nm"
		# (b) run
		t0=$(now_ns)
		timed "$tmp/rss-b-$nm" "$rt" --root "$root" run -b "$bundle" "r$n" || { echo "bench: $nm run failed" >&2; }
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000)) >>"$tmp/b-$nm"
		# (c) exec
		t0=$(now_ns)
		timed "$tmp/rss-c-$nm" "$rt" --root "$root" exec exec-target /bin/true || { echo "bench: $nm exec failed" >&2; }
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000)) >>"$tmp/c-$nm"
	done
done

median_ms() { # FILE of microseconds
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}
max_of() { sort -n "$1" 2>/dev/null | grep -E '^[0-9]+$' | tail -n1; }

declare -A A B C RSS
out="$tmp/table"
{
	echo "agentsbx startup benchmark: N=$N per runtime, interleaved, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel $(uname -r); cgroup v2 'unified' unmounted in a private mount namespace"
	echo
	printf '%-16s %22s %10s %10s %16s %16s\n' runtime "create+start+delete ms" "run ms" "exec ms" "peak RSS a (KB)" "peak RSS b (KB)"
	for i in "${!names[@]}"; do
		nm="${names[$i]}"
		if [ -n "${broken[$i]:-}" ]; then
			printf '%-10s %s\n' "$nm" "cannot run the bundle: $(tail -n1 "$tmp/warmup-$nm")"
			continue
		fi
		A[$nm]="$(median_ms "$tmp/a-$nm")"
		B[$nm]="$(median_ms "$tmp/b-$nm")"
		C[$nm]="$(median_ms "$tmp/c-$nm")"
		printf '%-16s %22s %10s %10s %16s %16s\n' "$nm" "${A[$nm]}" "${B[$nm]}" "${C[$nm]}" "$(max_of "$tmp/rss-a-$nm")" "$(max_of "$tmp/rss-b-$nm")"
	done
	for m in "${missing[@]}"; do
		printf '%-10s %s\n' "$m" "missing (not installed / not built)"
	done
	echo
	if [ -n "${A[agentsbx]:-}" ] && [ -n "${A[agentsbx+policy]:-}" ]; then
		printf 'policy agent-safe vs none: create+start+delete +%s ms, run +%s ms\n' \
			"$(awk -v x="${A[agentsbx+policy]}" -v y="${A[agentsbx]}" 'BEGIN { printf "%.2f", x - y }')" \
			"$(awk -v x="${B[agentsbx+policy]}" -v y="${B[agentsbx]}" 'BEGIN { printf "%.2f", x - y }')"
	fi
	for other in runc crun; do
		if [ -n "${A[agentsbx]:-}" ] && [ -n "${A[$other]:-}" ]; then
			printf 'agentsbx/%s: create+start+delete %s, run %s, exec %s\n' "$other" \
				"$(awk -v x="${A[agentsbx]}" -v y="${A[$other]}" 'BEGIN { printf "%.2f", x / y }')" \
				"$(awk -v x="${B[agentsbx]}" -v y="${B[$other]}" 'BEGIN { printf "%.2f", x / y }')" \
				"$(awk -v x="${C[agentsbx]}" -v y="${C[$other]}" 'BEGIN { printf "%.2f", x / y }')"
		else
			echo "agentsbx/$other: n/a"
		fi
	done
} >"$out"

cat "$out"
mkdir -p "$top/bench/results"
cp "$out" "$top/bench/results/latest.txt"
