#!/usr/bin/env bats
# create / start / state / kill / delete / run / list

load helpers

@test "create + start + state + delete of a short-lived container" {
	set_cmd 'echo hello-from-container'
	create_container "$CID"
	[ "$(container_status "$CID")" = created ]

	sbx start "$CID"
	wait_status "$CID" stopped
	grep -qx hello-from-container "$BG_OUT"

	run sbx delete "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
}

@test "state: runtime-spec fields plus rootfs, created, owner" {
	set_args sleep 1000
	create_container "$CID"
	run sbx state "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e . >/dev/null
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	[ "$(jq -r .rootfs <<<"$output")" = "$ROOTFS" ]
	jq -e '.ociVersion | type == "string" and length > 0' <<<"$output"
	jq -e '.pid | type == "number" and . > 0' <<<"$output"
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$")' <<<"$output"
	jq -e '.owner | type == "string"' <<<"$output"
	pid="$(jq -r .pid <<<"$output")"
	kill -0 "$pid"

	sbx start "$CID"
	wait_status "$CID" running
	# the pid does not change when the container starts
	[ "$(container_pid "$CID")" = "$pid" ]
	# and it now runs the container's process
	grep -q sleep "/proc/$pid/cmdline"

	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	run sbx state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = stopped ]
	sbx delete "$CID"
	no_state "$CID"
}

@test "state of a nonexistent container fails" {
	run sbx state nosuchcontainer
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuchcontainer* || "$output" == *"does not exist"* ]]
}

@test "create with --pid-file writes the init pid" {
	set_args sleep 1000
	create_container --pid-file "$BATS_TEST_TMPDIR/pidfile" "$CID"
	[ -s "$BATS_TEST_TMPDIR/pidfile" ]
	[ "$(cat "$BATS_TEST_TMPDIR/pidfile")" = "$(container_pid "$CID")" ]
}

@test "create with a relative --pid-file and -b" {
	set_args sleep 1000
	cd "$BATS_TEST_TMPDIR"
	run_bg sbx create -b bundle --pid-file rel.pid "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/rel.pid")" = "$(container_pid "$CID")" ]
	[ "$(sbx state "$CID" | jq -r .bundle)" = "$BUNDLE" ]
}

@test "create uses the current directory as the default bundle" {
	set_args sleep 1000
	cd "$BUNDLE"
	run_bg sbx create "$CID"
	[ "$status" -eq 0 ]
	[ "$(sbx state "$CID" | jq -r .bundle)" = "$BUNDLE" ]
}

@test "create with a duplicate id fails and keeps the first container" {
	set_args sleep 1000
	create_container "$CID"
	pid="$(container_pid "$CID")"
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$CID"* ]] || [[ "$output" == *exist* ]]
	[ "$(container_pid "$CID")" = "$pid" ]
	[ "$(container_status "$CID")" = created ]
}

@test "create without an id fails" {
	run sbx create -b "$BUNDLE"
	[ "$status" -ne 0 ]
}

@test "start of a nonexistent container fails" {
	run sbx start nosuchcontainer
	[ "$status" -ne 0 ]
}

@test "start runs the process exactly once: a second start fails" {
	set_cmd 'echo started >> /count; sleep 1000'
	create_container "$CID"
	sbx start "$CID"
	wait_status "$CID" running
	run sbx start "$CID"
	[ "$status" -ne 0 ]
	wait_for 10 file_exists "$ROOTFS/count"
	[ "$(wc -l <"$ROOTFS/count")" -eq 1 ]
}

@test "start of a stopped container fails" {
	set_args true
	create_container "$CID"
	sbx start "$CID"
	wait_status "$CID" stopped
	run sbx start "$CID"
	[ "$status" -ne 0 ]
}

@test "kill with default signal (TERM) stops a container" {
	# sh as pid 1 ignores TERM unless it traps it
	set_cmd 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	start_detached "$CID"
	wait_status "$CID" running
	sbx kill "$CID"
	wait_status "$CID" stopped
}

@test "kill accepts signal names with and without SIG, and numbers" {
	set_cmd 'trap "echo got-usr1 >> /sig" USR1; trap "echo got-hup >> /sig" HUP; trap "echo got-usr2 >> /sig" USR2; trap "exit 0" TERM; while :; do sleep 0.1; done'
	start_detached "$CID"
	wait_status "$CID" running
	# give sh time to install its traps: wait until it is in its loop
	wait_for 10 grep -q 'sleep' "/proc/$(container_pid "$CID")/task/$(container_pid "$CID")/children" 2>/dev/null || true
	sbx kill "$CID" USR1
	wait_for 10 grep -q got-usr1 "$ROOTFS/sig"
	sbx kill "$CID" SIGHUP
	wait_for 10 grep -q got-hup "$ROOTFS/sig"
	sbx kill "$CID" 12
	wait_for 10 grep -q got-usr2 "$ROOTFS/sig"
	sbx kill "$CID" 9
	wait_status "$CID" stopped
}

@test "kill with an invalid signal fails" {
	set_args sleep 1000
	start_detached "$CID"
	run sbx kill "$CID" NOTASIGNAL
	[ "$status" -ne 0 ]
	run sbx kill "$CID" 99999
	[ "$status" -ne 0 ]
	[ "$(container_status "$CID")" = running ]
}

@test "kill of a nonexistent container fails" {
	run sbx kill nosuchcontainer KILL
	[ "$status" -ne 0 ]
}

@test "kill of a created (not started) container" {
	set_args sleep 1000
	create_container "$CID"
	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	sbx delete "$CID"
	no_state "$CID"
}

@test "kill --all signals every process of a container" {
	# no pid namespace of its own: --all must find the processes by cgroup
	set_cmd 'sleep 1000 & sleep 1000 & echo $! > /bg; wait'
	start_detached "$CID"
	wait_for 10 file_exists "$ROOTFS/bg"
	run sbx kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
}

@test "delete of a running container without -f fails, with -f succeeds" {
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	run sbx delete "$CID"
	[ "$status" -ne 0 ]
	[ "$(container_status "$CID")" = running ]
	run sbx delete -f "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
	wait_for 10 pid_gone "$pid"
}

@test "delete of a created container (not started) succeeds" {
	set_args sleep 1000
	create_container "$CID"
	pid="$(container_pid "$CID")"
	run sbx delete "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
	wait_for 10 pid_gone "$pid"
}

@test "delete of a nonexistent container fails; delete -f of one succeeds" {
	run sbx delete nosuchcontainer
	[ "$status" -ne 0 ]
	run sbx delete -f nosuchcontainer
	[ "$status" -eq 0 ]
}

@test "delete --force long form" {
	set_args sleep 1000
	start_detached "$CID"
	run sbx delete --force "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
}

@test "a stopped container's pid is not mistaken for a live one" {
	set_args true
	create_container "$CID"
	pid="$(container_pid "$CID")"
	sbx start "$CID"
	wait_status "$CID" stopped
	# start something else; whatever pid it gets, the container stays stopped
	sleep 1000 &
	track_pid $!
	[ "$(container_status "$CID")" = stopped ]
	run sbx kill "$CID" KILL
	# runc refuses to signal a stopped container; nothing must be signalled
	kill -0 $!
	run sbx delete "$CID"
	[ "$status" -eq 0 ]
}

@test "run: foreground returns the process's exit status" {
	set_cmd 'echo out; echo err >&2; exit 3'
	run sbx run "$CID"
	[ "$status" -eq 3 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	no_state "$CID"
}

@test "run: exit status 0" {
	set_args true
	run sbx run -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
}

@test "run: 128+signal when the process is killed by a signal" {
	# without a pid namespace the shell is not pid 1 and can kill itself
	drop_ns pid
	set_cmd 'kill -KILL $$'
	run sbx run "$CID"
	[ "$status" -eq 137 ]
	set_cmd 'kill -TERM $$'
	run sbx run "$CID-2"
	[ "$status" -eq 143 ]
}

@test "run: kill from outside gives 128+9" {
	set_args sleep 1000
	sbx run "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 3>&- &
	runpid=$!
	track_pid $runpid
	wait_status "$CID" running
	sbx kill "$CID" KILL
	rc=0
	wait "$runpid" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run: stdin is passed through" {
	set_args cat
	run sbx run "$CID" <<<"piped-input"
	[ "$status" -eq 0 ]
	[ "$output" = piped-input ]
}

@test "run -d detaches and leaves a running container" {
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	[ "$(container_status "$CID")" = running ]
	run_bg sbx run --detach "$CID-2"
	[ "$status" -eq 0 ]
	[ "$(container_status "$CID-2")" = running ]
}

@test "run with --pid-file" {
	set_args sleep 1000
	run_bg sbx run -d --pid-file "$BATS_TEST_TMPDIR/p" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/p")" = "$(container_pid "$CID")" ]
}

@test "run --keep keeps the stopped container" {
	set_args true
	run sbx run --keep "$CID"
	[ "$status" -eq 0 ]
	[ "$(container_status "$CID")" = stopped ]
	sbx delete "$CID"
	no_state "$CID"
}

@test "run with a nonexistent bundle fails and leaves nothing" {
	run sbx run -b "$BATS_TEST_TMPDIR/nonexistent" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "list: empty, table, -q, json" {
	run sbx list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "${lines[0]}" == *PID*STATUS*BUNDLE*CREATED*OWNER* ]]

	set_args sleep 1000
	create_container "$CID-a"
	start_detached "$CID-b"

	run sbx list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	grep -E "^$CID-a +[0-9]+ +created +$BUNDLE " <<<"$output"
	grep -E "^$CID-b +[0-9]+ +running +$BUNDLE " <<<"$output"

	run sbx list -q
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$CID-a" "$CID-b")" ]

	run sbx list --quiet
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$CID-a" "$CID-b")" ]

	run sbx list --format json
	[ "$status" -eq 0 ]
	jq -e 'type == "array" and length == 2' <<<"$output"
	jq -e --arg a "$CID-a" --arg b "$BUNDLE" 'map(select(.id == $a))[0] | .status == "created" and .bundle == $b and (.pid > 0) and (.created | type == "string") and (.owner | type == "string")' <<<"$output"
	jq -e --arg a "$CID-b" '.[] | select(.id == $a) | .status == "running"' <<<"$output"
	# ociVersion is part of each entry
	jq -e 'all(.[]; .ociVersion | type == "string")' <<<"$output"

	run sbx list -f json
	[ "$status" -eq 0 ]
	jq -e 'length == 2' <<<"$output"
}

@test "list --format json with no containers" {
	run sbx list --format json
	[ "$status" -eq 0 ]
	# runc prints "null" for an empty list
	jq -e '. == null or . == []' <<<"$output"
}

@test "list with an invalid format fails" {
	run sbx list --format xml
	[ "$status" -ne 0 ]
}

@test "list shows stopped containers" {
	set_args true
	start_detached "$CID"
	wait_status "$CID" stopped
	run sbx list
	grep -E "^$CID +0 +stopped " <<<"$output"
}

@test "unknown command fails" {
	run "$AGENTSBX" --root "$SBX_ROOT" frobnicate
	[ "$status" -ne 0 ]
}

@test "list --format json is one line, as runc prints it" {
	set_args sleep 1000
	create_container "$CID"
	run sbx list --format json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg id "$CID" '.[0].id == $id and .[0].status == "created"' <<<"${lines[0]}"
}
