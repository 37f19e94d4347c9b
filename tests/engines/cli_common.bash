# Engine checks that Docker and Podman share word for word: each takes the
# suite's CLI function (D or P), whose arguments are docker-style.

# run --rm exit status
eng_common_run_rm_exit_status() {
	local X=$1
	run "$X" run --rm $IMG sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run "$X" run --rm $IMG true
	[ "$status" -eq 0 ]
	# The CLI maps runtime errors to 127 (not found) / 126 (not executable)
	# by matching Go's lower-case errno text in the runtime's message.
	run -127 "$X" run --rm $IMG /does-not-exist
	run -126 "$X" run --rm $IMG /etc/passwd
}

# stdout and stderr are kept apart
eng_common_stdout_and_stderr_are_kept_apart() {
	local X=$1
	"$X" run --rm $IMG sh -c 'echo out; echo err >&2' >"$ENG_TMP/o" 2>"$ENG_TMP/e"
	[ "$(cat "$ENG_TMP/o")" = out ]
	[ "$(cat "$ENG_TMP/e")" = err ]
}

# env, user, workdir
eng_common_env_user_workdir() {
	local X=$1
	run "$X" run --rm -e FOO=bar -u 1000:1000 -w /home/agent $IMG sh -c 'echo $FOO; id -u; id -g; pwd; echo $HOME'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "bar 1000 1000 /home/agent /home/agent" ]
	run "$X" run --rm -u nobody $IMG id -un
	[ "$output" = nobody ]
}

# --read-only rootfs (with a writable --tmpfs)
eng_common_read_only_rootfs_with_a_writable_tmpfs() {
	local X=$1
	run "$X" run --rm --read-only $IMG touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run "$X" run --rm --read-only --tmpfs /run $IMG sh -c 'touch /run/ok && echo ok'
	[ "$output" = ok ]
}

# bind volumes (rw, ro) and named volumes, where the default policy
# (agent-safe) lets a container write: /workspace/output and /tmp
eng_common_bind_volumes_rw_ro_and_named_volumes() {
	local X=$1
	mkdir -p "$ENG_TMP/vol"
	echo host >"$ENG_TMP/vol/in"
	run "$X" run --rm -v "$ENG_TMP/vol:/workspace/output" $IMG sh -c 'cat /workspace/output/in; echo ctr >/workspace/output/out'
	[ "$output" = host ]
	[ "$(cat "$ENG_TMP/vol/out")" = ctr ]
	run "$X" run --rm -v "$ENG_TMP/vol:/workspace/output:ro" $IMG sh -c 'echo x >/workspace/output/out'
	[ "$status" -ne 0 ]
	[ "$(cat "$ENG_TMP/vol/out")" = ctr ]
	if eng_policy_enforced; then
		# the policy: a volume outside the write paths is read-only
		run "$X" run --rm -v "$ENG_TMP/vol:/data" $IMG sh -c 'cat /data/in; echo x >/data/out'
		# (the engine may deliver stderr before stdout)
		[[ "$output" == *host* && "$output" == *"Read-only file system"* ]]
		[ "$(cat "$ENG_TMP/vol/out")" = ctr ]
	fi
	"$X" run --rm -v agbx-nv:/tmp/nv $IMG sh -c 'echo kept >/tmp/nv/f'
	run "$X" run --rm -v agbx-nv:/tmp/nv $IMG cat /tmp/nv/f
	[ "$output" = kept ]
	"$X" volume rm agbx-nv
}

# --tmpfs with a size
eng_common_tmpfs_with_a_size() {
	local X=$1
	run "$X" run --rm --tmpfs /tmp/scratch:size=1m $IMG sh -c 'grep " /tmp/scratch " /proc/mounts; dd if=/dev/zero of=/tmp/scratch/f bs=1k count=2048 2>&1; echo rc=$?'
	[[ "${lines[0]}" == "tmpfs /tmp/scratch tmpfs "* ]]
	[[ "$output" == *"No space left on device"* ]]
}

# --pids-limit enforced (fork bomb stopped)
eng_common_pids_limit_enforced_fork_bomb_stopped() {
	local X=$1
	run "$X" run --rm --pids-limit 16 $IMG sh -c "cat /sys/fs/cgroup/pids/pids.max; $ENG_FORK_BOMB"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 16 ]
	[[ "$output" != *all-forked* ]]
	local n=${output##*procs=}
	[ "$n" -le 16 ]
	[ "$n" -ge 8 ]
}

# --cap-drop / --cap-add
eng_common_cap_drop_cap_add() {
	local X=$1
	if eng_policy_enforced; then
		eng_policy_caps "$X"
		return
	fi
	run "$X" run --rm --cap-drop ALL $IMG sh -c 'grep CapEff /proc/self/status'
	[[ "$output" == *0000000000000000 ]]
	run "$X" run --rm --cap-drop CHOWN $IMG sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	[ "$status" -ne 0 ]
	run "$X" run --rm $IMG sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	[ "$status" -eq 0 ]
	# CAP_SYS_ADMIN is bit 21, not in the default set.
	run "$X" run --rm --cap-add SYS_ADMIN $IMG sh -c 'grep CapEff /proc/self/status'
	local eff=$((16#${output##*:	}))
	[ $(((eff >> 21) & 1)) -eq 1 ]
	run "$X" run --rm $IMG sh -c 'grep CapEff /proc/self/status'
	eff=$((16#${output##*:	}))
	[ $(((eff >> 21) & 1)) -eq 0 ]
}

# --security-opt no-new-privileges
eng_common_security_opt_no_new_privileges() {
	local X=$1
	if eng_policy_enforced; then
		eng_policy_nnp "$X"
		return
	fi
	run "$X" run --rm --security-opt no-new-privileges $IMG grep NoNewPrivs /proc/self/status
	[[ "$output" == *1 ]]
	run "$X" run --rm $IMG grep NoNewPrivs /proc/self/status
	[[ "$output" == *0 ]]
}

# --network none has only loopback
eng_common_network_none_has_only_loopback() {
	local X=$1
	run "$X" run --rm --network none $IMG sh -c 'ls /sys/class/net'
	[ "$output" = lo ]
}

# restart gives a new init process
eng_common_restart_gives_a_new_init_process() {
	local X=$1
	"$X" run -d "${L[@]}" --name t-restart $IMG sleep 300
	local p1 p2
	p1=$("$X" inspect -f '{{.State.Pid}}' t-restart)
	"$X" restart -t 1 t-restart
	p2=$("$X" inspect -f '{{.State.Pid}}' t-restart)
	[ "$p1" != "$p2" ]
	run "$X" inspect -f '{{.State.Running}}' t-restart
	[ "$output" = true ]
}

# logs keeps stdout and stderr
eng_common_logs_keeps_stdout_and_stderr() {
	local X=$1
	"$X" run "${L[@]}" --name t-logs $IMG sh -c 'echo to-out; echo to-err >&2'
	"$X" logs t-logs >"$ENG_TMP/lo" 2>"$ENG_TMP/le"
	[ "$(cat "$ENG_TMP/lo")" = to-out ]
	[ "$(cat "$ENG_TMP/le")" = to-err ]
}
