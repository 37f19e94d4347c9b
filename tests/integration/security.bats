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

# ---------------------------------------------------------------------------
# nothing of the runtime's command line or environment is readable inside
# (issue 10, item 4): `exec -e GITHUB_TOKEN=...` showed in the runtime's
# /proc/PID/cmdline, and with CAP_SYS_PTRACE its /proc/PID/environ showed the
# caller's whole environment

# build_scanner: $ROOTFS/scan, a static program that, until SIGUSR1 (or
# SECONDS pass), reads /proc/PID/environ and then /proc/PID/cmdline of every
# other process and reports the first NEEDLE it finds in either, unless
# that process has become SKIP (read after environ, so that the
# environment SKIP legitimately has is never mistaken for the runtime's).
#   scan SECONDS SKIP NEEDLE...   exit 0: found (printed), 1: none
build_scanner() {
	cat >"$BATS_TEST_TMPDIR/scan.c" <<-'C'
		#define _GNU_SOURCE
		#include <ctype.h>
		#include <dirent.h>
		#include <signal.h>
		#include <fcntl.h>
		#include <stdio.h>
		#include <stdlib.h>
		#include <string.h>
		#include <time.h>
		#include <unistd.h>
		static size_t slurp(const char *path, char *buf, size_t size)
		{
		  int fd = open(path, O_RDONLY);
		  size_t len = 0;
		  ssize_t n;
		  if (fd < 0)
		    return 0;
		  while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		    len += (size_t)n;
		  close(fd);
		  return len;
		}
		static void show(const char *what, long pid, char *buf, size_t len)
		{
		  for (size_t i = 0; i < len; i++)
		    if (buf[i] == '\0')
		      buf[i] = ' ';
		  printf("LEAK in /proc/%ld/%s: %.*s\n", pid, what, (int)len, buf);
		}
		static volatile sig_atomic_t stop;
		static void on_usr1(int sig)
		{
		  stop = sig;
		}
		int main(int argc, char **argv)
		{
		  static char env[1 << 20], cmd[1 << 16];
		  time_t end = time(NULL) + atoi(argv[1]);
		  long self = getpid(), scans = 0;
		  int ready = 0;
		  signal(SIGUSR1, on_usr1);
		  setvbuf(stdout, NULL, _IONBF, 0);
		  while (time(NULL) < end && !stop) {
		    DIR *d = opendir("/proc");
		    struct dirent *e;
		    while (d && (e = readdir(d)) != NULL) {
		      char path[64];
		      long pid = atol(e->d_name);
		      size_t el, cl;
		      if (!isdigit((unsigned char)e->d_name[0]) || pid == self)
		        continue;
		      snprintf(path, sizeof path, "/proc/%ld/environ", pid);
		      el = slurp(path, env, sizeof env);
		      snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
		      cl = slurp(path, cmd, sizeof cmd - 1);
		      cmd[cl] = '\0';
		      if (cl == 0 || strcmp(cmd, argv[2]) == 0)
		        continue;
		      for (int i = 3; i < argc; i++) {
		        if (memmem(cmd, cl, argv[i], strlen(argv[i])))
		          return show("cmdline", pid, cmd, cl), 0;
		        if (memmem(env, el, argv[i], strlen(argv[i])))
		          return show("environ", pid, env, el), 0;
		      }
		    }
		    if (d)
		      closedir(d);
		    if (!ready && ++scans > 10) {
		      ready = 1;
		      printf("scanning\n");
		    }
		  }
		  printf("no leak\n");
		  return 1;
		}
	C
	gcc -static -O2 -Wall -Werror -o "$ROOTFS/scan" "$BATS_TEST_TMPDIR/scan.c" || skip "cannot build a static probe with gcc"
}

# exec_leak_race [GLOBAL-FLAGS...]: a container running the scanner; `exec
# -e GITHUB_TOKEN=... true` (and `exec -p process.json`, every other time)
# from a host shell whose own environment has a marker, again and again
# (bounded in count and time) while the scanner looks for the token, the
# marker, the state root and process.json's host path in every process.
# Sets $output to the scanner's report.
exec_leak_race() {
	local token="ghp_sbxSecret$RANDOM$RANDOM" marker="SBX_CALLER_MARKER_$RANDOM$RANDOM" i
	local pjson="$BATS_TEST_TMPDIR/process-$RANDOM.json"
	jq -n --arg t "GITHUB_TOKEN=$token" \
		'{args: ["true"], cwd: "/", env: ["PATH=/bin:/usr/bin", $t], user: {uid: 0, gid: 0}}' >"$pjson"
	build_scanner
	set_args /scan 60 true "$token" "$marker" "$SBX_ROOT" "$pjson"
	run_bg sbx "$@" run -d "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	wait_for 20 grep -qx scanning "$BG_OUT"
	local deadline=$((SECONDS + 40))
	EXECS_OK=0
	for i in $(seq 40); do
		[ "$SECONDS" -lt "$deadline" ] || break
		status_is "$CID" running || break
		if ((i % 2)); then
			env "SBX_TEST_CALLER=$marker" "$AGENTSBX" --root "$SBX_ROOT" "$@" exec \
				-e "GITHUB_TOKEN=$token" "$CID" true >/dev/null 2>&1 && EXECS_OK=$((EXECS_OK + 1))
		else
			env "SBX_TEST_CALLER=$marker" "$AGENTSBX" --root "$SBX_ROOT" "$@" exec \
				-p "$pjson" "$CID" >/dev/null 2>&1 && EXECS_OK=$((EXECS_OK + 1))
		fi
	done
	sbx kill "$CID" USR1 2>/dev/null || true   # (gone already when it found a leak)
	wait_status "$CID" stopped
	output="$(grep -v -x scanning "$BG_OUT"; cat "$BG_ERR")"
	echo "after $i execs ($EXECS_OK succeeded): $output"
}

@test "exec: the runtime's arguments and the caller's environment are not readable inside (all capabilities)" {
	requires_agentsbx "runc shows its arguments (runc exec -e) to the container"
	grant_all_caps
	exec_leak_race
	[ "$output" = "no leak" ]
	[ "$EXECS_OK" -ge 10 ]
}

@test "exec: nor under a policy that keeps CAP_SYS_PTRACE" {
	requires_agentsbx "the agent sandbox policy"
	export AGENTSBX_CONFIG_DIR="$BATS_TEST_TMPDIR/etc-agentsbx"
	mkdir -p "$AGENTSBX_CONFIG_DIR"
	echo '{"extends": "agent-safe", "capabilities": {"allow": ["CAP_SYS_PTRACE"]}}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	grant_all_caps
	exec_leak_race
	[ "$output" = "no leak" ]
	[ "$EXECS_OK" -ge 10 ]
}

@test "create: init's environment is not the caller's (a created container's /proc/1/environ)" {
	requires_agentsbx "runc init's environment has its own variables"
	local marker="SBX_CALLER_MARKER_$RANDOM$RANDOM"
	grant_all_caps
	set_args sleep 1000
	run_bg env "SBX_TEST_CALLER=$marker" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$CID"
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	[ "$status" -eq 0 ]
	# root with every capability reads init's environ and cmdline before start
	run sbx exec "$CID" sh -c 'tr "\0" "\n" </proc/1/environ; tr "\0" " " </proc/1/cmdline'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$marker"* ]]
	[[ "$output" != *"$SBX_ROOT"* ]]
	[ "$output" = "agentsbx init 5 " ] || [[ "$output" == "agentsbx init "[0-9]*" " ]]
}
