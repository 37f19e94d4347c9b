#!/usr/bin/env bash
# Shared helpers for the agentsbx integration suites.
#
# Everything is parametrised by $AGENTSBX (the runtime under test; default:
# the built ./agentsbx at the top of the repository).  The suites are meant to
# pass against runc too:  AGENTSBX=$(command -v runc) bats tests/integration
#
# Each test gets:
#   $SBX_ROOT  a private state root, passed as --root on every `sbx` call
#   $BUNDLE    a fresh bundle (config.json + busybox rootfs); cwd is $BUNDLE
#   $ROOTFS    $BUNDLE/rootfs
#   $CID       a container id unique on this machine
# and teardown kills + deletes every container it created, kills every helper
# process it started, and fails the test if anything is left mounted under
# the test's temporary directory.

bats_require_minimum_version 1.5.0

INTEGRATION_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_TOP="$(cd "$INTEGRATION_DIR/../.." && pwd)"

AGENTSBX="${AGENTSBX:-$REPO_TOP/agentsbx}"
RECVTTY="${RECVTTY:-$REPO_TOP/tests/tools/recvtty}"
BUSYBOX="${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}"

# The suites check runc equivalence, so agentsbx runs them under the policy
# preset `none` (exact runc behaviour), selected the way an admin would:
# a config directory whose policy.json is {"extends": "none"}.  Policy
# tests pick their own with --policy or their own AGENTSBX_CONFIG_DIR.
if [ -z "${AGENTSBX_CONFIG_DIR:-}" ]; then
	AGENTSBX_CONFIG_DIR="${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/agentsbx-config-none"
	mkdir -p "$AGENTSBX_CONFIG_DIR"
	echo '{"extends": "none"}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	export AGENTSBX_CONFIG_DIR
fi

# "runc", "crun" or "agentsbx": used only to skip the few tests that assert
# agentsbx-specific output (error texts naming JSON paths, --version text...).
sbx_kind() {
	local v
	v="$("$AGENTSBX" --version 2>/dev/null | head -n1)"
	case "$v" in
	runc*) echo runc ;;
	crun*) echo crun ;;
	*) echo agentsbx ;;
	esac
}

# Skip a test whose assertion is about agentsbx's own promise, not runc's.
requires_agentsbx() {
	if [ "$SBX_KIND" != agentsbx ]; then
		skip "agentsbx-specific: ${1:-output differs from $SBX_KIND}"
	fi
}

# ---------------------------------------------------------------------------
# the runtime wrapper

# sbx ARGS...: the runtime with this test's private --root.  Records the ids
# of containers it creates so teardown can remove them.
sbx() {
	case "${1:-}" in
	create | run) echo "${@: -1}" >>"$BATS_TEST_TMPDIR/.ids" ;;
	esac
	"$AGENTSBX" --root "$SBX_ROOT" "$@"
}

# run_bg CMD...: like bats' `run`, for commands that leave a container behind
# (create, run -d).  The command's stdio (and so the container's, which
# inherits it) goes to files instead of bats' pipe, so `run` does not wait for
# the container to close it.  Sets $status, $output (stdout+stderr of the
# command, read right after it returns), $BG_OUT and $BG_ERR (the files: the
# container's later output keeps landing there).
BG_N=0
run_bg() {
	BG_N=$((BG_N + 1))
	BG_OUT="$BATS_TEST_TMPDIR/bg.$BG_N.out"
	BG_ERR="$BATS_TEST_TMPDIR/bg.$BG_N.err"
	status=0
	"$@" </dev/null >"$BG_OUT" 2>"$BG_ERR" || status=$?
	output="$(cat "$BG_OUT" "$BG_ERR")"
	stderr="$(cat "$BG_ERR")"
	# shellcheck disable=SC2034
	lines=()
	mapfile -t lines <<<"$output"
}

# create_container [CREATE-FLAGS...] ID: `create -b $BUNDLE`, must succeed.
create_container() {
	run_bg sbx create -b "$BUNDLE" "$@"
	if [ "$status" -ne 0 ]; then
		echo "create failed ($status): $output" >&2
		return 1
	fi
}

# start_detached ID: create + start, must succeed.  Output of the container
# ends up in $BG_OUT / $BG_ERR of the create.
start_detached() {
	create_container "$@" || return 1
	local id="${*: -1}"
	sbx start "$id" || {
		echo "start $id failed" >&2
		return 1
	}
}

# container_status ID: prints the status field of `state`.
container_status() {
	sbx state "$1" 2>/dev/null | jq -r .status
}

container_pid() {
	sbx state "$1" | jq -r .pid
}

# wait_for SECONDS CMD...: retries CMD every 0.05s until it succeeds or the
# deadline passes (the deadline only bounds a wait, it is never asserted).
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_for: gave up on: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

status_is() {
	[ "$(container_status "$1")" = "$2" ]
}

# wait_status ID STATUS
wait_status() {
	wait_for 20 status_is "$1" "$2"
}

file_exists() { [ -e "$1" ]; }

# cg_file CONTROLLER FILE: the host path of FILE in the running container's
# cgroup (a v1 controller's hierarchy, else the unified one).
cg_file() {
	local ctrl="$1" file="$2" path
	path="$(awk -F: -v c="$ctrl" '$2 == c {print $3}' "/proc/$(container_pid "$CID")/cgroup")"
	if [ -n "$path" ]; then
		echo "/sys/fs/cgroup/$ctrl$path/$file"
	else
		path="$(awk -F: '$1 == "0" {print $3}' "/proc/$(container_pid "$CID")/cgroup")"
		echo "/sys/fs/cgroup$path/$file"
	fi
}
socket_exists() { [ -S "$1" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------------------
# bundle and config

# The busybox rootfs is built once per bats run (under $BATS_RUN_TMPDIR) and
# copied per test.
rootfs_cache() {
	local base="${BATS_RUN_TMPDIR:-/tmp}"
	local cache="$base/busybox-rootfs"
	(
		flock 9
		if [ ! -e "$cache/.done" ]; then
			rm -rf "$cache"
			mkdir -p "$cache"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var,run,mnt}
			cp "$BUSYBOX" "$cache/bin/busybox"
			local a
			for a in $("$BUSYBOX" --list); do
				[ "$a" = busybox ] && continue
				ln -s busybox "$cache/bin/$a"
			done
			chmod 1777 "$cache/tmp"
			printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$cache/etc/passwd"
			printf 'root:x:0:\nuser:x:1000:\ngrp1:x:1001:\ngrp2:x:1002:\nnogroup:x:65534:\n' >"$cache/etc/group"
			echo sbx-image >"$cache/etc/hostname"
			touch "$cache/.done"
		fi
	) 9>"$base/busybox-rootfs.lock"
	echo "$cache"
}

# The default config: what `runc spec` produces, with terminal off, a
# writable root and `sh` as the process.  Written literally (not by
# `$AGENTSBX spec`) so that a broken `spec` command cannot break every suite.
write_default_config() {
	cat >"$1" <<'EOF'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "sh", "-c", "true" ],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
		},
		"rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": "sbx",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
		{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		  "options": [ "nosuid", "noexec", "nodev" ] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": [ "nosuid", "noexec", "nodev", "ro" ] }
	],
	"linux": {
		"resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
		"namespaces": [
			{ "type": "pid" }, { "type": "network" }, { "type": "ipc" },
			{ "type": "uts" }, { "type": "mount" }
		],
		"maskedPaths": [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			"/proc/sched_debug", "/sys/firmware", "/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
		]
	}
}
EOF
}

# make_bundle DIR: a bundle with its own copy of the cached rootfs.
make_bundle() {
	local dir="$1" cache
	cache="$(rootfs_cache)"
	mkdir -p "$dir"
	cp -a "$cache" "$dir/rootfs"
	rm -f "$dir/rootfs/.done"
	write_default_config "$dir/config.json"
}

# cfg JQ-FILTER [JQ-ARGS...]: edit $BUNDLE/config.json in place.
cfg() {
	cfg_in "$BUNDLE" "$@"
}

# cfg_in BUNDLE JQ-FILTER [JQ-ARGS...]
cfg_in() {
	local b="$1" f="$2"
	shift 2
	jq "$f" "$b/config.json" "$@" >"$b/config.json.new" &&
		mv "$b/config.json.new" "$b/config.json"
}

# set_cmd 'SHELL COMMAND': process.args = ["sh", "-c", CMD]
set_cmd() {
	cfg '.process.args = ["sh", "-c", $c]' --arg c "$1"
}

# set_args ARG...: process.args = [ARG...]
set_args() {
	local a='[]' x
	# (not jq --args: jq would take an argument like "-c" as its own option)
	for x in "$@"; do
		a="$(jq -nc --argjson a "$a" --arg x "$x" '$a + [$x]')"
	done
	cfg '.process.args = $a' --argjson a "$a"
}

# drop_ns TYPE: remove a namespace from linux.namespaces
drop_ns() {
	cfg '.linux.namespaces |= map(select(.type != $t))' --arg t "$1"
}

# add_ns TYPE [PATH]: replace/add a namespace entry
add_ns() {
	if [ -n "${2:-}" ]; then
		cfg '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t, path: $p}]' --arg t "$1" --arg p "$2"
	else
		cfg '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t}]' --arg t "$1"
	fi
}

# add_mount JSON-OBJECT
add_mount() {
	cfg '.mounts += [$m]' --argjson m "$1"
}

# all capabilities the kernel knows and this process may grant (its own
# bounding set), as a JSON array of "CAP_X" names
all_caps_json() {
	local last i names=() bnd
	last="$(cat /proc/sys/kernel/cap_last_cap)"
	bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
	local known=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
		CHECKPOINT_RESTORE)
	for ((i = 0; i <= last && i < ${#known[@]}; i++)); do
		((bnd >> i & 1)) || continue
		names+=("CAP_${known[$i]}")
	done
	printf '%s\n' "${names[@]}" | jq -R . | jq -sc .
}

# all five capability sets set to every capability
grant_all_caps() {
	local caps
	caps="$(all_caps_json)"
	cfg '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c, ambient: $c}' --argjson c "$caps"
}

# ---------------------------------------------------------------------------
# helper processes started by tests (namespace holders, recvtty, ...)

# track_pid PID: killed (by this exact pid) in teardown.
track_pid() {
	echo "$1" >>"$BATS_TEST_TMPDIR/.pids"
}

# ns_holder UNSHARE-FLAGS...: starts `sleep` in new namespaces (unshare(1)
# flags, e.g. --net --ipc) and prints the pid of the process that holds them.
ns_holder() {
	local fork=() a
	for a in "$@"; do
		case "$a" in --pid* | --time* | --boottime* | --monotonic*) fork=(--fork) ;; esac
	done
	unshare "$@" "${fork[@]}" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
	local up=$!
	track_pid "$up"
	if [ ${#fork[@]} -gt 0 ]; then
		wait_for 10 has_child "$up" >&2 || return 1
		local child
		child="$(pgrep -P "$up" | head -n1)"
		track_pid "$child"
		wait_for 10 comm_is "$child" sleep >&2 || return 1
		echo "$child"
	else
		wait_for 10 comm_is "$up" sleep >&2 || return 1
		echo "$up"
	fi
}
has_child() { pgrep -P "$1" >/dev/null; }

# allow_traverse: let a mapped (non-root on the host) container root reach
# the bundle: o+x on every directory from the run's tmpdir down to $BUNDLE.
allow_traverse() {
	local d="$BUNDLE"
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d="$(dirname "$d")"
	done
}
comm_is() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

# ns_inode PID TYPE: e.g. "net:[4026531840]"
ns_link() { readlink "/proc/$1/ns/$2"; }

# requires_ns TYPE: skip unless the runtime's `features` lists TYPE
requires_ns() {
	local f
	f="$("$AGENTSBX" features 2>/dev/null)" || skip "no features command"
	jq -e --arg n "$1" '.linux.namespaces | index($n) != null' <<<"$f" >/dev/null ||
		skip "$SBX_KIND does not support $1 namespaces"
}

# run_reaped LEFTOVER-FILE CMD...: runs CMD under a child subreaper.  After
# CMD exits, whatever processes it left behind (reparented to the reaper)
# are written to LEFTOVER-FILE (one pid per line, with its cmdline) and
# killed.  The exit status is CMD's.  Used to prove that a failed create
# leaves no process behind.
run_reaped() {
	local out="$1" nr
	shift
	case "$(uname -m)" in
	x86_64) nr=157 ;;
	aarch64 | riscv64) nr=167 ;;
	*) nr=172 ;;
	esac
	perl -e '
use strict; use warnings; use POSIX ":sys_wait_h";
my ($nr, $out, @cmd) = @ARGV;
syscall($nr, 36, 1, 0, 0, 0) == 0 or die "PR_SET_CHILD_SUBREAPER: $!\n";
my $pid = fork(); die "fork: $!\n" unless defined $pid;
if ($pid == 0) { exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!\n"; }
waitpid($pid, 0);
my $rc = $?;
my $st = ($rc & 127) ? 128 + ($rc & 127) : $rc >> 8;
sub children {
	my @c;
	for my $d (glob "/proc/[0-9]*") {
		open(my $f, "<", "$d/stat") or next;
		my $s = <$f> // ""; close $f;
		$s =~ s/^.*\)\s+//s;
		my @f = split /\s+/, $s;
		push @c, substr($d, 6) if defined $f[1] && $f[1] == $$;
	}
	return @c;
}
my @left;
for (1 .. 40) {
	1 while waitpid(-1, WNOHANG) > 0;
	@left = children();
	last unless @left;
	select(undef, undef, undef, 0.05);
}
open(my $o, ">", $out) or die "$out: $!\n";
for my $p (@left) {
	my $cmd = "";
	if (open(my $c, "<", "/proc/$p/cmdline")) { local $/; $cmd = <$c> // ""; $cmd =~ s/\0/ /g; }
	print $o "$p $cmd\n";
}
close $o;
kill "KILL", @left if @left;
1 while waitpid(-1, 0) > 0;
exit $st;
' "$nr" "$out" "$@"
}

# ---------------------------------------------------------------------------
# "nothing left behind" checks

# no_state ID: the runtime has no record of ID under the private root.
no_state() {
	local id="$1"
	run sbx state "$id"
	[ "$status" -ne 0 ] || {
		echo "state $id still succeeds: $output" >&2
		return 1
	}
	if [ -e "$SBX_ROOT/$id" ]; then
		echo "state dir $SBX_ROOT/$id left behind" >&2
		return 1
	fi
	if [ -d "$SBX_ROOT" ] && find "$SBX_ROOT" -name "*$id*" | grep -q .; then
		echo "files naming $id left under $SBX_ROOT:" >&2
		find "$SBX_ROOT" -name "*$id*" >&2
		return 1
	fi
	run sbx list -q
	if grep -qx -- "$id" <<<"$output"; then
		echo "$id still listed" >&2
		return 1
	fi
}

# mounts_under DIR: prints host mount points under DIR
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# no_mounts DIR: nothing mounted (in the host mount namespace) under DIR
no_mounts() {
	local m
	m="$(mounts_under "$1")"
	if [ -n "$m" ]; then
		echo "left mounted under $1:" >&2
		echo "$m" >&2
		return 1
	fi
}

# nothing_left ID LEFTOVER-FILE: the full "failed create left nothing" check.
nothing_left() {
	no_state "$1" || return 1
	no_mounts "$BUNDLE" || return 1
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		echo "processes left behind:" >&2
		cat "$2" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# setup / teardown

sbx_setup() {
	SBX_KIND="$(sbx_kind)"
	SBX_ROOT="$BATS_TEST_TMPDIR/state"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	ROOTFS="$BUNDLE/rootfs"
	CID="sbxt-$$-${BATS_TEST_NUMBER}"
	export SBX_KIND SBX_ROOT BUNDLE ROOTFS CID
	[ -x "$AGENTSBX" ] || {
		echo "runtime $AGENTSBX not found or not executable: build it or set AGENTSBX" >&2
		return 1
	}
	make_bundle "$BUNDLE"
	cd "$BUNDLE" || return 1
}

# unmount anything under DIR (deepest first), lazily: safety net so that bats'
# removal of the test's tmpdir can never recurse into a mounted host tree.
force_unmount_under() {
	local m
	for m in $(mounts_under "$1" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

sbx_teardown() {
	local ids=() id
	if [ -f "$BATS_TEST_TMPDIR/.ids" ]; then
		mapfile -t ids <"$BATS_TEST_TMPDIR/.ids"
	fi
	if [ -n "${SBX_ROOT:-}" ] && [ -d "$SBX_ROOT" ]; then
		local listed
		listed="$("$AGENTSBX" --root "$SBX_ROOT" list -q 2>/dev/null || true)"
		[ -n "$listed" ] && mapfile -t -O "${#ids[@]}" ids <<<"$listed"
	fi
	for id in $(printf '%s\n' "${ids[@]}" | sort -u); do
		[ -n "$id" ] || continue
		"$AGENTSBX" --root "$SBX_ROOT" kill "$id" KILL >/dev/null 2>&1 || true
		"$AGENTSBX" --root "$SBX_ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	if [ -f "$BATS_TEST_TMPDIR/.pids" ]; then
		local p
		while read -r p; do
			[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/.pids"
	fi
	local leftover rc=0
	leftover="$(mounts_under "$BATS_TEST_TMPDIR")"
	if [ -n "$leftover" ]; then
		echo "teardown: left mounted under the test dir:" >&2
		echo "$leftover" >&2
		force_unmount_under "$BATS_TEST_TMPDIR"
		rc=1
	fi
	cd / || true
	return $rc
}

setup() {
	sbx_setup
}

teardown() {
	sbx_teardown
}
