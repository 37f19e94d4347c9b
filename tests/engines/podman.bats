#!/usr/bin/env bats
# Podman end to end, with the runtime under test registered through a
# private containers.conf ([engine.runtimes] + runtime = ...) and private
# storage (CONTAINERS_CONF / CONTAINERS_STORAGE_CONF under a temp dir).
#
# Networking uses the suite's own CNI network (bridge agbxpod0, host-local
# IPAM kept under the temp dir, no masquerade/firewall/portmap plugins).
# ENGINE_RUNTIME=runc|agentsbx.

load helpers
load cli_common

P() { podman "$@"; }

ENG_POD_BRIDGE=agbxpod0
ENG_POD_NET=agbx-podman

setup_file() {
	eng_setup_common podman || return 1
	if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
		eng_fail "podman/conmon not installed: run .ci/engines.sh (apt-get install podman)"
		return 1
	fi
	if [ -d /sys/fs/cgroup/memory/libpod_parent ]; then
		export ENG_HAD_LIBPOD_PARENT=1
	else
		export ENG_HAD_LIBPOD_PARENT=0
	fi
	if ip link show "$ENG_POD_BRIDGE" >/dev/null 2>&1; then
		eng_fail "bridge $ENG_POD_BRIDGE already exists (another run in progress?)"
		return 1
	fi
	mkdir -p "$ENG_TMP/cni" "$ENG_TMP/tmp"
	cat >"$ENG_TMP/cni/agbx-podman.conflist" <<EOF2
{
  "cniVersion": "0.4.0",
  "name": "$ENG_POD_NET",
  "plugins": [
    { "type": "bridge", "bridge": "$ENG_POD_BRIDGE", "isGateway": true, "ipMasq": false,
      "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$ENG_TMP/cni-ipam",
                "routes": [{ "dst": "0.0.0.0/0" }],
                "ranges": [[{ "subnet": "10.213.77.0/24", "gateway": "10.213.77.1" }]] } }
  ]
}
EOF2
	cat >"$ENG_TMP/containers.conf" <<EOF2
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"
cgroupns = "host"

[engine]
runtime = "$ENG_RT_NAME"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENG_TMP/events.log"
tmp_dir = "$ENG_TMP/tmp"
volume_path = "$ENG_TMP/volumes"
static_dir = "$ENG_TMP/root/libpod"
num_locks = 256

[engine.runtimes]
$ENG_RT_NAME = ["$ENG_WRAPPER"]

[network]
network_backend = "cni"
network_config_dir = "$ENG_TMP/cni"
cni_plugin_dirs = ["/usr/lib/cni"]
default_network = "$ENG_POD_NET"
EOF2
	cat >"$ENG_TMP/storage.conf" <<EOF2
[storage]
driver = "overlay"
graphroot = "$ENG_TMP/root"
runroot = "$ENG_TMP/runroot"
EOF2
	export CONTAINERS_CONF=$ENG_TMP/containers.conf
	export CONTAINERS_STORAGE_CONF=$ENG_TMP/storage.conf
	if ! P info >"$ENG_TMP/podman-info.log" 2>&1; then
		echo "podman info failed:" >&2
		tail -n 30 "$ENG_TMP/podman-info.log" >&2
		eng_fail "podman cannot start on this machine"
		return 1
	fi
	P import "$ENG_TMP/rootfs.tar" "localhost/$ENG_IMAGE_NAME:latest" >/dev/null ||
		{ eng_fail "podman import of the busybox rootfs failed"; return 1; }
}

teardown_file() {
	if [ -n "${ENG_TMP:-}" ] && [ -f "${CONTAINERS_CONF:-}" ]; then
		P rm -af -t 0 >/dev/null 2>&1
		P volume prune -f >/dev/null 2>&1
		P rmi -af >/dev/null 2>&1
		local p
		for p in $(pgrep -f "$ENG_TMP/" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		eng_umount_under "$ENG_TMP"
	fi
	ip link del "$ENG_POD_BRIDGE" 2>/dev/null || true
	[ "${ENG_HAD_LIBPOD_PARENT:-1}" = 1 ] || eng_rm_cgroups libpod_parent
	if [ -n "${ENG_TMP:-}" ] && [ -z "${ENGINES_KEEP_TMP:-}" ]; then
		rm -rf "$ENG_TMP"
	fi
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		eng_dump_diagnostics
	fi
	local ids
	ids=$(P ps -aq --filter label=agbx-test 2>/dev/null)
	[ -z "$ids" ] || P rm -f -t 0 $ids >/dev/null 2>&1 || true
}

# A podman command line under a pseudo-terminal.
P_pty() { eng_pty env CONTAINERS_CONF="$CONTAINERS_CONF" CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" podman "$@"; }

IMG=agbx-busybox
L=(--label agbx-test=1)

@test "podman: runtime is registered and used (info, inspect, argv log)" {
	run P info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$ENG_RT_NAME $ENG_WRAPPER" ]
	P create "${L[@]}" --name t-inspect $IMG true
	run P inspect -f '{{.OCIRuntime}}' t-inspect
	[ "$output" = "$ENG_RT_NAME" ]
	P start -a t-inspect
	grep -q "'create'" "$ENG_ARGV_LOG"
	grep -q "'start'" "$ENG_ARGV_LOG"
}

@test "podman: run --rm exit status" {
	eng_common_run_rm_exit_status P
}

@test "podman: stdout and stderr are kept apart" {
	eng_common_stdout_and_stderr_are_kept_apart P
}

@test "podman: -i passes stdin" {
	run bash -c "printf 'line1\nline2\n' | podman run --rm -i $IMG sh -c 'wc -l; echo done'"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *2* ]]
	[ "${lines[1]}" = done ]
}

@test "podman: -t gives a terminal" {
	run P_pty run --rm -t $IMG sh -c 'tty; stty size; [ -t 0 ] && echo stdin-is-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"stdin-is-tty"* ]]
}

@test "podman: exec, exec -t, exec -i, exec exit status" {
	P run -d "${L[@]}" --name t-exec $IMG sleep 300
	# Repeated: a detached exec racing the runtime's exit shows up rarely.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run P exec t-exec echo "try$i"
		[ "$status" -eq 0 ]
		[ "$output" = "try$i" ]
	done
	run P exec t-exec sh -c 'echo hi; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[[ "${lines[1]}" == "sleep 300"* ]]
	run P_pty exec -t t-exec tty
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run bash -c "echo piped | podman exec -i t-exec cat"
	[ "$output" = piped ]
	run P exec t-exec sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run P exec -u 1000 -w /tmp -e XY=z t-exec sh -c 'id -u; pwd; echo $XY'
	[ "${lines[*]}" = "1000 /tmp z" ]
}

@test "podman: env, user, workdir" {
	eng_common_env_user_workdir P
}

@test "podman: --read-only rootfs (with a writable --tmpfs)" {
	eng_common_read_only_rootfs_with_a_writable_tmpfs P
}

@test "podman: bind volumes (rw, ro) and named volumes" {
	eng_common_bind_volumes_rw_ro_and_named_volumes P
}

@test "podman: --tmpfs with a size" {
	eng_common_tmpfs_with_a_size P
}

@test "podman: --memory enforced (memory bomb killed)" {
	run P run --rm --memory 32m --memory-swap 32m $IMG cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$output" = 33554432 ]
	run P run "${L[@]}" --name t-oom --memory 32m --memory-swap 32m $IMG sh -c "$ENG_MEMORY_BOMB"
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
	# (podman 4.3 does not report OOMKilled on cgroup v1, even with runc)
}

@test "podman: --pids-limit enforced (fork bomb stopped)" {
	eng_common_pids_limit_enforced_fork_bomb_stopped P
}

@test "podman: --cap-drop / --cap-add" {
	eng_common_cap_drop_cap_add P
}

@test "podman: --security-opt no-new-privileges" {
	eng_common_security_opt_no_new_privileges P
}

@test "podman: default seccomp profile loaded (Seccomp: 2), unconfined works" {
	if eng_policy_enforced; then
		eng_policy_seccomp P
		return
	fi
	run P run --rm $IMG grep '^Seccomp:' /proc/self/status
	[[ "$output" == *2 ]]
	run P run --rm --security-opt seccomp=unconfined $IMG grep '^Seccomp:' /proc/self/status
	[[ "$output" == *0 ]]
}

@test "podman: --network none has only loopback" {
	eng_common_network_none_has_only_loopback P
}

@test "podman: default bridge network reaches a listener in another container" {
	P run -d "${L[@]}" --name t-srv $IMG httpd -f -p 8080 -h /var/www
	local ip subnet
	ip=$(P inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' t-srv)
	subnet=$(P network inspect -f '{{range .Subnets}}{{.Subnet}}{{end}}' "$ENG_POD_NET")
	[ "$subnet" = 10.213.77.0/24 ]
	eng_note "listener at $ip in $subnet"
	# Only to the address the engine gave our own listener.
	[ -n "$ip" ]
	eng_in_subnet "$ip" "$subnet"
	eng_wait 10 P exec t-srv sh -c 'netstat -ltn | grep -q :8080'
	# (busybox-static's wget crashes in getaddrinfo; nc speaks HTTP/1.0)
	run P run --rm $IMG sh -c "ip -4 -o addr show eth0; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $ip 8080"
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

@test "podman: stop sends SIGTERM, then SIGKILL after the timeout" {
	P run -d "${L[@]}" --name t-term $IMG sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready; while :; do sleep 0.2; done'
	eng_wait 10 sh -c "podman logs t-term | grep -q ready"
	P stop -t 10 t-term >/dev/null
	run P inspect -f '{{.State.ExitCode}}' t-term
	[ "$output" = 3 ]
	run P logs t-term
	[[ "$output" == *got-TERM* ]]
	# PID 1 without a handler ignores SIGTERM: killed after 2 s.
	P run -d "${L[@]}" --name t-kill9 $IMG sleep 300
	local t0=$SECONDS
	P stop -t 2 t-kill9
	[ $((SECONDS - t0)) -ge 2 ]
	run P inspect -f '{{.State.ExitCode}}' t-kill9
	[ "$output" = 137 ]
}

@test "podman: kill (default SIGKILL and -s USR1)" {
	P run -d "${L[@]}" --name t-sig $IMG sh -c 'trap "echo got-USR1" USR1; echo ready; while :; do sleep 0.2; done'
	eng_wait 10 sh -c "podman logs t-sig | grep -q ready"
	P kill -s USR1 t-sig
	eng_wait 10 sh -c "podman logs t-sig | grep -q got-USR1"
	run P inspect -f '{{.State.Running}}' t-sig
	[ "$output" = true ]
	P kill t-sig
	eng_wait 10 sh -c "[ \"\$(podman inspect -f '{{.State.Running}}' t-sig)\" = false ]"
	run P inspect -f '{{.State.ExitCode}}' t-sig
	[ "$output" = 137 ]
}

@test "podman: pause / unpause freezes the cgroup" {
	P run -d "${L[@]}" --name t-pause $IMG sleep 300
	local cg
	cg=$(P inspect -f '{{.State.CgroupPath}}' t-pause)
	[ -n "$cg" ]
	P pause t-pause
	run P inspect -f '{{.State.Status}}' t-pause
	[ "$output" = paused ]
	[ "$(cat /sys/fs/cgroup/freezer/$cg/freezer.state)" = FROZEN ]
	P unpause t-pause
	run P inspect -f '{{.State.Status}}' t-pause
	[ "$output" = running ]
	[ "$(cat /sys/fs/cgroup/freezer/$cg/freezer.state)" = THAWED ]
	run P exec t-pause echo alive
	[ "$output" = alive ]
}

@test "podman: restart gives a new init process" {
	eng_common_restart_gives_a_new_init_process P
}

@test "podman: logs keeps stdout and stderr" {
	eng_common_logs_keeps_stdout_and_stderr P
}

@test "podman: stats --no-stream and top" {
	P run -d "${L[@]}" --name t-stats --memory 64m $IMG sleep 300
	run P stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' t-stats
	[ "$status" -eq 0 ]
	[[ "$output" == "t-stats "*" / 67.11MB 1" ]]
	run P top t-stats
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 300"* ]]
}

@test "podman: --annotation reaches the bundle's config.json and the runtime's state" {
	P run -d "${L[@]}" --name t-bundle -e AGBX_MARK=found --annotation agbx.test/key=agbx-value $IMG sleep 300
	local id cfg
	id=$(P inspect -f '{{.Id}}' t-bundle)
	cfg=$ENG_TMP/root/overlay-containers/$id/userdata/config.json
	[ -f "$cfg" ]
	grep -q AGBX_MARK=found "$cfg"
	grep -q '"agbx.test/key": *"agbx-value"' "$cfg"
	# Ask the runtime itself, with the --root the engine gave it.
	grep -q "'create'.*'$id'\$" "$ENG_ARGV_LOG"
	run eng_runtime_for "$id" state "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"status": "running"'* || "$output" == *'"status":"running"'* ]]
	[[ "$output" == *"$id/userdata"* ]]
	[[ "$output" == *agbx-value* ]]
}

# issue 10: a user who can set annotations cannot switch the sandbox off;
# the admin's "selectable" list (in the suite's config dir) can allow it
@test "podman: --annotation agentsbx.policy=none is refused under the default policy unless selectable" {
	if ! eng_policy_enforced; then
		# --policy outranks the annotation: it is ignored, never refused
		run P run --rm "${L[@]}" --annotation agentsbx.policy=full-access $IMG true
		[ "$status" -eq 0 ]
		return
	fi
	run P run --rm "${L[@]}" --annotation agentsbx.policy=none $IMG true
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotation agentsbx.policy=none refused"* ]]
	run P run --rm "${L[@]}" --annotation agentsbx.policy=strict $IMG sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
	[ "$status" -eq 0 ]
	[ "$output" = 128 ]
	echo '{"extends": "agent-safe", "selectable": ["none"]}' >"$ENG_CONFIG_DIR/policy.json"
	run P run --rm "${L[@]}" --annotation agentsbx.policy=none $IMG sh -c 'grep CapEff /proc/self/status'
	rm -f "$ENG_CONFIG_DIR/policy.json"
	[ "$status" -eq 0 ]
	# none: the engine's capabilities are kept (agent-safe drops them all)
	[[ "$output" == "CapEff:"* && "$output" != *0000000000000000 ]]
}

@test "podman: 20 containers run -d in parallel, all removed cleanly" {
	local i pids=()
	for i in $(seq 1 20); do
		P run -d "${L[@]}" --name "t-par$i" $IMG sleep 300 >/dev/null &
		pids+=($!)
	done
	local fails=0
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run P ps -q --filter label=agbx-test --filter status=running
	[ "${#lines[@]}" -eq 20 ]
	local ids
	ids=$(P ps -q --no-trunc --filter label=agbx-test)
	pids=()
	for i in $(seq 1 20); do
		P rm -f -t 0 "t-par$i" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	run P ps -aq --filter label=agbx-test
	[ -z "$output" ]
	# The runtime no longer knows any of them.
	local id
	for id in $ids; do
		run eng_runtime_for "$id" state "$id"
		[ "$status" -ne 0 ]
	done
	# No container cgroup left behind.
	run sh -c 'find /sys/fs/cgroup/*/libpod_parent -mindepth 1 -maxdepth 1 -type d -name "libpod-*" 2>/dev/null'
	[ -z "$output" ]
}
