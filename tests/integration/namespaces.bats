#!/usr/bin/env bats
# linux.namespaces: each type created new, and joined by path.

load helpers

# in_container_ns TYPE: prints the container's namespace link for TYPE
in_container_ns() {
	set_cmd "readlink /proc/self/ns/$1"
	run sbx run "$CID-$1-$RANDOM"
	[ "$status" -eq 0 ] || {
		echo "run failed: $output" >&2
		return 1
	}
	echo "$output"
}

@test "new namespaces: pid network ipc uts mount differ from the host's" {
	for ns in pid net ipc uts mnt; do
		got="$(in_container_ns "$ns")"
		[[ "$got" == "$ns:["* ]]
		[ "$got" != "$(ns_link $$ "$ns")" ] || {
			echo "$ns namespace is the host's"
			false
		}
	done
}

@test "without a namespace entry the host's namespace is shared" {
	drop_ns network
	drop_ns ipc
	drop_ns uts
	cfg 'del(.hostname)'
	for ns in net ipc uts; do
		got="$(in_container_ns "$ns")"
		[ "$got" = "$(ns_link $$ "$ns")" ]
	done
}

@test "pid namespace: the process is pid 1 and sees only its own processes" {
	set_cmd 'echo $$; ps -o pid | wc -l'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# header + sh + ps + wc at most
	[ "${lines[1]}" -le 4 ]
}

@test "network namespace: only loopback" {
	set_cmd 'ls /sys/class/net'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "uts namespace: hostname" {
	cfg '.hostname = "sbx-host"'
	set_cmd 'hostname'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sbx-host ]
	# the host's is untouched
	[ "$(hostname)" != sbx-host ]
}

@test "uts namespace: domainname" {
	requires_agentsbx "runc 1.1 ignores domainname (added in runtime-spec 1.1)"
	cfg '.hostname = "sbx-host" | .domainname = "sbx.example"'
	set_cmd 'hostname; cat /proc/sys/kernel/domainname'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sbx-host ]
	[ "${lines[1]}" = sbx.example ]
	[ "$(cat /proc/sys/kernel/domainname)" != sbx.example ]
}

@test "hostname without a uts namespace fails" {
	drop_ns uts
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "ipc namespace: a SysV queue made inside is invisible outside" {
	set_cmd 'cat /proc/sys/kernel/msgmni >/dev/null; ipcs -q | wc -l'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
}

@test "mount namespace: container mounts are not visible on the host" {
	set_args sleep 1000
	start_detached "$CID"
	no_mounts "$ROOTFS"
	pid="$(container_pid "$CID")"
	[ "$(ns_link "$pid" mnt)" != "$(ns_link $$ mnt)" ]
}

@test "cgroup namespace: new, with the container's cgroup as its root" {
	add_ns cgroup
	set_cmd 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(ns_link $$ cgroup)" ]
	# every hierarchy's path is the namespace root
	grep -E ':/$' <<<"$output"
	! grep -E ":/.+" <<<"$(tail -n +2 <<<"$output")"
}

@test "user namespace with uid/gid mappings" {
	allow_traverse
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -E '^ *0 +100000 +65536$' <<<"$output"
	grep -E '^ *0 +200000 +65536$' <<<"$output"
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" != "$(ns_link $$ user)" ]
}

@test "user namespace: the container's root is the mapped host uid" {
	allow_traverse
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	grep -E '^Uid:\s+100000\s' "/proc/$pid/status"
	grep -E '^Gid:\s+100000\s' "/proc/$pid/status"
}

@test "time namespace with timeOffsets" {
	requires_ns time
	add_ns time
	cfg '.linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}, boottime: {secs: 172800, nanosecs: 0}}'
	set_cmd 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(ns_link $$ time)" ]
	grep -E '^monotonic +86400 +0$' <<<"$output"
	grep -E '^boottime +172800 +0$' <<<"$output"
	# uptime (boottime) moved by two days
	up="${lines[3]%%.*}"
	host_up="$(cut -d. -f1 /proc/uptime)"
	[ "$up" -ge $((host_up + 172800 - 5)) ]
}

@test "join network and ipc and uts namespaces by /proc/PID/ns path" {
	holder="$(ns_holder --net --ipc --uts)"
	add_ns network "/proc/$holder/ns/net"
	add_ns ipc "/proc/$holder/ns/ipc"
	drop_ns uts
	cfg 'del(.hostname)'
	add_ns uts "/proc/$holder/ns/uts"
	set_cmd 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_link "$holder" net)" ]
	[ "${lines[1]}" = "$(ns_link "$holder" ipc)" ]
	[ "${lines[2]}" = "$(ns_link "$holder" uts)" ]
}

@test "join a network namespace through a bind-mounted nsfs file" {
	holder="$(ns_holder --net)"
	touch "$BATS_TEST_TMPDIR/netns"
	mount --bind "/proc/$holder/ns/net" "$BATS_TEST_TMPDIR/netns"
	add_ns network "$BATS_TEST_TMPDIR/netns"
	set_cmd 'readlink /proc/self/ns/net'
	run sbx run "$CID"
	umount "$BATS_TEST_TMPDIR/netns"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_link "$holder" net)" ]
}

@test "join a pid namespace" {
	holder="$(ns_holder --pid)"
	add_ns pid "/proc/$holder/ns/pid"
	set_cmd 'readlink /proc/self/ns/pid; echo $$; ps -o comm | grep -c sleep'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_link "$holder" pid)" ]
	# the holder's sleep is pid 1 there, so the container is not
	[ "${lines[1]}" != 1 ]
	[ "${lines[2]}" -ge 1 ]
}

@test "join a mount namespace" {
	holder="$(ns_holder --mount --propagation private)"
	add_ns mount "/proc/$holder/ns/mnt"
	set_cmd 'readlink /proc/self/ns/mnt'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_link "$holder" mnt)" ]
}

@test "join a cgroup namespace" {
	holder="$(ns_holder --cgroup)"
	add_ns cgroup "/proc/$holder/ns/cgroup"
	set_cmd 'readlink /proc/self/ns/cgroup'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_link "$holder" cgroup)" ]
}

@test "join a user namespace (with its mappings)" {
	holder="$(ns_holder --user --map-root-user)"
	add_ns user "/proc/$holder/ns/user"
	# the mappings must match the joined namespace's (unshare maps 0 to 0)
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	# only gid 0 is mapped: devpts cannot use gid=5
	cfg '.mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)'
	set_cmd 'readlink /proc/self/ns/user; cat /proc/self/uid_map'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_link "$holder" user)" ]
}

@test "join a time namespace" {
	requires_ns time
	holder="$(ns_holder --time --boottime 3600)"
	add_ns time "/proc/$holder/ns/time"
	set_cmd 'readlink /proc/self/ns/time; grep boottime /proc/self/timens_offsets'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_link "$holder" time)" ]
	grep -E '^boottime +3600 ' <<<"$output"
}

@test "two containers share a network namespace" {
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	add_ns network "/proc/$pid/ns/net"
	set_cmd 'readlink /proc/self/ns/net'
	run sbx run "$CID-2"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_link "$pid" net)" ]
}

@test "duplicate namespace entries are refused" {
	cfg '.linux.namespaces += [{type: "network"}]'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "user namespace: bind sources only the host's root can reach are opened on the host side" {
	allow_traverse
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	# parents with 0700: the container's root (host uid 100000) cannot traverse them
	mkdir -p "$BATS_TEST_TMPDIR/hidden-1/dir" "$BATS_TEST_TMPDIR/hidden-2/dir"
	echo one >"$BATS_TEST_TMPDIR/hidden-1/dir/foo.txt"
	echo two >"$BATS_TEST_TMPDIR/hidden-2/file.txt"
	chmod 644 "$BATS_TEST_TMPDIR/hidden-1/dir/foo.txt" "$BATS_TEST_TMPDIR/hidden-2/file.txt"
	chmod 700 "$BATS_TEST_TMPDIR/hidden-1" "$BATS_TEST_TMPDIR/hidden-2"
	add_mount "{\"source\": \"$BATS_TEST_TMPDIR/hidden-1/dir\", \"destination\": \"/tmp/mount-1\", \"options\": [\"bind\"]}"
	add_mount "{\"source\": \"$BATS_TEST_TMPDIR/hidden-2/file.txt\", \"destination\": \"/tmp/file-2\", \"options\": [\"rbind\", \"ro\"]}"
	set_cmd 'cat /tmp/mount-1/foo.txt /tmp/file-2; echo x >/tmp/file-2 2>&1 || echo ro-ok'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = one ]
	[ "${lines[1]}" = two ]
	[[ "$output" == *ro-ok* ]]
}

@test "user namespace: the container's root cannot make a bind of a read-only host mount writable" {
	allow_traverse
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	grant_all_caps
	cfg '.process.noNewPrivileges = false'
	mkdir -p "$BATS_TEST_TMPDIR/romnt" "$ROOTFS/mnt/ro"
	add_mount "{\"source\": \"$BATS_TEST_TMPDIR/romnt\", \"destination\": \"/mnt/ro\", \"options\": [\"bind\"]}"
	set_cmd 'mount -o remount,rw /mnt/ro 2>&1 || echo remount-refused; touch /mnt/ro/x 2>&1 || echo write-refused'
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	# the read-only host mount exists only in a throwaway mount namespace
	run unshare -m --propagation private sh -c \
		'mount -t tmpfs -o ro,nosuid tmpfs "$1" && exec "$2" --root "$3" run "$4"' \
		sh "$BATS_TEST_TMPDIR/romnt" "$AGENTSBX" "$SBX_ROOT" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *remount-refused* ]]
	[[ "$output" == *write-refused* ]]
}

# in_throwaway_mntns SCRIPT ARGS...: sh -c SCRIPT in a private mount
# namespace of its own, the "host" of a container that shares the runtime's
# mount namespace: nothing it mounts can reach the real host's namespace.
in_throwaway_mntns() {
	local script="$1"
	shift
	run unshare -m --propagation private sh -c "$script" sh "$@"
}

@test "no mount namespace (policy none): the runtime's mount namespace, chrooted into the rootfs; exec too; delete leaves no mount" {
	drop_ns mount
	# runc refuses masked and read-only paths without a mount namespace
	cfg 'del(.linux.maskedPaths) | del(.linux.readonlyPaths)'
	set_cmd 'readlink /proc/self/ns/mnt; cat /etc/hostname; ls /proc/1/ >/dev/null && echo proc-ok; sleep 1000'
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	in_throwaway_mntns '
		A="$1" R="$2" B="$3" C="$4"
		echo "outer $(readlink /proc/self/ns/mnt)"
		"$A" --root "$R" run -d -b "$B" "$C" </dev/null >"$B/../out" 2>&1 || { echo "run failed"; cat "$B/../out"; exit 1; }
		sleep 1
		"$A" --root "$R" exec "$C" sh -c "echo exec-\$(cat /etc/hostname)"
		"$A" --root "$R" delete -f "$C" || echo "delete failed"
		cat "$B/../out"
		echo "left $(grep -c " $B/" /proc/self/mountinfo)"
	' "$AGENTSBX" "$SBX_ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	outer="$(sed -n 's/^outer //p' <<<"$output")"
	# the container printed the runtime's mount namespace
	grep -Fqx "$outer" <<<"$output"
	grep -qx sbx-image <<<"$output" # the rootfs's /etc/hostname: chrooted
	grep -qx proc-ok <<<"$output"
	! grep -q "delete failed" <<<"$output"
	if [ "$SBX_KIND" = agentsbx ]; then
		# runc's exec runs on the host's root, and runc leaves its
		# mounts under the rootfs in the runtime's namespace
		grep -qx exec-sbx-image <<<"$output"
		grep -qx "left 0" <<<"$output"
	fi
}

@test "no mount namespace under a policy with filesystem rules is refused, saying why" {
	requires_agentsbx "the agent sandbox policy"
	drop_ns mount
	run_bg sbx --policy agent-safe create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount namespace"* ]]
	[[ "$output" == *agent-safe* ]]
	no_state "$CID"
}
