#!/usr/bin/env bats
# hooks: createRuntime, createContainer, startContainer, prestart,
# poststart, poststop

load helpers

setup() {
	sbx_setup
	HOOKDIR="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$HOOKDIR"
	# a hook that saves its stdin (the state), argv and env
	cat >"$HOOKDIR/save.sh" <<-'EOS'
		#!/bin/sh
		out="$1"
		cat >"$out"
		echo "$@" >"$out.args"
		env >"$out.env"
	EOS
	chmod 755 "$HOOKDIR/save.sh"
	# startContainer runs inside the container: its path resolves there
	cp "$HOOKDIR/save.sh" "$ROOTFS/bin/save-hook"
	sed -i '1s|.*|#!/bin/sh|' "$ROOTFS/bin/save-hook"
}

# hook NAME: a hook entry saving to $HOOKDIR/NAME
hook() {
	jq -nc --arg p "$HOOKDIR/save.sh" --arg o "$HOOKDIR/$1" \
		'{path: $p, args: ["save.sh", $o, "extra-arg"], env: ["HOOK_VAR=hook-value", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

all_hooks() {
	cfg '.hooks = {
		createRuntime: [$cr], createContainer: [$cc], prestart: [$ps],
		startContainer: [{path: "/bin/save-hook", args: ["save-hook", "/startContainer.state"]}],
		poststart: [$pst], poststop: [$pstop] }' \
		--argjson cr "$(hook createRuntime)" --argjson cc "$(hook createContainer)" \
		--argjson ps "$(hook prestart)" --argjson pst "$(hook poststart)" \
		--argjson pstop "$(hook poststop)"
}

check_state() { # FILE STATUS...
	local f="$1"
	shift
	jq -e --arg id "$CID" --arg b "$BUNDLE" '.id == $id and .bundle == $b and (.ociVersion | type == "string")' "$f"
	local st ok=1 s
	st="$(jq -r .status "$f")"
	for s in "$@"; do [ "$st" = "$s" ] && ok=0; done
	[ "$ok" -eq 0 ] || {
		echo "$f: status $st, want one of: $*" >&2
		return 1
	}
}

@test "all six hooks run in order with the state on stdin" {
	all_hooks
	set_args sleep 1000
	create_container "$CID"
	pid="$(container_pid "$CID")"

	check_state "$HOOKDIR/createRuntime" creating
	check_state "$HOOKDIR/createContainer" creating
	check_state "$HOOKDIR/prestart" creating
	# hooks in the runtime namespace see the host pid
	[ "$(jq -r .pid "$HOOKDIR/createRuntime")" = "$pid" ]
	[ "$(jq -r .pid "$HOOKDIR/prestart")" = "$pid" ]
	# createContainer runs in the container namespace: pid as seen there
	jq -e '.pid | type == "number" and . > 0' "$HOOKDIR/createContainer"

	sbx start "$CID"
	check_state "$ROOTFS/startContainer.state" created
	check_state "$HOOKDIR/poststart" created running
	[ "$(jq -r .pid "$HOOKDIR/poststart")" = "$pid" ]
	[ ! -e "$HOOKDIR/poststop" ]

	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	sbx delete "$CID"
	check_state "$HOOKDIR/poststop" stopped
}

@test "poststart and startContainer run at start, not at create" {
	requires_agentsbx "runc 1.1 runs poststart (and startContainer) hooks during create"
	all_hooks
	set_args sleep 1000
	create_container "$CID"
	[ -e "$HOOKDIR/prestart" ]
	[ ! -e "$HOOKDIR/poststart" ]
	[ ! -e "$ROOTFS/startContainer.state" ]
	sbx start "$CID"
	check_state "$ROOTFS/startContainer.state" created
	check_state "$HOOKDIR/poststart" running
}

@test "hook args and env are exactly as configured" {
	all_hooks
	set_args true
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	for h in createRuntime createContainer prestart poststart poststop; do
		[ "$(cat "$HOOKDIR/$h.args")" = "$HOOKDIR/$h extra-arg" ]
		grep -qx 'HOOK_VAR=hook-value' "$HOOKDIR/$h.env"
		! grep -q '^BATS_' "$HOOKDIR/$h.env"
	done
}

@test "hook order: createRuntime, createContainer before start; poststop last" {
	cat >"$HOOKDIR/order.sh" <<-'EOS'
		#!/bin/sh
		cat >/dev/null
		echo "$1" >>"$2"
	EOS
	chmod 755 "$HOOKDIR/order.sh"
	o="$HOOKDIR/order"
	cfg '.hooks = {
		prestart: [{path: $p, args: ["o", "prestart", $o]}],
		createRuntime: [{path: $p, args: ["o", "createRuntime1", $o]}, {path: $p, args: ["o", "createRuntime2", $o]}],
		createContainer: [{path: $p, args: ["o", "createContainer", $o]}],
		poststart: [{path: $p, args: ["o", "poststart", $o]}],
		poststop: [{path: $p, args: ["o", "poststop", $o]}] }' --arg p "$HOOKDIR/order.sh" --arg o "$o"
	set_args true
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	run cat "$o"
	# prestart and createRuntime both run in the runtime namespace after
	# the namespaces exist; prestart first (runc's order)
	[ "${lines[0]}" = prestart ]
	[ "${lines[1]}" = createRuntime1 ]
	[ "${lines[2]}" = createRuntime2 ]
	[ "${lines[3]}" = createContainer ]
	[ "${lines[4]}" = poststart ]
	[ "${lines[5]}" = poststop ]
}

# a failing hook of KIND fails create (or start) and leaves nothing behind
failing_hook_case() {
	local kind="$1" phase="$2"
	cfg ".hooks.$kind = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat >/dev/null; echo hook-said-no >&2; exit 7\"]}]"
	set_args sleep 1000
	LEFT="$BATS_TEST_TMPDIR/left"
	run_bg run_reaped "$LEFT" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID"
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	if [ "$phase" = create ] || [ "$status" -ne 0 ]; then
		[ "$status" -ne 0 ]
		nothing_left "$CID" "$LEFT"
	else
		# runc runs startContainer hooks before waiting for `start`: the
		# container dies right after create; start must fail either way
		pid="$(container_pid "$CID")"
		run sbx start "$CID"
		[ "$status" -ne 0 ]
		[ "$pid" -le 0 ] || wait_for 10 pid_gone "$pid"
		# the container is stopped (or already gone); delete cleans it
		sbx delete -f "$CID" || true
		no_state "$CID"
		no_mounts "$BUNDLE"
	fi
}

@test "failing prestart hook fails create and leaves nothing" {
	failing_hook_case prestart create
}

@test "failing createRuntime hook fails create and leaves nothing" {
	failing_hook_case createRuntime create
}

@test "failing createContainer hook fails create and leaves nothing" {
	failing_hook_case createContainer create
}

@test "failing startContainer hook fails start and stops the container" {
	failing_hook_case startContainer start
}

@test "a hook binary that does not exist fails create" {
	cfg '.hooks.createRuntime = [{path: "/no/such/hook"}]'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	no_mounts "$BUNDLE"
}

@test "hook timeout: a hook running past its timeout fails create" {
	cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; exec sleep 30"], timeout: 1}]'
	set_args true
	LEFT="$BATS_TEST_TMPDIR/left"
	run_bg run_reaped "$LEFT" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID"
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	[ "$status" -ne 0 ]
	# the timed-out hook itself was killed too
	nothing_left "$CID" "$LEFT"
}

@test "hook within its timeout succeeds" {
	cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; exit 0"], timeout: 10}]'
	set_args true
	run sbx run "$CID"
	[ "$status" -eq 0 ]
}

@test "failing poststart hook: the hook ran; delete -f cleans up" {
	cfg '.hooks.poststart = [{path: "/bin/sh", args: ["sh", "-c", "cat > \"$0\"; exit 3", $o]}]' --arg o "$HOOKDIR/poststart"
	set_args sleep 1000
	# runc runs poststart during create (and fails it); the spec says start
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ] || run sbx start "$CID"
	check_state "$HOOKDIR/poststart" created running
	run sbx delete -f "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
	no_mounts "$BUNDLE"
}

@test "failing poststart hook: a warning, the container keeps running (runtime-spec)" {
	requires_agentsbx "runc kills the container when a poststart hook fails"
	cfg '.hooks.poststart = [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; exit 3"]}]'
	set_args sleep 1000
	create_container "$CID"
	run sbx start "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *poststart* ]]
	[ "$(container_status "$CID")" = running ]
}

@test "failing poststop hook: delete succeeds, nothing left" {
	cfg '.hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; exit 5"]}]'
	set_args true
	create_container "$CID"
	sbx start "$CID"
	wait_status "$CID" stopped
	run sbx delete "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
	no_mounts "$BUNDLE"
}

# ---------------------------------------------------------------------------
# startContainer hooks run the image's binaries inside the container: under
# its seccomp filters, as runc runs them (issue 10, item 7)

# start_hook 'SHELL COMMAND': one startContainer hook, /bin/sh -c COMMAND
start_hook() {
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", $c]}]}' --arg c "$1"
}

@test "startContainer hook under the config's filter: mkdir -> SCMP_ACT_KILL kills the hook and fails the start" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}'
	start_hook 'mkdir /dev/shm/foo'
	set_args true
	run sbx run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	# agentsbx: "killed by signal SIGSYS"; runc: "bad system call"
	[[ "$output" == *SIGSYS* || "$output" == *"bad system call"* ]]
}

@test "startContainer hook under the config's filter without noNewPrivileges too" {
	cfg '.process.noNewPrivileges = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 100}]}'
	start_hook 'mkdir /dev/shm/foo'
	set_args true
	run sbx run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Network is down"* ]]
	# and a hook the filter lets through runs
	start_hook 'echo ran >/dev/shm/ran && grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status >/dev/shm/ran'
	cfg '.process.args = ["sh", "-c", "cat /dev/shm/ran"]'
	run sbx run "$CID-2"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx $'Seccomp:\t2' <<<"$output"
	grep -qx $'NoNewPrivs:\t0' <<<"$output"
}

@test "startContainer hook: noNewPrivileges holds for the hook as for the process" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	start_hook 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status >/dev/shm/hook'
	set_cmd 'cat /dev/shm/hook'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx $'Seccomp:\t2' <<<"$output"
	grep -qx $'NoNewPrivs:\t1' <<<"$output"
}

@test "startContainer hook under the policy's seccomp layer: root in the hook cannot unshare" {
	requires_agentsbx "the agent sandbox policy"
	# the built-in default policy (agent-safe), whose layer denies unshare
	export AGENTSBX_CONFIG_DIR="$BATS_TEST_TMPDIR/etc-agentsbx"
	mkdir -p "$AGENTSBX_CONFIG_DIR"
	grant_all_caps
	start_hook 'unshare -U true'
	set_args true
	run sbx run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"startContainer hook #0"* ]]
	[[ "$output" == *"unshare"*"Operation not permitted"* ]]
	# the same hook without the denied call runs: the start works
	start_hook 'true'
	run sbx run "$CID-2"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "in-container hooks without env get the process's env, never the caller's" {
	cfg '.process.env += ["PROCESS_VAR=from-process"]'
	# createContainer runs before pivot_root (its paths are the host's)
	cfg '.hooks = {createContainer: [{path: "/bin/sh", args: ["sh", "-c", ("env >" + $f)]}],
		startContainer: [{path: "/bin/sh", args: ["sh", "-c", "env >/dev/shm/sc-env"]}]}' \
		--arg f "$BATS_TEST_TMPDIR/cc-env"
	set_cmd 'cat /dev/shm/sc-env'
	run env SBX_TEST_CALLER=caller-marker "$AGENTSBX" --root "$SBX_ROOT" run "$CID"
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *caller-marker* ]]
	grep -qx PROCESS_VAR=from-process <<<"$output"
	cat "$BATS_TEST_TMPDIR/cc-env"
	! grep -q caller-marker "$BATS_TEST_TMPDIR/cc-env"
	grep -qx PROCESS_VAR=from-process "$BATS_TEST_TMPDIR/cc-env"
}
