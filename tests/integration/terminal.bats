#!/usr/bin/env bats
# process.terminal, --console-socket, consoleSize

load helpers

setup() {
	sbx_setup
	[ -x "$RECVTTY" ] || skip "no recvtty at $RECVTTY (build tests/tools/recvtty or set RECVTTY)"
	SOCK="$BATS_TEST_TMPDIR/tty.sock"
}

# start_recvtty: recvtty in single mode, output in $BATS_TEST_TMPDIR/tty.out
start_recvtty() {
	"$RECVTTY" --mode single --no-stdin --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" "$SOCK" \
		</dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" 3>&- &
	RECVTTY_PID=$!
	track_pid "$RECVTTY_PID"
	wait_for 10 socket_exists "$SOCK"
}

recvtty_done() { ! kill -0 "$RECVTTY_PID" 2>/dev/null; }

@test "create --console-socket: the pty master goes to the socket; consoleSize is applied" {
	cfg '.process.terminal = true | .process.consoleSize = {height: 40, width: 100}'
	set_cmd 'tty; stty size; for f in 0 1 2; do readlink /proc/self/fd/$f; done; echo tty-done'
	start_recvtty
	run_bg sbx create -b "$BUNDLE" --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	sbx start "$CID"
	wait_status "$CID" stopped
	wait_for 10 recvtty_done
	out="$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")"
	echo "$out"
	grep -qx '/dev/pts/0' <<<"$out"
	grep -qx '40 100' <<<"$out"
	[ "$(grep -cx '/dev/pts/0' <<<"$out")" -ge 4 ]
	grep -qx tty-done <<<"$out"
}

@test "run -d --console-socket" {
	cfg '.process.terminal = true'
	set_cmd 'tty; echo run-d-done'
	start_recvtty
	run_bg sbx run -d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_for 10 recvtty_done
	out="$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")"
	grep -qx '/dev/pts/0' <<<"$out"
	grep -qx run-d-done <<<"$out"
}

@test "the terminal is the controlling tty of a new session" {
	cfg '.process.terminal = true'
	set_cmd 'ps -o pid,tty,comm | grep -v ps; [ -t 0 ] && echo stdin-is-tty; [ -t 1 ] && echo stdout-is-tty'
	start_recvtty
	run_bg sbx run -d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_for 10 recvtty_done
	out="$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")"
	grep -qx stdin-is-tty <<<"$out"
	grep -qx stdout-is-tty <<<"$out"
}

@test "terminal without --console-socket on create fails" {
	cfg '.process.terminal = true'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "--console-socket without terminal fails" {
	start_recvtty
	run_bg sbx create -b "$BUNDLE" --console-socket "$SOCK" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
}

@test "--console-socket pointing nowhere fails and leaves nothing" {
	cfg '.process.terminal = true'
	run_bg sbx create -b "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/nobody-listens" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	no_mounts "$BUNDLE"
}

@test "foreground run with a terminal (under script(1))" {
	command -v script >/dev/null || skip "script(1) missing (bsdutils)"
	cfg '.process.terminal = true'
	set_cmd 'tty; echo fg-tty-done'
	run script -qec "$AGENTSBX --root $SBX_ROOT run $CID" /dev/null </dev/null
	echo "$CID" >>"$BATS_TEST_TMPDIR/.ids"
	[ "$status" -eq 0 ]
	out="$(tr -d '\r' <<<"$output")"
	grep -q '/dev/pts/0$' <<<"$out"
	grep -q 'fg-tty-done$' <<<"$out"
}

# Landlock handles the write rights under a filesystem policy (issue 10):
# the terminal, bound on /dev/console after the policy's walk, must stay
# writable by every name, for the container's process and for exec.
@test "under agent-safe the terminal stays writable: /dev/console, /dev/tty, /dev/stderr, /proc/self/fd (run and exec)" {
	requires_agentsbx "the policy's Landlock write rights"
	cfg '.process.terminal = true'
	set_cmd 'for f in /dev/console /dev/tty /dev/stderr /proc/self/fd/1; do echo "to $f" >$f && echo "ok $f"; done; echo run-done; sleep 1000'
	start_recvtty
	run_bg sbx --policy agent-safe run -d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_for 10 grep -q run-done "$BATS_TEST_TMPDIR/tty.out"
	run sbx exec "$CID" sh -c 'echo exec-to-console >/dev/console && echo exec-ok'
	[ "$status" -eq 0 ]
	[ "$output" = exec-ok ]
	wait_for 10 grep -q exec-to-console "$BATS_TEST_TMPDIR/tty.out"
	out="$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")"
	echo "$out"
	for f in /dev/console /dev/tty /dev/stderr /proc/self/fd/1; do
		grep -qx "ok $f" <<<"$out"
	done
	! grep -q 'Permission denied' <<<"$out"
}

@test "a read-only /dev with a terminal: /dev/console is the pty, /dev stays read-only" {
	cfg '.process.terminal = true'
	cfg '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	set_cmd 'tty; [ -c /dev/console ] && echo console-ok; touch /dev/x 2>&1; echo ro-done'
	start_recvtty
	run_bg sbx run -d --console-socket "$SOCK" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_for 10 recvtty_done
	out="$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")"
	echo "$out"
	grep -qx '/dev/pts/0' <<<"$out"
	grep -qx console-ok <<<"$out"
	grep -q 'Read-only file system' <<<"$out"
	grep -qx ro-done <<<"$out"
}
