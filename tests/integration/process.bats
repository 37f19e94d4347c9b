#!/usr/bin/env bats
# process: args, env, cwd, user, capabilities, rlimits, noNewPrivileges,
# oomScoreAdj, sysctl, personality

load helpers

@test "args are passed verbatim" {
	set_args sh -c 'printf "[%s]\n" "$@"' argv0 "a b" "c'd" "" '$HOME' 'x"y'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[a b]" ]
	[ "${lines[1]}" = "[c'd]" ]
	[ "${lines[2]}" = "[]" ]
	[ "${lines[3]}" = '[$HOME]' ]
	[ "${lines[4]}" = '[x"y]' ]
}

@test "args[0] is looked up in the container's PATH" {
	mkdir -p "$ROOTFS/opt/tools"
	printf '#!/bin/sh\necho from-opt-tools\n' >"$ROOTFS/opt/tools/mytool"
	chmod 755 "$ROOTFS/opt/tools/mytool"
	cfg '.process.env = ["PATH=/opt/tools:/bin"]'
	set_args mytool
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = from-opt-tools ]
}

@test "env is exactly process.env (plus HOME)" {
	cfg '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "MULTI=a=b=c"]'
	set_args env
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x 'FOO=bar baz' <<<"$output"
	grep -x 'EMPTY=' <<<"$output"
	grep -x 'MULTI=a=b=c' <<<"$output"
	grep -x 'PATH=/bin' <<<"$output"
	# nothing from the runtime's environment leaks in
	! grep -E '^(BATS_|AGENTSBX|SBX_ROOT|_LIBCONTAINER)' <<<"$output"
	# HOME is set from /etc/passwd when not given
	grep -x 'HOME=/root' <<<"$output"
}

@test "cwd" {
	cfg '.process.cwd = "/home/user"'
	set_args pwd
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = /home/user ]
}

@test "a missing cwd is created" {
	cfg '.process.cwd = "/new/work/dir"'
	set_args pwd
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = /new/work/dir ]
}

@test "a relative cwd is refused" {
	cfg '.process.cwd = "relative/dir"'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "user: uid, gid, additionalGids, umask" {
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001, 1002], umask: 63}'
	set_cmd 'id -u; id -g; id -G; umask; touch /tmp/f; stat -c %a /tmp/f'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | sort -n | xargs)" = "1000 1001 1002" ]
	[ "${lines[3]}" = 0077 ]
	[ "${lines[4]}" = 600 ]
}

@test "user: the process runs as the uid on the host too (no userns)" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	grep -E '^Uid:\s+1000\s+1000\s+1000\s+1000$' "/proc/$pid/status"
	grep -E '^Gid:\s+1000\s+1000\s+1000\s+1000$' "/proc/$pid/status"
	grep -E '^Groups:\s*$' "/proc/$pid/status"
}

@test "user without additionalGids has no supplementary groups" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	set_cmd 'grep Groups /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^Groups:[[:space:]]*$ ]]
}

@test "default capabilities of root" {
	set_cmd 'grep ^Cap /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	# AUDIT_WRITE KILL NET_BIND_SERVICE
	grep -x $'CapBnd:\t0000000020000420' <<<"$output"
	grep -x $'CapEff:\t0000000020000420' <<<"$output"
	grep -x $'CapPrm:\t0000000020000420' <<<"$output"
	grep -x $'CapInh:\t0000000000000000' <<<"$output"
	grep -x $'CapAmb:\t0000000000000000' <<<"$output"
}

@test "the five capability sets for a non-root user" {
	# CHOWN=0 KILL=5 NET_RAW=13
	cfg '.process.user = {uid: 1000, gid: 1000}'
	cfg '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		permitted: ["CAP_CHOWN", "CAP_KILL"],
		effective: ["CAP_CHOWN", "CAP_KILL"],
		inheritable: ["CAP_CHOWN", "CAP_KILL"],
		ambient: ["CAP_KILL"] }'
	set_cmd 'grep ^Cap /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x $'CapBnd:\t0000000000002021' <<<"$output"
	grep -x $'CapInh:\t0000000000000021' <<<"$output"
	# after execve a non-root process keeps only its ambient set
	grep -x $'CapAmb:\t0000000000000020' <<<"$output"
	grep -x $'CapPrm:\t0000000000000020' <<<"$output"
	grep -x $'CapEff:\t0000000000000020' <<<"$output"
}

@test "capabilities of root: bounding limits effective" {
	cfg '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], effective: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"]}'
	set_cmd 'grep ^Cap /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x $'CapBnd:\t0000000000002021' <<<"$output"
	grep -x $'CapEff:\t0000000000002021' <<<"$output"
	grep -x $'CapPrm:\t0000000000002021' <<<"$output"
	grep -x $'CapAmb:\t0000000000000000' <<<"$output"
}

@test "no capabilities at all" {
	cfg '.process.capabilities = {bounding: [], permitted: [], effective: [], inheritable: [], ambient: []}'
	set_cmd 'grep ^Cap /proc/self/status; chown 1000 /etc/passwd 2>/dev/null && echo chown-worked || echo chown-denied'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x $'CapBnd:\t0000000000000000' <<<"$output"
	grep -x $'CapEff:\t0000000000000000' <<<"$output"
	grep -x chown-denied <<<"$output"
}

@test "rlimits" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456}, {type: "RLIMIT_CORE", soft: 0, hard: 0}, {type: "RLIMIT_NPROC", soft: 777, hard: 888}]'
	set_cmd 'ulimit -n; ulimit -H -n; ulimit -c; grep "Max processes" /proc/self/limits'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 456 ]
	[ "${lines[2]}" = 0 ]
	[[ "${lines[3]}" =~ Max\ processes\ +777\ +888 ]]
}

@test "rlimit soft above hard fails" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2048, hard: 1024}]'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "noNewPrivileges true and false" {
	set_cmd 'grep NoNewPrivs /proc/self/status'
	cfg '.process.noNewPrivileges = true'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
	cfg '.process.noNewPrivileges = false'
	run sbx run "$CID-2"
	[ "$status" -eq 0 ]
	[[ "$output" =~ NoNewPrivs:[[:space:]]+0 ]]
}

@test "oomScoreAdj" {
	cfg '.process.oomScoreAdj = 500'
	set_cmd 'cat /proc/self/oom_score_adj'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = 500 ]
}

@test "oomScoreAdj unset inherits the runtime's" {
	set_cmd 'cat /proc/self/oom_score_adj'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat /proc/self/oom_score_adj)" ]
}

@test "sysctl in a new network namespace" {
	host="$(cat /proc/sys/net/ipv4/ip_forward)"
	want=$((1 - host))
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": $v}' --arg v "$want"
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "sysctl in a new ipc namespace" {
	cfg '.linux.sysctl = {"kernel.msgmax": "4096", "kernel.shmmni": "1234"}'
	set_cmd 'cat /proc/sys/kernel/msgmax /proc/sys/kernel/shmmni'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4096 ]
	[ "${lines[1]}" = 1234 ]
	[ "$(cat /proc/sys/kernel/msgmax)" != 4096 ] || [ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "net sysctl without a network namespace is refused" {
	drop_ns network
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "ipc sysctl without an ipc namespace is refused" {
	drop_ns ipc
	cfg '.linux.sysctl = {"kernel.msgmax": "4096"}'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "personality LINUX32" {
	requires_agentsbx "runc 1.1 ignores linux.personality"
	cfg '.linux.personality = {domain: "LINUX32"}'
	set_cmd 'uname -m'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == i686 || "$output" == i386 || "$output" == armv* ]]
}

@test "personality LINUX" {
	requires_agentsbx "runc 1.1 ignores linux.personality"
	cfg '.linux.personality = {domain: "LINUX"}'
	set_cmd 'uname -m'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(uname -m)" ]
}

@test "an unknown personality domain is refused" {
	requires_agentsbx "runc 1.1 ignores linux.personality"
	cfg '.linux.personality = {domain: "NOSUCH"}'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}
