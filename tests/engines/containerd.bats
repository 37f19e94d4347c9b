#!/usr/bin/env bats
# containerd (1.6, shim io.containerd.runc.v2) end to end through ctr.
#
# containerd runs privately: its own config/root/state/socket under a temp
# dir.  The config carries the `agentsbx` runtime class of
# contrib/containerd/config.toml (CRI only; checked with `config dump`);
# ctr does not use CRI runtime classes, so every ctr run/create names the
# binary the io.containerd.runc.v2 shim runs: --runc-binary <wrapper>.
#
# ctr has no --pids-limit/--user/--security-opt: those tests hand ctr a
# full OCI spec (--config) made from `ctr oci spec`.  The bridge test uses
# a veth pair between two network namespaces this suite creates, joined
# with --with-ns.  ENGINE_RUNTIME=runc|agentsbx.

load helpers

C() { ctr --address "$ENG_TMP/containerd.sock" --namespace agbx-test "$@"; }

IMG=docker.io/library/agbx-busybox:latest
NS_A=agbx-ctr-a
NS_B=agbx-ctr-b

setup_file() {
	eng_setup_common containerd || return 1
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
		! command -v containerd-shim-runc-v2 >/dev/null; then
		eng_fail "containerd/ctr/containerd-shim-runc-v2 not installed: run .ci/engines.sh (apt-get install containerd)"
		return 1
	fi
	local f
	for f in "$NS_A" "$NS_B"; do
		if [ -e "/run/netns/$f" ]; then
			eng_fail "network namespace $f already exists (another run in progress?)"
			return 1
		fi
	done
	cat >"$ENG_TMP/config.toml" <<EOF
version = 2
root = "$ENG_TMP/root"
state = "$ENG_TMP/state"

[grpc]
  address = "$ENG_TMP/containerd.sock"

[ttrpc]
  address = "$ENG_TMP/containerd.sock.ttrpc"

[debug]
  level = "info"

# CRI is enabled (so the runtime class below is loaded), kept to the temp
# dir; nothing here uses CRI.
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "agbx.invalid/pause:none"
  enable_cdi = false
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$ENG_TMP/cni"

# The runtime classes of contrib/containerd/config.toml, `agentsbx`
# pointed at the binary under test (used by CRI clients; ctr names the
# binary itself).  CRI refuses a runtimes table without its default runc.
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.agentsbx]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.agentsbx.options]
  BinaryName = "$ENG_WRAPPER"
EOF
	ENG_CONTAINERD_PID=$(eng_start_daemon "$ENG_TMP/containerd.log" containerd --config "$ENG_TMP/config.toml")
	export ENG_CONTAINERD_PID
	if ! eng_wait 60 C version; then
		echo "containerd did not start; its log ($ENG_TMP/containerd.log):" >&2
		tail -n 30 "$ENG_TMP/containerd.log" >&2
		eng_fail "containerd cannot start on this machine"
		return 1
	fi
	eng_make_oci_archive "$ENG_TMP/rootfs.tar" "$ENG_TMP/image.oci.tar" "$IMG"
	C image import "$ENG_TMP/image.oci.tar" >"$ENG_TMP/import.log" 2>&1 ||
		{ cat "$ENG_TMP/import.log" >&2; eng_fail "ctr image import of the busybox OCI archive failed"; return 1; }
	mkdir -p "$ENG_TMP/rootfs"
	tar -C "$ENG_TMP/rootfs" -xf "$ENG_TMP/rootfs.tar"
	C oci spec | jq --arg r "$ENG_TMP/rootfs" '.root = {"path": $r, "readonly": false} | .process.env = ["PATH=/bin"]' >"$ENG_TMP/spec-default.json"
}

teardown_file() {
	if [ -n "${ENG_CONTAINERD_PID:-}" ] && kill -0 "$ENG_CONTAINERD_PID" 2>/dev/null; then
		local c
		for c in $(C task ls -q 2>/dev/null); do
			C task kill -s SIGKILL "$c" >/dev/null 2>&1
		done
		sleep 0.5
		for c in $(C container ls -q 2>/dev/null); do
			C task rm -f "$c" >/dev/null 2>&1
			C container rm "$c" >/dev/null 2>&1
		done
		C image rm "$IMG" >/dev/null 2>&1
	fi
	eng_stop_daemon "${ENG_CONTAINERD_PID:-}"
	if [ -n "${ENG_TMP:-}" ]; then
		local p
		for p in $(pgrep -f "$ENG_TMP/" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		eng_umount_under "$ENG_TMP"
	fi
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	eng_rm_cgroups agbx-test
	eng_cleanup_run_containerd
	if [ -n "${ENG_TMP:-}" ] && [ -z "${ENGINES_KEEP_TMP:-}" ]; then
		rm -rf "$ENG_TMP"
	fi
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		eng_dump_diagnostics
		echo "---- containerd log (tail)" >&2
		tail -n 8 "$ENG_TMP/containerd.log" >&2
	fi
	local c
	for c in $(C task ls -q 2>/dev/null); do
		C task kill -s SIGKILL "$c" >/dev/null 2>&1
	done
	for c in $(C container ls -q 2>/dev/null); do
		eng_wait 5 sh -c "! ctr --address '$ENG_TMP/containerd.sock' -n agbx-test task ls -q | grep -qx '$c'"
		C task rm -f "$c" >/dev/null 2>&1
		C container rm "$c" >/dev/null 2>&1
	done
}

# The runtime binary and its state root (the shim's default root,
# /run/containerd/runc/<namespace>, would be shared with any other
# containerd), and ctr's fifos, all under the temp dir.
R=(--runc-binary "$ENG_WRAPPER" --runc-root "$ENG_TMP/runc-root" --fifo-dir "$ENG_TMP/fifo")

# A full spec for `ctr run --config` (ctr takes no image then): ctr's
# default spec on the unpacked rootfs, with a jq filter applied:
# spec [jq options] FILTER
spec() {
	jq "$@" "$ENG_TMP/spec-default.json" >"$ENG_TMP/spec.json"
	echo "$ENG_TMP/spec.json"
}

# Wait for a task to reach a status (RUNNING, STOPPED, PAUSED).
task_status() { C task ls | awk -v id="$1" '$1 == id {print $3}'; }
wait_status() { eng_wait 10 sh -c "[ \"\$(ctr --address '$ENG_TMP/containerd.sock' -n agbx-test task ls | awk '\$1 == \"$1\" {print \$3}')\" = $2 ]"; }

@test "containerd: runtime class in the config, binary in the container's runtime options" {
	run C plugins ls
	[[ "$output" == *"io.containerd.grpc.v1"*"cri"*"ok"* ]]
	run containerd --config "$ENG_TMP/config.toml" config dump
	[ "$status" -eq 0 ]
	[[ "$output" == *'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.agentsbx]'* ]]
	[[ "$output" == *"BinaryName = \"$ENG_WRAPPER\""* ]]
	C run "${R[@]}" $IMG t-info true
	run C container info t-info
	[[ "$output" == *'"Name": "io.containerd.runc.v2"'* ]]
	# (the runc options are shown encoded: the argv log shows the wrapper ran)
	grep -q "'--root' '$ENG_TMP/runc-root/agbx-test'.*'create'.*'t-info'" "$ENG_ARGV_LOG"
	grep -q "'create'" "$ENG_ARGV_LOG"
	grep -q "'start'" "$ENG_ARGV_LOG"
}

@test "containerd: run --rm exit status" {
	run C run --rm "${R[@]}" $IMG t-exit sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run C run --rm "${R[@]}" $IMG t-exit true
	[ "$status" -eq 0 ]
}

@test "containerd: stdout and stderr are kept apart" {
	C run --rm "${R[@]}" $IMG t-out sh -c 'echo out; echo err >&2' >"$ENG_TMP/o" 2>"$ENG_TMP/e"
	[ "$(cat "$ENG_TMP/o")" = out ]
	[ "$(cat "$ENG_TMP/e")" = err ]
}

@test "containerd: stdin is passed" {
	# (ctr does not close the task's stdin at EOF: read two lines only)
	run bash -c "printf 'line1\nline2\n' | timeout 20 ctr --address '$ENG_TMP/containerd.sock' -n agbx-test run --rm ${R[*]} $IMG t-in sh -c 'read a; read b; echo \$b \$a; echo done'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "line2 line1" ]
	[ "${lines[1]}" = done ]
}

@test "containerd: -t gives a terminal" {
	run eng_pty ctr --address "$ENG_TMP/containerd.sock" -n agbx-test run --rm -t "${R[@]}" $IMG t-tty sh -c 'tty; [ -t 0 ] && echo stdin-is-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"stdin-is-tty"* ]]
}

@test "containerd: task exec, exec -t, exec --user/--cwd, exec exit status" {
	C run -d "${R[@]}" $IMG t-exec sleep 300
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run C task exec --fifo-dir "$ENG_TMP/fifo" --exec-id "e$i" t-exec echo "try$i"
		[ "$status" -eq 0 ]
		[ "$output" = "try$i" ]
	done
	run eng_pty ctr --address "$ENG_TMP/containerd.sock" -n agbx-test task exec --fifo-dir "$ENG_TMP/fifo" -t --exec-id et t-exec tty
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run C task exec --fifo-dir "$ENG_TMP/fifo" --exec-id ex t-exec sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run C task exec --fifo-dir "$ENG_TMP/fifo" --exec-id eu --user 1000 --cwd /tmp t-exec sh -c 'id -u; pwd'
	[ "${lines[*]}" = "1000 /tmp" ]
}

@test "containerd: env, cwd, user (spec)" {
	run C run --rm "${R[@]}" --env FOO=bar --cwd /home/agent $IMG t-env sh -c 'echo $FOO; pwd'
	[ "${lines[*]}" = "bar /home/agent" ]
	local s
	s=$(spec '.process.user = {"uid": 1000, "gid": 1000} | .process.args = ["sh", "-c", "id -u; id -g"]')
	run C run --rm "${R[@]}" --config "$s" t-user
	[ "${lines[*]}" = "1000 1000" ]
}

@test "containerd: --read-only rootfs" {
	run C run --rm "${R[@]}" --read-only $IMG t-ro touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "containerd: bind mounts (rw, ro) and tmpfs with a size" {
	mkdir -p "$ENG_TMP/vol"
	echo host >"$ENG_TMP/vol/in"
	# destinations the default policy (agent-safe) lets a container write
	run C run --rm "${R[@]}" --mount "type=bind,src=$ENG_TMP/vol,dst=/workspace/output,options=rbind:rw" $IMG t-vol sh -c 'cat /workspace/output/in; echo ctr >/workspace/output/out'
	[ "$output" = host ]
	[ "$(cat "$ENG_TMP/vol/out")" = ctr ]
	run C run --rm "${R[@]}" --mount "type=bind,src=$ENG_TMP/vol,dst=/workspace/output,options=rbind:ro" $IMG t-vol sh -c 'echo x >/workspace/output/out'
	[ "$status" -ne 0 ]
	if eng_policy_enforced; then
		run C run --rm "${R[@]}" --mount "type=bind,src=$ENG_TMP/vol,dst=/data,options=rbind:rw" $IMG t-vol sh -c 'echo x >/data/out'
		[[ "$output" == *"Read-only file system"* ]]
	fi
	run C run --rm "${R[@]}" --mount "type=tmpfs,src=tmpfs,dst=/tmp/scratch,options=size=1m" $IMG t-tmpfs sh -c 'grep " /tmp/scratch " /proc/mounts; dd if=/dev/zero of=/tmp/scratch/f bs=1k count=2048 2>&1'
	[[ "${lines[0]}" == "tmpfs /tmp/scratch tmpfs "* ]]
	[[ "$output" == *"No space left on device"* ]]
}

@test "containerd: --memory-limit enforced (memory bomb killed)" {
	# (ctr's spec mounts no /sys/fs/cgroup: read the limit on the host)
	C run -d "${R[@]}" --memory-limit 33554432 $IMG t-mem sleep 300
	[ "$(cat /sys/fs/cgroup/memory/agbx-test/t-mem/memory.limit_in_bytes)" = 33554432 ]
	C task kill -s SIGKILL t-mem
	run C run --rm "${R[@]}" --memory-limit 33554432 $IMG t-oom sh -c "$ENG_MEMORY_BOMB"
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
}

@test "containerd: pids limit enforced (fork bomb stopped; spec)" {
	local s
	s=$(spec --arg c "cat /sys/fs/cgroup/pids/agbx-test/t-pids/pids.max; $ENG_FORK_BOMB" '.linux.resources.pids = {"limit": 16} | .process.args = ["sh", "-c", $c] | .linux.cgroupsPath = "/agbx-test/t-pids" | .mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro", "nosuid", "noexec", "nodev"]}]')
	run C run --rm "${R[@]}" --config "$s" t-pids
	[ "$status" -eq 0 ]
	[[ "$output" != *all-forked* ]]
	local n=${output##*procs=}
	[ "$n" -le 16 ]
	[ "$n" -ge 8 ]
}

@test "containerd: --cap-drop / --cap-add" {
	if eng_policy_enforced; then
		# agent-safe drops every capability, whatever the engine grants
		run C run --rm "${R[@]}" --cap-add CAP_SYS_ADMIN $IMG t-cap grep CapEff /proc/self/status
		[[ "$output" == *0000000000000000 ]]
		run C run --rm "${R[@]}" $IMG t-cap sh -c 'touch /tmp/f; chown 1000 /tmp/f'
		[ "$status" -ne 0 ]
		return 0
	fi
	run C run --rm "${R[@]}" --cap-drop CAP_CHOWN $IMG t-cap sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	[ "$status" -ne 0 ]
	run C run --rm "${R[@]}" $IMG t-cap sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	[ "$status" -eq 0 ]
	run C run --rm "${R[@]}" --cap-add CAP_SYS_ADMIN $IMG t-cap grep CapEff /proc/self/status
	local eff=$((16#${output##*:	}))
	[ $(((eff >> 21) & 1)) -eq 1 ]
	run C run --rm "${R[@]}" $IMG t-cap grep CapEff /proc/self/status
	eff=$((16#${output##*:	}))
	[ $(((eff >> 21) & 1)) -eq 0 ]
}

@test "containerd: noNewPrivileges (ctr's default spec sets it; spec without it)" {
	if eng_policy_enforced; then
		# the policy forces no_new_privs even where the spec turns it off
		run C run --rm "${R[@]}" --config "$(spec '.process.noNewPrivileges = false | .process.args = ["grep", "NoNewPrivs", "/proc/self/status"]')" t-nnp
		[[ "$output" == *1 ]]
		return 0
	fi
	local s
	s=$(spec '.process.noNewPrivileges = false | .process.args = ["grep", "NoNewPrivs", "/proc/self/status"]')
	run C run --rm "${R[@]}" --config "$s" t-nnp
	[[ "$output" == *0 ]]
	run C run --rm "${R[@]}" $IMG t-nnp grep NoNewPrivs /proc/self/status
	[[ "$output" == *1 ]]
}

@test "containerd: --seccomp loads the default profile (Seccomp: 2)" {
	if eng_policy_enforced; then
		# the policy's seccomp layer stays when the engine's is off
		run C run --rm "${R[@]}" $IMG t-sec sh -c "grep '^Seccomp:' /proc/self/status; unshare -m true"
		grep -qE "^Seccomp:\s+2$" <<<"$output"
		[ "$status" -ne 0 ]
		return 0
	fi
	run C run --rm "${R[@]}" --seccomp $IMG t-sec grep '^Seccomp:' /proc/self/status
	[[ "$output" == *2 ]]
	run C run --rm "${R[@]}" $IMG t-sec grep '^Seccomp:' /proc/self/status
	[[ "$output" == *0 ]]
}

@test "containerd: default network namespace has only loopback" {
	run C run --rm "${R[@]}" $IMG t-net ls /sys/class/net
	[ "$output" = lo ]
}

@test "containerd: --with-ns network joins our namespaces; veth traffic between them" {
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	ip link add agbxctr0 netns "$NS_A" type veth peer name agbxctr1 netns "$NS_B"
	ip -n "$NS_A" addr add 10.213.78.1/30 dev agbxctr0
	ip -n "$NS_B" addr add 10.213.78.2/30 dev agbxctr1
	ip -n "$NS_A" link set agbxctr0 up
	ip -n "$NS_B" link set agbxctr1 up
	ip -n "$NS_A" link set lo up
	C run -d "${R[@]}" --with-ns "network:/run/netns/$NS_A" $IMG t-srv httpd -f -p 8080 -h /var/www
	eng_wait 10 C task exec --fifo-dir "$ENG_TMP/fifo" --exec-id w t-srv sh -c 'netstat -ltn | grep -q :8080'
	# The client checks it is in our namespace B before sending anything.
	local ino
	ino=$(stat -L -c %i "/run/netns/$NS_B")
	run C run --rm "${R[@]}" --with-ns "network:/run/netns/$NS_B" $IMG t-cli sh -c "
		[ \"\$(stat -L -c %i /proc/self/ns/net)\" = $ino ] || { echo wrong-netns; exit 9; }
		printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 10.213.78.1 8080"
	if eng_policy_enforced; then
		# network none holds in the namespace we made: nothing gets through
		[[ "$output" != *"200 OK"* ]]
		C task kill -s SIGKILL t-srv
		wait_status t-srv STOPPED
		C task rm t-srv
		C container rm t-srv
		ip netns del "$NS_A"
		ip netns del "$NS_B"
		return 0
	fi
	[ "$status" -eq 0 ]
	[[ "$output" == *"200 OK"* ]]
	[[ "$output" == *"hello from agbx-busybox"* ]]
	C task kill -s SIGKILL t-srv
	wait_status t-srv STOPPED
	C task rm t-srv
	C container rm t-srv
	ip netns del "$NS_A"
	ip netns del "$NS_B"
}

@test "containerd: SIGTERM handled, then SIGKILL (stop)" {
	C run --rm "${R[@]}" $IMG t-term sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready; while :; do sleep 0.2; done' >"$ENG_TMP/term.out" 2>&1 &
	local bg=$!
	eng_wait 10 grep -q ready "$ENG_TMP/term.out"
	C task kill -s SIGTERM t-term
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 3 ]
	grep -q got-TERM "$ENG_TMP/term.out"
	# PID 1 without a handler ignores SIGTERM; SIGKILL ends it.
	C run --rm "${R[@]}" $IMG t-kill9 sleep 300 >/dev/null 2>&1 &
	bg=$!
	wait_status t-kill9 RUNNING
	C task kill -s SIGTERM t-kill9
	sleep 1
	[ "$(task_status t-kill9)" = RUNNING ]
	C task kill -s SIGKILL t-kill9
	rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "containerd: kill -s SIGUSR1 reaches the handler" {
	C run --rm "${R[@]}" $IMG t-sig sh -c 'trap "echo got-USR1" USR1; echo ready; while :; do sleep 0.2; done' >"$ENG_TMP/sig.out" 2>&1 &
	local bg=$!
	eng_wait 10 grep -q ready "$ENG_TMP/sig.out"
	C task kill -s SIGUSR1 t-sig
	eng_wait 10 grep -q got-USR1 "$ENG_TMP/sig.out"
	[ "$(task_status t-sig)" = RUNNING ]
	C task kill -s SIGKILL t-sig
	wait "$bg" || true
}

@test "containerd: task pause / resume freezes the cgroup" {
	C run -d "${R[@]}" $IMG t-pause sleep 300
	local fz=/sys/fs/cgroup/freezer/agbx-test/t-pause/freezer.state
	C task pause t-pause
	[ "$(task_status t-pause)" = PAUSED ]
	[ "$(cat $fz)" = FROZEN ]
	C task resume t-pause
	[ "$(task_status t-pause)" = RUNNING ]
	[ "$(cat $fz)" = THAWED ]
	run C task exec --fifo-dir "$ENG_TMP/fifo" --exec-id a t-pause echo alive
	[ "$output" = alive ]
}

@test "containerd: restart (task rm + task start) gives a new init process" {
	C run -d "${R[@]}" $IMG t-restart sleep 300
	local p1 p2
	p1=$(C task ls | awk '$1 == "t-restart" {print $2}')
	C task kill -s SIGKILL t-restart
	wait_status t-restart STOPPED
	C task rm t-restart
	C task start -d t-restart
	p2=$(C task ls | awk '$1 == "t-restart" {print $2}')
	[ -n "$p2" ]
	[ "$p1" != "$p2" ]
	[ "$(task_status t-restart)" = RUNNING ]
}

@test "containerd: --log-uri file keeps the output" {
	C run --rm "${R[@]}" --log-uri "file://$ENG_TMP/ctr.log" $IMG t-logs sh -c 'echo to-out; echo to-err >&2'
	# the shim copies each stream to the file on its own, after the exit
	eng_wait 10 grep -q to-out "$ENG_TMP/ctr.log"
	eng_wait 10 grep -q to-err "$ENG_TMP/ctr.log"
}

@test "containerd: task metrics and task ps" {
	C run -d "${R[@]}" --memory-limit 67108864 $IMG t-stats sleep 300
	run C task metrics t-stats
	[ "$status" -eq 0 ]
	[[ "$output" == *memory.usage_in_bytes* ]]
	[[ "$output" == *"67108864"* ]]
	run C task ps t-stats
	[ "$status" -eq 0 ]
	local pid
	pid=$(C task ls | awk '$1 == "t-stats" {print $2}')
	[[ "$output" == *"$pid"* ]]
}

@test "containerd: --annotation reaches the bundle's config.json and the runtime's state" {
	C run -d "${R[@]}" --annotation agbx.test/key=agbx-value --env AGBX_MARK=found $IMG t-bundle sleep 300
	local cfg=$ENG_TMP/state/io.containerd.runtime.v2.task/agbx-test/t-bundle/config.json
	[ -f "$cfg" ]
	grep -q AGBX_MARK=found "$cfg"
	grep -q '"agbx.test/key": *"agbx-value"' "$cfg"
	grep -q "'create'.*'t-bundle'\$" "$ENG_ARGV_LOG"
	run eng_runtime_for t-bundle state t-bundle
	[ "$status" -eq 0 ]
	[[ "$output" == *'"status": "running"'* || "$output" == *'"status":"running"'* ]]
	[[ "$output" == *agbx-value* ]]
}

# issue 10: a pod's annotation (what the CRI passes through) cannot switch
# the sandbox off; the admin's "selectable" list can allow it
@test "containerd: --annotation agentsbx.policy=none is refused under the default policy unless selectable" {
	if ! eng_policy_enforced; then
		# --policy outranks the annotation: it is ignored, never refused
		run C run --rm "${R[@]}" --annotation agentsbx.policy=full-access $IMG t-ann true
		[ "$status" -eq 0 ]
		return
	fi
	run C run --rm "${R[@]}" --annotation agentsbx.policy=none $IMG t-ann true
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotation agentsbx.policy=none refused"* ]]
	C container rm t-ann >/dev/null 2>&1 || true
	echo '{"extends": "agent-safe", "selectable": ["none"]}' >"$ENG_CONFIG_DIR/policy.json"
	run C run --rm "${R[@]}" --annotation agentsbx.policy=none $IMG t-ann2 sh -c 'grep CapEff /proc/self/status'
	rm -f "$ENG_CONFIG_DIR/policy.json"
	[ "$status" -eq 0 ]
	# none: the engine's capabilities are kept (agent-safe drops them all)
	[[ "$output" == "CapEff:"* && "$output" != *0000000000000000 ]]
}

@test "containerd: 20 containers run -d in parallel, all removed cleanly" {
	local i pids=() fails=0
	for i in $(seq 1 20); do
		C run -d "${R[@]}" $IMG "t-par$i" sleep 300 >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run sh -c "ctr --address '$ENG_TMP/containerd.sock' -n agbx-test task ls | grep -c ' RUNNING'"
	[ "$output" -eq 20 ]
	pids=()
	for i in $(seq 1 20); do
		(C task kill -s SIGKILL "t-par$i" && C task rm -f "t-par$i" >/dev/null && C container rm "t-par$i") &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run C container ls -q
	[ -z "$output" ]
	for i in $(seq 1 20); do
		run eng_runtime_for "t-par$i" state "t-par$i"
		[ "$status" -ne 0 ]
	done
	run sh -c 'find /sys/fs/cgroup/*/agbx-test -mindepth 1 -maxdepth 1 -type d -name "t-par*" 2>/dev/null'
	[ -z "$output" ]
}
