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
