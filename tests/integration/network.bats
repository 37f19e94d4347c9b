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

# ---- the probe and the peer ----

# netprobe (tests/tools/netprobe.c), static, at /bin/netprobe in the rootfs
install_probe() {
	local bin="$BATS_RUN_TMPDIR/netprobe"
	if [ ! -x "$bin" ]; then
		gcc -static -O2 -o "$bin.$$" "$REPO_TOP/tests/tools/netprobe.c" && mv "$bin.$$" "$bin"
	fi
	cp "$bin" "$ROOTFS/bin/netprobe"
}

# engine_setup: the container's namespace NETPc (given by path, as an engine
# gives it) with a veth to NETPp, where TCP listeners greet "reached" (7777,
# 8080, 25, 22) and a UDP listener on 7778 logs every datagram to $UDPLOG;
# ICMP datagram sockets allowed in NETPc (as Docker does).
engine_setup() {
	veth_pair c p
	CNS="${NETP}c" PNS="${NETP}p" UDPLOG="$BATS_TEST_TMPDIR/udp.log"
	: >"$UDPLOG"
	in_ns "$CNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	local port
	for port in 7777 8080 25 22 53 853; do
		nsenter --net="/run/netns/$PNS" socat "TCP6-LISTEN:$port,fork,reuseaddr,ipv6-v6only=0" SYSTEM:"echo reached" </dev/null >/dev/null 2>&1 3>&- &
		track_pid $!
	done
	nsenter --net="/run/netns/$PNS" socat -u "UDP6-RECV:7778,ipv6-v6only=0" "OPEN:$UDPLOG,creat,append" </dev/null >/dev/null 2>&1 3>&- &
	track_pid $!
	# a private address pair too, for blockPrivate
	in_ns "$CNS" ip addr add 10.99.0.1/24 dev "${CNS}v"
	in_ns "$PNS" ip addr add 10.99.0.2/24 dev "${PNS}v"
	wait_for 5 in_ns "$PNS" sh -c 'ss -Htln | grep -q ":22 " && ss -Huln | grep -q ":7778 "'
	add_ns network "/run/netns/$CNS"
	install_probe
}

# dns_peer NAME=ADDR...: a DNS server on the peer (tests/tools/fake-dns.py)
# answering these, logging every query it receives to $DNSLOG; the
# container's resolv.conf names it
dns_peer() {
	DNSLOG="$BATS_TEST_TMPDIR/dns.log"
	: >"$DNSLOG"
	nsenter --net="/run/netns/$PNS" python3 "$REPO_TOP/tests/tools/fake-dns.py" "$DNSLOG" "$@" </dev/null >/dev/null 2>&1 3>&- &
	track_pid $!
	wait_for 5 in_ns "$PNS" sh -c 'ss -Huln | grep -q ":53 "'
	echo "nameserver 192.0.2.2" >"$ROOTFS/etc/resolv.conf"
}

# the probes run by the container: one line per probe, "NAME RESULT"
PROBES='for a in 192.0.2.2 2001:db8::2; do
	echo "tcp $a $(netprobe tcp $a 7777)"
	echo "udp $a $(netprobe udp $a 7778)"
	echo "icmp $a $(netprobe icmp $a)"
done
netprobe listen 9000 && echo "lo $(netprobe tcp 127.0.0.1 9000)"'

# result NAME ADDR: the result word of one probe in $output
result() { awk -v n="$1" -v a="$2" '$1 == n && $2 == a { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' <<<"$output"; }

# nothing got through: every probe refused at once, nothing logged by the peer
all_refused() {
	local a
	for a in 192.0.2.2 2001:db8::2; do
		[[ "$(result tcp $a)" =~ ^(ECONNREFUSED|EHOSTUNREACH)$ ]] || { echo "tcp $a: $(result tcp $a)" >&2; return 1; }
		[[ "$(result udp $a)" =~ ^(ECONNREFUSED|EHOSTUNREACH|EPERM|sent)$ ]] || { echo "udp $a: $(result udp $a)" >&2; return 1; }
		[[ "$(result icmp $a)" =~ ^(EHOSTUNREACH|ECONNREFUSED|EPERM|EACCES)$ ]] || { echo "icmp $a: $(result icmp $a)" >&2; return 1; }
	done
	[ ! -s "$UDPLOG" ] || { echo "the peer received UDP:" >&2; cat "$UDPLOG" >&2; return 1; }
	[ "$(awk '$1 == "lo" { print $2, $3 }' <<<"$output")" = "ok loopback" ] || { echo "loopback broken" >&2; return 1; }
}

# the nft tables in the container's namespace
ns_tables() { in_ns "$CNS" nft list tables; }

# ---- issue 10 item 5: network none holds after create ----

@test "network none in an engine's namespace: TCP, UDP, ICMP over IPv4 and IPv6 refused at once, loopback works; the table goes with delete" {
	engine_setup
	# control: unrestricted, everything reaches the peer
	echo '{"extends": "agent-safe", "network": {"mode": "unrestricted"}}' >"$BATS_TEST_TMPDIR/open.json"
	set_cmd "$PROBES"
	run sbx --policy "$BATS_TEST_TMPDIR/open.json" run "$CID"
	[ "$(result tcp 192.0.2.2)" = "ok reached" ]
	[ "$(result tcp 2001:db8::2)" = "ok reached" ]
	[ "$(result icmp 192.0.2.2)" = ok ]
	[ "$(result icmp 2001:db8::2)" = ok ]
	wait_for 3 test -s "$UDPLOG"
	: >"$UDPLOG"
	sbx delete -f "$CID" 2>/dev/null || true
	# network none (the default agent-safe)
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	ns_tables | grep -q 'table inet agentsbx_'
	run sbx exec "$CID" sh -c "$PROBES"
	all_refused
	sbx kill "$CID" KILL
	wait_status "$CID" stopped
	sbx delete "$CID"
	[ -z "$(ns_tables)" ]
	# the namespace itself is the engine's: its link is still up
	in_ns "$CNS" ip -o link show "${CNS}v" | grep -q 'state UP'
}

@test "network none in a namespace of its own: no rules while nothing can plumb it; a createRuntime hook moving a veth in gets them" {
	engine_setup
	# the container's own namespace (no path), no hooks: only lo, no table
	cfg '.linux.namespaces |= map(if .type == "network" then {type: "network"} else . end)'
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	pid="$(container_pid "$CID")"
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/1/ns/net)" ]
	[ -z "$(nsenter --net="/proc/$pid/ns/net" nft list tables)" ]
	[ "$(nsenter --net="/proc/$pid/ns/net" ip -o link show | awk -F': ' '{print $2}')" = lo ]
	# loopback is up, as runc brings it up
	run sbx exec "$CID" sh -c 'netprobe listen 9000 && netprobe tcp 127.0.0.1 9000'
	[ "$output" = "ok loopback" ] || { echo "$output"; false; }
	sbx delete -f "$CID"
	# a hook is told the pid: it moves the veth in and addresses it; the
	# rules hold
	cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $s]}]' --arg s "pid=\$(jq -r .pid); ip -n $CNS link set ${CNS}v netns \$pid && nsenter --net=/proc/\$pid/ns/net sh -ec 'ip addr add 192.0.2.1/24 dev ${CNS}v; ip -6 addr add 2001:db8::1/64 dev ${CNS}v nodad; ip link set ${CNS}v up'"
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid="$(container_pid "$CID")"
	nsenter --net="/proc/$pid/ns/net" ip -o link show "${CNS}v" | grep -q 'state UP'
	nsenter --net="/proc/$pid/ns/net" nft list tables | grep -q 'table inet agentsbx_'
	run sbx exec "$CID" sh -c "$PROBES"
	all_refused
}

@test "network none: a createContainer hook bringing a link up and addressing it does not open the network" {
	engine_setup
	in_ns "$CNS" sh -c "ip addr flush dev ${CNS}v; ip link set ${CNS}v down"
	cfg '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", $s]}]' \
		--arg s "ip link set ${CNS}v up && ip addr add 192.0.2.1/24 dev ${CNS}v && ip -6 addr add 2001:db8::1/64 dev ${CNS}v nodad"
	set_cmd "$PROBES"
	run sbx run "$CID"
	in_ns "$CNS" ip -o link show "${CNS}v" | grep -q 'state UP'
	all_refused
}

@test "network none: a poststart hook or the host bringing a link up after create does not open the network" {
	engine_setup
	in_ns "$CNS" sh -c "ip addr flush dev ${CNS}v; ip link set ${CNS}v down"
	cfg '.hooks.poststart = [{path: "/usr/bin/nsenter", args: ["nsenter", $n, "ip", "link", "set", $v, "up"]}]' \
		--arg n "--net=/run/netns/$CNS" --arg v "${CNS}v"
	set_args sleep 1000
	create_container "$CID"
	# the host (an engine's late CNI step) addresses it after create
	in_ns "$CNS" sh -c "ip addr add 192.0.2.1/24 dev ${CNS}v; ip -6 addr add 2001:db8::1/64 dev ${CNS}v nodad"
	sbx start "$CID"
	in_ns "$CNS" ip -o link show "${CNS}v" | grep -q 'state UP'
	run sbx exec "$CID" sh -c "$PROBES"
	all_refused
}

@test "network none: root with every capability but NET_ADMIN/NET_RAW cannot flush the rules" {
	engine_setup
	echo '{"extends": "agent-safe", "seccomp": "config", "filesystem": {"default": "write", "rules": []},
	       "capabilities": {"allow": ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT", "CAP_DAC_OVERRIDE", "CAP_SYS_PTRACE",
	         "CAP_BPF", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SETUID", "CAP_SETGID", "CAP_MKNOD"]}}' >"$BATS_TEST_TMPDIR/root.json"
	grant_all_caps
	add_mount '{"destination": "/host", "type": "bind", "source": "/", "options": ["bind", "ro"]}'
	set_cmd "chroot /host nft flush ruleset 2>&1; chroot /host ip link set lo down 2>&1; $PROBES"
	run sbx --policy "$BATS_TEST_TMPDIR/root.json" run "$CID"
	[[ "$output" == *"Operation not permitted"* ]]
	all_refused
	[ -z "$(ns_tables)" ]
}

@test "network none: a failed create removes its table from the engine's namespace" {
	engine_setup
	cfg '.hooks.createContainer = [{path: "/bin/false"}]'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	[ -z "$(ns_tables)" ]
}

@test "network none: delete -f after kill -9 of the container removes the table" {
	engine_setup
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	ns_tables | grep -q 'table inet agentsbx_'
	kill -9 "$(container_pid "$CID")"
	sbx delete -f "$CID"
	[ -z "$(ns_tables)" ]
	no_state "$CID"
}

# ---- issue 11: the allowlist ----

# allowlist_policy JSON-OF-THE-NETWORK-OBJECT: $BATS_TEST_TMPDIR/al.json, agent-safe with that network
allowlist_policy() {
	jq -n --argjson n "$1" '{extends: "agent-safe", network: ({mode: "allowlist"} + $n)}' >"$BATS_TEST_TMPDIR/al.json"
}

# run_probes CMD: the container runs CMD under al.json, result lines in $output
run_probes() {
	set_cmd "$1"
	run sbx --policy "$BATS_TEST_TMPDIR/al.json" run "$CID"
}

# nft-learn (tests/tools/nft-learn.c): the resolver's functions, in the container's namespace
nft_learn() {
	local bin="$REPO_TOP/tests/tools/nft-learn"
	[ -x "$bin" ] || make -C "$REPO_TOP" tests/tools/nft-learn >/dev/null
	in_ns "$CNS" "$bin" "$@"
}

@test "allowlist: a CIDR is reachable (TCP, UDP, ICMP), other literals refused at once, IPv6 too; the table goes with delete" {
	engine_setup
	allowlist_policy '{"allow": ["192.0.2.0/24"]}'
	run_probes "$PROBES"
	[ "$status" -eq 0 ]
	[ "$(result tcp 192.0.2.2)" = "ok reached" ]
	[ "$(result icmp 192.0.2.2)" = ok ]
	wait_for 3 grep -q probe "$UDPLOG"
	[ "$(grep -c probe "$UDPLOG")" -eq 1 ]   # only the IPv4 one
	[ "$(result tcp 2001:db8::2)" = ECONNREFUSED ]
	[[ "$(result icmp 2001:db8::2)" =~ ^(EHOSTUNREACH|EACCES|EPERM)$ ]]
	[ "$(awk '$1 == "lo" { print $2, $3 }' <<<"$output")" = "ok loopback" ]
	[ -z "$(ns_tables)" ]
	# the IPv6 side alone
	: >"$UDPLOG"
	allowlist_policy '{"allow": ["2001:db8::/64"]}'
	run_probes "$PROBES"
	[ "$(result tcp 2001:db8::2)" = "ok reached" ]
	[ "$(result icmp 2001:db8::2)" = ok ]
	[ "$(result tcp 192.0.2.2)" = ECONNREFUSED ]
	[ -z "$(ns_tables)" ]
}

@test "allowlist: ADDR:PORT allows that port only; deny wins over allow; blockedPorts win over both" {
	engine_setup
	allowlist_policy '{"allow": ["192.0.2.2:7777", "[2001:db8::2]:7777"]}'
	run_probes 'for p in 7777 8080; do echo "tcp4.$p $(netprobe tcp 192.0.2.2 $p)"; echo "tcp6.$p $(netprobe tcp 2001:db8::2 $p)"; done; echo "icmp $(netprobe icmp 192.0.2.2)"; echo "udp $(netprobe udp 192.0.2.2 7778)"'
	grep -qx 'tcp4.7777 ok reached' <<<"$output"
	grep -qx 'tcp6.7777 ok reached' <<<"$output"
	grep -qx 'tcp4.8080 ECONNREFUSED' <<<"$output"
	grep -qx 'tcp6.8080 ECONNREFUSED' <<<"$output"
	grep -qE '^icmp (EHOSTUNREACH|EACCES|EPERM)$' <<<"$output"
	[ ! -s "$UDPLOG" ]
	allowlist_policy '{"allow": ["192.0.2.0/24", "0.0.0.0/0:25"], "deny": ["192.0.2.2:8080"], "blockedPorts": [25, 22]}'
	run_probes 'for p in 7777 8080 25 22; do echo "tcp.$p $(netprobe tcp 192.0.2.2 $p)"; done'
	grep -qx 'tcp.7777 ok reached' <<<"$output"
	grep -qx 'tcp.8080 ECONNREFUSED' <<<"$output"
	grep -qx 'tcp.25 ECONNREFUSED' <<<"$output"
	grep -qx 'tcp.22 ECONNREFUSED' <<<"$output"
}

@test "allowlist: DNS and DoT to any server are refused (nothing reaches the peer's 53 or 853)" {
	engine_setup
	dns_peer api.example=192.0.2.2
	allowlist_policy '{"allow": ["192.0.2.0/24"]}'
	run_probes 'for p in 53 853 7777; do echo "tcp.$p $(netprobe tcp 192.0.2.2 $p)"; done; echo "udp.53 $(netprobe udp 192.0.2.2 53)"; nslookup api.example 192.0.2.2 >/dev/null 2>&1; echo "nslookup $?"'
	grep -qx 'tcp.7777 ok reached' <<<"$output"
	grep -qx 'tcp.53 ECONNREFUSED' <<<"$output"
	grep -qx 'tcp.853 ECONNREFUSED' <<<"$output"
	grep -qE '^udp.53 (ECONNREFUSED|EHOSTUNREACH|EPERM)$' <<<"$output"
	grep -qx 'nslookup 1' <<<"$output"
	sleep 0.5
	[ ! -s "$DNSLOG" ]
}

@test "allowlist: blockPrivate refuses a private address the resolver installed, unless an entry names it" {
	engine_setup
	dns_peer
	allowlist_policy '{"allow": ["api.example"]}'
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/al.json" run -d "$CID"
	[ "$status" -eq 0 ]
	probe='for a in 192.0.2.2 10.99.0.2; do echo "tcp.$a $(netprobe tcp $a 7777)"; done'
	run sbx exec "$CID" sh -c "$probe"
	grep -qx 'tcp.192.0.2.2 ECONNREFUSED' <<<"$output"
	grep -qx 'tcp.10.99.0.2 ECONNREFUSED' <<<"$output"
	# as if api.example resolved to both: the public one opens, the private one stays shut
	nft_learn raw "$CID" 60 192.0.2.2 10.99.0.2
	run sbx exec "$CID" sh -c "$probe"
	grep -qx 'tcp.192.0.2.2 ok reached' <<<"$output"
	grep -qx 'tcp.10.99.0.2 ECONNREFUSED' <<<"$output"
	# learned with a port, and a learned deny NAME:PORT
	nft_learn raw "$CID" 60 2001:db8::2,7777 192.0.2.2,8080,deny
	run sbx exec "$CID" sh -c 'echo "t6 $(netprobe tcp 2001:db8::2 7777)"; echo "t6b $(netprobe tcp 2001:db8::2 8080)"; echo "t4 $(netprobe tcp 192.0.2.2 8080)"'
	grep -qx 't6 ok reached' <<<"$output"
	grep -qx 't6b ECONNREFUSED' <<<"$output"
	grep -qx 't4 ECONNREFUSED' <<<"$output"
	sbx delete -f "$CID"
	# named explicitly, the private address is reachable
	allowlist_policy '{"allow": ["10.99.0.0/24"]}'
	run_probes 'echo "tcp $(netprobe tcp 10.99.0.2 7777)"'
	grep -qx 'tcp ok reached' <<<"$output"
	# blockPrivate false: a learned private address opens
	allowlist_policy '{"allow": ["api.example"], "blockPrivate": false}'
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/al.json" run -d "$CID"
	[ "$status" -eq 0 ]
	nft_learn raw "$CID" 60 10.99.0.2
	run sbx exec "$CID" sh -c 'echo "tcp $(netprobe tcp 10.99.0.2 7777)"'
	grep -qx 'tcp ok reached' <<<"$output"
}

@test "allowlist: maxConnections refuses the connection after the limit" {
	engine_setup
	allowlist_policy '{"allow": ["192.0.2.0/24"], "maxConnections": 3}'
	run_probes 'netprobe conns 5 192.0.2.2 7777; sleep 2; netprobe conns 2 192.0.2.2 7777'
	[ "${lines[0]}" = "3 ECONNREFUSED" ]
	# once the first ones are closed (conntrack sees them close), two more fit
	[ "${lines[1]}" = "2 none" ]
}

@test "allowlist: CAP_NET_ADMIN or CAP_NET_RAW in the config is refused at create, naming it" {
	for cap in CAP_NET_ADMIN CAP_NET_RAW; do
		jq -n --arg c "$cap" '{extends: "agent-safe", network: {mode: "allowlist", allow: ["192.0.2.0/24"]}, capabilities: {allow: [$c]}}' >"$BATS_TEST_TMPDIR/cap.json"
		cfg '.process.capabilities.bounding += [$c] | .process.capabilities.effective += [$c] | .process.capabilities.permitted += [$c]' --arg c "$cap"
		run_bg sbx --policy "$BATS_TEST_TMPDIR/cap.json" create -b "$BUNDLE" "$CID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"network.mode allowlist cannot hold with $cap allowed"* ]]
		no_state "$CID"
	done
}

@test "allowlist: raw and packet sockets and io_uring are denied (seccomp), even as root" {
	engine_setup
	allowlist_policy '{"allow": ["192.0.2.0/24"]}'
	run_probes 'for w in raw packet uring; do echo "$w $(netprobe $w)"; done'
	grep -qx 'raw EPERM' <<<"$output"
	grep -qx 'packet EPERM' <<<"$output"
	grep -qx 'uring EPERM' <<<"$output"
}

@test "allowlist without an engine (no namespace in the config, or --network host): a namespace of its own with pasta as its way out, under the rules" {
	host_setup
	PNS="${NETP}p"
	in_ns "$HOSTNS" ip route add default via 192.0.2.2
	local port
	for port in 7777 8080; do
		nsenter --net="/run/netns/$PNS" socat "TCP-LISTEN:$port,fork,reuseaddr" SYSTEM:"echo reached" </dev/null >/dev/null 2>&1 3>&- &
		track_pid $!
	done
	wait_for 5 in_ns "$PNS" sh -c 'ss -Htln | grep -q ":8080 "'
	install_probe
	allowlist_policy '{"allow": ["192.0.2.2:7777"]}'
	set_cmd 'echo "links $(ls /sys/class/net | wc -l)"; echo "t7777 $(netprobe tcp 192.0.2.2 7777)"; echo "t8080 $(netprobe tcp 192.0.2.2 8080)"; echo "other $(netprobe tcp 198.51.100.7 7777)"'
	for how in none "/run/netns/$HOSTNS"; do
		if [ "$how" = none ]; then drop_ns network; else add_ns network "$how"; fi
		run sbx_in "$HOSTNS" --policy "$BATS_TEST_TMPDIR/al.json" run "$CID"
		[ "$status" -eq 0 ]
		grep -qx 'links 2' <<<"$output"
		grep -qx 't7777 ok reached' <<<"$output"
		grep -qx 't8080 ECONNREFUSED' <<<"$output"
		grep -qx 'other ECONNREFUSED' <<<"$output"
		[ "$how" = none ] || [[ "$output" == *"network.mode allowlist gives the container a namespace of its own (its way out through pasta)"* ]]
		# the host-playing namespace is untouched, and pasta is gone with the container
		ns_intact "$HOSTNS"
		[ -z "$(in_ns "$HOSTNS" nft list tables)" ]
		[ -z "$(pgrep -f "pasta .*$SBX_ROOT/")" ]
	done
}

@test "allowlist: an allowed name's answer as the resolver installs it: its ports only, private and denied addresses dropped, deny NAME:PORT refused" {
	engine_setup
	dns_peer
	allowlist_policy '{"allow": ["pypi.example:7777", "*.files.example", "api.example"], "deny": ["api.example:8080", "192.0.2.99"]}'
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/al.json" run -d "$CID"
	[ "$status" -eq 0 ]
	probe='for p in 7777 8080 25; do echo "t4.$p $(netprobe tcp 192.0.2.2 $p)"; echo "t6.$p $(netprobe tcp 2001:db8::2 $p)"; done; echo "priv $(netprobe tcp 10.99.0.2 7777)"'
	# a refused name installs nothing
	run nft_learn answer "$CID" "$BATS_TEST_TMPDIR/al.json" 60 other.example 192.0.2.2
	[ "$status" -eq 3 ]
	[ "$output" = "refused other.example: no network.allow entry" ]
	run nft_learn answer "$CID" "$BATS_TEST_TMPDIR/al.json" 60 files.example 192.0.2.2
	[ "$status" -eq 3 ]
	# pypi.example:7777 -> both addresses on 7777 only; the private one dropped
	run nft_learn answer "$CID" "$BATS_TEST_TMPDIR/al.json" 60 pypi.example 192.0.2.2 2001:db8::2 10.99.0.2 192.0.2.99
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "blocked 10.99.0.2" ]
	[ "${lines[1]}" = "blocked 192.0.2.99" ]
	run sbx exec "$CID" sh -c "$probe"
	grep -qx 't4.7777 ok reached' <<<"$output"
	grep -qx 't6.7777 ok reached' <<<"$output"
	grep -qx 't4.8080 ECONNREFUSED' <<<"$output"
	grep -qx 't6.25 ECONNREFUSED' <<<"$output"
	grep -qx 'priv ECONNREFUSED' <<<"$output"
	# api.example -> every port but its denied 8080
	run nft_learn answer "$CID" "$BATS_TEST_TMPDIR/al.json" 60 API.Example. 192.0.2.2
	[ "$status" -eq 0 ]
	run sbx exec "$CID" sh -c "$probe"
	grep -qx 't4.25 ok reached' <<<"$output"
	grep -qx 't4.8080 ECONNREFUSED' <<<"$output"
	grep -qx 't6.25 ECONNREFUSED' <<<"$output"
	in_ns "$CNS" nft list set inet "$(in_ns "$CNS" nft list tables | awk '/agentsbx_/ { print $3 }')" dns4 | grep -q '192.0.2.2 timeout 1m'
}

@test "allowlist by name, end to end: allowed names resolve and become reachable, other names are NXDOMAIN and never reach the DNS server, wildcards and apex, private answers dropped; resolver and table go with delete" {
	engine_setup
	# a second public address on the peer, for a name of its own
	in_ns "$PNS" ip addr add 198.51.100.2/32 dev "${PNS}v"
	in_ns "$CNS" ip route add 198.51.100.0/24 via 192.0.2.2
	dns_peer api.example=192.0.2.2 api.example=2001:db8::2 other.example=192.0.2.2 \
		files.pkg.example=198.51.100.2 pkg.example=198.51.100.2 private.example=10.99.0.2
	allowlist_policy '{"allow": ["api.example", "*.pkg.example:7777", "private.example"]}'
	jq '. + {audit: {path: $p}}' --arg p "$BATS_TEST_TMPDIR/audit.jsonl" "$BATS_TEST_TMPDIR/al.json" >"$BATS_TEST_TMPDIR/al2.json"
	mv "$BATS_TEST_TMPDIR/al2.json" "$BATS_TEST_TMPDIR/al.json"
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/al.json" run -d "$CID"
	[ "$status" -eq 0 ]
	resolver="$(cat "$SBX_ROOT/$CID/resolver.pid")"
	kill -0 "$resolver"
	lookup='lookup() { nslookup "$1" 2>&1 | sed -n "/^Name:/,\$p" | awk "/^Address/ { print \$2 }"; }'
	# before any lookup the address is not reachable
	run sbx exec "$CID" sh -c 'netprobe tcp 192.0.2.2 7777'
	[ "$output" = ECONNREFUSED ]
	run sbx exec "$CID" sh -c "$lookup"'
		for a in $(lookup api.example); do echo "api $a $(netprobe tcp $a 7777)"; done
		echo "other [$(lookup other.example)]"
		nslookup other.example 192.0.2.2 >/dev/null 2>&1; echo "other-direct $?"
		for a in $(lookup files.pkg.example); do echo "files $a $(netprobe tcp $a 7777) $(netprobe tcp $a 8080)"; done
		echo "apex [$(lookup pkg.example)]"
		echo "private [$(lookup private.example)] $(netprobe tcp 10.99.0.2 7777)"'
	grep -qx 'api 192.0.2.2 ok reached' <<<"$output"
	grep -qx 'api 2001:db8::2 ok reached' <<<"$output"
	grep -qx 'other \[\]' <<<"$output"
	grep -qx 'other-direct 1' <<<"$output"
	grep -qx 'files 198.51.100.2 ok reached ECONNREFUSED' <<<"$output"
	grep -qx 'apex \[\]' <<<"$output"
	grep -qx 'private \[\] ECONNREFUSED' <<<"$output"
	# the DNS server saw the allowed names only
	grep -q '^api.example ' "$DNSLOG"
	grep -q '^files.pkg.example ' "$DNSLOG"
	! grep -qE '^(other.example|pkg.example) ' "$DNSLOG"
	# refused names are audited
	jq -se 'map(select(.event == "network_denied" and .name == "other.example")) | length > 0' "$BATS_TEST_TMPDIR/audit.jsonl"
	sbx delete -f "$CID"
	! kill -0 "$resolver" 2>/dev/null
	[ -z "$(ns_tables)" ]
}

@test "allowlist by name: no upstream (no dns.upstream, no resolv.conf) fails create naming it, leaving nothing" {
	engine_setup
	rm -f "$ROOTFS/etc/resolv.conf"
	allowlist_policy '{"allow": ["api.example"]}'
	set_args true
	run_bg sbx --policy "$BATS_TEST_TMPDIR/al.json" create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network.dns.upstream is empty and the container's resolv.conf"* ]]
	no_state "$CID"
	[ -z "$(ns_tables)" ]
}

@test "allowlist: every refused connection is a network_denied audit line (address, port, protocol, reason)" {
	engine_setup
	allowlist_policy '{"allow": ["192.0.2.0/24"], "deny": ["192.0.2.2:8080"], "blockedPorts": [25]}'
	jq '. + {audit: {path: $p}}' --arg p "$BATS_TEST_TMPDIR/audit.jsonl" "$BATS_TEST_TMPDIR/al.json" >"$BATS_TEST_TMPDIR/al2.json"
	mv "$BATS_TEST_TMPDIR/al2.json" "$BATS_TEST_TMPDIR/al.json"
	run_probes 'netprobe tcp 192.0.2.2 8080; netprobe tcp 192.0.2.2 25; netprobe udp 2001:db8::2 7778; netprobe tcp 10.99.0.2 7777; netprobe tcp 192.0.2.2 7777'
	[ "$status" -eq 0 ]
	jq -sc 'map(select(.event == "network_denied") | {address, port, protocol, reason})' "$BATS_TEST_TMPDIR/audit.jsonl" >"$BATS_TEST_TMPDIR/denied.json"
	cat "$BATS_TEST_TMPDIR/denied.json" >&2
	jq -e 'index({address: "192.0.2.2", port: 8080, protocol: "tcp", reason: "deny"}) != null' "$BATS_TEST_TMPDIR/denied.json"
	jq -e 'index({address: "192.0.2.2", port: 25, protocol: "tcp", reason: "blockedport"}) != null' "$BATS_TEST_TMPDIR/denied.json"
	jq -e 'index({address: "2001:db8::2", port: 7778, protocol: "udp", reason: "default"}) != null' "$BATS_TEST_TMPDIR/denied.json"
	jq -e 'index({address: "10.99.0.2", port: 7777, protocol: "tcp", reason: "private"}) != null' "$BATS_TEST_TMPDIR/denied.json"
	jq -e 'map(select(.port == 7777 and .address == "192.0.2.2")) == []' "$BATS_TEST_TMPDIR/denied.json"
	jq -se 'map(select(.event == "network_denied")) | all(.container == $id)' --arg id "$CID" "$BATS_TEST_TMPDIR/audit.jsonl"
}
