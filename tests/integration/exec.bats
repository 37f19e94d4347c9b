#!/usr/bin/env bats
# exec (every flag), pause/resume, ps

load helpers

# a running container whose init sleeps
running_container() {
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" running
}

@test "exec: exit status, stdout and stderr of the process" {
	running_container
	run --separate-stderr sbx exec "$CID" sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "exec: a process killed by a signal gives 128+signal" {
	running_container
	run sbx exec "$CID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "exec: joins every namespace and the cgroup of the container" {
	running_container
	pid="$(container_pid "$CID")"
	run sbx exec "$CID" sh -c 'for n in pid net ipc uts mnt; do readlink /proc/1/ns/$n; readlink /proc/self/ns/$n; done; cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	# pairs: init's namespace == ours
	for i in 0 2 4 6 8; do
		[ "${lines[$i]}" = "${lines[$((i + 1))]}" ]
	done
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "${lines[2]}" = "$(readlink /proc/$pid/ns/net)" ]
	# the pids hierarchy line names the container's cgroup
	grep -q ":pids:.*$CID\$" <<<"$output" || grep -q "^0::.*$CID\$" <<<"$output"
	# and it sees the container's processes only: init is sleep
	run sbx exec "$CID" cat /proc/1/comm
	[ "$output" = sleep ]
}

@test "exec: -e adds and replaces variables, --cwd, -u UID:GID, --additional-gids" {
	running_container
	run sbx exec -e FOO=bar -e PATH=/bin:/usr/bin --cwd /tmp -u 1000:1001 --additional-gids 7 --additional-gids 8 "$CID" \
		sh -c 'echo $FOO; echo $PATH; pwd; id -u; id -g; cat /proc/self/status | grep ^Groups'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /bin:/usr/bin ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = 1000 ]
	[ "${lines[4]}" = 1001 ]
	[[ "${lines[5]}" =~ 7\ 8 ]]
}

@test "exec: --cap adds a capability, --no-new-privs sets NNP" {
	cfg '.process.noNewPrivileges = false'
	running_container
	run sbx exec "$CID" sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
	[ "$status" -eq 0 ]
	base_eff="$(awk '/CapEff/ {print $2}' <<<"$output")"
	grep -q 'NoNewPrivs:.0' <<<"$output"
	run sbx exec --cap CAP_SYS_ADMIN --no-new-privs "$CID" sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
	[ "$status" -eq 0 ]
	eff="$(awk '/CapEff/ {print $2}' <<<"$output")"
	# CAP_SYS_ADMIN is bit 21
	[ $((0x$eff & (1 << 21))) -ne 0 ]
	[ $((0x$base_eff & (1 << 21))) -eq 0 ]
	grep -q 'NoNewPrivs:.1' <<<"$output"
}

@test "exec -p process.json runs that process (args, env, cwd, user)" {
	running_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF2'
	{"args": ["sh", "-c", "echo $X; pwd; id -u"], "env": ["X=from-process-json", "PATH=/bin"],
	 "cwd": "/etc", "user": {"uid": 42, "gid": 42}}
	EOF2
	run sbx exec -p "$BATS_TEST_TMPDIR/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-process-json ]
	[ "${lines[1]}" = /etc ]
	[ "${lines[2]}" = 42 ]
}

@test "exec -p with a bad process.json names the field" {
	running_container
	echo '{"args": "notalist", "cwd": "/"}' >"$BATS_TEST_TMPDIR/process.json"
	run sbx exec -p "$BATS_TEST_TMPDIR/process.json" "$CID"
	[ "$status" -ne 0 ]
	requires_agentsbx "JSON path in the message"
	[[ "$output" == *"process.args"* ]]
}

@test "exec -d with --pid-file: detached, the pid file names the process" {
	running_container
	run_bg sbx exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sh -c 'echo $$ > /tmp/exec-started; sleep 1000'
	[ "$status" -eq 0 ]
	pid="$(cat "$BATS_TEST_TMPDIR/exec.pid")"
	[ -n "$pid" ]
	track_pid "$pid"
	[ "$(cat /proc/$pid/comm)" = sleep ] || wait_for 5 comm_is "$pid" sleep
	# it is in the container's pid namespace
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(container_pid "$CID")/ns/pid)" ]
}

@test "exec -t --console-socket: the process gets a pty" {
	[ -x "$RECVTTY" ] || skip "no recvtty"
	running_container
	SOCK="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" --mode single --no-stdin "$SOCK" </dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1 3>&- &
	track_pid $!
	wait_for 10 socket_exists "$SOCK"
	run_bg sbx exec -t -d --console-socket "$SOCK" "$CID" sh -c 'tty; echo exec-tty-done; sleep 2'
	[ "$status" -eq 0 ]
	wait_for 10 grep -q exec-tty-done "$BATS_TEST_TMPDIR/tty.out"
	grep -q '^/dev/pts/' "$BATS_TEST_TMPDIR/tty.out"
}

@test "exec -t in the foreground without a console socket (under script)" {
	command -v script >/dev/null || skip "no script(1)"
	running_container
	run script -qec "$AGENTSBX --root $SBX_ROOT exec -t $CID sh -c 'tty; exit 5'" /dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
}

@test "exec --preserve-fds passes fds 3..3+N-1 only" {
	running_container
	run sbx exec --preserve-fds 1 "$CID" sh -c 'ls /proc/self/fd' 3</dev/null 4</dev/null
	[ "$status" -eq 0 ]
	grep -qx 3 <<<"$output"
	! grep -qx 4 <<<"$output"
	# the ls itself opens one fd for the directory: only 0-3 and that one
	[ "$(wc -l <<<"$output")" -le 5 ]
}

@test "exec leaks no runtime fd and its cwd is inside the container" {
	running_container
	run sbx exec "$CID" sh -c 'for f in /proc/self/fd/*; do readlink $f; done; readlink /proc/self/cwd; readlink /proc/self/root'
	[ "$status" -eq 0 ]
	! grep -q 'memfd\|socket\|exec.fifo\|/ns/' <<<"$output"
	grep -qx / <<<"$output"
}

@test "exec of a missing binary fails naming it" {
	running_container
	run sbx exec "$CID" no-such-binary
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-binary* ]]
}

@test "exec into a stopped container fails" {
	set_args true
	run_bg sbx run -d "$CID"
	wait_status "$CID" stopped
	run sbx exec "$CID" true
	[ "$status" -ne 0 ]
}

@test "exec into a created (not started) container works" {
	set_args sleep 1000
	create_container "$CID"
	run sbx exec "$CID" cat /proc/1/comm
	[ "$status" -eq 0 ]
}

@test "exec of a nonexistent container fails" {
	run sbx exec nonexistent-$CID true
	[ "$status" -ne 0 ]
}

@test "pause freezes, resume thaws; state shows paused" {
	running_container
	pid="$(container_pid "$CID")"
	sbx pause "$CID"
	[ "$(container_status "$CID")" = paused ]
	grep -q '^State:.*[DS]' /proc/$pid/status
	run sbx pause "$CID"
	[ "$status" -ne 0 ]
	sbx resume "$CID"
	[ "$(container_status "$CID")" = running ]
	run sbx resume "$CID"
	[ "$status" -ne 0 ]
}

@test "a paused container really stops running" {
	set_cmd 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.05; done'
	run_bg sbx run -d "$CID"
	wait_for 10 file_exists "$ROOTFS/tmp/counter"
	sbx pause "$CID"
	a="$(cat "$ROOTFS/tmp/counter")"
	sleep 0.5
	b="$(cat "$ROOTFS/tmp/counter")"
	[ "$a" = "$b" ]
	sbx resume "$CID"
	wait_for 10 bash -c "[ \"\$(cat $ROOTFS/tmp/counter)\" != $b ]"
}

@test "exec into a paused container fails unless --ignore-paused" {
	running_container
	sbx pause "$CID"
	run sbx exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *paused* ]]
	# with --ignore-paused the process is created, frozen with the rest
	run_bg sbx exec -d --ignore-paused --pid-file "$BATS_TEST_TMPDIR/p.pid" "$CID" sleep 1000
	[ "$status" -eq 0 ]
	track_pid "$(cat "$BATS_TEST_TMPDIR/p.pid")"
	sbx resume "$CID"
}

@test "delete --force of a paused container" {
	running_container
	sbx pause "$CID"
	run sbx delete --force "$CID"
	[ "$status" -eq 0 ]
	no_state "$CID"
}

@test "kill --all reaches exec'd processes too" {
	running_container
	run_bg sbx exec -d --pid-file "$BATS_TEST_TMPDIR/e.pid" "$CID" sleep 1000
	epid="$(cat "$BATS_TEST_TMPDIR/e.pid")"
	sbx kill --all "$CID" KILL
	wait_for 10 pid_gone "$epid"
	wait_status "$CID" stopped
}

@test "ps: table has ps's header and the container's processes; json lists pids" {
	running_container
	pid="$(container_pid "$CID")"
	run sbx ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	grep -q "sleep 1000" <<<"$output"
	[ "${#lines[@]}" -eq 2 ]
	run sbx ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0]' <<<"$output")" = "$pid" ]
	run sbx ps "$CID" -o pid,comm
	[ "$status" -eq 0 ]
	grep -q "$pid sleep" <<<"$output"
}

@test "exec with a corrupt config.json in the state directory names that file" {
	requires_agentsbx "runc keeps no config.json in its state directory"
	set_args sleep 1000
	start_detached "$CID"
	echo '{"process": ' >"$SBX_ROOT/$CID/config.json"
	run sbx exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"$SBX_ROOT/$CID/config.json"* ]]
}

@test "exec --cgroup: a sub-cgroup of the container's, per controller or for all; .. and unknown controllers refused" {
	[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpu ] || skip "needs the v1 memory and cpu controllers"
	set_args sleep 1000
	start_detached "$CID"
	cg="$(awk -F: '$2 == "memory" {print $3}' "/proc/$(container_pid "$CID")/cgroup")"
	cgc="$(awk -F: '$2 ~ /^cpu(,|$)/ {print $3}' "/proc/$(container_pid "$CID")/cgroup")"
	mkdir "/sys/fs/cgroup/memory$cg/submem" "/sys/fs/cgroup/cpu$cgc/subcpu"
	run sbx exec --cgroup .. "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *".. is not a sub cgroup path"* ]]
	run sbx exec --cgroup nonexistent "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"nonexistent/cgroup.procs"* ]]
	run sbx exec --cgroup whaaat:/ "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown controller"* ]]
	run sbx exec --cgroup / "$CID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -q ":memory:$cg\$" <<<"$output"
	run sbx exec --cgroup memory:submem --cgroup cpu:subcpu "$CID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q ":memory:$cg/submem\$" <<<"$output"
	grep -q ":cpu[,a-z]*:$cgc/subcpu\$" <<<"$output"
	grep -q ":memory:$cg/submem\$" <<<"$output"
	# delete removes the sub-cgroups with the container's
	sbx delete -f "$CID"
	[ ! -d "/sys/fs/cgroup/memory$cg" ]
	[ ! -d "/sys/fs/cgroup/cpu$cgc" ]
}

@test "exec failing on the runtime side exits 255 (runc), the process's own status otherwise" {
	set_args sleep 1000
	start_detached "$CID"
	run sbx exec --pid-file /non-existent/pid "$CID" true
	[ "$status" -eq 255 ]
	run sbx exec "$CID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	sbx pause "$CID"
	run sbx exec "$CID" true
	[ "$status" -eq 255 ]
	sbx resume "$CID"
}
