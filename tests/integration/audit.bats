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

# The agent's script: 20 commands run by execve (absolute paths: busybox's
# shell runs an applet named without a path in its own process, which is no
# exec), one refused by the exec allowlist, a fork bomb under the pids
# limit, a memory bomb under the memory limit.
write_agent_script() {
	mkdir -p "$ROOTFS/opt/tools" "$ROOTFS/opt/other" "$ROOTFS/work"
	cp "$ROOTFS/bin/busybox" "$ROOTFS/opt/other/bb"
	printf '#!/bin/sh\n/bin/echo hello >/dev/null\n' >"$ROOTFS/opt/tools/greet.sh"
	printf '#!/bin/sh\n:\n' >"$ROOTFS/opt/tools/rel.sh"
	chmod 755 "$ROOTFS/opt/tools/greet.sh" "$ROOTFS/opt/tools/rel.sh"
	cat >"$ROOTFS/opt/tools/agent.sh" <<'SCRIPT'
/bin/echo one
/bin/ls / >/dev/null
/bin/sh -c '/bin/true'
/bin/echo a | /bin/cat >/dev/null
( /bin/pwd >/dev/null )
/opt/tools/greet.sh
cd /opt/tools && ./rel.sh
cd /
/bin/date >/dev/null
/bin/uname >/dev/null
/bin/id -u >/dev/null
/bin/sleep 0
/bin/expr 1 + 1 >/dev/null
/bin/seq 1 2 >/dev/null
/bin/head -c 1 /etc/hostname >/dev/null
/bin/basename /a/b >/dev/null
/bin/printf x >/dev/null
/bin/wc -c /etc/hostname >/dev/null
/bin/hostname >/dev/null
/bin/whoami >/dev/null
/opt/other/bb true 2>/dev/null
echo refused=$?
( i=0; while [ $i -lt 64 ]; do sleep 2 & i=$((i + 1)); done; wait ) 2>/dev/null
echo bombed=$?
sleep 2.5
tail /dev/zero
echo oom=$?
echo done
SCRIPT
}

@test "command trail: every command and refusal once, with its fields; counts in container_deleted" {
	write_agent_script
	policy '{"extends": "agent-safe", "exec": {"allow": ["/bin/*", "/opt/tools/*"]},
	         "limits": {"pids": 24, "memory": "32M"}}'
	set_args /bin/sh /opt/tools/agent.sh
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	[[ "$output" == *"refused=126"* ]]
	[[ "$output" == *done* ]]
	# the commands, each once (sorted: a pipeline's run at once; the fork
	# bomb's `sleep 2`s aside: as many as the pids limit let fork)
	run jq -rc --arg id "$CID" 'select(.container == $id and .event == "command_executed"
		and .argv != ["sleep", "2"]) | .argv' "$AUDIT"
	expected="$(cat <<'EXPECTED'
["/bin/sh","/opt/tools/agent.sh"]
["/bin/echo","one"]
["/bin/ls","/"]
["/bin/sh","-c","/bin/true"]
["/bin/true"]
["/bin/echo","a"]
["/bin/cat"]
["/bin/pwd"]
["/opt/tools/greet.sh"]
["/bin/echo","hello"]
["./rel.sh"]
["/bin/date"]
["/bin/uname"]
["/bin/id","-u"]
["/bin/sleep","0"]
["/bin/expr","1","+","1"]
["/bin/seq","1","2"]
["/bin/head","-c","1","/etc/hostname"]
["/bin/basename","/a/b"]
["/bin/printf","x"]
["/bin/wc","-c","/etc/hostname"]
["/bin/hostname"]
["/bin/whoami"]
["sleep","2.5"]
["tail","/dev/zero"]
EXPECTED
)"
	diff -u <(sort <<<"$expected") <(sort <<<"$output")
	jq -se --arg id "$CID" '
		map(select(.container == $id)) as $e
		| ($e | map(select(.event == "command_executed"))) as $c
		| ($e | map(select(.event == "exec_denied"))) as $d
		| ($e | map(select(.event == "resource_violation"))) as $v
		| ($e | map(select(.event == "container_deleted")) | .[0].counts) as $n
		| all($c[]; .pid > 0 and .ppid > 0 and .container_pid > 0 and .uid == 0
		            and .argv_truncated == false and (.cwd | startswith("/")))
		and ($c[] | select(.argv == ["./rel.sh"]) | .cwd == "/opt/tools"
		     and .path == "/opt/tools/rel.sh" and .executable == "/opt/tools/rel.sh")
		and ($c[] | select(.argv == ["/bin/echo", "one"]) | .executable == "/bin/busybox"
		     and .syscall == "execve")
		and ($c[] | select(.argv == ["/bin/echo", "hello"]) | .ppid as $p
		     | $c[] | select(.argv == ["/opt/tools/greet.sh"]) | .pid == $p)
		and ($d | length == 1) and $d[0].path == "/opt/other/bb" and $d[0].rule == "exec.allow"
		and $d[0].argv == ["/opt/other/bb", "true"]
		and ($v | map(select(.violation == "oom")) | length == 1)
		and ($v | map(select(.violation == "pids")) | length >= 1)
		and ($e | map(select(.event == "process_exited" and .process == "init")) | length == 1)
		and ($e | map(select(.event == "process_exited")) | .[0].exit_code == 0)
		and $n.command_executed == ($c | length) and $n.exec_denied == 1
		and $n.resource_violation == ($v | length) and $n.file_denied == 0
		and ([$e[] | .suppressed // 0] | add) == 0
		and ($e | map(select(.event == "audit_unavailable" and .feature == "file_denied"
		                     and (.reason | test("Landlock")))) | length == 1)' "$AUDIT"
	# and policy show says it, beside the policy
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" policy show
	[[ "$output" == *"note: file_denied is not recorded: Landlock"* ]]
}

@test "command trail: a flood of execs is rate-limited with exact suppressed counts" {
	policy '{"extends": "agent-safe", "limits": {"pids": 64}}'
	set_args /bin/sh -c 'i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i + 1)); done'
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	[ "$status" -eq 0 ]
	# Every exec is accounted for: lines + suppressed counts == 3000, and the
	# lines stay within the limit (burst 1000, 100 a second) over the run's
	# duration, which on a fast host means most were suppressed.
	jq -se --arg id "$CID" '
		map(select(.container == $id)) as $e
		| ($e | map(select(.event == "command_executed" and .argv == ["/bin/true"]))) as $t
		| ($e | map(select(.event == "command_executed")) | map(.suppressed // 0) | add) as $s1
		| ($e | map(select(.event == "events_suppressed" and .kind == "command_executed"))
		      | map(.suppressed) | add // 0) as $s2
		| ($e | map(select(.event == "process_exited")) | .[0].duration_ms / 1000) as $secs
		| ($t | length) + $s1 + $s2 == 3000
		and ($t | length) <= 1000 + 100 * ($secs + 1)
		and (if 1000 + 100 * ($secs + 1) < 3000 then $s1 + $s2 > 0 else true end)
		and ($e | map(select(.event == "container_deleted")) | .[0].counts.command_executed) == 3001' "$AUDIT"
}

@test "the container cannot reach, silence or forge its log: kill -9 -1, closed fds, pids exhaustion" {
	policy '{"extends": "agent-safe", "limits": {"pids": 16}}'
	set_args /bin/sh -c '
		ls "$0" 2>/dev/null && echo LOG-VISIBLE
		kill -9 -1
		for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done
		( i=0; while [ $i -lt 40 ]; do sleep 1 & i=$((i + 1)); done; wait ) 2>/dev/null
		/bin/echo after-tamper
		exec /bin/sleep 1000' "$AUDIT"
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	sup="$(supervisor_pid)"
	# the supervisor is outside the container's cgroup and pid namespace
	! grep -qx "$sup" "$(cg_file pids cgroup.procs)"
	[ "$(ns_link "$sup" pid)" = "$(ns_link $$ pid)" ]
	wait_for 20 grep -q '"argv":\["/bin/sleep","1000"\]' "$AUDIT"
	run sbx exec "$CID" /bin/echo from-exec
	[ "$output" = from-exec ]
	wait_for 10 grep -q '"argv":\["/bin/echo","from-exec"\]' "$AUDIT"
	comm_is "$sup" agentsbx
	sbx delete -f "$CID"
	! grep -q LOG-VISIBLE "$BG_OUT"
	[ "$(stat -c %a "$AUDIT")" = 600 ]
	[ "$(stat -c %a "$(dirname "$AUDIT")")" = 700 ]
	jq -se --arg id "$CID" '
		map(select(.container == $id)) as $e
		| any($e[]; .event == "command_executed" and .argv == ["/bin/echo", "after-tamper"])
		and any($e[]; .event == "resource_violation" and .violation == "pids")
		and any($e[]; .event == "process_exited" and .process == "exec" and .exit_code == 0)
		and ($e | last | .event == "container_deleted")' "$AUDIT"
}

@test "an audit.path the container could reach fails create, naming it, and leaves nothing" {
	set_args /bin/true
	AUDIT="$ROOTFS/tmp/audit.jsonl"
	policy '{"extends": "agent-safe"}'
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"audit.path: \`$AUDIT\` is inside the container's rootfs"* ]]
	[ ! -e "$AUDIT" ]
	no_state "$CID"

	AUDIT="$BATS_TEST_TMPDIR/log/audit.jsonl"
	policy '{"extends": "agent-safe"}'
	mkdir -p "$BATS_TEST_TMPDIR/log"
	cfg '.mounts += [{destination: "/host", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$BATS_TEST_TMPDIR/log"
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"audit.path: \`$AUDIT\` would be reachable in the container through mounts["*"(\`$BATS_TEST_TMPDIR/log\` on \`/host\`)"* ]]
	no_state "$CID"
}

@test "agentsbx audit: a table, --json as is, --container and --event filters, --follow" {
	policy '{"extends": "agent-safe", "exec": {"allow": ["/bin/*"]}}'
	mkdir -p "$ROOTFS/opt"
	cp "$ROOTFS/bin/busybox" "$ROOTFS/opt/bb"
	set_args /bin/sh -c '/bin/echo hi >/dev/null; /opt/bb true 2>/dev/null; exec /bin/sleep 1000'
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	wait_for 20 grep -q '"argv":\["/bin/sleep","1000"\]' "$AUDIT"
	# --container reads the container's own log
	run sbx audit --container "$CID" --event command_executed
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == TIME*CONTAINER*EVENT*DETAILS ]]
	[[ "$output" == *"command_executed    pid="*"uid=0 cwd=/: /bin/echo hi"* ]]
	! [[ "$output" == *exec_denied* ]]
	run sbx audit --event exec_denied "$AUDIT"
	[[ "$output" == *"exec_denied"*"/opt/bb true  [refused: exec.allow]"* ]]
	# --json: the lines as written, filtered
	run sbx audit --json --container "$CID" "$AUDIT"
	diff <(jq -c --arg id "$CID" 'select(.container == $id)' "$AUDIT") <(jq -c . <<<"$output")
	run sbx audit --json --container nope "$AUDIT"
	[ -z "$output" ]
	# --follow prints what comes later
	# (the binary itself, not the sbx function: $! must be its pid, and no
	# fd of bats' may stay open in it)
	"$AGENTSBX" --root "$SBX_ROOT" audit --follow --json --event command_executed "$AUDIT" \
		</dev/null >"$BATS_TEST_TMPDIR/follow.out" 2>&1 &
	follower=$!
	echo "$follower" >>"$BATS_TEST_TMPDIR/.pids"
	sbx exec "$CID" /bin/echo later >/dev/null
	wait_for 10 grep -q '"argv":\["/bin/echo","later"\]' "$BATS_TEST_TMPDIR/follow.out"
	kill "$follower"
	wait "$follower" || true
	# bad use is an error naming the argument
	run sbx audit
	[ "$status" -ne 0 ]
	[[ "$output" == *"requires FILE or --container ID"* ]]
	run sbx audit "$BATS_TEST_TMPDIR/missing.jsonl"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing.jsonl"*"No such file"* ]]
}

@test "command trail: an engine-length state path (64-hex id) still works, exec included" {
	policy '{"extends": "agent-safe"}'
	id="$(printf '%064x' "$$")"
	[ "$(printf '%s' "$SBX_ROOT/$id/supervisor.sock" | wc -c)" -gt 108 ]
	set_args /bin/sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$id"
	[ "$status" -eq 0 ]
	run sbx exec "$id" /bin/echo long
	[ "$output" = long ]
	sbx delete -f "$id"
	jq -se --arg id "$id" '[.[] | select(.container == $id and .event == "command_executed") | .argv]
		== [["/bin/sleep", "1000"], ["/bin/echo", "long"]]' "$AUDIT"
}
