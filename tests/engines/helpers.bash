# Shared helpers for the engine suites (docker.bats, podman.bats,
# containerd.bats).
#
# Every suite runs the same checks through an engine's own CLI with the
# runtime under test registered through the engine's own configuration:
#
#   ENGINE_RUNTIME=agentsbx|runc   runtime under test (default agentsbx)
#   AGENTSBX=/path/to/agentsbx      binary under test (default: repo top)
#   ENGINE_POLICY=NAME              agentsbx only: --policy NAME given to
#                                   the runtime (default `none`, i.e. the
#                                   drop-in runc-compatible behaviour;
#                                   `default` passes no --policy, so the
#                                   runtime's own default, agent-safe,
#                                   applies).  docker passes it through
#                                   daemon.json runtimeArgs, the others
#                                   through the wrapper.
#   ENGINES_KEEP_TMP=1              keep the suite's temporary directory
#
# The runtime is never called directly by the engine: the engine calls a
# small wrapper ($ENG_TMP/bin/<name>) that appends its argv to
# $ENG_TMP/runtime-argv.log and execs the real binary, so every runtime
# invocation an engine made can be read back after a failure.
#
# Nothing here installs anything (.ci/engines.sh does); a suite whose
# engine cannot be started fails in setup_file with the engine's log.

ENG_REPO_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
AGENTSBX=${AGENTSBX:-$ENG_REPO_TOP/agentsbx}
case "$AGENTSBX" in /*) ;; *) AGENTSBX=$ENG_REPO_TOP/$AGENTSBX ;; esac
ENGINE_RUNTIME=${ENGINE_RUNTIME:-agentsbx}
export AGENTSBX ENGINE_RUNTIME

# Name under which the runtime is registered in the engine ("runc" is a
# reserved name in dockerd, so both runtimes get a distinct one).
ENG_RT_NAME="test-$ENGINE_RUNTIME"
ENG_IMAGE_NAME="agbx-busybox"

# Print a message on fd 3 (shown by bats even for passing tests).
eng_note() { echo "# $*" >&3; }

# Fail the current test/setup with a message on stderr.
eng_fail() {
	echo "FAIL: $*" >&2
	return 1
}

# Real binary for $ENGINE_RUNTIME.
eng_real_runtime() {
	case "$ENGINE_RUNTIME" in
	agentsbx) echo "$AGENTSBX" ;;
	runc) command -v runc ;;
	*) command -v "$ENGINE_RUNTIME" ;;
	esac
}

# Common part of every setup_file: temp dir, wrapper, rootfs tarball.
eng_setup_common() {
	local engine=$1 real
	real=$(eng_real_runtime)
	if [ -z "$real" ] || [ ! -x "$real" ]; then
		eng_fail "runtime '$ENGINE_RUNTIME' not found or not executable (AGENTSBX=$AGENTSBX); build it with make"
		return 1
	fi
	# containerd (also dockerd's) puts shim sockets in /run/containerd/s
	# whatever its config says; removed at the end if we made it.
	if [ -d /run/containerd ]; then
		export ENG_HAD_RUN_CONTAINERD=1
	else
		export ENG_HAD_RUN_CONTAINERD=0
	fi
	ENG_POLICY_ARGS=""
	if [ "$ENGINE_RUNTIME" = agentsbx ]; then
		local pol=${ENGINE_POLICY:-none}
		[ "$pol" = default ] || ENG_POLICY_ARGS="--policy $pol"
	fi
	export ENG_POLICY_ARGS
	ENG_TMP=$(mktemp -d "/tmp/agbx-$engine.XXXXXX")
	chmod 755 "$ENG_TMP"
	export ENG_TMP ENG_ENGINE=$engine ENG_REAL_RUNTIME=$real
	mkdir -p "$ENG_TMP/bin"
	ENG_WRAPPER=$ENG_TMP/bin/$ENG_RT_NAME
	export ENG_WRAPPER ENG_ARGV_LOG=$ENG_TMP/runtime-argv.log
	local extra=$ENG_POLICY_ARGS
	# dockerd passes the policy itself (daemon.json runtimeArgs).
	[ "$engine" != docker ] || extra=""
	# the runtime's config directory is the suite's own (empty: the
	# built-in default holds), never the host's /etc/agentsbx
	ENG_CONFIG_DIR=$ENG_TMP/agentsbx-config
	mkdir -p "$ENG_CONFIG_DIR/policies"
	export ENG_CONFIG_DIR
	cat >"$ENG_WRAPPER" <<EOF
#!/bin/sh
# Logs the runtime invocation, then runs the real runtime.
export AGENTSBX_CONFIG_DIR='$ENG_CONFIG_DIR'
set -- $extra "\$@"
{ printf '%s [%s]' "\$(date +%s.%N)" "\$\$"; for a in "\$@"; do printf " '%s'" "\$a"; done; printf '\n'; } >>'$ENG_ARGV_LOG' 2>/dev/null
exec '$real' "\$@"
EOF
	chmod 755 "$ENG_WRAPPER"
	eng_make_rootfs_tar "$ENG_TMP/rootfs.tar"
	eng_note "engine=$engine runtime=$ENGINE_RUNTIME ($real) ${ENG_POLICY_ARGS:-(no --policy)} tmp=$ENG_TMP"
}

# A minimal busybox root filesystem, as a tarball.
eng_make_rootfs_tar() {
	local out=$1 r bb
	r=$(mktemp -d)
	bb=/bin/busybox
	if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
		eng_fail "/bin/busybox is missing or not static (install busybox-static)"
		return 1
	fi
	mkdir -p "$r"/{bin,etc,tmp,proc,sys,dev,root,home/agent,var/www,data,run}
	chmod 1777 "$r/tmp"
	# the image's / as any image has it (mktemp made it 0700), so a
	# non-root user without capabilities can use it
	chmod 755 "$r"
	cp "$bb" "$r/bin/busybox"
	local app
	for app in $("$bb" --list); do
		[ "$app" = busybox ] || ln -s busybox "$r/bin/$app"
	done
	ln -s bin "$r/sbin"
	mkdir -p "$r/usr"
	ln -s ../bin "$r/usr/bin"
	ln -s ../bin "$r/usr/sbin"
	cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
agent:x:1000:1000:agent:/home/agent:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$r/etc/group" <<'EOF'
root:x:0:
agent:x:1000:
nogroup:x:65534:
EOF
	chown 1000:1000 "$r/home/agent"
	echo "hello from agbx-busybox" >"$r/var/www/index.html"
	tar --numeric-owner -C "$r" -cf "$out" .
	rm -rf "$r"
}

# An OCI image layout archive (for `ctr image import` / `podman load`)
# holding the rootfs tarball as a single layer.  $1 = rootfs.tar,
# $2 = output tar, $3 = image reference name.
eng_make_oci_archive() {
	local rootfs=$1 out=$2 ref=$3 d
	d=$(mktemp -d)
	mkdir -p "$d/blobs/sha256"
	gzip -n -c "$rootfs" >"$d/layer.tar.gz"
	local diffid layer lsize config csize manifest msize
	diffid=$(sha256sum "$rootfs" | cut -d' ' -f1)
	layer=$(sha256sum "$d/layer.tar.gz" | cut -d' ' -f1)
	lsize=$(stat -c %s "$d/layer.tar.gz")
	mv "$d/layer.tar.gz" "$d/blobs/sha256/$layer"
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$diffid" >"$d/config.json"
	config=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$d/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$d/manifest.json"
	manifest=$(sha256sum "$d/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$d/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s","io.containerd.image.name":"%s"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
		"$manifest" "$msize" "${ref##*:}" "$ref" >"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar --numeric-owner -C "$d" -cf "$out" oci-layout index.json blobs
	rm -rf "$d"
}

# Wait until a command succeeds: eng_wait SECONDS CMD...
eng_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Run a command under a pseudo-terminal (engines need a tty for -t).
eng_pty() {
	local cmd="" a
	for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
	script -qefc "$cmd" /dev/null </dev/null
}

# Start a daemon in the background, logging to a file; prints its pid.
eng_start_daemon() {
	local log=$1
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 &
	echo $!
}

# Stop a daemon we started (TERM, then KILL after 15 s).
eng_stop_daemon() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
}

# Remove /run/containerd's empty directories if it was not there before.
eng_cleanup_run_containerd() {
	[ "${ENG_HAD_RUN_CONTAINERD:-1}" = 1 ] ||
		find /run/containerd -depth -type d -empty -delete 2>/dev/null || true
}

# Unmount everything at or below a directory (deepest first).
eng_umount_under() {
	local dir=$1 m
	[ -d "$dir" ] || return 0
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo |
		sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done
}

# Remove cgroup directories (deepest first) under every v1 hierarchy and
# the unified one whose path contains the given component.
eng_rm_cgroups() {
	local comp=$1 root
	for root in /sys/fs/cgroup/* /sys/fs/cgroup/unified; do
		[ -d "$root/$comp" ] || continue
		find "$root/$comp" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

# After a failure: show what the runtime was asked to do and what it said.
eng_dump_diagnostics() {
	{
		echo "---- last \$output (status ${status:-})"
		printf '%s\n' "${output:-}" | tail -n 15
		echo "---- last runtime invocations ($ENG_ARGV_LOG)"
		tail -n 4 "$ENG_ARGV_LOG" 2>/dev/null
	} >&2
}

# The seccomp mode, NoNewPrivs and capability sets of a process, from
# /proc/self/status inside a container (fed on stdin).
eng_status_field() {
	awk -v f="$1:" '$1 == f {print $2}'
}

# Memory bomb: keeps growing a shell variable until killed.
# 64 MiB string in a command substitution, twice.
ENG_MEMORY_BOMB='x=$(head -c 67108864 /dev/zero | tr "\0" a); y=$x$x; echo survived ${#y}'

# Fork bomb, bounded: a subshell tries to start 64 sleepers (busybox sh
# dies on a failed fork, hence the subshell); then, using builtins only
# (no fork is possible at the limit), count the processes and kill them.
ENG_FORK_BOMB='( i=0; while [ $i -lt 64 ]; do sleep 20 & i=$((i+1)); done; echo all-forked ) 2>/dev/null; set -- /proc/[0-9]*; echo procs=$#; for p in /proc/[0-9]*; do p=${p#/proc/}; [ "$p" = 1 ] || [ "$p" = $$ ] || kill "$p" 2>/dev/null; done; exit 0'

# Finds the --root a runtime invocation used for a container id (empty:
# the engine let the runtime use its default root).
eng_runtime_root_of() {
	grep "'create'.*'$1'\$" "$ENG_ARGV_LOG" | head -n1 | sed -n "s/.*'--root' '\([^']*\)'.*/\1/p"
}

# Runs the real runtime with the --root the engine used for container $1:
# eng_runtime_for ID state ID
eng_runtime_for() {
	local id=$1 root
	shift
	root=$(eng_runtime_root_of "$id")
	if [ -n "$root" ]; then
		"$ENG_REAL_RUNTIME" --root "$root" "$@"
	else
		"$ENG_REAL_RUNTIME" "$@"
	fi
}

# Address inside a subnet?  eng_in_subnet 172.17.0.2 172.17.0.0/16
eng_in_subnet() {
	local ip=$1 net=${2%/*} bits=${2#*/}
	local a b c d A B C D
	IFS=. read -r a b c d <<<"$ip"
	IFS=. read -r A B C D <<<"$net"
	local x=$(((a << 24) | (b << 16) | (c << 8) | d))
	local y=$(((A << 24) | (B << 16) | (C << 8) | D))
	local mask=$(((0xffffffff << (32 - bits)) & 0xffffffff))
	[ $((x & mask)) -eq $((y & mask)) ]
}

# eng_policy_enforced: true in the pass under agentsbx's default policy
# (agent-safe; ENGINE_POLICY=default), where the tests whose outcome the
# policy changes check instead that what it forbids is refused.
eng_policy_enforced() { [ "$ENGINE_RUNTIME" = agentsbx ] && [ "${ENGINE_POLICY:-none}" = default ]; }

# The default policy's outcomes through a docker-style CLI function ($1: D
# or P), shared by the docker and podman suites.
eng_policy_caps() { # every capability dropped, whatever the engine grants
	run "$1" run --rm --cap-add SYS_ADMIN $IMG grep CapEff /proc/self/status
	[[ "$output" == *0000000000000000 ]] || return 1
	run "$1" run --rm $IMG sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	[ "$status" -ne 0 ]
}
eng_policy_nnp() { # no_new_privs without the engine asking
	run "$1" run --rm $IMG grep NoNewPrivs /proc/self/status
	[[ "$output" == *1 ]]
}
eng_policy_seccomp() { # the policy's layer stays when the engine's is off
	run "$1" run --rm --security-opt seccomp=unconfined $IMG sh -c "grep '^Seccomp:' /proc/self/status; unshare -m true"
	grep -qE "^Seccomp:\s+2$" <<<"$output" || return 1
	[ "$status" -ne 0 ]
}
