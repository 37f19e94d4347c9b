#!/usr/bin/env bats
# The agent sandbox policy enforced on real containers: sources and
# precedence (and what an annotation may choose), capabilities,
# no_new_privs, seccomp layers, environment, limits, scratch tmpfs, time
# limits, network none, audit.

load helpers

setup() {
	sbx_setup
	requires_agentsbx "the agent sandbox policy"
	# an empty config directory: the built-in default (agent-safe) holds
	export AGENTSBX_CONFIG_DIR="$BATS_TEST_TMPDIR/etc-agentsbx"
	mkdir -p "$AGENTSBX_CONFIG_DIR/policies"
	AUDIT="$BATS_TEST_TMPDIR/audit.jsonl"
	# the capabilities, env and resources a permissive engine would give
	cfg '.process.env += ["AWS_SECRET_ACCESS_KEY=leak", "GITHUB_TOKEN=leak", "DB_PASSWORD=leak", "LANG=C"]'
}

# a policy file NAME in the config dir
policy_file() {
	echo "$2" >"$AGENTSBX_CONFIG_DIR/policies/$1.json"
}

caps_of() { awk -v k="$1:" '$1 == k {print $2}' <<<"$output"; }

@test "default policy agent-safe: every capability dropped, NNP, secrets scrubbed from env" {
	grant_all_caps
	cfg '.process.noNewPrivileges = false'
	set_cmd 'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs)" /proc/self/status; env'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$(caps_of CapEff)" = 0000000000000000 ]
	[ "$(caps_of CapBnd)" = 0000000000000000 ]
	grep -q 'NoNewPrivs:.1' <<<"$output"
	[ "$(grep -c leak <<<"$output")" = 0 ]  # (a `! grep` line cannot fail a bats test)
	grep -q '^LANG=C$' <<<"$output"
	grep -q '^PATH=' <<<"$output"
}

@test "default policy: root in the container cannot mount, unshare, ptrace or bpf (seccomp default)" {
	grant_all_caps
	set_cmd 'mount -t tmpfs x /mnt 2>&1; unshare -m true 2>&1; unshare -U true 2>&1; echo done'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$(grep -cE 'not permitted|permission denied' <<<"$output")" -ge 3 ]
	grep -q done <<<"$output"
	set_cmd 'grep -E "^Seccomp(_filters)?:" /proc/self/status'
	run sbx run "$CID"
	grep -q 'Seccomp:.2' <<<"$output"
}

# run_policy [RUNTIME-FLAGS...]: a detached `sleep` container under the
# given flags, for host-side checks of its cgroup and limits
run_policy() {
	set_args sleep 1000
	run_bg sbx "$@" run -d "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

pids_max() { cat "$(cg_file pids pids.max)"; }
memory_max() { cat "$(cg_file memory memory.limit_in_bytes)" 2>/dev/null || cat "$(cg_file memory memory.max)"; }
nofile() { awk '/Max open files/ {print $5}' "/proc/$(container_pid "$CID")/limits"; }

@test "default policy: limits become cgroup limits and rlimits" {
	run_policy
	[ "$(nofile)" = 1024 ]
	[ "$(pids_max)" = 256 ]
	[ "$(memory_max)" = 1073741824 ]
}

@test "a tighter config value holds over the policy's" {
	cfg '.linux.resources.pids = {limit: 20} | .process.rlimits = [{type: "RLIMIT_NOFILE", hard: 100, soft: 100}]'
	run_policy
	[ "$(nofile)" = 100 ]
	[ "$(pids_max)" = 20 ]
}

@test "--policy none: exact runc behaviour, nothing dropped" {
	grant_all_caps
	set_cmd 'grep CapEff /proc/self/status; env | grep -c leak'
	run sbx --policy none run "$CID"
	[ "$status" -eq 0 ]
	[ "$(caps_of CapEff)" != 0000000000000000 ]
	[ "${lines[1]}" = 3 ]
}

@test "--policy strict: seccomp allow list, tighter limits" {
	set_cmd 'ls / >/dev/null && echo ls-ok; unshare -n true 2>&1 || true'
	run sbx --policy strict run "$CID"
	[ "$status" -eq 0 ]
	grep -q ls-ok <<<"$output"
	grep -q 'not permitted' <<<"$output"
	run_policy --policy strict
	[ "$(pids_max)" = 128 ]
	[ "$(memory_max)" = 536870912 ]
}

@test "precedence: --policy over the annotation over policy.json over the default" {
	grant_all_caps
	# the admin lets annotations pick development (looser than agent-safe)
	echo '{"extends": "agent-safe", "selectable": ["development"]}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	cfg '.annotations["agentsbx.policy"] = "development"'
	set_cmd 'grep CapEff /proc/self/status'
	# the annotation picks development: capabilities as configured
	run sbx run "$CID"
	[ "$(caps_of CapEff)" != 0000000000000000 ]
	# --policy wins over the annotation
	run sbx --policy agent-safe run "$CID"
	[ "$(caps_of CapEff)" = 0000000000000000 ]
	# policy.json wins over the default, the annotation over policy.json
	cfg 'del(.annotations["agentsbx.policy"])'
	echo '{"extends": "agent-safe", "capabilities": {"allow": ["CAP_KILL"]}}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	run sbx run "$CID"
	[ "$(caps_of CapEff)" = 0000000000000020 ]
}

@test "the annotation names a policy file in policies/" {
	grant_all_caps
	policy_file mine '{"extends": "agent-safe", "capabilities": {"allow": ["CAP_CHOWN"]}}'
	echo '{"extends": "agent-safe", "selectable": ["mine"]}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	cfg '.annotations["agentsbx.policy"] = "mine"'
	set_cmd 'grep CapEff /proc/self/status'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$(caps_of CapEff)" = 0000000000000001 ]
}

@test "issue 10: a hostile annotation cannot switch the sandbox off (no --policy, no policy.json)" {
	grant_all_caps
	set_args true
	[ ! -e "$AGENTSBX_CONFIG_DIR/policy.json" ]
	for p in none full-access development; do
		cfg ".annotations[\"agentsbx.policy\"] = \"$p\""
		run_bg sbx create -b "$BUNDLE" "$CID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"annotation agentsbx.policy=$p refused: policy \`$p\` is looser than policy \`agent-safe\`"* ]]
		[[ "$output" == *"selectable"* ]]
		no_state "$CID"
	done
	# the rule that is looser is named
	cfg '.annotations["agentsbx.policy"] = "none"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[[ "$output" == *"applies no overlay at all"* ]]
	cfg '.annotations["agentsbx.policy"] = "full-access"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[[ "$output" == *"filesystem.default: write is above the base policy's read"* ]]
	# a policy file that grants one capability more is refused the same way
	policy_file mine '{"extends": "agent-safe", "capabilities": {"allow": ["CAP_CHOWN"]}}'
	cfg '.annotations["agentsbx.policy"] = "mine"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"capabilities.allow: CAP_CHOWN is not allowed by the base policy"* ]]
	no_state "$CID"
}

@test "issue 10: an annotation may choose a stricter policy without any admin list" {
	cfg '.annotations["agentsbx.policy"] = "strict"'
	run_policy
	[ "$(pids_max)" = 128 ]
	[ "$(memory_max)" = 536870912 ]
}

@test "issue 10: the admin's selectable list lets the annotation choose none; policy.json is the bar" {
	grant_all_caps
	set_cmd 'grep CapEff /proc/self/status'
	echo '{"extends": "agent-safe", "selectable": ["none"]}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	cfg '.annotations["agentsbx.policy"] = "none"'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "$(caps_of CapEff)" != 0000000000000000 ]
	# not listed: still refused
	cfg '.annotations["agentsbx.policy"] = "full-access"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	no_state "$CID"
	# a site policy stricter than agent-safe: agent-safe itself is looser
	echo '{"name": "site", "extends": "agent-safe", "limits": {"pids": 100}}' >"$AGENTSBX_CONFIG_DIR/policy.json"
	cfg '.annotations["agentsbx.policy"] = "agent-safe"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"policy \`agent-safe\` is looser than policy \`site\`"*"limits.pids: 256 is above the base policy's 100"* ]]
	no_state "$CID"
}

@test "agentsbx.policy.tighten narrows the policy; loosening is refused and leaves nothing" {
	cfg '.annotations["agentsbx.policy.tighten"] = "{\"limits\": {\"pids\": 10}}"'
	run_policy
	[ "$(pids_max)" = 10 ]
	sbx delete -f "$CID"
	cfg '.annotations["agentsbx.policy.tighten"] = "{\"capabilities\": {\"allow\": [\"CAP_SYS_ADMIN\"]}}"'
	run_bg sbx create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"agentsbx.policy.tighten"* ]]
	[[ "$output" == *CAP_SYS_ADMIN* ]]
	no_state "$CID"
}

@test "--policy with annotations false ignores both annotations" {
	grant_all_caps
	echo '{"extends": "agent-safe", "annotations": false}' >"$BATS_TEST_TMPDIR/pinned.json"
	cfg '.annotations["agentsbx.policy"] = "none"'
	set_cmd 'grep CapEff /proc/self/status'
	run sbx --policy "$BATS_TEST_TMPDIR/pinned.json" run "$CID"
	[ "$status" -eq 0 ]
	[ "$(caps_of CapEff)" = 0000000000000000 ]
}

@test "a bad policy fails create with the JSON path and leaves nothing" {
	echo '{"limits": {"memory": "lots"}}' >"$BATS_TEST_TMPDIR/bad.json"
	set_args true
	run_bg sbx --policy "$BATS_TEST_TMPDIR/bad.json" create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *limits.memory* ]]
	no_state "$CID"
	echo '{"network": {"mode": "allowlist", "allow": ["example.invalid:http"]}}' >"$BATS_TEST_TMPDIR/allow.json"
	run_bg sbx --policy "$BATS_TEST_TMPDIR/allow.json" create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network.allow[0]: bad entry"* ]]
	no_state "$CID"
}

@test "a memory bomb is killed under the policy's memory limit (and audited)" {
	echo "{\"extends\": \"agent-safe\", \"limits\": {\"memory\": \"32M\"}, \"audit\": {\"path\": \"$AUDIT\"}}" >"$BATS_TEST_TMPDIR/p.json"
	set_args tail /dev/zero
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	[ "$status" -eq 137 ]
	jq -se 'any(.[]; .event == "resource_violation" and .violation == "oom")' "$AUDIT"
}

@test "timeout kills the container that long after start, recorded in the audit log" {
	echo "{\"extends\": \"agent-safe\", \"limits\": {\"timeout\": \"1s\"}, \"audit\": {\"path\": \"$AUDIT\"}}" >"$BATS_TEST_TMPDIR/p.json"
	set_args sleep 1000
	create_container_policy() { run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" create -b "$BUNDLE" "$CID"; }
	create_container_policy
	[ "$status" -eq 0 ]
	# not before start: created containers are not timed out
	sleep 1.5
	[ "$(container_status "$CID")" = created ]
	sbx start "$CID"
	wait_status "$CID" stopped
	jq -se --arg id "$CID" 'any(.[]; .event == "resource_violation" and .violation == "timeout" and .container == $id)' "$AUDIT"
}

@test "lifetime kills the container that long after create" {
	echo "{\"extends\": \"agent-safe\", \"limits\": {\"lifetime\": \"1s\"}, \"audit\": {\"path\": \"$AUDIT\"}}" >"$BATS_TEST_TMPDIR/p.json"
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" create -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	jq -se 'any(.[]; .event == "resource_violation" and .violation == "lifetime")' "$AUDIT"
}

@test "audit: created (with digest), started, command executed, deleted (with usage)" {
	echo "{\"extends\": \"agent-safe\", \"audit\": {\"path\": \"$AUDIT\"}}" >"$BATS_TEST_TMPDIR/p.json"
	set_args sleep 1000
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	run sbx exec "$CID" sh -c 'echo hi'
	[ "$output" = hi ]
	sbx delete -f "$CID"
	digest="$(sbx --policy "$BATS_TEST_TMPDIR/p.json" policy show --digest 2>/dev/null | tail -n1)"
	# agent-safe records commands: init's and exec's execve, each exit
	jq -se --arg id "$CID" '
		map(select(.container == $id)) as $e
		| ($e | map(.event)) as $k
		| $k[0] == "container_created" and $k[-1] == "container_deleted"
		and ($k | map(select(. == "container_started")) | length) == 1
		and ($e | map(select(.event == "command_executed") | .argv)) == [["sleep", "1000"], ["sh", "-c", "echo hi"]]
		and ($e | map(select(.event == "command_executed")) | all(.uid == 0))
		and ($e | map(select(.event == "process_exited") | [.process, .exit_code]) | sort) == [["exec", 0], ["init", 137]]
		and ($e[0].digest | startswith("sha256:"))
		and ($e[-1].wall_time_ms >= 0) and ($e[-1].cpu_time_ns >= 0)
		and $e[-1].counts.command_executed == 2
		and (all($e[]; .time | test("^[0-9-]+T[0-9:]+\\.[0-9]{6}Z$")))
		and (all($e[]; .policy == $e[0].policy)) and $e[0].policy.digest == $digest' --arg digest "$digest" "$AUDIT"
}

@test "audit.commands false: only agentsbx exec is recorded, by the runtime" {
	echo "{\"extends\": \"agent-safe\", \"audit\": {\"path\": \"$AUDIT\", \"commands\": false}}" >"$BATS_TEST_TMPDIR/p.json"
	set_args sh -c '/bin/true; exec sleep 1000'
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" run -d "$CID"
	[ "$status" -eq 0 ]
	run sbx exec "$CID" sh -c 'echo hi'
	[ "$output" = hi ]
	sbx delete -f "$CID"
	jq -se --arg id "$CID" '
		map(select(.container == $id and .event == "command_executed")) as $c
		| ($c | length) == 1 and $c[0].argv == ["sh", "-c", "echo hi"]' "$AUDIT"
}

@test "exec is held to the policy: --cap and -e cannot add what it forbids" {
	set_args sleep 1000
	run_bg sbx run -d "$CID"
	[ "$status" -eq 0 ]
	run sbx exec --cap CAP_SYS_ADMIN -e AWS_SECRET_ACCESS_KEY=x "$CID" sh -c 'grep CapEff /proc/self/status; env | grep -c AWS || true'
	[ "$(caps_of CapEff)" = 0000000000000000 ]
	[ "${lines[1]}" = 0 ]
}

@test "issue 10: env deny globs ignore case: aws_secret=x and friends are filtered, at create and exec" {
	cfg '.process.env += ["aws_secret=x", "Github_Token=leak", "db_password=leak", "lang_ok=1"]'
	run_policy
	run sbx exec -e aws_session_token=leak -e my_api_key=leak "$CID" env
	[ "$status" -eq 0 ]
	# (counts: a `! grep` line would not fail a bats test)
	[ "$(grep -ci 'aws_secret\|github_token\|db_password\|aws_session_token\|my_api_key\|leak' <<<"$output")" = 0 ]
	grep -q '^lang_ok=1$' <<<"$output"
	# the container's own process got the same filter
	environ="$(tr '\0' '\n' <"/proc/$(container_pid "$CID")/environ")"
	[ "$(grep -ci 'aws_secret\|leak' <<<"$environ")" = 0 ]
	grep -q '^lang_ok=1$' <<<"$environ"
}

# ---- limits.scratch: the scratch directories on size-limited tmpfs ----

# the /proc/mounts line of a scratch directory in $output
mount_line() { awk -v d="$1" '$2 == d' <<<"$output"; }

@test "issue 10: limits.scratch puts /tmp, /var/tmp, /run and /dev/shm on tmpfs of that size; writing past it fails with ENOSPC" {
	echo '{"extends": "agent-safe", "limits": {"scratch": "8M"}}' >"$BATS_TEST_TMPDIR/p.json"
	set_cmd 'cat /proc/mounts; stat -c "mode %a %n" /tmp /var/tmp /run /dev/shm
		for d in /tmp /var/tmp /run /dev/shm; do
			dd if=/dev/zero of=$d/fill bs=1M count=20 2>&1 | grep -o "No space left on device" | head -n1
			echo "$d: $(($(wc -c <$d/fill) / 1048576))M"
		done'
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	for d in /tmp /var/tmp /run /dev/shm; do
		mount_line "$d" | grep -E "^[^ ]+ $d tmpfs [^ ]*nosuid,nodev" | grep -q 'size=8192k'
		grep -qx "$d: 8M" <<<"$output"
	done
	[ "$(grep -c 'No space left on device' <<<"$output")" -eq 4 ]
	grep -qx 'mode 1777 /tmp' <<<"$output"
	grep -qx 'mode 1777 /var/tmp' <<<"$output"
	grep -qx 'mode 755 /run' <<<"$output"
	grep -qx 'mode 1777 /dev/shm' <<<"$output"
	# nothing reached the image's directories on the host's disk
	[ ! -e "$ROOTFS/tmp/fill" ] && [ ! -e "$ROOTFS/var/tmp/fill" ] && [ ! -e "$ROOTFS/run/fill" ]
}

@test "issue 10: agent-safe gives 1G scratch; a tighter config tmpfs keeps its size, a looser one is capped, a bind is kept" {
	# the default config's /dev/shm is a 64M tmpfs: tighter than 1G, kept
	# (with its noexec); an engine's --tmpfs /tmp without size is capped;
	# a volume on /var/tmp is the engine's choice
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "noexec"]}'
	add_mount "$(jq -nc --arg s "$BATS_TEST_TMPDIR/vol" '{destination: "/var/tmp", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	set_cmd 'cat /proc/mounts; echo x >/var/tmp/onvol'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	mount_line /dev/shm | grep -q 'noexec.*size=65536k'
	mount_line /tmp | grep -q 'noexec.*size=1048576k'
	mount_line /run | grep -q 'size=1048576k'
	[ "$(mount_line /var/tmp | grep -c tmpfs)" = 0 ]
	[ -f "$BATS_TEST_TMPDIR/vol/onvol" ]
	# a config size tighter than scratch stays; one in % of RAM is capped
	cfg '(.mounts[] | select(.destination == "/tmp")).options = ["size=2m"]'
	cfg '.mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["size=90%"]}]'
	run sbx run "$CID"
	mount_line /tmp | grep -q 'size=2048k'
	mount_line /run | grep -q 'size=1048576k'
}

@test "issue 10: the scratch tmpfs goes under the config's mounts inside it and over its parent" {
	echo engine-file >"$BATS_TEST_TMPDIR/s"
	add_mount "$(jq -nc --arg s "$BATS_TEST_TMPDIR/s" '{destination: "/run/app/conf", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	set_cmd 'cat /run/app/conf; awk "\$2 ~ /^\/(run|dev)/ {print \$2, \$3}" /proc/mounts'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = engine-file ]
	grep -qx '/run tmpfs' <<<"$output"
	# without the config's /dev/shm, the scratch one sits on the /dev
	# tmpfs, not under it (where /dev would cover it)
	cfg '.mounts |= map(select(.destination != "/dev/shm"))'
	set_cmd 'echo "shm $(stat -f -c "%b %S" /dev/shm) dev $(stat -f -c "%b %S" /dev)"'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	read -r _ shm_blocks shm_bsize _ dev_blocks dev_bsize <<<"$output"
	[ $((shm_blocks * shm_bsize)) -eq 1073741824 ]
	[ $((dev_blocks * dev_bsize)) -ne 1073741824 ]
}

@test "issue 10: scratch is not mounted where the policy, or the config, does not let the container write" {
	echo '{"extends": "read-only", "limits": {"scratch": "8M"}}' >"$BATS_TEST_TMPDIR/p.json"
	echo image-file >"$ROOTFS/tmp/kept"
	set_cmd 'cat /tmp/kept; awk "\$2 == \"/tmp\" || \$2 == \"/run\"" /proc/mounts'
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = image-file ]
	[ "${#lines[@]}" -eq 1 ]
	# a read-only root (docker run --read-only) stays read-only: no tmpfs
	# makes /tmp writable behind the engine's back
	cfg '.root.readonly = true'
	set_cmd 'cat /tmp/kept; awk "\$2 == \"/tmp\" || \$2 == \"/run\"" /proc/mounts; touch /tmp/x 2>&1'
	run sbx run "$CID"
	echo "$output"
	[ "${lines[0]}" = image-file ]
	[ "$(grep -c tmpfs <<<"$output")" = 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "issue 10: a scratch directory that is a symlink in the image gets no tmpfs of its own (its target's holds)" {
	rm -rf "$ROOTFS/var/tmp"
	mkdir -p "$ROOTFS/var"
	ln -s ../tmp "$ROOTFS/var/tmp"
	set_cmd 'awk "\$2 == \"/tmp\" || \$2 == \"/var/tmp\"" /proc/mounts; echo x >/var/tmp/through && cat /tmp/through'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# one tmpfs on /tmp (not a second one mounted through the link)
	[ "$(grep -c ' /tmp tmpfs ' <<<"$output")" = 1 ]
	[ "$(grep -c ' /var/tmp ' <<<"$output")" = 0 ]
	[ "${lines[-1]}" = x ]
	[ -L "$ROOTFS/var/tmp" ] && [ ! -e "$ROOTFS/tmp/through" ]
	# a link on the way (/var -> realvar): no tmpfs lands on realvar/tmp
	rm -rf "$ROOTFS/var"
	mkdir -p "$ROOTFS/realvar/tmp"
	ln -s realvar "$ROOTFS/var"
	set_cmd 'awk "\$3 == \"tmpfs\" {print \$2}" /proc/mounts'
	run sbx run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'var' <<<"$output")" = 0 ]
	grep -qx /tmp <<<"$output"
}

@test "issue 10: scratch pages count against the container's memory (cgroup v1 here: the writer is OOM-killed)" {
	echo '{"extends": "agent-safe", "limits": {"memory": "32M", "scratch": "64M"}}' >"$BATS_TEST_TMPDIR/p.json"
	set_args dd if=/dev/zero of=/tmp/fill bs=1M count=50
	run sbx --policy "$BATS_TEST_TMPDIR/p.json" run "$CID"
	echo "status=$status $output"
	# 50M cannot land in /tmp under 32M of memory: not ENOSPC (64M of room)
	# but the memory limit kills the writer
	[ "$status" -eq 137 ]
}

@test "issue 10: under an exec allowlist the scratch tmpfs is noexec, like every write path" {
	set_cmd 'awk "\$2 == \"/tmp\"" /proc/mounts; cp /bin/busybox /tmp/bb && /tmp/bb true; echo rc=$?'
	run sbx --policy strict run "$CID"
	echo "$output"
	mount_line /tmp | grep -q 'noexec'
	mount_line /tmp | grep -q 'size=1048576k'
	grep -q 'rc=126' <<<"$output"
}

# ---- network none, inside a namespace with a veth to a listener we own ----

setup_veth() {
	HOLDER="$(ns_holder --net)"
	PEER="$(ns_holder --net)"
	VA="sbxa$$${BATS_TEST_NUMBER}" VB="sbxb$$${BATS_TEST_NUMBER}"
	ip link add "$VA" type veth peer name "$VB"
	ip link set "$VA" netns "/proc/$HOLDER/ns/net"
	ip link set "$VB" netns "/proc/$PEER/ns/net"
	nsenter --net="/proc/$HOLDER/ns/net" sh -c "ip addr add 10.213.0.1/30 dev $VA; ip link set $VA up; ip link set lo up"
	nsenter --net="/proc/$PEER/ns/net" sh -c "ip addr add 10.213.0.2/30 dev $VB; ip link set $VB up"
	# the listener: in our own peer namespace only
	[ "$(readlink /proc/$PEER/ns/net)" != "$(readlink /proc/self/ns/net)" ]
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo reached >"$BATS_TEST_TMPDIR/www/index.html"
	nsenter --net="/proc/$PEER/ns/net" "$BUSYBOX" httpd -f -p 10.213.0.2:7777 -h "$BATS_TEST_TMPDIR/www" </dev/null >/dev/null 2>&1 3>&- &
	track_pid $!
	add_ns network "/proc/$HOLDER/ns/net"
}

@test "network none: nothing beyond loopback, even in an engine-made namespace with a veth" {
	setup_veth
	# the sender (the container) is inside HOLDER, a namespace we made.
	# control first: with the network unrestricted the container reaches it
	echo '{"extends": "agent-safe", "network": {"mode": "unrestricted"}}' >"$BATS_TEST_TMPDIR/open.json"
	set_cmd 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 10.213.0.2 7777'
	run sbx --policy "$BATS_TEST_TMPDIR/open.json" run "$CID"
	[[ "$output" == *reached* ]]
	# under network none it cannot (the rules in its namespace refuse it)
	set_cmd 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 10.213.0.2 7777 2>&1; echo rc=$?'
	run sbx run "$CID"
	[[ "$output" != *reached* ]]
	grep -q 'rc=1' <<<"$output"
	# root in the container cannot bring it back up (no CAP_NET_ADMIN)
	set_cmd "ip link set $VA up 2>&1; printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 10.213.0.2 7777 2>&1; echo rc=\$?"
	run sbx run "$CID"
	[[ "$output" != *reached* ]]
}

@test "network none without a network namespace in the config: one of its own, loopback up" {
	drop_ns network
	set_cmd 'ls /sys/class/net; readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate'
	run sbx run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/net)" ]
}

@test "network none with CAP_NET_ADMIN allowed is refused" {
	echo '{"extends": "agent-safe", "capabilities": {"allow": ["CAP_NET_ADMIN"]}}' >"$BATS_TEST_TMPDIR/p.json"
	grant_all_caps
	set_args true
	run_bg sbx --policy "$BATS_TEST_TMPDIR/p.json" create -b "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *CAP_NET_ADMIN* ]]
	no_state "$CID"
}

@test "policy: an rlimit with soft above hard is refused as under --policy none, not clamped" {
	# the policy's open_files (agent-safe) is above hard here: only soft > hard is wrong
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 200, hard: 100}]'
	set_args true
	run sbx run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.rlimits[0]"* ]]
	[[ "$output" == *soft* ]]
	run sbx --policy none run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.rlimits[0]"* ]]
}
