#!/usr/bin/env bats
# global options: --root, --log, --log-format, --debug, --systemd-cgroup,
# --help, --version

load helpers

@test "--version prints a version line and the spec version" {
	run "$AGENTSBX" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^[a-z]+\ version\ [0-9] ]]
	grep -E '^spec: [0-9]+\.[0-9]+\.[0-9]+' <<<"$output"
	run "$AGENTSBX" -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^[a-z]+\ version\ [0-9] ]]
}

@test "--version names agentsbx" {
	requires_agentsbx "version text"
	run "$AGENTSBX" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^agentsbx\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
}

@test "--help lists the commands" {
	run "$AGENTSBX" --help
	[ "$status" -eq 0 ]
	for c in create start state kill delete list run spec features; do
		grep -qw "$c" <<<"$output" || {
			echo "--help does not mention $c"
			false
		}
	done
	run "$AGENTSBX" -h
	[ "$status" -eq 0 ]
}

@test "<command> --help succeeds and does not act" {
	for c in create start state kill delete list run spec features; do
		run "$AGENTSBX" --root "$SBX_ROOT" "$c" --help
		[ "$status" -eq 0 ] || {
			echo "$c --help: $status $output"
			false
		}
		[ -n "$output" ]
	done
	[ ! -e "$BATS_TEST_TMPDIR/bundle/config.json.spec-written" ]
}

@test "an unknown global option fails" {
	run "$AGENTSBX" --no-such-option list
	[ "$status" -ne 0 ]
}

@test "--root: containers live under the given root only" {
	set_args sleep 1000
	create_container "$CID"
	# another root does not see it
	run "$AGENTSBX" --root "$BATS_TEST_TMPDIR/other-root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$AGENTSBX" --root "$BATS_TEST_TMPDIR/other-root" state "$CID"
	[ "$status" -ne 0 ]
	# the root holds something for it
	[ -n "$(ls -A "$SBX_ROOT")" ]
	run sbx list -q
	[ "$output" = "$CID" ]
}

@test "--root is created if missing (nested)" {
	set_args true
	root="$BATS_TEST_TMPDIR/a/b/c/root"
	run "$AGENTSBX" --root "$root" run -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ -d "$root" ]
}

@test "--log FILE --log-format json: JSON lines with level, msg, time" {
	log="$BATS_TEST_TMPDIR/log.json"
	run "$AGENTSBX" --root "$SBX_ROOT" --log "$log" --log-format json state nosuchcontainer
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	# every line is a JSON object with level, msg and time
	while read -r l; do
		jq -e 'type == "object" and (.level | type == "string") and (.msg | type == "string") and (.time | type == "string")' <<<"$l" >/dev/null || {
			echo "bad log line: $l"
			false
		}
	done <"$log"
	jq -e 'select(.level == "error")' "$log"
}

@test "--log FILE --log-format text" {
	log="$BATS_TEST_TMPDIR/log.txt"
	run "$AGENTSBX" --root "$SBX_ROOT" --log "$log" --log-format text state nosuchcontainer
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	grep -E 'level=error' "$log"
	grep -E 'msg=' "$log"
	# text, not JSON
	! jq -e . "$log" >/dev/null 2>&1
}

@test "--log is appended to, not truncated" {
	log="$BATS_TEST_TMPDIR/log.json"
	echo '{"level":"info","msg":"pre-existing","time":"x"}' >"$log"
	run "$AGENTSBX" --root "$SBX_ROOT" --log "$log" --log-format json state nosuchcontainer
	grep -q pre-existing "$log"
	[ "$(wc -l <"$log")" -ge 2 ]
}

@test "--log-format with an invalid value fails" {
	run "$AGENTSBX" --root "$SBX_ROOT" --log-format bogus list
	[ "$status" -ne 0 ]
}

@test "--debug logs debug-level messages during create" {
	log="$BATS_TEST_TMPDIR/debug.json"
	set_args true
	run "$AGENTSBX" --root "$SBX_ROOT" --debug --log "$log" --log-format json run -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	jq -e 'select(.level == "debug")' "$log" >/dev/null
}

@test "without --debug no debug messages are logged" {
	log="$BATS_TEST_TMPDIR/nodebug.json"
	set_args true
	run "$AGENTSBX" --root "$SBX_ROOT" --log "$log" --log-format json run -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	if [ -s "$log" ]; then
		! jq -e 'select(.level == "debug")' "$log" >/dev/null
	fi
}

@test "--systemd-cgroup is accepted" {
	run "$AGENTSBX" --root "$SBX_ROOT" --systemd-cgroup list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
}

@test "errors go to stderr when there is no --log" {
	run --separate-stderr "$AGENTSBX" --root "$SBX_ROOT" state nosuchcontainer
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
}
