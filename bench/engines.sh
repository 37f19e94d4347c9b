#!/usr/bin/env bash
# `run --rm IMAGE true` through docker, podman and ctr, with agentsbx and
# with runc, interleaved; prints medians (ms) and agentsbx/runc ratios.
#   bench/engines.sh [N]          N iterations per cell (default 20)
#   AGENTSBX=path  ENGINES="docker podman containerd"  AGENTSBX_POLICY=none
# Each engine is started privately (temp dirs, own sockets) as in
# tests/engines, and everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
AGENTSBX=${AGENTSBX:-$PWD/agentsbx}
POLICY=${AGENTSBX_POLICY:-none}
ENGINES=${ENGINES:-docker podman containerd}
T=$(mktemp -d /tmp/agbx-bench.XXXXXX)
chmod 755 "$T"
DPID="" CPID=""
HAD_DOCKER0=0
ip link show docker0 >/dev/null 2>&1 && HAD_DOCKER0=1
HAD_RUN_CONTAINERD=0 HAD_LIBPOD=0
[ -d /sys/fs/cgroup/memory/libpod_parent ] && HAD_LIBPOD=1
[ -d /run/containerd ] && HAD_RUN_CONTAINERD=1

cleanup() {
	set +e
	if [ -n "$DPID" ]; then
		docker -H "unix://$T/docker.sock" rm -f $(docker -H "unix://$T/docker.sock" ps -aq) >/dev/null 2>&1
		kill "$DPID"; wait "$DPID" 2>/dev/null
	fi
	if [ -f "$T/containers.conf" ]; then
		CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf podman rm -af -t 0 >/dev/null 2>&1
		CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf podman rmi -af >/dev/null 2>&1
	fi
	if [ -n "$CPID" ]; then
		kill "$CPID"; wait "$CPID" 2>/dev/null
	fi
	awk -v d="$T" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
	[ "$HAD_DOCKER0" = 1 ] || ip link del docker0 2>/dev/null
	[ "$HAD_RUN_CONTAINERD" = 1 ] || find /run/containerd -depth -type d -empty -delete 2>/dev/null
	if [ "$HAD_LIBPOD" = 0 ]; then
		for d in /sys/fs/cgroup/*/libpod_parent; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	fi
	for d in /sys/fs/cgroup/*/agbx-bench; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# The test image, built as the suites do.
BATS_TEST_DIRNAME=$PWD/tests/engines
# shellcheck source=../tests/engines/helpers.bash
. tests/engines/helpers.bash
eng_make_rootfs_tar "$T/rootfs.tar"

now_ms() { date +%s%N; }
declare -A SAMPLES
# time_one KEY CMD...: append one sample (ms) for KEY
time_one() {
	local key=$1 t0 t1
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }
	t1=$(now_ms)
	SAMPLES[$key]+="$(((t1 - t0) / 1000000)) "
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

RUNC=$(command -v runc)
for e in $ENGINES; do
	case $e in
	docker)
		cat >"$T/daemon.json" <<EOF2
{ "runtimes": { "agentsbx": { "path": "$AGENTSBX", "runtimeArgs": ["--policy", "$POLICY"] },
                "bench-runc": { "path": "$RUNC" } },
  "iptables": false, "ip-masq": false, "cgroup-parent": "agbx-bench",
  "exec-opts": ["native.cgroupdriver=cgroupfs"] }
EOF2
		setsid dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/dexec" \
			-H "unix://$T/docker.sock" --pidfile "$T/dockerd.pid" </dev/null >"$T/dockerd.log" 2>&1 &
		DPID=$!
		eng_wait 60 docker -H "unix://$T/docker.sock" version || { tail "$T/dockerd.log"; exit 1; }
		docker -H "unix://$T/docker.sock" import "$T/rootfs.tar" agbx-busybox >/dev/null
		;;
	podman)
		printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nnum_locks = 256\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/ev.log"\ntmp_dir = "%s/ptmp"\nvolume_path = "%s/pvol"\n[engine.runtimes]\nagentsbx = ["%s"]\n[network]\nnetwork_config_dir = "%s/cni"\n' \
			"$T" "$T" "$T" "$AGENTSBX" "$T" >"$T/containers.conf"
		printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/proot"\nrunroot = "%s/prun"\n' "$T" "$T" >"$T/storage.conf"
		export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
		podman import "$T/rootfs.tar" localhost/agbx-busybox >/dev/null
		printf '#!/bin/sh\nexec %s --policy %s "$@"\n' "$AGENTSBX" "$POLICY" >"$T/agentsbx-policy"
		chmod 755 "$T/agentsbx-policy"
		;;
	containerd)
		printf 'version = 2\nroot = "%s/croot"\nstate = "%s/cstate"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/containerd.sock"\n[ttrpc]\n  address = "%s/containerd.sock.ttrpc"\n' \
			"$T" "$T" "$T" "$T" >"$T/config.toml"
		setsid containerd --config "$T/config.toml" </dev/null >"$T/containerd.log" 2>&1 &
		CPID=$!
		eng_wait 60 ctr --address "$T/containerd.sock" version || { tail "$T/containerd.log"; exit 1; }
		eng_make_oci_archive "$T/rootfs.tar" "$T/image.tar" docker.io/library/agbx-busybox:latest
		ctr --address "$T/containerd.sock" -n agbx-bench image import "$T/image.tar" >/dev/null
		[ -x "$T/agentsbx-policy" ] || {
			printf '#!/bin/sh\nexec %s --policy %s "$@"\n' "$AGENTSBX" "$POLICY" >"$T/agentsbx-policy"
			chmod 755 "$T/agentsbx-policy"
		}
		;;
	esac
done

run_cell() {
	local e=$1 rt=$2 i=$3
	case $e/$rt in
	docker/agentsbx) time_one "$e/$rt" docker -H "unix://$T/docker.sock" run --rm --runtime agentsbx agbx-busybox true ;;
	docker/runc) time_one "$e/$rt" docker -H "unix://$T/docker.sock" run --rm --runtime bench-runc agbx-busybox true ;;
	podman/agentsbx) time_one "$e/$rt" podman run --rm --network none --runtime "$T/agentsbx-policy" agbx-busybox true ;;
	podman/runc) time_one "$e/$rt" podman run --rm --network none --runtime "$RUNC" agbx-busybox true ;;
	containerd/agentsbx) time_one "$e/$rt" ctr --address "$T/containerd.sock" -n agbx-bench run --rm \
		--runc-binary "$T/agentsbx-policy" --runc-root "$T/crunc" --fifo-dir "$T/fifo" \
		docker.io/library/agbx-busybox:latest "b$i" true ;;
	containerd/runc) time_one "$e/$rt" ctr --address "$T/containerd.sock" -n agbx-bench run --rm \
		--runc-binary "$RUNC" --runc-root "$T/crunc" --fifo-dir "$T/fifo" \
		docker.io/library/agbx-busybox:latest "b$i" true ;;
	esac
}

# One warm-up each, then interleaved iterations (the order flips each time).
for e in $ENGINES; do
	run_cell "$e" runc 0; run_cell "$e" agentsbx 0
	SAMPLES[$e/runc]="" SAMPLES[$e/agentsbx]=""
done
for ((i = 1; i <= N; i++)); do
	for e in $ENGINES; do
		if ((i % 2)); then
			run_cell "$e" runc "$i"; run_cell "$e" agentsbx "$i"
		else
			run_cell "$e" agentsbx "$i"; run_cell "$e" runc "$i"
		fi
	done
done

printf '\n%-12s %12s %12s %8s   (run --rm true, median of %d, ms; agentsbx --policy %s)\n' engine runc agentsbx ratio "$N" "$POLICY"
for e in $ENGINES; do
	r=$(median <<<"${SAMPLES[$e/runc]}")
	a=$(median <<<"${SAMPLES[$e/agentsbx]}")
	printf '%-12s %12s %12s %8s\n' "$e" "$r" "$a" "$(awk -v a="$a" -v r="$r" 'BEGIN {printf "%.2f", a / r}')"
done
