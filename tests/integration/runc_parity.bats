#!/usr/bin/env bats
# Behaviours found by running runc's own suites and the runtime-tools
# validation against agentsbx: each one matches runc (or is stricter where
# runc would silently run a container unconfined).

load helpers

@test "create into a pre-existing frozen cgroup fails and leaves nothing" {
	[ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer"
	cg="/sys/fs/cgroup/freezer/$CID-frozen"
	mkdir "$cg"
	echo FROZEN >"$cg/freezer.state"
	cfg '.linux.cgroupsPath = $p' --arg p "/$CID-frozen"
	run timeout 20 "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID"
	echo THAWED >"$cg/freezer.state"
	rmdir "$cg" 2>/dev/null || true
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ "$output" == *frozen* ]]
	no_state "$CID"
	for h in /sys/fs/cgroup/*/; do [ ! -d "$h$CID-frozen" ] || [ "$h" = /sys/fs/cgroup/freezer/ ]; done
}

@test "a read-only /dev tmpfs still gets its submounts and device nodes" {
	cfg '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	set_cmd 'ls /dev/pts/ptmx /dev/null >/dev/null && echo ok; touch /dev/x 2>&1 || true'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "kill with signal 0 checks the container is alive" {
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	wait_status "$CID" running
	sbx kill "$CID" 0
	[ "$(container_status "$CID")" = running ]
}

@test "kill --all on a stopped container succeeds, plain kill fails" {
	set_args true
	run_bg sbx run -d "$CID"
	wait_status "$CID" stopped
	sbx kill --all "$CID" KILL
	run sbx kill "$CID" KILL
	[ "$status" -ne 0 ]
}

@test "capabilities the runtime does not hold fail at create, not after start" {
	# CAP_SYS_RESOURCE is not in this machine's bounding set; any cap we
	# lack will do, so pick one missing from our own permitted set
	missing=""
	for i in $(seq 0 40); do
		if [ $(( 0x$(awk '/CapPrm/ {print $2}' /proc/self/status) & (1 << i) )) -eq 0 ]; then missing=$i; break; fi
	done
	[ -n "$missing" ] || skip "the test runs with every capability"
	name="$(capsh --decode=$(printf '%x' $((1 << missing))) 2>/dev/null | sed 's/.*=//' | tr a-z A-Z)"
	[ -n "$name" ] || skip "capsh cannot name capability $missing"
	cfg '.process.capabilities.permitted += [$c] | .process.capabilities.effective += [$c] | .process.capabilities.bounding += [$c]' --arg c "$name"
	set_args true
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	msg="$output"
	no_state "$CID"
	requires_agentsbx "message names the capability"
	[[ "$msg" == *"$name"* ]]
}

@test "the pty belongs to the process's user" {
	[ -x "$RECVTTY" ] || skip "no recvtty"
	cfg '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	set_cmd 'stat -c "%u %g" $(tty)'
	SOCK="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" --mode single --no-stdin "$SOCK" </dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1 3>&- &
	track_pid $!
	wait_for 10 socket_exists "$SOCK"
	run_bg sbx run -d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_for 10 grep -q '^1000 ' "$BATS_TEST_TMPDIR/tty.out"
}

@test "an AppArmor profile or SELinux label this host cannot apply fails create" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && skip "AppArmor is enabled here"
	cfg '.process.apparmorProfile = "agent-profile"'
	set_args true
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	[ -e /sys/fs/selinux/enforce ] && skip "SELinux is enabled here"
	cfg 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "list is sorted by id and names the owner" {
	set_args sleep 1000
	run_bg sbx run -d "$CID-b"
	run_bg sbx run -d "$CID-a"
	run sbx list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "$CID-a "* ]]
	[[ "${lines[2]}" == "$CID-b "* ]]
	[[ "${lines[1]}" == *root ]]
}

@test "--debug logs the steps of create to --log" {
	set_args true
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	run_bg "$AGENTSBX" --root "$SBX_ROOT" --debug --log "$BATS_TEST_TMPDIR/log.json" --log-format json create -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q '"level":"debug"' "$BATS_TEST_TMPDIR/log.json"
	requires_agentsbx "the debug messages' text"
	grep -q 'init is pid' "$BATS_TEST_TMPDIR/log.json"
}

@test "a config.json over 16 MiB (a large annotation) is accepted" {
	set_cmd 'echo big-config-ran'
	head -c 18000000 /dev/zero | tr '\0' 'a' >"$BATS_TEST_TMPDIR/big"
	cfg '.annotations["org.example.big"] = $big' --rawfile big "$BATS_TEST_TMPDIR/big"
	[ "$(stat -c %s "$BUNDLE/config.json")" -gt $((16 * 1024 * 1024)) ]
	run sbx run "$CID"
	echo "$output" | cut -c1-300
	[ "$status" -eq 0 ]
	[[ "$output" == *big-config-ran* ]]
}

# ---- config fields are applied or refused, never ignored ----

teardown() {
	local ns
	if [ -f "$BATS_TEST_TMPDIR/.netns" ]; then
		ns="$(cat "$BATS_TEST_TMPDIR/.netns")"
		# delete from inside the namespace that plays the host, so devices go back there
		nsenter --net="/run/netns/$ns" "$AGENTSBX" --root "$SBX_ROOT" delete -f "$CID" >/dev/null 2>&1 || true
		ip netns del "$ns" 2>/dev/null || true
	fi
	sbx_teardown
}

# stat_field PID N: field N of /proc/PID/stat (after the command name)
stat_field() { sed 's/^.*) //' "/proc/$1/stat" | awk -v n="$(($2 - 2))" '{print $n}'; }

@test "process.ioPriority is applied" {
	requires_agentsbx "runc 1.1.5 ignores process.ioPriority"
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 6}'
	set_args sleep 1000
	start_detached "$CID"
	run ionice -p "$(container_pid "$CID")"
	[ "$output" = "best-effort: prio 6" ]
}

@test "process.scheduler is applied (SCHED_BATCH with nice, SCHED_IDLE); a bad flag is refused" {
	requires_agentsbx "runc 1.1.5 ignores process.scheduler"
	cfg '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	[ "$(stat_field "$pid" 41)" = 3 ]
	[ "$(stat_field "$pid" 19)" = 7 ]
	# (a real-time policy needs cpu.rt_runtime_us in the container's v1 cgroup)
	cfg '.process.scheduler = {policy: "SCHED_IDLE", flags: ["SCHED_FLAG_RESET_ON_FORK"]}'
	start_detached "$CID-2"
	pid="$(container_pid "$CID-2")"
	[ "$(stat_field "$pid" 41)" = 5 ]
	cfg '.process.scheduler = {policy: "SCHED_OTHER", flags: ["SCHED_FLAG_BOGUS"]}'
	run_bg sbx create -b "$BUNDLE" "$CID-3"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.scheduler.flags[0]"* ]]
	no_state "$CID-3"
}

@test "linux.memoryPolicy is applied; a bad mode or node is refused naming the field" {
	requires_agentsbx "runc 1.1.5 ignores linux.memoryPolicy"
	cfg '.linux.memoryPolicy = {mode: "MPOL_INTERLEAVE", nodes: "0"}'
	set_args sleep 1000
	start_detached "$CID"
	grep -q ' interleave:0 ' "/proc/$(container_pid "$CID")/numa_maps"
	cfg '.linux.memoryPolicy = {mode: "MPOL_BOGUS", nodes: "0"}'
	run_bg sbx create -b "$BUNDLE" "$CID-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy.mode"* ]]
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "7"}'
	run_bg sbx create -b "$BUNDLE" "$CID-3"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy"* ]]
	no_state "$CID-3"
}

@test "linux.netDevices without a network namespace or of a missing device, linux.intelRdt and timeOffsets without a time namespace are refused naming the field" {
	requires_agentsbx "runc 1.1.5 ignores some of them"
	drop_ns network
	cfg '.linux.netDevices = {"sbx-nodev0": {name: "eth7"}}'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices: needs a network namespace"* ]]
	no_state "$CID"
	add_ns network
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices"*"sbx-nodev0"* ]]
	no_state "$CID"
	cfg 'del(.linux.netDevices) | .linux.intelRdt = {closID: "x", l3CacheSchema: "L3:0=f"}'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.intelRdt"* ]]
	cfg 'del(.linux.intelRdt) | .linux.timeOffsets = {monotonic: {secs: 10}}'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.timeOffsets"* ]]
	no_state "$CID"
}

# in_host_netns NETNS CMD...: CMD in the network namespace NETNS, which
# plays the runtime's (the host's) for network device tests
in_host_netns() {
	local ns="$1"
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

@test "linux.netDevices: a device of the runtime's network namespace is moved in, renamed, and back on delete" {
	requires_agentsbx "runc 1.1.5 ignores linux.netDevices"
	ns="sbxt-nd-$$-$BATS_TEST_NUMBER"
	ip netns add "$ns"
	echo "$ns" >"$BATS_TEST_TMPDIR/.netns"
	ip -n "$ns" link add sbxnd0 type veth peer name sbxnd1
	cfg '.linux.netDevices = {"sbxnd0": {name: "eth7"}}'
	set_cmd 'ip -o link show eth7 >/dev/null && echo eth7-inside; sleep 1000'
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	in_host_netns "$ns" "$AGENTSBX" --root "$SBX_ROOT" run -d -b "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/nd.out" 2>&1
	wait_for 10 grep -q eth7-inside "$BATS_TEST_TMPDIR/nd.out"
	! ip -n "$ns" link show sbxnd0 2>/dev/null
	in_host_netns "$ns" "$AGENTSBX" --root "$SBX_ROOT" delete -f "$CID"
	ip -n "$ns" link show sbxnd0
	# a create that fails after the move (its createRuntime hook) gives it back
	cfg '.hooks.createRuntime = [{path: "/bin/false"}]'
	run in_host_netns "$ns" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID-2"
	[ "$status" -ne 0 ]
	ip -n "$ns" link show sbxnd0
	# a missing device moves none
	cfg 'del(.hooks) | .linux.netDevices = {"sbxnd0": {name: "eth7"}, "sbx-nodev0": {}}'
	run in_host_netns "$ns" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID-3"
	[ "$status" -ne 0 ]
	[[ "$output" == *sbx-nodev0* ]]
	ip -n "$ns" link show sbxnd0
}
