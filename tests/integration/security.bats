#!/usr/bin/env bats
# Regression tests for container-breakout CVEs that runtimes have had.

load helpers

# CVE-2019-5736: a container process must never get a writable handle on the
# runtime binary through /proc/<pid>/exe of a runtime process it can see.
# Container A is created (not started): its init is the runtime waiting for
# `start`.  Container B joins A's pid namespace with every capability, opens
# /proc/1/exe (A's init) and, once A has been started (so the binary is no
# longer busy), tries to write through that handle.  The runtime under test
# is a private copy, so the test can never damage the real binary.
@test "CVE-2019-5736: the runtime binary cannot be overwritten through /proc/PID/exe" {
	rt="$BATS_TEST_TMPDIR/runtime-copy"
	cp "$AGENTSBX" "$rt"
	chmod 755 "$rt"
	before="$(sha256sum <"$rt")"
	rsbx() { "$rt" --root "$SBX_ROOT" "$@"; }

	set_args sleep 1000
	run_bg rsbx create -b "$BUNDLE" "$CID-a"
	echo "$CID-a" >>"$BATS_TEST_TMPDIR/.ids"
	[ "$status" -eq 0 ]
	apid="$(rsbx state "$CID-a" | jq -r .pid)"

	B="$BATS_TEST_TMPDIR/bundle-b"
	make_bundle "$B"
	cfg_in "$B" '.linux.namespaces = (.linux.namespaces | map(select(.type != "pid"))) + [{type: "pid", path: $p}]' --arg p "/proc/$apid/ns/pid"
	caps="$(all_caps_json)"
	cfg_in "$B" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c} | .process.noNewPrivileges = false' --argjson c "$caps"
	cfg_in "$B" '.linux.maskedPaths = [] | .linux.readonlyPaths = []'
	cfg_in "$B" '.process.args = ["sh", "-c", $s]' --arg s '
		exec 3</proc/1/exe && echo opened > /ready || echo open-failed > /ready
		while [ ! -e /go ]; do sleep 0.05; done
		i=0
		while [ $i -lt 20 ]; do
			{ printf "#!/bin/sh\necho PWNED\n" >/proc/self/fd/3; } 2>>/errors && echo wrote >> /result
			{ echo PWNED >>/proc/1/exe; } 2>>/errors && echo wrote-exe >> /result
			i=$((i + 1))
			sleep 0.05
		done
		echo finished > /done'
	run_bg rsbx run -d -b "$B" "$CID-b"
	echo "$CID-b" >>"$BATS_TEST_TMPDIR/.ids"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 20 file_exists "$B/rootfs/ready"
	cat "$B/rootfs/ready"

	rsbx start "$CID-a"
	touch "$B/rootfs/go"
	wait_for 30 file_exists "$B/rootfs/done"

	[ "$(sha256sum <"$rt")" = "$before" ]
	cat "$B/rootfs/errors" || true
	[ ! -s "$B/rootfs/result" ]
	# the runtime copy still works
	run "$rt" --version
	[ "$status" -eq 0 ]
}

# CVE-2019-5736, simpler form: the container's own init, while waiting for
# `start`, is not a writable handle on the runtime binary from the host view.
@test "CVE-2019-5736: a created container's init does not expose the binary writable" {
	rt="$BATS_TEST_TMPDIR/runtime-copy"
	cp "$AGENTSBX" "$rt"
	before="$(sha256sum <"$rt")"
	set_args sleep 1000
	run_bg "$rt" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID"
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	[ "$status" -eq 0 ]
	pid="$("$rt" --root "$SBX_ROOT" state "$CID" | jq -r .pid)"
	# open the init's exe now, write after the start (when the binary is
	# no longer being executed)
	exec 5<"/proc/$pid/exe"
	"$rt" --root "$SBX_ROOT" start "$CID"
	wait_status "$CID" running
	{ echo PWNED >>/proc/self/fd/5; } 2>/dev/null || true
	exec 5<&-
	[ "$(sha256sum <"$rt")" = "$before" ]
}

# CVE-2024-21626: no runtime fd leaks into the container.
@test "CVE-2024-21626: the container process has only fds 0, 1, 2" {
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	run ls "/proc/$pid/fd"
	[ "$(xargs <<<"$output")" = "0 1 2" ]
}

@test "CVE-2024-21626: no fd inside points to a host path" {
	# ls runs as a child of the shell (pid 1): it lists the shell's fds
	set_cmd 'ls -l /proc/$$/fd'
	run sbx run "$CID" </dev/null
	[ "$status" -eq 0 ]
	echo "$output"
	! grep -F -e "$BATS_TEST_TMPDIR" -e "$(dirname "$AGENTSBX")" -e /sys/fs/cgroup <<<"$output"
	[ "$(grep -c -- ' -> ' <<<"$output")" -eq 3 ]
	grep -E ' 0 -> ' <<<"$output"
	grep -E ' 1 -> ' <<<"$output"
	grep -E ' 2 -> ' <<<"$output"
}

@test "--preserve-fds N passes exactly fds 3..3+N-1" {
	set_args sleep 1000
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	echo five >"$BATS_TEST_TMPDIR/f5"
	run_bg sbx create -b "$BUNDLE" --preserve-fds 2 "$CID" 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f5"
	[ "$status" -eq 0 ]
	sbx start "$CID"
	pid="$(container_pid "$CID")"
	run ls "/proc/$pid/fd"
	[ "$(xargs <<<"$output")" = "0 1 2 3 4" ]
	[ "$(readlink "/proc/$pid/fd/3")" = "$BATS_TEST_TMPDIR/f3" ]
	[ "$(readlink "/proc/$pid/fd/4")" = "$BATS_TEST_TMPDIR/f4" ]
}

@test "--preserve-fds with run: the container reads a passed fd" {
	echo passed-content >"$BATS_TEST_TMPDIR/f3"
	set_cmd 'cat <&3; ls /proc/$$/fd | xargs'
	run sbx run --preserve-fds 1 "$CID" 3<"$BATS_TEST_TMPDIR/f3"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = passed-content ]
}

# without_close_range ERRNO CMD...: CMD under a seccomp filter that fails
# close_range with ERRNO (an older kernel: ENOSYS; a runtime run under a
# profile that lacks it: EPERM).  Built from C once per test.
without_close_range() {
	local bin="$BATS_TEST_TMPDIR/without-close-range"
	if [ ! -x "$bin" ]; then
		cat >"$bin.c" <<-'C'
			#include <linux/filter.h>
			#include <linux/seccomp.h>
			#include <stddef.h>
			#include <stdio.h>
			#include <stdlib.h>
			#include <sys/prctl.h>
			#include <sys/syscall.h>
			#include <unistd.h>
			int main(int argc, char **argv)
			{
			  struct sock_filter f[] = {
			    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
			    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (atoi(argv[1]) & SECCOMP_RET_DATA)),
			    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			  };
			  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
			  if (argc < 3 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			    return perror("seccomp"), 125;
			  execv(argv[2], argv + 2);
			  return perror(argv[2]), 126;
			}
		C
		gcc -o "$bin" "$bin.c" || skip "cannot build the probe with gcc"
	fi
	"$bin" "$@"
}

@test "close_range refused to the runtime (ENOSYS, EPERM): fds above 2+preserve-fds still do not reach the process" {
	requires_agentsbx "runc 1.1.5 reads /proc/self/fd and never calls close_range"
	local f="$BATS_TEST_TMPDIR/f" e pid
	echo three >"$f.3"
	set_args sleep 1000
	for e in 38 1; do
		run_bg without_close_range "$e" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" \
			--preserve-fds 1 "$CID-$e" 3<"$f.3" 4<"$f.3" 5<"$f.3" 9<"$f.3" 42<"$f.3"
		echo "$CID-$e" >>"$BATS_TEST_TMPDIR/.ids"
		echo "$output"
		[ "$status" -eq 0 ]
		sbx start "$CID-$e"
		pid="$(container_pid "$CID-$e")"
		run ls "/proc/$pid/fd"
		[ "$(xargs <<<"$output")" = "0 1 2 3" ]
		[ "$(readlink "/proc/$pid/fd/3")" = "$f.3" ]
		[ "$(cat "/proc/$pid/comm")" = sleep ]
	done
	# and exec
	run_bg without_close_range 38 "$AGENTSBX" --root "$SBX_ROOT" exec -d --pid-file "$f.pid" \
		--preserve-fds 1 "$CID-1" sleep 1001 3<"$f.3" 4<"$f.3" 9<"$f.3"
	echo "$output"
	[ "$status" -eq 0 ]
	pid="$(cat "$f.pid")"
	run ls "/proc/$pid/fd"
	[ "$(xargs <<<"$output")" = "0 1 2 3" ]
	[ "$(cat "/proc/$pid/cmdline" | tr '\0' ' ')" = "sleep 1001 " ]
}

@test "CVE-2024-21626: cwd /proc/self/fd/N cannot reach outside the rootfs" {
	for n in 3 4 5 6 7 8 9 10 11 12; do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		set_cmd 'i=0; while [ $i -lt 40 ]; do cd .. 2>/dev/null; i=$((i+1)); done; if [ "$(stat -c %d:%i .)" = "$(stat -c %d:%i /)" ]; then echo INSIDE; else echo ESCAPED; ls; fi'
		run sbx run "$CID-$n" </dev/null
		if [ "$status" -eq 0 ]; then
			[ "$output" = INSIDE ] || {
				echo "cwd /proc/self/fd/$n escaped the rootfs: $output"
				false
			}
		fi
		no_state "$CID-$n"
	done
}

@test "CVE-2024-21626: the process cannot reach the host through /proc/self/fd" {
	set_cmd 'for f in /proc/self/fd/*; do cd "$f" 2>/dev/null && { i=0; while [ $i -lt 40 ]; do cd ..; i=$((i+1)); done; [ "$(stat -c %d:%i .)" = "$(stat -c %d:%i /)" ] || echo "ESCAPED via $f"; cd /; }; done; echo checked'
	run sbx run "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = checked ]
}

# CVE-2021-30465: mount destinations that are (or contain) symlinks to the
# host or to /.. must stay inside the rootfs.
@test "CVE-2021-30465: a destination symlinked to / of the host stays inside" {
	mkdir "$BATS_TEST_TMPDIR/src"
	echo via-src >"$BATS_TEST_TMPDIR/src/m"
	ln -s / "$ROOTFS/hostroot"
	add_mount "{\"destination\": \"/hostroot/etc\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}"
	set_cmd 'cat /etc/m; cat /etc/passwd | head -1'
	run sbx run "$CID"
	if [ "$status" -eq 0 ]; then
		# the mount covered the container's /etc, not the host's
		[ "${lines[0]}" = via-src ]
	fi
	[ ! -e /etc/m ]
	grep -q '^root:' /etc/passwd
	no_mounts /etc
}

@test "CVE-2021-30465: destination through a /.. symlink stays inside" {
	ln -s /.. "$ROOTFS/dotdot"
	ln -s ../../../../../../../../../../tmp "$ROOTFS/uptmp"
	add_mount '{"destination": "/dotdot/landed", "type": "tmpfs", "source": "tmpfs"}'
	add_mount '{"destination": "/uptmp/landed2", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'grep -c -E " /(landed|tmp/landed2) " /proc/self/mountinfo'
	run sbx run "$CID"
	if [ "$status" -eq 0 ]; then
		[ "$output" = 2 ]
	fi
	[ ! -e /landed ]
	[ ! -e /tmp/landed2 ]
	no_mounts /tmp/landed2
}

@test "CVE-2021-30465: a bind source that is a symlink inside the rootfs does not expose the host" {
	# sources are host paths: only destinations are resolved in the rootfs.
	# A destination whose parent is a symlink to the bundle must not land in the bundle.
	ln -s "$BUNDLE" "$ROOTFS/bundle-link"
	add_mount '{"destination": "/bundle-link/rootfs/x", "type": "tmpfs", "source": "tmpfs"}'
	set_args true
	run sbx run "$CID"
	no_mounts "$BUNDLE"
	[ ! -e "$ROOTFS/rootfs/x" ] || [ -d "$ROOTFS/$BUNDLE/rootfs/x" ] || [ "$status" -ne 0 ] || [ -d "$ROOTFS$BUNDLE/rootfs/x" ]
}

@test "the container cannot see the host's mount table or processes" {
	set_cmd 'ps -o pid | wc -l; cat /proc/self/mountinfo | wc -l'
	sleep 1000 &
	track_pid $!
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -le 4 ]
	[ "${lines[1]}" -lt "$(wc -l </proc/self/mountinfo)" ] || [ "${lines[1]}" -le 20 ]
}
