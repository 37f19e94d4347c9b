#!/usr/bin/env bats
# /dev, linux.devices, maskedPaths, readonlyPaths

load helpers

@test "default devices exist with the right numbers" {
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	grep -x '/dev/null character special file 1:3' <<<"$output"
	grep -x '/dev/zero character special file 1:5' <<<"$output"
	grep -x '/dev/full character special file 1:7' <<<"$output"
	grep -x '/dev/random character special file 1:8' <<<"$output"
	grep -x '/dev/urandom character special file 1:9' <<<"$output"
	grep -x '/dev/tty character special file 5:0' <<<"$output"
}

@test "default devices work" {
	set_cmd 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1 | tr -d " "; head -c 8 /dev/urandom | wc -c; echo x > /dev/full || echo full-ENOSPC'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 00000000 ]
	[ "${lines[2]}" = 8 ]
	[[ "$output" == *full-ENOSPC* ]]
}

@test "/dev/ptmx, /dev/pts, /dev/shm, /dev/mqueue and the /dev/fd symlinks" {
	set_cmd 'ls -l /dev/ptmx; test -c /dev/pts/ptmx && echo pts-ptmx; test -d /dev/shm && echo shm; test -d /dev/mqueue && echo mqueue; for l in fd stdin stdout stderr; do readlink /dev/$l; done'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	# runc makes /dev/ptmx a symlink to pts/ptmx
	[[ "${lines[0]}" == *"/dev/ptmx -> pts/ptmx"* ]] || [[ "${lines[0]}" == c* ]]
	grep -x pts-ptmx <<<"$output"
	grep -x shm <<<"$output"
	grep -x mqueue <<<"$output"
	grep -x /proc/self/fd <<<"$output"
	grep -x /proc/self/fd/0 <<<"$output"
	grep -x /proc/self/fd/1 <<<"$output"
	grep -x /proc/self/fd/2 <<<"$output"
}

@test "/dev holds no host devices" {
	set_cmd 'ls /dev'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	! grep -qx -E 'sda|vda|nvme0|mem|kmem|port|kmsg' <<<"$output"
}

@test "linux.devices with mode, uid and gid" {
	cfg '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 3, fileMode: 432, uid: 1000, gid: 1001}]'
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
	set_cmd 'stat -c "%F %t:%T %a %u %g" /dev/mydev'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000 1001" ]
	# usable by its owner
	cfg '.process.user = {uid: 1000, gid: 1000}'
	set_cmd 'echo hi > /dev/mydev && echo writable'
	run sbx run "$CID-2"
	[ "$status" -eq 0 ]
	[ "$output" = writable ]
}

@test "linux.devices: a device in a nested missing directory, block type" {
	cfg '.linux.devices = [{path: "/dev/sub/dir/myblk", type: "b", major: 7, minor: 99, fileMode: 384, uid: 0, gid: 0}]'
	set_cmd 'stat -c "%F %t:%T %a" /dev/sub/dir/myblk'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "block special file 7:63 600" ]
}

@test "maskedPaths: files read empty, directories are empty" {
	echo secret >"$ROOTFS/etc/secret"
	mkdir "$ROOTFS/secretdir"
	echo secret >"$ROOTFS/secretdir/f"
	cfg '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/does/not/exist"]'
	set_cmd 'cat /etc/secret | wc -c; ls /secretdir | wc -l; ls /sys/firmware 2>/dev/null | wc -l; cat /proc/timer_list 2>/dev/null | wc -c'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	# the rootfs itself is untouched
	[ "$(cat "$ROOTFS/etc/secret")" = secret ]
}

@test "maskedPaths cannot be written" {
	cfg '.linux.maskedPaths += ["/secretdir"]'
	mkdir "$ROOTFS/secretdir"
	set_cmd 'touch /secretdir/x'
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOTFS/secretdir/x" ]
}

@test "readonlyPaths" {
	mkdir "$ROOTFS/rodir"
	cfg '.linux.readonlyPaths += ["/rodir", "/does/not/exist"]'
	set_cmd 'touch /rodir/x 2>/dev/null && echo rodir-rw || echo rodir-ro; { echo 1 > /proc/sys/kernel/ns_last_pid; } 2>/dev/null && echo procsys-rw || echo procsys-ro; touch /other && echo other-rw'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rodir-ro ]
	[ "${lines[1]}" = procsys-ro ]
	[ "${lines[2]}" = other-rw ]
}
