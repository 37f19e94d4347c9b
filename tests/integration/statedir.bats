#!/usr/bin/env bats
# the state directory: atomic writes, exactly-once start, pid reuse

load helpers

@test "two concurrent starts: exactly one succeeds, the process runs once" {
	set_cmd 'echo started >> /count; sleep 1000'
	create_container "$CID"
	sbx start "$CID" & p1=$!
	sbx start "$CID" & p2=$!
	r1=0 r2=0
	wait $p1 || r1=$?
	wait $p2 || r2=$?
	[ $((r1 == 0)) -ne $((r2 == 0)) ]
	wait_for 10 file_exists "$ROOTFS/count"
	wait_status "$CID" running
	[ "$(wc -l <"$ROOTFS/count")" -eq 1 ]
}

@test "state is always complete JSON while the container changes status" {
	set_cmd 'sleep 0.3'
	create_container "$CID"
	sbx start "$CID"
	for i in $(seq 60); do
		out="$(sbx state "$CID")"
		jq -e '.id and .status' <<<"$out" >/dev/null
		[ "$(jq -r .status <<<"$out")" = stopped ] && break
	done
	wait_status "$CID" stopped
}

@test "no temporary files are left in the state root" {
	set_args true
	create_container "$CID"
	sbx start "$CID"
	wait_status "$CID" stopped
	! find "$SBX_ROOT" -name '*.tmp' -o -name '*~' -o -name '.tmp*' | grep -q .
	sbx delete "$CID"
	[ -z "$(find "$SBX_ROOT" -mindepth 1 -path "*$CID*")" ]
}

@test "a container whose process was killed from the host is stopped" {
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	kill -9 "$pid"
	wait_status "$CID" stopped
	run sbx delete "$CID"
	[ "$status" -eq 0 ]
}

@test "a stopped container does not claim a reused pid" {
	set_args true
	create_container "$CID"
	oldpid="$(container_pid "$CID")"
	sbx start "$CID"
	wait_status "$CID" stopped
	# put a live process of ours on the record: the runtime must not
	# believe it is the container (it checks more than the pid number)
	[ "$(container_status "$CID")" = stopped ]
	[ "$(sbx state "$CID" | jq -r .pid)" = 0 ] || ! kill -0 "$(sbx state "$CID" | jq -r .pid)" 2>/dev/null
	# kill -9 must not hit an unrelated process that now has the old pid
	sleep 1000 &
	track_pid $!
	sbx kill "$CID" KILL 2>/dev/null || true
	kill -0 $!
	sbx delete "$CID"
	[ -n "$oldpid" ]
}

@test "delete -f of a created container kills its init" {
	set_args sleep 1000
	create_container "$CID"
	pid="$(container_pid "$CID")"
	sbx delete -f "$CID"
	wait_for 10 pid_gone "$pid"
	no_state "$CID"
	no_mounts "$BUNDLE"
}

@test "the state root is private to root" {
	set_args sleep 1000
	create_container "$CID"
	mode="$(stat -c %a "$SBX_ROOT")"
	# no write access for group/others
	[ $((8#$mode & 8#022)) -eq 0 ]
}

# cg_dirs PATH: the directories of cgroup PATH that exist, in every hierarchy
cg_dirs() {
	local m
	for m in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$m$1" ] && echo "$m$1"
	done
	return 0
}

# rm_cg PATH: teardown's safety net for a test's own absolute cgroup
rm_cg() {
	local d i
	for d in $(cg_dirs "$1"); do
		for i in $(seq 50); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.05
		done
	done
}

teardown() {
	sbx_teardown
	local rc=$?
	[ -z "${CG:-}" ] || rm_cg "$CG"
	return $rc
}

# corrupt_state_delete CONTENT: delete -f after state.json became CONTENT.
# Either the runtime refuses and keeps the state (runc), or it finds the
# container by its cgroup, kills it and leaves nothing.  Never: exit 0 with
# the process still alive.
corrupt_state_delete() {
	CG="/sbxt-cg-$CID"
	cfg '.linux.cgroupsPath = $p' --arg p "$CG"
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	track_pid "$pid"
	[ -n "$(cg_dirs "$CG")" ]
	printf '%s' "$1" >"$SBX_ROOT/$CID/state.json"
	run sbx delete -f "$CID"
	echo "delete -f: $status: $output"
	if [ "$status" -ne 0 ]; then
		[ -d "$SBX_ROOT/$CID" ]
		kill -0 "$pid"
		kill -9 "$pid"
		wait_for 10 pid_gone "$pid"
		rm -rf "${SBX_ROOT:?}/$CID"
		rm_cg "$CG"
		requires_agentsbx "agentsbx kills the container by its cgroup"
		return 1
	fi
	wait_for 10 pid_gone "$pid"
	[ ! -e "$SBX_ROOT/$CID" ]
	[ -z "$(cg_dirs "$CG")" ] || {
		cg_dirs "$CG"
		rm_cg "$CG"
		return 1
	}
}

@test "delete -f with a truncated state.json kills the container by its cgroup or keeps the state" {
	corrupt_state_delete '{"id": "x", "pi'
}

@test "delete -f with a garbage state.json kills the container by its cgroup or keeps the state" {
	corrupt_state_delete $'\x01\x02garbage'
}

@test "delete without -f of a container whose state.json is corrupt refuses and keeps it" {
	requires_agentsbx "runc refuses for another reason"
	CG="/sbxt-cg-$CID"
	cfg '.linux.cgroupsPath = $p' --arg p "$CG"
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	track_pid "$pid"
	: >"$SBX_ROOT/$CID/state.json"
	run sbx delete "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *state.json* ]]
	[[ "$output" == *"delete -f"* ]]
	kill -0 "$pid"
	[ -d "$SBX_ROOT/$CID" ]
	sbx delete -f "$CID"
	wait_for 10 pid_gone "$pid"
	[ -z "$(cg_dirs "$CG")" ]
}

@test "create killed with SIGKILL at 0-50 ms: delete -f removes its cgroups and state" {
	requires_agentsbx "runc leaves the cgroups of a killed create"
	CG="/sbxt-cg-$CID"
	cfg '.linux.cgroupsPath = $p' --arg p "$CG"
	set_args sleep 1000
	local deadline=$((SECONDS + 60)) trials=0 left=0 id pid
	while [ "$trials" -lt 25 ] && [ "$SECONDS" -lt "$deadline" ]; do
		trials=$((trials + 1))
		id="$CID-k$trials"
		echo "$id" >>"$BATS_TEST_TMPDIR/.ids"
		"$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((trials * 2 % 50 / 10))$((trials * 2 % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		run sbx delete -f "$id"
		[ "$status" -eq 0 ] || {
			echo "trial $trials: delete -f: $output"
			return 1
		}
		if [ -n "$(cg_dirs "$CG")" ] || [ -e "$SBX_ROOT/$id" ]; then
			echo "trial $trials: left behind: $(cg_dirs "$CG" | wc -l) cgroup dirs, state: $(ls "$SBX_ROOT")"
			left=$((left + 1))
			rm_cg "$CG"
		fi
		# no process may stay in the container's cgroup or anywhere with its id
		! pgrep -f "$id" >/dev/null
	done
	echo "$trials trials, $left left something behind"
	[ "$left" -eq 0 ]
}

@test "create racing delete -f of one id: serialised, clear errors, nothing left" {
	requires_agentsbx "runc's errors differ"
	CG="/sbxt-cg-$CID"
	cfg '.linux.cgroupsPath = $p' --arg p "$CG"
	set_args sleep 1000
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	local deadline=$((SECONDS + 90)) trials=0 bad=0 cpid dpid cerr derr
	cerr="$BATS_TEST_TMPDIR/create.err"
	derr="$BATS_TEST_TMPDIR/delete.err"
	while [ "$trials" -lt 30 ] && [ "$SECONDS" -lt "$deadline" ]; do
		trials=$((trials + 1))
		"$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$cerr" &
		cpid=$!
		sleep "0.0$((trials % 5))"
		"$AGENTSBX" --root "$SBX_ROOT" delete -f "$CID" </dev/null >/dev/null 2>"$derr" &
		dpid=$!
		wait "$cpid" || true
		wait "$dpid" || true
		# a loser says why, in words
		if grep -v -e 'is being created or deleted' -e 'does not exist' -e 'already exists' "$cerr" "$derr" | grep -q .; then
			echo "trial $trials: raw error: $(cat "$cerr" "$derr")"
			bad=$((bad + 1))
		fi
		# whatever won, the container is either complete (state works) or gone entirely
		if ! sbx state "$CID" >/dev/null 2>&1; then
			if [ -n "$(cg_dirs "$CG")" ] && [ -n "$(cat "$(cg_dirs "$CG" | grep /pids/)/cgroup.procs" 2>/dev/null)" ]; then
				echo "trial $trials: a process lives in the cgroup without state"
				bad=$((bad + 1))
			fi
		fi
		run sbx delete -f "$CID"
		[ "$status" -eq 0 ] || [[ "$output" == *"does not exist"* ]] || {
			echo "trial $trials: cleanup delete -f: $output"
			bad=$((bad + 1))
		}
		if [ -n "$(cg_dirs "$CG")" ] || [ -e "$SBX_ROOT/$CID" ]; then
			echo "trial $trials: left behind: $(cg_dirs "$CG" | wc -l) cgroup dirs, state: $(ls "$SBX_ROOT")"
			bad=$((bad + 1))
			rm_cg "$CG"
			rm -rf "${SBX_ROOT:?}/$CID"
		fi
	done
	echo "$trials trials, $bad bad"
	[ "$bad" -eq 0 ]
}

@test "list warns about a container whose state cannot be read and lists the others" {
	CG="/sbxt-cg-$CID"
	cfg '.linux.cgroupsPath = $p' --arg p "$CG"
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	track_pid "$pid"
	cfg 'del(.linux.cgroupsPath)'
	start_detached "$CID-b"
	echo garbage >"$SBX_ROOT/$CID/state.json"
	run sbx list -q
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx -- "$CID-b" <<<"$output"
	# a warning on stderr naming the container it leaves out
	grep -v -x -- "$CID-b" <<<"$output" | grep -q -- "$CID"
	if ! sbx delete -f "$CID"; then
		# runc keeps a container it cannot read
		kill -9 "$pid"
		wait_for 10 pid_gone "$pid"
	fi
}
