#!/usr/bin/env bats
# Docker (dockerd + docker CLI) end to end, with the runtime under test
# registered through daemon.json "runtimes" and made the default runtime.
#
# dockerd runs privately: its own --data-root/--exec-root under a temp
# dir, its own socket, --iptables=false.  ENGINE_RUNTIME=runc|agentsbx.

load helpers
load cli_common

D() { "$ENG_DOCKER" -H "unix://$ENG_TMP/docker.sock" "$@"; }

setup_file() {
	eng_setup_common docker || return 1
	ENG_DOCKER=/usr/bin/docker
	[ -x "$ENG_DOCKER" ] || ENG_DOCKER=$(command -v docker || true)
	export ENG_DOCKER
	if ! command -v dockerd >/dev/null || [ -z "$ENG_DOCKER" ]; then
		eng_fail "dockerd/docker not installed: run .ci/engines.sh (apt-get install docker.io)"
		return 1
	fi
	# docker0 is created by dockerd; remember whether it was already there.
	if ip link show docker0 >/dev/null 2>&1; then
		export ENG_HAD_DOCKER0=1
	else
		export ENG_HAD_DOCKER0=0
	fi
	local rtargs=""
	if [ -n "$ENG_POLICY_ARGS" ]; then
		rtargs=", \"runtimeArgs\": [\"--policy\", \"${ENG_POLICY_ARGS#--policy }\"]"
	fi
	cat >"$ENG_TMP/daemon.json" <<EOF
{
  "runtimes": { "$ENG_RT_NAME": { "path": "$ENG_WRAPPER"$rtargs } },
  "default-runtime": "$ENG_RT_NAME",
  "iptables": false,
  "ip-masq": false,
  "storage-driver": "overlay2",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "agbx-engine-docker",
  "default-ulimits": { "nofile": { "Name": "nofile", "Hard": 1024, "Soft": 1024 } }
}
EOF
	ENG_DOCKERD_PID=$(eng_start_daemon "$ENG_TMP/dockerd.log" dockerd \
		--config-file "$ENG_TMP/daemon.json" --data-root "$ENG_TMP/data" \
		--exec-root "$ENG_TMP/exec" -H "unix://$ENG_TMP/docker.sock" \
		--pidfile "$ENG_TMP/dockerd.pid")
	export ENG_DOCKERD_PID
	if ! eng_wait 60 D version; then
		echo "dockerd did not start; its log ($ENG_TMP/dockerd.log):" >&2
		tail -n 30 "$ENG_TMP/dockerd.log" >&2
		eng_fail "docker engine cannot start on this machine"
		return 1
	fi
	D import "$ENG_TMP/rootfs.tar" "$ENG_IMAGE_NAME:latest" >/dev/null ||
		{ eng_fail "docker import of the busybox rootfs failed"; return 1; }
}

teardown_file() {
	if [ -n "${ENG_DOCKERD_PID:-}" ] && kill -0 "$ENG_DOCKERD_PID" 2>/dev/null; then
		local ids
		ids=$(D ps -aq 2>/dev/null)
		[ -z "$ids" ] || D rm -f $ids >/dev/null 2>&1
		D volume prune -f >/dev/null 2>&1
		D rmi -f "$ENG_IMAGE_NAME:latest" >/dev/null 2>&1
	fi
	eng_stop_daemon "${ENG_DOCKERD_PID:-}"
	# dockerd's containerd and shims are gone with it; reap strays we own.
	if [ -n "${ENG_TMP:-}" ]; then
		local p
		for p in $(pgrep -f "$ENG_TMP/" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		eng_umount_under "$ENG_TMP"
	fi
	[ "${ENG_HAD_DOCKER0:-1}" = 1 ] || ip link del docker0 2>/dev/null || true
	eng_rm_cgroups agbx-engine-docker
	eng_cleanup_run_containerd
	if [ -n "${ENG_TMP:-}" ] && [ -z "${ENGINES_KEEP_TMP:-}" ]; then
		rm -rf "$ENG_TMP"
	fi
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		eng_dump_diagnostics
		echo "---- dockerd log (tail)" >&2
		tail -n 8 "$ENG_TMP/dockerd.log" >&2
	fi
	local ids
	ids=$(D ps -aq --filter label=agbx-test 2>/dev/null)
	[ -z "$ids" ] || D rm -f $ids >/dev/null 2>&1 || true
}

IMG=agbx-busybox
L=(--label agbx-test=1)

@test "docker: runtime is registered and used (info, inspect, argv log)" {
	run D info --format '{{.DefaultRuntime}} {{json .Runtimes}}'
	[ "$status" -eq 0 ]
	[[ "$output" == "$ENG_RT_NAME "* ]]
	[[ "$output" == *"$ENG_WRAPPER"* ]]
	D create "${L[@]}" --name t-inspect $IMG true
	run D inspect -f '{{.HostConfig.Runtime}}' t-inspect
	[ "$output" = "$ENG_RT_NAME" ]
	D start -a t-inspect
	grep -q "'create'" "$ENG_ARGV_LOG"
	grep -q "'start'" "$ENG_ARGV_LOG"
}

@test "docker: run --rm exit status" {
	eng_common_run_rm_exit_status D
}

@test "docker: stdout and stderr are kept apart" {
	eng_common_stdout_and_stderr_are_kept_apart D
}

@test "docker: -i passes stdin" {
	run bash -c "printf 'line1\nline2\n' | '$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock run --rm -i $IMG sh -c 'wc -l; echo done'"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *2* ]]
	[ "${lines[1]}" = done ]
}

@test "docker: -t gives a terminal" {
	run eng_pty "$ENG_DOCKER" -H "unix://$ENG_TMP/docker.sock" run --rm -t $IMG sh -c 'tty; stty size; [ -t 0 ] && echo stdin-is-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"stdin-is-tty"* ]]
}

@test "docker: exec, exec -t, exec -i, exec exit status" {
	D run -d "${L[@]}" --name t-exec $IMG sleep 300
	# Repeated: a detached exec racing the runtime's exit shows up rarely.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run D exec t-exec echo "try$i"
		[ "$status" -eq 0 ]
		[ "$output" = "try$i" ]
	done
	run D exec t-exec sh -c 'echo hi; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[[ "${lines[1]}" == "sleep 300"* ]]
	run eng_pty "$ENG_DOCKER" -H "unix://$ENG_TMP/docker.sock" exec -t t-exec tty
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run bash -c "echo piped | '$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock exec -i t-exec cat"
	[ "$output" = piped ]
	run D exec t-exec sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run D exec -u 1000 -w /tmp -e XY=z t-exec sh -c 'id -u; pwd; echo $XY'
	[ "${lines[*]}" = "1000 /tmp z" ]
}

@test "docker: env, user, workdir" {
	eng_common_env_user_workdir D
}

@test "docker: --read-only rootfs (with a writable --tmpfs)" {
	eng_common_read_only_rootfs_with_a_writable_tmpfs D
}

@test "docker: bind volumes (rw, ro) and named volumes" {
	eng_common_bind_volumes_rw_ro_and_named_volumes D
}

@test "docker: --tmpfs with a size" {
	eng_common_tmpfs_with_a_size D
}

@test "docker: --memory enforced (memory bomb killed)" {
	run D run --rm --memory 32m --memory-swap 32m $IMG cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$output" = 33554432 ]
	run D run "${L[@]}" --name t-oom --memory 32m --memory-swap 32m $IMG sh -c "$ENG_MEMORY_BOMB"
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
	run D inspect -f '{{.State.OOMKilled}}' t-oom
	[ "$output" = true ]
}

@test "docker: --pids-limit enforced (fork bomb stopped)" {
	eng_common_pids_limit_enforced_fork_bomb_stopped D
}

@test "docker: --cap-drop / --cap-add" {
	eng_common_cap_drop_cap_add D
}

@test "docker: --security-opt no-new-privileges" {
	eng_common_security_opt_no_new_privileges D
}

@test "docker: default seccomp profile loaded (Seccomp: 2), unconfined works" {
	if eng_policy_enforced; then
		eng_policy_seccomp D
		return
	fi
	run D run --rm $IMG grep '^Seccomp:' /proc/self/status
	[[ "$output" == *2 ]]
	# The default profile denies unshare() without CAP_SYS_ADMIN.
	run D run --rm $IMG unshare -U true
	[ "$status" -ne 0 ]
	run D run --rm --security-opt seccomp=unconfined $IMG grep '^Seccomp:' /proc/self/status
	[[ "$output" == *0 ]]
}

@test "docker: --network none has only loopback" {
	eng_common_network_none_has_only_loopback D
}

@test "docker: default bridge network reaches a listener in another container" {
	D run -d "${L[@]}" --name t-srv $IMG httpd -f -p 8080 -h /var/www
	local ip subnet
	ip=$(D inspect -f '{{.NetworkSettings.IPAddress}}' t-srv)
	subnet=$(D network inspect -f '{{(index .IPAM.Config 0).Subnet}}' bridge)
	eng_note "listener at $ip in $subnet"
	# Only to the address the engine gave our own listener.
	[ -n "$ip" ]
	eng_in_subnet "$ip" "$subnet"
	eng_wait 10 D exec t-srv sh -c 'netstat -ltn | grep -q :8080'
	# (busybox-static's wget crashes in getaddrinfo; nc speaks HTTP/1.0)
	run D run --rm $IMG sh -c "ip -4 -o addr show eth0; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $ip 8080"
	if eng_policy_enforced; then
		# network none holds on the engine's network: nothing gets through
		[[ "$output" != *"200 OK"* ]]
		return 0
	fi
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *eth0* ]]
	[[ "$output" == *"200 OK"* ]]
	[[ "$output" == *"hello from agbx-busybox"* ]]
}

@test "docker: stop sends SIGTERM, then SIGKILL after the timeout" {
	D run -d "${L[@]}" --name t-term $IMG sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready; while :; do sleep 0.2; done'
	eng_wait 10 sh -c "'$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock logs t-term | grep -q ready"
	D stop -t 10 t-term
	run D inspect -f '{{.State.ExitCode}}' t-term
	[ "$output" = 3 ]
	run D logs t-term
	[[ "$output" == *got-TERM* ]]
	# PID 1 without a handler ignores SIGTERM: killed after 2 s.
	D run -d "${L[@]}" --name t-kill9 $IMG sleep 300
	local t0=$SECONDS
	D stop -t 2 t-kill9
	[ $((SECONDS - t0)) -ge 2 ]
	run D inspect -f '{{.State.ExitCode}}' t-kill9
	[ "$output" = 137 ]
}

@test "docker: kill (default SIGKILL and -s USR1)" {
	D run -d "${L[@]}" --name t-sig $IMG sh -c 'trap "echo got-USR1" USR1; echo ready; while :; do sleep 0.2; done'
	eng_wait 10 sh -c "'$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock logs t-sig | grep -q ready"
	D kill -s USR1 t-sig
	eng_wait 10 sh -c "'$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock logs t-sig | grep -q got-USR1"
	run D inspect -f '{{.State.Running}}' t-sig
	[ "$output" = true ]
	D kill t-sig
	eng_wait 10 sh -c "[ \"\$('$ENG_DOCKER' -H unix://$ENG_TMP/docker.sock inspect -f '{{.State.Running}}' t-sig)\" = false ]"
	run D inspect -f '{{.State.ExitCode}}' t-sig
	[ "$output" = 137 ]
}

@test "docker: pause / unpause freezes the cgroup" {
	D run -d "${L[@]}" --name t-pause $IMG sleep 300
	local id
	id=$(D inspect -f '{{.Id}}' t-pause)
	D pause t-pause
	run D inspect -f '{{.State.Status}}' t-pause
	[ "$output" = paused ]
	[ "$(cat /sys/fs/cgroup/freezer/agbx-engine-docker/$id/freezer.state)" = FROZEN ]
	D unpause t-pause
	run D inspect -f '{{.State.Status}}' t-pause
	[ "$output" = running ]
	[ "$(cat /sys/fs/cgroup/freezer/agbx-engine-docker/$id/freezer.state)" = THAWED ]
	run D exec t-pause echo alive
	[ "$output" = alive ]
}

@test "docker: restart gives a new init process" {
	eng_common_restart_gives_a_new_init_process D
}

@test "docker: logs keeps stdout and stderr" {
	eng_common_logs_keeps_stdout_and_stderr D
}

@test "docker: stats --no-stream and top" {
	D run -d "${L[@]}" --name t-stats --memory 64m $IMG sleep 300
	run D stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' t-stats
	[ "$status" -eq 0 ]
	[[ "$output" == "t-stats "*"64MiB 1" ]]
	run D top t-stats
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 300"* ]]
}

@test "docker: bundle config.json and the runtime's own state" {
	D run -d "${L[@]}" --name t-bundle -e AGBX_MARK=found $IMG sleep 300
	local id cfg
	id=$(D inspect -f '{{.Id}}' t-bundle)
	cfg=$(find "$ENG_TMP/exec/containerd" -path "*/moby/$id/config.json" | head -n1)
	[ -n "$cfg" ]
	grep -q AGBX_MARK=found "$cfg"
	# Ask the runtime itself, with the --root the engine gave it.
	grep -q "'create'.*'$id'\$" "$ENG_ARGV_LOG"
	run eng_runtime_for "$id" state "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"status": "running"'* || "$output" == *'"status":"running"'* ]]
	[[ "$output" == *"moby/$id"* ]]
}

@test "docker: 20 containers run -d in parallel, all removed cleanly" {
	local i pids=()
	for i in $(seq 1 20); do
		D run -d "${L[@]}" --name "t-par$i" $IMG sleep 300 >/dev/null &
		pids+=($!)
	done
	local fails=0
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run D ps -q --filter label=agbx-test --filter status=running
	[ "${#lines[@]}" -eq 20 ]
	local ids
	ids=$(D ps -q --no-trunc --filter label=agbx-test)
	pids=()
	for i in $(seq 1 20); do
		D rm -f "t-par$i" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run D ps -aq --filter label=agbx-test
	[ -z "$output" ]
	# The runtime no longer knows any of them.
	local id
	for id in $ids; do
		run eng_runtime_for "$id" state "$id"
		[ "$status" -ne 0 ]
	done
	# No container cgroup left behind.
	run sh -c 'find /sys/fs/cgroup/*/agbx-engine-docker -mindepth 1 -type d 2>/dev/null'
	[ -z "$output" ]
}
