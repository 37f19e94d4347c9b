#!/usr/bin/env bash
# Engine suites alone: agentsbx under Docker, Podman and containerd, end to
# end (CI runs them through tests/run.sh with ENGINE_TESTS=1; this script is
# for running them by hand on a fresh Debian 12, as root).
#   AGENTSBX=path      binary under test (default ./agentsbx)
#   ENGINES=...        suites to run (default: docker podman containerd)
#   ENGINES_WITH_RUNC=1  also run every suite with runc first (validates
#                        the suites themselves; doubles the time)
#   ENGINE_POLICY=...  see tests/engines/helpers.bash (default none)
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
# docker.io brings containerd and runc; podman needs conmon, the CNI
# plugins (containernetworking-plugins) and an OCI runtime (crun/runc);
# as root it needs neither uidmap, slirp4netns nor fuse-overlayfs (the
# suites use kernel overlayfs and their own CNI bridge).  jq builds ctr
# specs, bsdutils gives `script`, busybox-static the test image.
apt-get install -y --no-install-recommends \
	docker.io containerd runc podman conmon containernetworking-plugins \
	golang-github-containers-common iptables iproute2 \
	bats jq busybox-static bsdutils procps file

export AGENTSBX=${AGENTSBX:-$PWD/agentsbx}
[ -x "$AGENTSBX" ] || { echo "engines: $AGENTSBX not built" >&2; exit 1; }
ENGINES=${ENGINES:-docker podman containerd}
suites=()
for e in $ENGINES; do suites+=("tests/engines/$e.bats"); done

echo "== engines: $(dockerd --version 2>/dev/null); $(podman --version 2>/dev/null); $(containerd --version 2>/dev/null | cut -d' ' -f1-3)"
rc=0
if [ -n "${ENGINES_WITH_RUNC:-}" ]; then
	echo "== engine suites with runc (validation)"
	ENGINE_RUNTIME=runc timeout 600 bats "${suites[@]}" || rc=1
fi
echo "== engine suites with agentsbx ($AGENTSBX)"
ENGINE_RUNTIME=agentsbx timeout 600 bats "${suites[@]}" || rc=1
exit $rc
