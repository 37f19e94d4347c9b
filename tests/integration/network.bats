#!/usr/bin/env bats
# The policy's network modes on real containers, in network namespaces this
# file makes (never the real host's): a namespace that plays the host
# (agentsbx runs inside it through nsenter), engine-style namespaces given by
# path with a veth to a peer namespace holding listeners.
#
# Addresses: 192.0.2.0/24 and 2001:db8::/64 between the container's side and
# the peer, 198.51.100.0/24 behind the peer (a route only).

load helpers

setup() {
	sbx_setup
	requires_agentsbx "the network policy"
	export AGENTSBX_CONFIG_DIR="$BATS_TEST_TMPDIR/etc-agentsbx"
	mkdir -p "$AGENTSBX_CONFIG_DIR/policies"
	# every namespace and link of this test starts with this (<= 15 chars with a suffix)
	NETP="s$$n${BATS_TEST_NUMBER}"
}

teardown() {
	local rc=0 ns
	sbx_teardown || rc=$?
	for ns in $(ip netns list | awk '{ print $1 }'); do
		case "$ns" in "$NETP"?) ip netns del "$ns" ;; esac
	done
	return $rc
}

# ---- namespaces of our own ----

# in_ns NS CMD...: CMD in the network namespace NS (only one of ours)
in_ns() {
	local ns="$1"
	shift
	case "$ns" in "$NETP"?) ;; *) echo "in_ns: $ns is not ours" >&2; return 1 ;; esac
	nsenter --net="/run/netns/$ns" "$@"
}

# veth_pair A B: namespaces NETP$A and NETP$B joined by a veth, 192.0.2.1/24
# and 2001:db8::1/64 on A's side, .2 / ::2 on B's; lo up in both
veth_pair() {
	local a="$NETP$1" b="$NETP$2"
	ip netns add "$a"
	ip netns add "$b"
	ip link add "${a}v" netns "$a" type veth peer name "${b}v" netns "$b"
	in_ns "$a" sh -ec "ip link set lo up; ip addr add 192.0.2.1/24 dev ${a}v; ip -6 addr add 2001:db8::1/64 dev ${a}v nodad; ip link set ${a}v up"
	in_ns "$b" sh -ec "ip link set lo up; ip addr add 192.0.2.2/24 dev ${b}v; ip -6 addr add 2001:db8::2/64 dev ${b}v nodad; ip link set ${b}v up"
}

# sbx_in NS ARGS...: agentsbx run inside namespace NS (NS plays the host)
sbx_in() {
	local ns="$1"
	shift
	case "${1:-}" in create | run) echo "${@: -1}" >>"$BATS_TEST_TMPDIR/.ids" ;; esac
	in_ns "$ns" "$AGENTSBX" --root "$SBX_ROOT" "$@"
}

# the runtime run through sbx_in NS is not in the real host's namespace
not_the_host() {
	local inside
	inside="$(in_ns "$1" readlink /proc/self/ns/net)"
	[ -n "$inside" ] && [ "$inside" != "$(readlink /proc/1/ns/net)" ] &&
		[ "$inside" != "$(readlink /proc/self/ns/net)" ]
}

# the namespace NS still has its veth up, its address and its route
ns_intact() {
	local ns="$1" v="${1}v"
	in_ns "$ns" ip -o link show "$v" | grep -q 'state UP' || { echo "$v is not up in $ns" >&2; return 1; }
	in_ns "$ns" ip -o addr show dev "$v" | grep -q '192.0.2.1/24' || { echo "$v lost its address" >&2; return 1; }
	in_ns "$ns" ip route | grep -q '198.51.100.0/24 via 192.0.2.2' || { echo "route lost in $ns" >&2; return 1; }
	in_ns "$ns" "$BUSYBOX" ping -c1 -W2 192.0.2.2 >/dev/null || { echo "$ns cannot reach its peer" >&2; return 1; }
}

# ---- issue 10 item 1: --network host ----

host_setup() {
	veth_pair h p
	HOSTNS="${NETP}h"
	in_ns "$HOSTNS" ip route add 198.51.100.0/24 via 192.0.2.2
	not_the_host "$HOSTNS"
	ns_intact "$HOSTNS"
}

@test "network none with the host's namespace given by path (--network host): the namespace is left alone, the container has only lo" {
	host_setup
	local holder
	holder="$(in_ns "$HOSTNS" sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!')"
	track_pid "$holder"
	set_cmd 'ls /sys/class/net'
	# the same namespace by three paths: the runtime's own, an nsfs bind
	# mount (ip netns), a process's
	for path in /proc/self/ns/net "/run/netns/$HOSTNS" "/proc/$holder/ns/net"; do
		add_ns network "$path"
		run sbx_in "$HOSTNS" run "$CID"
		[ "$status" -eq 0 ]
		[[ "$output" == *"is the runtime's own network namespace"* ]]
		[ "${lines[-1]}" = lo ]
		[ "${#lines[@]}" -eq 2 ]
		ns_intact "$HOSTNS"
	done
}

@test "network unrestricted with the host's namespace: the container shares it, nothing changes" {
	host_setup
	add_ns network "/run/netns/$HOSTNS"
	echo '{"extends": "agent-safe", "network": {"mode": "unrestricted"}}' >"$BATS_TEST_TMPDIR/open.json"
	set_cmd "ls /sys/class/net"
	run sbx_in "$HOSTNS" --policy "$BATS_TEST_TMPDIR/open.json" run "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"${HOSTNS}v"* ]]
	ns_intact "$HOSTNS"
}
