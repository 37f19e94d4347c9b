#!/usr/bin/env bats
# mounts, root, rootfsPropagation, pivot_root / --no-pivot

load helpers

# mountinfo_line DEST: inside-the-container mountinfo line of DEST (last one)
# is printed by the container command `grep " DEST " /proc/self/mountinfo`.

@test "bind mount of a directory" {
	mkdir "$BATS_TEST_TMPDIR/src"
	echo bound >"$BATS_TEST_TMPDIR/src/file"
	add_mount "{\"destination\": \"/mnt/b\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	set_cmd 'cat /mnt/b/file; echo written > /mnt/b/out'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = bound ]
	[ "$(cat "$BATS_TEST_TMPDIR/src/out")" = written ]
}

@test "bind mount with type none and options bind (runc's form)" {
	mkdir "$BATS_TEST_TMPDIR/src"
	echo bound >"$BATS_TEST_TMPDIR/src/file"
	add_mount "{\"destination\": \"/mnt/b\", \"type\": \"none\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\"]}"
	set_cmd 'cat /mnt/b/file'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = bound ]
}

@test "read-only bind mount" {
	mkdir "$BATS_TEST_TMPDIR/src"
	add_mount "{\"destination\": \"/mnt/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\", \"ro\"]}"
	set_cmd 'touch /mnt/ro/x'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/src/x" ]
}

@test "bind vs rbind: submounts of the source" {
	mkdir -p "$BATS_TEST_TMPDIR/src/sub"
	mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/src/sub"
	echo in-submount >"$BATS_TEST_TMPDIR/src/sub/m"
	add_mount "{\"destination\": \"/mnt/bind\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	add_mount "{\"destination\": \"/mnt/rbind\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\"]}"
	set_cmd 'cat /mnt/rbind/sub/m; test -e /mnt/bind/sub/m && echo bind-sees-submount || echo bind-no-submount'
	run sbx run "$CID"
	umount "$BATS_TEST_TMPDIR/src/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-submount ]
	[ "${lines[1]}" = bind-no-submount ]
}

@test "rro: recursively read-only rbind" {
	mkdir -p "$BATS_TEST_TMPDIR/src/sub"
	mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/src/sub"
	add_mount "{\"destination\": \"/mnt/rro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"rro\"]}"
	add_mount "{\"destination\": \"/mnt/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"ro\"]}"
	set_cmd 'touch /mnt/rro/top 2>/dev/null && echo top-rw || echo top-ro; touch /mnt/rro/sub/x 2>/dev/null && echo sub-rw || echo sub-ro; touch /mnt/ro/top 2>/dev/null && echo ro-top-rw || echo ro-top-ro'
	run sbx run "$CID"
	umount "$BATS_TEST_TMPDIR/src/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = top-ro ]
	[ "${lines[1]}" = sub-ro ]
	[ "${lines[2]}" = ro-top-ro ]
}

@test "propagation flags on a bind mount" {
	mkdir "$BATS_TEST_TMPDIR/src"
	add_mount "{\"destination\": \"/mnt/shared\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"rshared\"]}"
	add_mount "{\"destination\": \"/mnt/private\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"rprivate\"]}"
	add_mount "{\"destination\": \"/mnt/slave\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"rslave\"]}"
	set_cmd 'grep " /mnt/shared " /proc/self/mountinfo; echo; grep " /mnt/private " /proc/self/mountinfo; echo; grep " /mnt/slave " /proc/self/mountinfo'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" shared:"* ]]
	[[ "${lines[1]}" != *" shared:"* && "${lines[1]}" != *" master:"* ]]
	[[ "${lines[2]}" != *" shared:"* ]]
}

@test "tmpfs with size and mode" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m", "mode=1750", "nosuid"]}'
	set_cmd 'stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1750 ]
	[[ "${lines[1]}" == *tmpfs* ]]
	[[ "${lines[1]}" == *size=2048k* ]]
	[[ "${lines[1]}" == *nosuid* ]]
}

@test "proc, sysfs, devpts, mqueue are mounted" {
	set_cmd 'for d in /proc /sys /dev/pts /dev/mqueue /dev/shm /dev; do awk -v d=$d "\$5 == d { print d, \$(NF-2) }" /proc/self/mountinfo | tail -n1; done'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x '/proc proc' <<<"$output"
	grep -x '/sys sysfs' <<<"$output"
	grep -x '/dev/pts devpts' <<<"$output"
	grep -x '/dev/mqueue mqueue' <<<"$output"
	grep -x '/dev/shm tmpfs' <<<"$output"
	grep -x '/dev tmpfs' <<<"$output"
}

@test "sysfs is read-only when asked" {
	set_cmd 'touch /sys/x'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
}

@test "cgroup mount" {
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'
	set_cmd 'grep -c -E " - cgroup2? " /proc/self/mountinfo; ls /sys/fs/cgroup | wc -l'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -ge 1 ]
	[ "${lines[1]}" -ge 1 ]
}

@test "destinations are created as needed (nested, missing dirs)" {
	mkdir "$BATS_TEST_TMPDIR/src"
	echo deep >"$BATS_TEST_TMPDIR/src/f"
	add_mount "{\"destination\": \"/a/b/c/d\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	add_mount '{"destination": "/x/y/tmp", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'cat /a/b/c/d/f; grep -c " /x/y/tmp " /proc/self/mountinfo'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = deep ]
	[ "${lines[1]}" = 1 ]
}

@test "file bind mount onto a missing destination creates a file" {
	echo file-content >"$BATS_TEST_TMPDIR/hostfile"
	add_mount "{\"destination\": \"/etc/new/conf\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hostfile\", \"options\": [\"bind\", \"ro\"]}"
	set_cmd 'cat /etc/new/conf; test -f /etc/new/conf && echo is-file'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = file-content ]
	[ "${lines[1]}" = is-file ]
	[ -f "$ROOTFS/etc/new/conf" ]
}

@test "file bind mount onto an existing file" {
	echo host-version >"$BATS_TEST_TMPDIR/hostname-file"
	add_mount "{\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hostname-file\", \"options\": [\"bind\"]}"
	set_cmd 'cat /etc/hostname'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = host-version ]
	[ "$(cat "$ROOTFS/etc/hostname")" = sbx-image ]
}

@test "mounts are applied in order (later on top of earlier)" {
	add_mount '{"destination": "/stack", "type": "tmpfs", "source": "tmpfs"}'
	mkdir "$BATS_TEST_TMPDIR/src"
	echo top >"$BATS_TEST_TMPDIR/src/f"
	add_mount "{\"destination\": \"/stack/inner\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	set_cmd 'cat /stack/inner/f'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = top ]
	# /stack was a tmpfs in the container only
	[ ! -e "$ROOTFS/stack/inner" ]
}

@test "pivot_root: the old root is not reachable" {
	set_cmd 'ls / ; grep -c . /proc/self/mountinfo'
	touch "$ROOTFS/marker-in-rootfs"
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -qx marker-in-rootfs <<<"$output"
	# no host paths in the container's mount table
	set_cmd 'cat /proc/self/mountinfo'
	run sbx run "$CID-2"
	[ "$status" -eq 0 ]
	[ -z "$(awk '{ print $5 }' <<<"$output" | grep -F "$BATS_TEST_TMPDIR")" ]
}

@test "--no-pivot: the container still runs in its rootfs" {
	touch "$ROOTFS/marker-in-rootfs"
	set_cmd 'ls /; echo done'
	run sbx run --no-pivot "$CID"
	[ "$status" -eq 0 ]
	grep -qx marker-in-rootfs <<<"$output"
	grep -qx done <<<"$output"
	set_args sleep 1000
	run_bg sbx create --no-pivot -b "$BUNDLE" "$CID-2"
	[ "$status" -eq 0 ]
	sbx start "$CID-2"
	wait_status "$CID-2" running
}

@test "root.readonly" {
	cfg '.root.readonly = true'
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'touch /x 2>/dev/null && echo root-rw || echo root-ro; touch /tmp/x && echo tmp-rw'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = root-ro ]
	[ "${lines[1]}" = tmp-rw ]
	[ ! -e "$ROOTFS/x" ]
}

@test "root.readonly false: the rootfs is writable" {
	set_cmd 'touch /written-inside'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ -e "$ROOTFS/written-inside" ]
}

@test "root.path absolute" {
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/abs-rootfs"
	touch "$BATS_TEST_TMPDIR/abs-rootfs/abs-marker"
	cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/abs-rootfs"
	set_cmd 'ls /abs-marker'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
}

@test "rootfsPropagation values are accepted" {
	set_args true
	for p in shared slave private rshared rslave rprivate; do
		cfg '.linux.rootfsPropagation = $p' --arg p "$p"
		run sbx run "$CID-$p"
		[ "$status" -eq 0 ] || {
			echo "rootfsPropagation=$p: $output"
			false
		}
	done
}

@test "rootfsPropagation shared makes the container's / shared, private does not" {
	requires_agentsbx "runc 1.1 leaves the pivoted root private whatever rootfsPropagation says"
	cfg '.linux.rootfsPropagation = "shared"'
	set_cmd 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *" shared:"* ]]

	cfg '.linux.rootfsPropagation = "private"'
	run sbx run "$CID-2"
	[ "$status" -eq 0 ]
	[[ "$output" != *" shared:"* ]]
	[[ "$output" != *" master:"* ]]
}

@test "rootfsPropagation: a container never propagates mounts to the host" {
	cfg '.linux.rootfsPropagation = "shared"'
	add_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"}'
	set_args sleep 1000
	start_detached "$CID"
	no_mounts "$ROOTFS"
}

@test "a symlink at a mount destination cannot move the mount outside the rootfs" {
	target="$BATS_TEST_TMPDIR/host-target"
	mkdir "$target"
	echo host-original >"$target/keep"
	ln -s "$target" "$ROOTFS/evil"
	mkdir "$BATS_TEST_TMPDIR/src"
	echo from-src >"$BATS_TEST_TMPDIR/src/marker"
	add_mount "{\"destination\": \"/evil\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	# a missing host path behind a symlink must not be created on the host
	ln -s "$BATS_TEST_TMPDIR/never/created" "$ROOTFS/evil2"
	add_mount '{"destination": "/evil2/sub", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'cat /evil/marker; touch /evil2/sub/w && echo tmpfs-ok'
	run sbx run "$CID"
	# the runtime may refuse; if it ran, the mounts are inside the rootfs
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = from-src ]
		[ "${lines[1]}" = tmpfs-ok ]
		# mount points were made inside the rootfs
		[ -d "$ROOTFS/$target" ]
	fi
	[ ! -e "$BATS_TEST_TMPDIR/never" ]
	[ "$(ls "$target")" = keep ]
	[ "$(cat "$target/keep")" = host-original ]
	no_mounts "$target"
}

@test "a relative symlink climbing out at a mount destination stays inside" {
	ln -s ../../../../../../../../.. "$ROOTFS/up"
	add_mount '{"destination": "/up/escaped", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'grep -c " /escaped " /proc/self/mountinfo'
	run sbx run "$CID"
	if [ "$status" -eq 0 ]; then
		[ "$output" = 1 ]
		[ -d "$ROOTFS/escaped" ]
	fi
	[ ! -e /escaped ]
	no_mounts "$BATS_TEST_TMPDIR"
}

@test "--no-pivot detaches the host's mounts outside the rootfs" {
	set_cmd 'grep -c . /proc/self/mountinfo'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	pivot="$output"
	run sbx run --no-pivot "$CID-np"
	[ "$status" -eq 0 ]
	# the same mounts as with pivot_root (the rootfs' own parent aside),
	# not the host's whole tree
	[ "$output" -le $((pivot + 2)) ]
	host="$(grep -c . /proc/self/mountinfo)"
	[ "$output" -lt "$host" ] || [ "$host" -le $((pivot + 2)) ]
}
