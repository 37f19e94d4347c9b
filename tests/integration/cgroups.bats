#!/usr/bin/env bats
# cgroups: linux.resources applied to the container's cgroup (memory, pids,
# cpu, cpuset, blockIO, devices, unified), linux.cgroupsPath, and the cgroup
# going away on delete and on a failed create.  Every test names its cgroup
# after its container id ($CID), so nothing else on the host is touched.

load helpers

cg_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# cg_dir PID CONTROLLER: the host directory of PID's cgroup for CONTROLLER
# (v1/hybrid), or of its unified cgroup on a v2 host.
cg_dir() {
	local pid="$1" c="$2" p
	if cg_v2; then
		p="$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")"
		echo "/sys/fs/cgroup$p"
		return
	fi
	p="$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")"
	[ -n "$p" ] || return 1
	echo "/sys/fs/cgroup/$c$p"
}

# cg_dirs_named NAME: every cgroup directory called NAME in any hierarchy
cg_dirs_named() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -name "$1" 2>/dev/null
}

# no_cgroup NAME: no hierarchy has a directory NAME
no_cgroup() {
	local left
	left="$(cg_dirs_named "$1")"
	if [ -n "$left" ]; then
		echo "cgroup left behind:" >&2
		echo "$left" >&2
		return 1
	fi
}

# the container's cgroup is /$CID in every hierarchy
abs_path() {
	cfg '.linux.cgroupsPath = $p' --arg p "/$CID"
}

# start a sleeping container with the given resources (jq object)
start_with() {
	abs_path
	cfg '.linux.resources += $r' --argjson r "$1"
	set_args sleep 1000
	start_detached "$CID"
	PID="$(container_pid "$CID")"
}

grant_mknod() {
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
}

@test "memory: limit and swap are read back on the host" {
	start_with '{"memory": {"limit": 33554432, "swap": 67108864, "reservation": 16777216}}'
	local d
	d="$(cg_dir "$PID" memory)"
	[ "$d" = "/sys/fs/cgroup/memory/$CID" ] || cg_v2
	if cg_v2; then
		[ "$(cat "$d/memory.max")" = 33554432 ]
		[ "$(cat "$d/memory.swap.max")" = 33554432 ]
		[ "$(cat "$d/memory.low")" = 16777216 ]
	else
		[ "$(cat "$d/memory.limit_in_bytes")" = 33554432 ]
		[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 67108864 ]
		[ "$(cat "$d/memory.soft_limit_in_bytes")" = 16777216 ]
	fi
}

@test "memory: the limit is seen in the container's own cgroup mount" {
	cg_v2 && skip "v1/hybrid file names"
	abs_path
	cfg '.linux.resources.memory = {limit: 33554432}'
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'
	set_cmd 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = 33554432 ]
}

@test "memory: a memory bomb is OOM-killed under a 32 MiB limit (137)" {
	abs_path
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	# tail keeps the current line of /dev/zero (no newline ever) in memory
	set_cmd 'exec tail /dev/zero'
	run sbx run "$CID"
	[ "$status" -eq 137 ]
}

@test "memory: disableOOMKiller is set in memory.oom_control" {
	cg_v2 && skip "v1 only"
	start_with '{"memory": {"limit": 33554432, "disableOOMKiller": true, "swappiness": 10}}'
	local d
	d="$(cg_dir "$PID" memory)"
	grep -qx 'oom_kill_disable 1' "$d/memory.oom_control"
	[ "$(cat "$d/memory.swappiness")" = 10 ]
}

@test "pids: a fork bomb stops at pids.max" {
	abs_path
	cfg '.linux.resources.pids = {limit: 10}'
	set_cmd 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo $i; sleep 100 & done; echo survived'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *survived* ]]
	# sh itself is one of the 10 tasks
	local last
	last="$(grep -E '^[0-9]+$' <<<"$output" | tail -n1)"
	[ "$last" -le 10 ]
	[ "$last" -ge 5 ]
}

@test "pids: limit is read back, -1 is max" {
	start_with '{"pids": {"limit": 42}}'
	[ "$(cat "$(cg_dir "$PID" pids)/pids.max")" = 42 ]
	sbx delete -f "$CID"
	no_cgroup "$CID"
	start_with '{"pids": {"limit": -1}}'
	[ "$(cat "$(cg_dir "$PID" pids)/pids.max")" = max ]
}

@test "cpu: shares, quota, period, cpus and mems are read back" {
	start_with '{"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}}'
	if cg_v2; then
		local d
		d="$(cg_dir "$PID" cpu)"
		# runc's conversion: 1 + ((512 - 2) * 9999) / 262142 = 20
		[ "$(cat "$d/cpu.weight")" = 20 ]
		[ "$(cat "$d/cpu.max")" = "50000 100000" ]
		[ "$(cat "$d/cpuset.cpus")" = 0 ]
	else
		[ "$(cat "$(cg_dir "$PID" cpu)/cpu.shares")" = 512 ]
		[ "$(cat "$(cg_dir "$PID" cpu)/cpu.cfs_quota_us")" = 50000 ]
		[ "$(cat "$(cg_dir "$PID" cpu)/cpu.cfs_period_us")" = 100000 ]
		[ "$(cat "$(cg_dir "$PID" cpuset)/cpuset.cpus")" = 0 ]
		[ "$(cat "$(cg_dir "$PID" cpuset)/cpuset.mems")" = 0 ]
	fi
	# the process may run on cpu 0 only
	grep -qx $'Cpus_allowed_list:\t0' "/proc/$PID/status"
}

@test "blockIO: weight is applied, or create fails when the host cannot" {
	abs_path
	cfg '.linux.resources.blockIO = {weight: 500}'
	set_args sleep 1000
	local probe="/sys/fs/cgroup/blkio/$CID-probe" supported=no
	if cg_v2; then
		supported=maybe
	elif mkdir "$probe" 2>/dev/null; then
		if [ -e "$probe/blkio.weight" ] || [ -e "$probe/blkio.bfq.weight" ]; then supported=yes; fi
		rmdir "$probe"
	fi
	run_bg sbx create -b "$BUNDLE" "$CID"
	if [ "$supported" = yes ]; then
		[ "$status" -eq 0 ]
		local d
		d="$(cg_dir "$(container_pid "$CID")" blkio)"
		if [ -e "$d/blkio.weight" ]; then
			[ "$(cat "$d/blkio.weight")" = 500 ]
		else
			[ "$(cat "$d/blkio.bfq.weight")" = 500 ] ||
				grep -qx 'default 500' "$d/blkio.bfq.weight"
		fi
	elif [ "$supported" = no ]; then
		[ "$status" -ne 0 ]
		no_state "$CID"
		no_cgroup "$CID"
	fi
}

@test "devices: runc spec's deny-all still allows /dev/null, zero, full, urandom, tty" {
	set_cmd 'echo x > /dev/null && head -c4 /dev/zero | wc -c && head -c4 /dev/urandom | wc -c && ! echo x > /dev/full'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4 ]
	[ "${lines[1]}" = 4 ]
}

@test "devices: a device outside the allowed list cannot be opened" {
	grant_mknod
	# mknod is allowed for every device (as runc), opening is not
	set_cmd 'mknod /dev/xvda b 8 0 && echo made && head -c1 /dev/xvda'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = made ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "devices: rules apply in order (allow r+w, then deny w)" {
	grant_mknod
	cfg '.linux.resources.devices += [
		{allow: true, type: "c", major: 10, minor: 237, access: "rw"},
		{allow: false, type: "c", major: 10, minor: 237, access: "w"}]'
	set_cmd 'mknod /dev/lc c 10 237 && : < /dev/lc && echo read-ok; (: > /dev/lc) && echo write-ok; true'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" != *write-ok* ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "devices: allow-all lets any device be opened" {
	grant_mknod
	cfg '.linux.resources.devices = [{allow: true, access: "rwm"}]'
	set_cmd 'mknod /dev/lc c 10 237 && : < /dev/lc && echo read-ok'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = read-ok ]
}

@test "cgroupsPath: absolute" {
	cfg '.linux.cgroupsPath = $p' --arg p "/sbx-abs-$CID/inner"
	set_args sleep 1000
	start_detached "$CID"
	local pid
	pid="$(container_pid "$CID")"
	if cg_v2; then
		grep -qx "0::/sbx-abs-$CID/inner" "/proc/$pid/cgroup"
	else
		grep -qE "^[0-9]+:pids:/sbx-abs-$CID/inner\$" "/proc/$pid/cgroup"
		grep -qE "^[0-9]+:memory:/sbx-abs-$CID/inner\$" "/proc/$pid/cgroup"
	fi
	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	sbx delete "$CID"
	[ -z "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -path "*/sbx-abs-$CID/inner" 2>/dev/null)" ]
	# the parent level the runtime created may remain (runc leaves it): clean it
	local d
	for d in $(cg_dirs_named "sbx-abs-$CID"); do rmdir "$d"; done
}

@test "cgroupsPath: relative is under the runtime's own cgroup" {
	cfg '.linux.cgroupsPath = $p' --arg p "sbx-rel-$CID"
	set_args sleep 1000
	start_detached "$CID"
	local pid own
	pid="$(container_pid "$CID")"
	if cg_v2; then
		own="$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)"
		grep -qx "0::${own%/}/sbx-rel-$CID" "/proc/$pid/cgroup"
	else
		own="$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup)"
		grep -qx "[0-9]*:pids:${own%/}/sbx-rel-$CID" "/proc/$pid/cgroup"
	fi
	sbx delete -f "$CID"
	no_cgroup "sbx-rel-$CID"
}

@test "the cgroup is removed on delete" {
	start_with '{"pids": {"limit": 100}}'
	[ -n "$(cg_dirs_named "$CID")" ]
	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	sbx delete "$CID"
	no_cgroup "$CID"
}

@test "a bad resource value fails create and leaves no cgroup" {
	abs_path
	cfg '.linux.resources.cpu = {cpus: "4095"}'
	set_args sleep 1000
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	no_cgroup "$CID"
}

@test "a bad resource value: the error names the key" {
	requires_agentsbx "error text names the JSON path"
	abs_path
	cfg '.linux.resources.cpu = {cpus: "4095"}'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.cpu.cpus"* ]]
	no_state "$CID"
	no_cgroup "$CID"
}

# values this host cannot apply: each fails create, leaves nothing, and
# (agentsbx) names its key
unapplicable() {
	local r="$1" key="$2"
	abs_path
	cfg '.linux.resources = ({devices: [{allow: false, access: "rwm"}]} + $r)' --argjson r "$r"
	set_args sleep 1000
	run_bg sbx create -b "$BUNDLE" "$CID"
	echo "$r -> $status: $output"
	[ "$status" -ne 0 ]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"$key"* ]]
	fi
	no_state "$CID"
	no_mounts "$BUNDLE"
	no_cgroup "$CID"
}

@test "hugepageLimits: a page size this host has no limit file for" {
	unapplicable '{"hugepageLimits": [{"pageSize": "3MB", "limit": 0}]}' 'linux.resources.hugepageLimits[0]'
}

@test "hugepageLimits: on a host without the hugetlb controller" {
	cg_v2 && skip "v1/hybrid host"
	[ -z "$(awk '$3 == "cgroup" && $4 ~ /hugetlb/' /proc/mounts)" ] || skip "hugetlb is mounted here"
	unapplicable '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' 'linux.resources.hugepageLimits[0]'
}

@test "network.classID: on a host without net_cls" {
	if ! cg_v2 && [ -n "$(awk '$3 == "cgroup" && $4 ~ /net_cls/' /proc/mounts)" ]; then
		skip "net_cls is mounted here"
	fi
	cg_v2 && requires_agentsbx "runc ignores net_cls on v2"
	unapplicable '{"network": {"classID": 1048577}}' 'linux.resources.network.classID'
}

@test "cpu.realtimeRuntime: applied where the host can, else create fails naming the key" {
	cg_v2 && requires_agentsbx "runc ignores realtime on v2"
	# RT group scheduling may be missing, or have no budget left on this host
	local probe ok=no
	if ! cg_v2; then
		probe="/sys/fs/cgroup/cpu/$CID-probe"
		mkdir "$probe"
		if [ -e "$probe/cpu.rt_runtime_us" ] && echo 1000 >"$probe/cpu.rt_runtime_us" 2>/dev/null; then ok=yes; fi
		rmdir "$probe"
	fi
	if [ "$ok" = yes ]; then
		start_with '{"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 1000000}}'
		[ "$(cat "$(cg_dir "$PID" cpu)/cpu.rt_runtime_us")" = 1000 ]
		[ "$(cat "$(cg_dir "$PID" cpu)/cpu.rt_period_us")" = 1000000 ]
	else
		unapplicable '{"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 1000000}}' 'linux.resources.cpu.realtime'
	fi
}

@test "unified: a v2-only key on a v1/hybrid host" {
	cg_v2 && skip "v1/hybrid host"
	unapplicable '{"unified": {"memory.max": "33554432"}}' 'linux.resources.unified.memory.max'
}

@test "memory: swap below the limit fails" {
	unapplicable '{"memory": {"limit": 33554432, "swap": 16777216}}' 'linux.resources.memory.swap'
}

@test "--systemd-cgroup maps slice:prefix:name to its cgroupfs path" {
	cfg '.linux.cgroupsPath = $p' --arg p "agentsbx-test.slice:sbx:$CID"
	set_cmd 'cat /proc/self/cgroup'
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	run "$AGENTSBX" --root "$SBX_ROOT" --systemd-cgroup run "$CID"
	[ "$status" -eq 0 ]
	grep -q "pids:/agentsbx-test.slice/sbx-$CID.scope\$" <<<"$output" || grep -q "^0::/agentsbx-test.slice/sbx-$CID.scope\$" <<<"$output"
	# removed on delete: nothing left under the slice
	for h in /sys/fs/cgroup/*/agentsbx-test.slice; do
		[ ! -d "$h/sbx-$CID.scope" ]
	done
	rmdir /sys/fs/cgroup/*/agentsbx-test.slice 2>/dev/null || true
}

@test "create warns about a cgroup that already has processes" {
	cfg '.linux.cgroupsPath = $p' --arg p "/sbxt-shared-$CID"
	set_args sleep 1000
	start_detached "$CID"
	create_container "$CID-2"
	[[ "$output" == *"container's cgroup is not empty"* ]]
	# a fresh cgroup gives no such warning
	cfg '.linux.cgroupsPath = $p' --arg p "/sbxt-other-$CID"
	create_container "$CID-3"
	[[ "$output" != *"not empty"* ]]
}
