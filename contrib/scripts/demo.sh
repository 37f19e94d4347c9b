#!/usr/bin/env bash
# Sets up and runs a demo container on a fresh Debian machine:
#   sudo contrib/scripts/demo.sh
# installs the build dependencies with apt-get, builds agentsbx, makes a
# busybox bundle in a temporary directory, runs
#   agentsbx run   (echo hello from agentsbx; uname -a)
# and cleans up.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (sudo $0)" >&2
	exit 1
fi
top="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$top"

if [ "${SKIP_APT:-}" != 1 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends \
		build-essential autoconf automake libtool pkg-config \
		libseccomp-dev libyajl-dev libcap-dev busybox-static jq </dev/null
fi

if [ ! -f Makefile ]; then
	./autogen.sh
	./configure
fi
make -j2

tmp="$(mktemp -d /tmp/agentsbx-demo.XXXXXX)"
id="demo-$$"
cleanup() {
	"$top/agentsbx" --root "$tmp/state" delete -f "$id" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bundle="$tmp/bundle"
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs"/{proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
for applet in $("$bundle/rootfs/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done

"$top/agentsbx" spec -b "$bundle"
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from agentsbx; uname -a"]' \
	"$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

echo "== agentsbx run $id"
"$top/agentsbx" --root "$tmp/state" run -b "$bundle" "$id" </dev/null
