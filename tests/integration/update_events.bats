#!/usr/bin/env bats
# update (flags and -r), events (--stats, interval, oom)

load helpers

running_container() {
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" running
}

v1_memory() { [ -d /sys/fs/cgroup/memory ]; }

@test "update: --memory, --memory-swap, --pids-limit, --cpu-quota/--cpu-period, --cpu-shares, --cpuset-cpus" {
	v1_memory || skip "v1 layout checks"
	running_container
	sbx update --memory 64M --memory-swap 128M --pids-limit 50 --cpu-period 100000 --cpu-quota 50000 --cpu-shares 512 --cpuset-cpus 0 "$CID"
	[ "$(cat "$(cg_file memory memory.limit_in_bytes)")" = 67108864 ]
	[ "$(cat "$(cg_file pids pids.max)")" = 50 ]
	[ "$(cat "$(cg_file cpu cpu.cfs_quota_us)")" = 50000 ]
	[ "$(cat "$(cg_file cpu cpu.cfs_period_us)")" = 100000 ]
	[ "$(cat "$(cg_file cpu cpu.shares)")" = 512 ]
	[ "$(cat "$(cg_file cpuset cpuset.cpus)")" = 0 ]
}

@test "update takes its options after the container id too (runc's callers rely on it)" {
	running_container
	sbx update "$CID" --pids-limit 61 --memory 64M
	[ "$(cat "$(cg_file pids pids.max)")" = 61 ]
	echo '{"pids": {"limit": 62}}' | sbx update "$CID" -r -
	[ "$(cat "$(cg_file pids pids.max)")" = 62 ]
	# still exactly one id
	run sbx update "$CID" "$CID" --pids-limit 63
	[ "$status" -ne 0 ]
}

@test "update -r FILE and -r - (stdin)" {
	running_container
	echo '{"pids": {"limit": 77}}' >"$BATS_TEST_TMPDIR/r.json"
	sbx update -r "$BATS_TEST_TMPDIR/r.json" "$CID"
	[ "$(cat "$(cg_file pids pids.max)")" = 77 ]
	echo '{"pids": {"limit": 88}}' | sbx update -r - "$CID"
	[ "$(cat "$(cg_file pids pids.max)")" = 88 ]
}

@test "update: a limit set by update is enforced (pids)" {
	running_container
	sbx update --pids-limit 3 "$CID"
	run sbx exec "$CID" sh -c 'for i in 1 2 3 4 5; do sleep 100 >/dev/null 2>&1 & done; kill $(jobs -p)'
	[[ "$output" == *"can't fork"* ]]
}

@test "update: bad input names the field, a stopped container is refused" {
	running_container
	echo '{"pids": {"limit": "x"}}' >"$BATS_TEST_TMPDIR/r.json"
	run sbx update -r "$BATS_TEST_TMPDIR/r.json" "$CID"
	[ "$status" -ne 0 ]
	requires_agentsbx "JSON path in the message"
	[[ "$output" == *"resources.pids.limit"* ]]
	run sbx update --memory lots "$CID"
	[ "$status" -ne 0 ]
	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	run sbx update --pids-limit 10 "$CID"
	[ "$status" -ne 0 ]
}

@test "events --stats: one stats event with cpu, memory, pids, blkio" {
	running_container
	run sbx events --stats "$CID"
	[ "$status" -eq 0 ]
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output"
	jq -e '.data.cpu.usage.total > 0' <<<"$output"
	jq -e '.data.memory.usage.usage > 0' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	jq -e '.data | has("blkio")' <<<"$output"
}

@test "events --interval streams stats and ends when the container stops" {
	running_container
	"$AGENTSBX" --root "$SBX_ROOT" events --interval 200ms "$CID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
	evpid=$!
	track_pid "$evpid"
	wait_for 10 bash -c "[ \$(grep -c '\"stats\"' $BATS_TEST_TMPDIR/ev) -ge 2 ]"
	sbx kill "$CID" KILL
	wait_for 10 pid_gone "$evpid"
}

@test "events reports an OOM kill inside the container" {
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	running_container
	"$AGENTSBX" --root "$SBX_ROOT" events --interval 100ms "$CID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
	track_pid $!
	# events is watching once it has printed its first stats
	wait_for 10 grep -q '"stats"' "$BATS_TEST_TMPDIR/ev"
	run sbx exec "$CID" tail /dev/zero
	[ "$status" -eq 137 ]
	wait_for 10 grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/ev"
}

@test "events of a stopped or missing container fails" {
	run sbx events --stats "nonexistent-$CID"
	[ "$status" -ne 0 ]
}
