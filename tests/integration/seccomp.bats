#!/usr/bin/env bats
# linux.seccomp: actions, errnoRet/defaultErrnoRet, argument conditions,
# architectures, flags, unknown syscall names, bad profiles (which fail
# create and leave nothing behind), SCMP_ACT_NOTIFY with a seccomp agent,
# and that the filter applies to the user process only, not to the
# runtime's own container setup.

load helpers

SECCOMP_AGENT="${SECCOMP_AGENT:-$REPO_TOP/tests/tools/seccomp-agent}"

teardown() {
	sbx_teardown
	local rc=$?
	# the agent's socket dir lives outside $BATS_TEST_TMPDIR (sun_path is short)
	[ -n "${AGENT_DIR:-}" ] && rm -rf "$AGENT_DIR"
	return $rc
}

# seccomp JSON: linux.seccomp = JSON
seccomp() {
	cfg '.linux.seccomp = $s' --argjson s "$1"
}

# deny_profile ACTION SYSCALL...: default ALLOW, one rule with ACTION
deny_profile() {
	local action="$1"
	shift
	local names
	names="$(printf '%s\n' "$@" | jq -R . | jq -sc .)"
	seccomp "$(jq -nc --arg a "$action" --argjson n "$names" \
		'{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: $n, action: $a}]}')"
}

# try_create ID: create under a subreaper (see create_failures.bats)
try_create() {
	LEFT="$BATS_TEST_TMPDIR/leftover.$RANDOM"
	run_bg run_reaped "$LEFT" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$@"
	echo "${@: -1}" >>"$BATS_TEST_TMPDIR/.ids"
}

# the names of every syscall of this architecture (from the C headers)
all_syscalls_json() {
	command -v cpp >/dev/null || skip "needs cpp for the syscall list"
	echo '#include <sys/syscall.h>' | cpp -dM |
		sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort -u | jq -R . | jq -sc .
}

# requires_seccomp_flag FLAG: skip unless the runtime's features list it
# (runc 1.1 refuses every seccomp flag)
requires_seccomp_flag() {
	local f
	f="$("$AGENTSBX" features 2>/dev/null)" || skip "no features command"
	jq -e --arg f "$1" '(.linux.seccomp.supportedFlags // []) | index($f) != null' <<<"$f" >/dev/null ||
		skip "$SBX_KIND does not support seccomp flag $1"
}

# ---------------------------------------------------------------------------
# actions

@test "SCMP_ACT_ERRNO: EPERM by default" {
	deny_profile SCMP_ACT_ERRNO mkdir mkdirat
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mkdir"*"/tmp/foo"*"Operation not permitted"* ]]
	[ ! -e "$ROOTFS/tmp/foo" ]
}

@test "SCMP_ACT_ERRNO with errnoRet" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100}]}'
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Network is down"* ]]
}

@test "SCMP_ACT_ERRNO without noNewPrivileges" {
	cfg '.process.noNewPrivileges = false'
	deny_profile SCMP_ACT_ERRNO mkdir mkdirat
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "defaultAction SCMP_ACT_ERRNO with defaultErrnoRet" {
	local all
	all="$(all_syscalls_json)"
	# everything allowed by name except mkdir: mkdir gets the default
	seccomp "$(jq -nc --argjson all "$all" '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 100,
		syscalls: [{names: ($all - ["mkdir", "mkdirat"]), action: "SCMP_ACT_ALLOW"}]}')"
	set_cmd 'echo hello; mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	grep -qx hello <<<"$output"
	[[ "$output" == *"Network is down"* ]]
}

@test "a rule with the default action is skipped" {
	local all
	all="$(all_syscalls_json)"
	seccomp "$(jq -nc --argjson all "$all" '{defaultAction: "SCMP_ACT_ERRNO",
		syscalls: [{names: ($all - ["mkdir", "mkdirat"]), action: "SCMP_ACT_ALLOW"},
			{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}')"
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "SCMP_ACT_KILL_PROCESS: SIGSYS (status 159)" {
	deny_profile SCMP_ACT_KILL_PROCESS mkdir mkdirat
	cfg '.process.rlimits += [{type: "RLIMIT_CORE", hard: 0, soft: 0}]'
	set_args mkdir /tmp/foo
	run sbx run "$CID"
	[ "$status" -eq 159 ]
	[ ! -e "$ROOTFS/tmp/foo" ]
}

@test "SCMP_ACT_KILL (thread): SIGSYS" {
	deny_profile SCMP_ACT_KILL mkdir mkdirat
	cfg '.process.rlimits += [{type: "RLIMIT_CORE", hard: 0, soft: 0}]'
	set_args mkdir /tmp/foo
	run sbx run "$CID"
	[ "$status" -eq 159 ]
}

@test "SCMP_ACT_KILL in a shell: the shell sees its child killed by SIGSYS" {
	deny_profile SCMP_ACT_KILL_THREAD mkdir mkdirat
	cfg '.process.rlimits += [{type: "RLIMIT_CORE", hard: 0, soft: 0}]'
	set_cmd 'mkdir /tmp/foo; echo "status $?"'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status 159"* ]]
}

@test "SCMP_ACT_TRAP: SIGSYS" {
	deny_profile SCMP_ACT_TRAP mkdir mkdirat
	cfg '.process.rlimits += [{type: "RLIMIT_CORE", hard: 0, soft: 0}]'
	set_args mkdir /tmp/foo
	run sbx run "$CID"
	[ "$status" -eq 159 ]
}

@test "SCMP_ACT_LOG: the syscall is allowed" {
	deny_profile SCMP_ACT_LOG mkdir mkdirat
	set_cmd 'mkdir /tmp/foo && echo made'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = made ]
	[ -d "$ROOTFS/tmp/foo" ]
}

@test "SCMP_ACT_TRACE without a tracer: ENOSYS" {
	deny_profile SCMP_ACT_TRACE mkdir mkdirat
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Function not implemented"* ]]
}

@test "seccomp applies to the user process: /proc/self/status" {
	deny_profile SCMP_ACT_ERRNO mkdir mkdirat
	set_cmd 'grep -E "^Seccomp(_filters)?:" /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx $'Seccomp:\t2' <<<"$output"
	n="$(awk '/^Seccomp_filters:/ { print $2 }' <<<"$output")"
	[ "$n" -ge 1 ]
}

@test "no linux.seccomp: no filter" {
	set_cmd 'grep -E "^Seccomp:" /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = $'Seccomp:\t0' ]
}

# ---------------------------------------------------------------------------
# argument conditions

@test "args: block personality(PER_LINUX32) only" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
	set_cmd 'linux64 echo ok64; linux32 echo ok32; echo "status $?"'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx ok64 <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *ok32* ]]
	[[ "$output" == *"status 1"* ]]
}

@test "args: block personality(0xffffffff) only" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]}'
	set_cmd 'linux64 echo ok64; linux32 echo ok32'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok64 ]
	[ "${lines[1]}" = ok32 ]
}

@test "args: two conditions on one argument match either (OR)" {
	# kill(_, SIGCONT) or kill(_, SIGWINCH)
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100,
			"args": [{"index": 1, "value": 18, "op": "SCMP_CMP_EQ"},
				 {"index": 1, "value": 28, "op": "SCMP_CMP_EQ"}]}]}'
	set_cmd 'kill -0 $$ && echo zero-ok; kill -s CONT $$ || echo cont-blocked; kill -s WINCH $$ || echo winch-blocked; kill -s URG $$ && echo urg-ok'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx zero-ok <<<"$output"
	grep -qx cont-blocked <<<"$output"
	grep -qx winch-blocked <<<"$output"
	grep -qx urg-ok <<<"$output"
	[[ "$output" == *"Network is down"* ]]
}

@test "args: conditions on different arguments must all match (AND)" {
	# kill(pid 1, SIGCONT) only
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100,
			"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
				 {"index": 1, "value": 18, "op": "SCMP_CMP_EQ"}]}]}'
	set_cmd 'sleep 1000 & p=$!; kill -s CONT $p && echo other-ok; kill -s CONT 1 || echo pid1-blocked; kill -0 1 && echo sig0-ok; kill $p'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx other-ok <<<"$output"
	grep -qx pid1-blocked <<<"$output"
	grep -qx sig0-ok <<<"$output"
}

@test "args: SCMP_CMP_MASKED_EQ" {
	# chmod(_, mode) with (mode & 0007) == 0007
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["chmod", "fchmodat", "fchmod"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 1, "value": 7, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	set_cmd 'touch /tmp/f; chmod 700 /tmp/f && echo 700-ok; chmod 777 /tmp/f || echo 777-blocked; chmod 707 /tmp/f || echo 707-blocked; chmod 706 /tmp/f && echo 706-ok'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx 700-ok <<<"$output"
	grep -qx 777-blocked <<<"$output"
	grep -qx 707-blocked <<<"$output"
	grep -qx 706-ok <<<"$output"
}

@test "args: SCMP_CMP_GT / SCMP_CMP_LE" {
	# chmod modes above 0700 blocked with 100, at most 0400 with 101
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100,
			"args": [{"index": 1, "value": 448, "op": "SCMP_CMP_GT"}]},
			{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 101,
			"args": [{"index": 1, "value": 256, "op": "SCMP_CMP_LE"}]}]}'
	set_cmd 'touch /tmp/f; chmod 701 /tmp/f; chmod 400 /tmp/f; chmod 600 /tmp/f && echo 600-ok'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Network is down"* ]]
	[[ "$output" == *"Network is unreachable"* ]]
	grep -qx 600-ok <<<"$output"
}

# ---------------------------------------------------------------------------
# architectures, flags, names

@test "architectures: x86 family" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "architectures: foreign ones are accepted" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_MIPSEL64"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'echo hi; mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	grep -qx hi <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "architectures of another endianness fail" {
	# libseccomp: every architecture of a filter has the native endianness
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_S390X"]}'
	set_args true
	try_create "$CID"
	[ "$status" -ne 0 ]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"linux.seccomp.architectures[1]"* ]]
		nothing_left "$CID" "$LEFT"
	fi
}

@test "unknown syscall names are skipped" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["no_such_syscall_agentsbx", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
			{"names": ["another_unknown_one"], "action": "SCMP_ACT_KILL"}]}'
	set_cmd 'echo hi; mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	grep -qx hi <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "flags: SECCOMP_FILTER_FLAG_LOG" {
	requires_seccomp_flag SECCOMP_FILTER_FLAG_LOG
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'grep -E "^Seccomp:" /proc/self/status; mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	grep -qx $'Seccomp:\t2' <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW" {
	requires_seccomp_flag SECCOMP_FILTER_FLAG_SPEC_ALLOW
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'grep -E "^(Seccomp|Seccomp_filters|Speculation_Store_Bypass):" /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx $'Seccomp:\t2' <<<"$output"
	grep -q $'^Seccomp_filters:\t[1-9]' <<<"$output"
	# seccomp did not force the SSB mitigation on the thread
	[[ "$output" != *"thread force mitigated"* ]]
}

@test "flags: SECCOMP_FILTER_FLAG_TSYNC is accepted" {
	requires_seccomp_flag SECCOMP_FILTER_FLAG_TSYNC
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "flags: an unknown flag fails create and leaves nothing" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

# ---------------------------------------------------------------------------
# bad profiles: create fails early and leaves nothing

@test "an unknown action fails create, naming the field, and leaves nothing" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
			{"names": ["rmdir"], "action": "SCMP_ACT_FOO"}]}'
	set_args sleep 1000
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_ACT_FOO* ]]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"linux.seccomp.syscalls[1].action"* ]]
	fi
	nothing_left "$CID" "$LEFT"
}

@test "an unknown defaultAction fails create" {
	seccomp '{"defaultAction": "SCMP_ACT_NOPE"}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_ACT_NOPE* ]]
	nothing_left "$CID" "$LEFT"
}

@test "an unknown operator fails create, naming the field" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 1, "value": 9, "op": "SCMP_CMP_ABOUT"}]}]}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_CMP_ABOUT* ]]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"linux.seccomp.syscalls[0].args[0].op"* ]]
	fi
	nothing_left "$CID" "$LEFT"
}

@test "an unknown architecture fails create" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_ARCH_VAX* ]]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"linux.seccomp.architectures[1]"* ]]
	fi
	nothing_left "$CID" "$LEFT"
}

@test "SCMP_ACT_NOTIFY without listenerPath fails" {
	deny_profile SCMP_ACT_NOTIFY mkdir mkdirat
	set_args true
	try_create "$CID"
	[ "$status" -ne 0 ]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"linux.seccomp.listenerPath"* ]]
		nothing_left "$CID" "$LEFT"
	fi
}

@test "SCMP_ACT_NOTIFY for write is refused" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agentsbx-no-agent.sock",
		"syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"SCMP_ACT_NOTIFY cannot be used for the write syscall"* ]]
}

@test "listenerPath without a NOTIFY rule is ignored" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agentsbx-no-agent.sock",
		"listenerMetadata": "x", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

# ---------------------------------------------------------------------------
# SCMP_ACT_NOTIFY with an agent

# start_agent [ENV=VALUE...]: the seccomp agent on $AGENT_SOCK, output in $AGENT_OUT
start_agent() {
	[ -x "$SECCOMP_AGENT" ] || skip "seccomp-agent not built ($SECCOMP_AGENT)"
	AGENT_DIR="$(mktemp -d /tmp/sbx-agent.XXXXXX)"
	AGENT_SOCK="$AGENT_DIR/agent.sock"
	AGENT_OUT="$BATS_TEST_TMPDIR/agent"
	mkdir -p "$AGENT_OUT"
	env "$@" "$SECCOMP_AGENT" "$AGENT_SOCK" "$AGENT_OUT" </dev/null >"$AGENT_OUT/stdout" 2>&1 3>&- &
	AGENT_PID=$!
	track_pid "$AGENT_PID"
	wait_for 10 file_exists "$AGENT_OUT/ready"
}

notify_profile() {
	seccomp "$(jq -nc --arg p "$AGENT_SOCK" '{defaultAction: "SCMP_ACT_ALLOW",
		listenerPath: $p, listenerMetadata: "agentsbx-meta",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}')"
}

@test "SCMP_ACT_NOTIFY: the agent answers the syscall with an error" {
	start_agent SECCOMP_AGENT_ERRNO=100
	notify_profile
	set_cmd 'echo before; mkdir /tmp/foo'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	grep -qx before <<<"$output"
	[[ "$output" == *"Network is down"* ]]
	[ ! -e "$ROOTFS/tmp/foo" ]
	grep -E '^mkdir(at)? [0-9]+$' "$AGENT_OUT/log"
}

@test "SCMP_ACT_NOTIFY: the container process state sent to the agent" {
	start_agent SECCOMP_AGENT_CONTINUE=mkdir,mkdirat
	notify_profile
	set_cmd 'mkdir /tmp/foo && echo made'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = made ]
	[ -d "$ROOTFS/tmp/foo" ]
	s="$AGENT_OUT/state.json"
	cat "$s"
	jq -e '.ociVersion | type == "string" and length > 0' "$s"
	jq -e '.fds == ["seccompFd"]' "$s"
	jq -e '.metadata == "agentsbx-meta"' "$s"
	jq -e '.pid | type == "number" and . > 0' "$s"
	jq -e --arg id "$CID" '.state.id == $id' "$s"
	jq -e '.state.pid == .pid' "$s"
	jq -e --arg b "$BUNDLE" '.state.bundle == $b' "$s"
	jq -e '.state.status | IN("creating", "created", "running")' "$s"
	grep -E '^mkdir(at)? [0-9]+$' "$AGENT_OUT/log"
}

@test "SCMP_ACT_NOTIFY: create + start, the agent gets the fd and the init's pid" {
	start_agent SECCOMP_AGENT_ERRNO=100
	notify_profile
	cfg '.process.noNewPrivileges = false'
	set_cmd 'mkdir /tmp/foo; echo "status $?"; sleep 1000'
	create_container "$CID"
	pid="$(container_pid "$CID")"
	# runc installs the filter (and sends the fd) during create; agentsbx
	# installs it as late as possible, once start is called
	sbx start "$CID"
	wait_for 10 file_exists "$AGENT_OUT/state.json"
	jq -e --argjson p "$pid" '.pid == $p' "$AGENT_OUT/state.json"
	wait_for 10 grep -q "status 1" "$BG_OUT"
	grep -q "Network is down" "$BG_ERR"
}

@test "SCMP_ACT_NOTIFY with a startContainer hook: the hook runs, the agent gets the process's listener" {
	start_agent SECCOMP_AGENT_CONTINUE=mkdir,mkdirat
	notify_profile
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "mkdir /dev/shm/by-hook"]}]}'
	set_cmd 'mkdir /tmp/foo && ls -d /dev/shm/by-hook /tmp/foo'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /dev/shm/by-hook ]
	[ "${lines[1]}" = /tmp/foo ]
	jq -e --arg id "$CID" '.state.id == $id and .pid > 0' "$AGENT_OUT/state.json"
	grep -E '^mkdir(at)? [0-9]+$' "$AGENT_OUT/log"
}

@test "SCMP_ACT_NOTIFY: no agent listening fails create and leaves nothing" {
	AGENT_DIR="$(mktemp -d /tmp/sbx-agent.XXXXXX)"
	AGENT_SOCK="$AGENT_DIR/agent.sock"
	notify_profile
	set_args true
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "SCMP_ACT_NOTIFY: when the agent dies, notified syscalls fail with ENOSYS" {
	start_agent SECCOMP_AGENT_CONTINUE=mkdir,mkdirat
	notify_profile
	set_cmd 'mkdir /tmp/a && echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; mkdir /tmp/b'
	create_container "$CID"
	sbx start "$CID"
	wait_for 10 grep -qx first "$BG_OUT"
	kill -9 "$AGENT_PID"
	touch "$ROOTFS/tmp/go"
	wait_for 10 grep -q "Function not implemented" "$BG_ERR"
	[ ! -e "$ROOTFS/tmp/b" ]
}

# ---------------------------------------------------------------------------
# the filter is for the user process, not for the runtime's setup

@test "a profile denying the runtime's own syscalls still lets the container start" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mount", "umount2", "pivot_root", "chroot", "sethostname",
			"setdomainname", "setns", "unshare", "capset", "setgroups", "setuid", "setgid",
			"setresuid", "setresgid", "keyctl", "mknod", "mknodat", "symlink", "symlinkat",
			"fsopen", "fsmount", "fsconfig", "move_mount", "open_tree", "mount_setattr",
			"prctl"],
			"action": "SCMP_ACT_ERRNO", "errnoRet": 100}]}'
	cfg '.hostname = "seccomp-box" | .process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}'
	set_cmd 'hostname; id -u; id -G; mount -t tmpfs t /mnt 2>&1; hostname other 2>&1; echo end'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = seccomp-box ]
	[ "${lines[1]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | sort -n | xargs)" = "1000 1001" ]
	# and the user process is filtered
	[[ "$output" == *"Network is down"* ]]
	[ "${lines[-1]}" = end ]
}

@test "a profile denying mount, pivot_root and sethostname: run as root with a hostname" {
	deny_profile SCMP_ACT_ERRNO mount pivot_root sethostname umount2
	cfg '.hostname = "seccomp-box"'
	set_cmd 'hostname; cat /proc/self/uid_map >/dev/null && echo ok'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = seccomp-box ]
	[ "${lines[1]}" = ok ]
}

@test "exec: the profile applies to exec'd processes too" {
	deny_profile SCMP_ACT_ERRNO mkdir mkdirat
	set_args sleep 1000
	start_detached "$CID"
	run sbx exec "$CID" mkdir /tmp/foo
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	run sbx exec "$CID" sh -c 'grep -E "^Seccomp:" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$output" = $'Seccomp:\t2' ]
}

# ---------------------------------------------------------------------------
# profiles that allow nothing of the runtime's own: only execve of the user
# process may run under the filter (issue 15: close_range was called after
# the filter was installed, and every container failed under runtime-tools'
# default profile, runc's -ENOSYS and defaultErrnoRet=ENXIO cases)

# The syscalls the runtime makes while it sets the process up: none of them
# may come after the filter.  (runc 1.1.5 still opens exec.fifo, reads
# /proc/self/fd and closes fds after its filter: those stay allowed here,
# so that runc passes these tests too; "only execve" below goes further.)
RUNTIME_STEPS='["close_range", "capset", "capget", "setgroups", "setresuid", "setresgid",
	"setuid", "setgid", "setfsuid", "setfsgid", "umask", "keyctl", "landlock_create_ruleset",
	"landlock_add_rule", "landlock_restrict_self", "personality", "setrlimit", "chdir",
	"fchdir", "sendmsg"]'

# errno_profile [DEFAULT-ERRNO-RET [ALLOWED...]]: defaultAction SCMP_ACT_ERRNO
# (with defaultErrnoRet unless empty) allowing every syscall of this
# architecture but the runtime's steps (except those ALLOWED again)
errno_profile() {
	local all ret="${1:-}" allow
	shift || true
	all="${ALL_SYSCALLS:-$(all_syscalls_json)}"
	allow="$(printf '%s\n' "$@" | jq -R 'select(. != "")' | jq -sc .)"
	seccomp "$(jq -nc --argjson all "$all" --argjson deny "$RUNTIME_STEPS" --arg ret "$ret" \
		--argjson allow "$allow" \
		'{defaultAction: "SCMP_ACT_ERRNO", syscalls: [{names: ($all - $deny + $allow), action: "SCMP_ACT_ALLOW"}]}
		 + (if $ret == "" then {} else {defaultErrnoRet: ($ret | tonumber)} end)')"
}

# the names of the syscalls numbered below close_range
syscalls_before_close_range_json() {
	command -v cpp >/dev/null || skip "needs cpp for the syscall list"
	echo '#include <sys/syscall.h>' | cpp -dM |
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$/\1 \2/p' |
		awk '{ n[$1] = $2 } END { for (s in n) if (n[s] < n["close_range"]) print s }' |
		sort | jq -R . | jq -sc .
}

@test "default-ERRNO profile without close_range and the runtime's steps: the container runs" {
	errno_profile
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}'
	set_args echo ok
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "default-ERRNO profile with defaultErrnoRet=ENXIO without close_range: the container runs" {
	errno_profile 6
	set_args echo ok
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "default-ERRNO profile answering ENOSYS without close_range: the container runs" {
	errno_profile 38
	set_args echo ok
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "the -ENOSYS stub answers close_range (a profile naming nothing newer): the container runs" {
	ALL_SYSCALLS="$(syscalls_before_close_range_json)" errno_profile
	set_args echo ok
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "only execve runs under the filter: a profile allowing just what echo needs" {
	requires_agentsbx "runc 1.1.5 opens exec.fifo and closes fds after its filter"
	seccomp '{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"action": "SCMP_ACT_ALLOW",
		"names": ["execve", "exit_group", "exit", "brk", "arch_prctl", "set_tid_address",
			"set_robust_list", "rseq", "mprotect", "getrandom", "readlink", "getuid", "write",
			"prlimit64", "prctl", "newfstatat", "getgid", "setgid", "setuid"]}]}'
	# (busybox itself calls getgid, setgid and setuid as a user; the runtime's
	# setgroups, setresgid, setresuid and capset are not allowed)
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}'
	set_args echo ok
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# exec too
	cfg '.process.args = ["sleep", "1000"]'
	seccomp '{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"action": "SCMP_ACT_ALLOW",
		"names": ["execve", "exit_group", "exit", "brk", "arch_prctl", "set_tid_address",
			"set_robust_list", "rseq", "mprotect", "getrandom", "readlink", "getuid", "write",
			"prlimit64", "prctl", "newfstatat", "getgid", "setgid", "setuid", "nanosleep", "clock_nanosleep", "restart_syscall"]}]}'
	start_detached "$CID-2"
	run sbx exec "$CID-2" echo exec-ok
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = exec-ok ]
}

@test "noNewPrivileges false: a default-ERRNO profile need allow only capset of the runtime's steps" {
	requires_agentsbx "runc sets groups, uid and gid under its filter then"
	errno_profile "" capset
	cfg '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}'
	set_cmd 'id -u; id -G; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[1]}" | sort -n | xargs)" = "1000 1001" ]
	# the CAP_SYS_ADMIN held for the filter is gone
	grep -qx $'CapEff:\t0000000000000000' <<<"$output"
	grep -qx $'NoNewPrivs:\t0' <<<"$output"
	grep -qx $'Seccomp:\t2' <<<"$output"
}

@test "noNewPrivileges false, root keeping its capabilities: the filter's CAP_SYS_ADMIN is dropped" {
	requires_agentsbx "runc sets the capabilities under its filter then"
	cfg '.process.noNewPrivileges = false'
	errno_profile "" capset
	set_cmd 'grep -E "^CapEff:" /proc/self/status'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
	[ "$output" = $'CapEff:\t0000000020000420' ]
}

@test "noNewPrivileges false and a profile denying capset: the start fails and says why" {
	requires_agentsbx "error text"
	cfg '.process.noNewPrivileges = false'
	errno_profile
	set_args echo ok
	run -127 sbx run "$CID"
	echo "$output"
	[[ "$output" == *"capset"* ]]
	[[ "$output" == *"noNewPrivileges"* ]]
	[[ "$output" != *ok* ]]
}
