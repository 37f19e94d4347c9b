#!/usr/bin/env bash
# The one test command: builds if needed, runs the unit tests (make check)
# and the bats integration suites, and ends with one summary line:
#   tests: N passed, M failed[, K skipped]
# Needs root (containers).  Works with no tty and no stdin.
#
# Environment:
#   AGENTSBX=/path/to/runtime   test another runtime (e.g. runc) instead of
#                               the built ./agentsbx (skips nothing else)
#   BATS_FILTER=regex           only bats tests whose name matches
#   JOBS=N                      make -j (default 2)
set -uo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
exec </dev/null

jobs="${JOBS:-2}"
logdir="${TEST_LOGDIR:-${TMPDIR:-/tmp}/agentsbx-test-logs}"
mkdir -p "$logdir"

passed=0 failed=0 skipped=0
die() {
	echo "run.sh: $*" >&2
	echo "tests: $passed passed, $((failed + 1)) failed"
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the integration tests need root (try: sudo $0)" >&2
fi

# ---- build ----
if [ ! -f Makefile ]; then
	./autogen.sh || die "autogen.sh failed"
	./configure || die "configure failed"
fi
make -j"$jobs" || die "make failed"
make -j"$jobs" tests/tools/recvtty >/dev/null 2>&1 || true

# ---- unit tests (automake's test harness) ----
echo "== unit tests (make check)"
make -j"$jobs" check
check_rc=$?
# count from the .trs files of the harness
while IFS= read -r trs; do
	case "$(sed -n 's/^:test-result: //p' "$trs" | head -n1)" in
	PASS | XFAIL) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done < <(find tests -name '*.trs' 2>/dev/null)
if [ "$check_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	# make check failed without a failing test (build error)
	failed=$((failed + 1))
	cat test-suite.log 2>/dev/null | tail -n 50
fi

# ---- integration tests (bats, TAP) ----
echo "== integration tests (bats)"
export AGENTSBX="${AGENTSBX:-$top/agentsbx}"
export RECVTTY="${RECVTTY:-$top/tests/tools/recvtty}"
# a hung runtime must not hang the whole run (bats >= 1.7)
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-120}"
bats_args=(--tap --timing)
[ -n "${BATS_FILTER:-}" ] && bats_args+=(-f "$BATS_FILTER")
tap="$logdir/integration.tap"
if command -v bats >/dev/null; then
	bats "${bats_args[@]}" tests/integration 2>&1 | tee "$tap"
	bats_rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$tap" | head -n1)
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$tap" | head -n1)
	f=$(grep -cE '^not ok [0-9]+' "$tap" | head -n1)
	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + f))
	if [ "$bats_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "run.sh: bats exited $bats_rc without a failing test" >&2
		failed=$((failed + 1))
	fi
else
	echo "run.sh: bats not installed" >&2
	failed=$((failed + 1))
fi

# ---- engine suites (Docker, Podman, containerd), when asked for ----
# ENGINE_TESTS=1 runs tests/engines with runc (validating the suites), with
# agentsbx under the policy none (runc equivalence), and with agentsbx under
# its default policy (what the policy allows works through the engine, what
# it forbids is refused); .ci/run installs the engines and sets it.
count_tap() { # FILE: adds its results to the totals
	local p s f
	p=$(grep -cE '^ok [0-9]+' "$1")
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$1")
	f=$(grep -cE '^not ok [0-9]+' "$1")
	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + f))
	[ "$((p + f))" -gt 0 ] || failed=$((failed + 1)) # a suite that ran nothing failed
}
if [ -n "${ENGINE_TESTS:-}" ]; then
	for pass in runc:none agentsbx:none agentsbx:default; do
		rt=${pass%%:*} policy=${pass#*:}
		echo "== engine suites with $rt (policy $policy)"
		tap="$logdir/engines-$rt-$policy.tap"
		ENGINE_RUNTIME=$rt ENGINE_POLICY=$policy BATS_TEST_TIMEOUT=300 \
			bats --tap --timing tests/engines 2>&1 | tee "$tap"
		count_tap "$tap"
	done
fi

summary="tests: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo
echo "$summary"
[ "$failed" -eq 0 ]
