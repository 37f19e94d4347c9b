#!/usr/bin/env bats
# The audit trail and the per-container supervisor that writes most of it:
# supervisor lifetime, line format, command trail, denials, counts, what the
# container cannot do to its log.

load helpers

setup() {
	sbx_setup
	requires_agentsbx "the audit trail"
	export AGENTSBX_CONFIG_DIR="$BATS_TEST_TMPDIR/etc-agentsbx"
	mkdir -p "$AGENTSBX_CONFIG_DIR/policies"
	AUDIT="$BATS_TEST_TMPDIR/log/audit.jsonl"
}

teardown() {
	sbx_teardown
}

# policy JSON: the policy file p.json (an audit path is added)
policy() {
	jq --arg a "$AUDIT" '.audit.path = $a' <<<"$1" >"$BATS_TEST_TMPDIR/p.json"
}

supervisor_pid() { cat "$SBX_ROOT/$CID/monitor.pid"; }

@test "supervisor: runs beside a container with a time limit, exits when init is killed -9" {
	policy '{"extends": "agent-safe", "limits": {"timeout": "300s"}}'
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	sup="$(supervisor_pid)"
	comm_is "$sup" agentsbx
	# host side: not in the container's pid namespace
	[ "$(ns_link "$sup" pid)" = "$(ns_link $$ pid)" ]
	kill -9 "$(container_pid "$CID")"
	wait_for 10 pid_gone "$sup"
	sbx delete -f "$CID"
	no_state "$CID"
}

@test "supervisor: delete -f stops it and waits; after a kill -9 of it, delete -f leaves nothing" {
	policy '{"extends": "agent-safe", "limits": {"lifetime": "300s"}}'
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	sup="$(supervisor_pid)"
	sbx delete -f "$CID"
	pid_gone "$sup"
	no_state "$CID"

	# the supervisor killed -9: delete -f still works, nothing left
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	sup="$(supervisor_pid)"
	kill -9 "$sup"
	wait_for 10 pid_gone "$sup"
	sbx delete -f "$CID"
	no_state "$CID"
}
