# bench/bundle.bash: the busybox bundle the benchmarks run (sourced).
#   bench_rootfs DIR          a busybox rootfs in DIR
#   bench_config ROOTFS CWD   its config.json on stdout: runc spec's shape,
#                             read-only root, /bin/true, a few capabilities

bench_rootfs() {
	local busybox a
	busybox="$(command -v busybox)"
	mkdir -p "$1/bin" "$1"/{proc,sys,dev,tmp,etc}
	cp "$busybox" "$1/bin/busybox"
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$1/bin/$a"
	done
}

bench_config() {
	cat <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false, "user": {"uid": 0, "gid": 0},
		"args": ["/bin/true"],
		"env": ["PATH=/bin"], "cwd": "$2",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"noNewPrivileges": true
	},
	"root": {"path": "$1", "readonly": true},
	"hostname": "bench",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
	],
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
		"maskedPaths": ["/proc/kcore", "/sys/firmware"],
		"readonlyPaths": ["/proc/sys"]
	}
}
JSON
}

# bench_delete_all RUNTIME ROOT: delete -f every container RUNTIME lists
# under --root ROOT (a benchmark's cleanup; a missing RUNTIME is fine)
bench_delete_all() {
	local rt="$1" root="$2" id
	[ -n "$rt" ] || return 0
	for id in $("$rt" --root "$root" list -q 2>/dev/null); do
		"$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	done
}
