#!/usr/bin/env bats
# agentsbx policy check|show|explain|presets: the policy model from the
# command line (no container is started; no root needed).  Every test runs
# with AGENTSBX_CONFIG_DIR pointing at an empty private directory, so the
# host's /etc/agentsbx never matters.

load helpers

setup() {
	SBX_KIND="$(sbx_kind)"
	requires_agentsbx "agentsbx policy is agentsbx's own command"
	CONF="$BATS_TEST_TMPDIR/conf"
	mkdir -p "$CONF/policies"
	export AGENTSBX_CONFIG_DIR="$CONF"
	PB="$BATS_TEST_TMPDIR/pbundle"
	mkdir -p "$PB"
}

# bundle_with ANNOTATIONS-JSON: a config.json holding those annotations.
bundle_with() {
	jq -n --argjson a "$1" \
		'{ociVersion: "1.2.0", process: {cwd: "/", args: ["sh"]}, root: {path: "rootfs"}, annotations: $a}' \
		>"$PB/config.json"
}

@test "policy presets lists every built-in policy" {
	run "$AGENTSBX" policy presets
	[ "$status" -eq 0 ]
	for p in agent-safe read-only development full-access view-only strict none; do
		grep -q "^$p " <<<"$output" || { echo "missing $p"; false; }
	done
	grep -q '^agent-safe .*\[default\]' <<<"$output"
	[ "${#lines[@]}" -eq 7 ]
}

@test "policy check accepts a good file and prints ok" {
	cat >"$BATS_TEST_TMPDIR/good.json" <<-'JSON'
	{ "version": 1, "extends": "agent-safe",
	  "filesystem": { "default": "write",
	                  "rules": [ {"pattern": "**/.env*", "permission": "none", "priority": 100} ] },
	  "exec": { "allow": ["/usr/bin/git", "/bin/*"] },
	  "network": { "mode": "none" },
	  "capabilities": { "allow": ["CAP_NET_BIND_SERVICE"] },
	  "noNewPrivileges": true, "seccomp": "default",
	  "env": { "inherit": "all", "allow": ["PATH", "HOME", "LANG", "TERM"],
	           "deny": ["AWS_*", "*_KEY", "*_SECRET", "*_TOKEN", "*PASSWORD*"], "set": {"HOME": "/tmp"} },
	  "limits": { "memory": "512M", "cpus": 0.5, "pids": 100, "openFiles": 1024,
	              "fileSize": "10M", "timeout": "300s", "lifetime": "6h" },
	  "audit": { "path": "/var/log/agentsbx/audit.jsonl" } }
	JSON
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/good.json"
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/good.json: ok" ]
}

@test "policy check exits 1 listing every error with its JSON path" {
	f="$BATS_TEST_TMPDIR/bad.json"
	cat >"$f" <<-'JSON'
	{ "version": 1, "colour": "red",
	  "filesystem": { "default": "rw", "enforcement": "lax",
	                  "rules": [ {"pattern": "/a/[b", "permission": "read"} ] },
	  "capabilities": { "allow": ["CAP_NOPE"] },
	  "limits": { "memory": "12X", "timeout": "5d" } }
	JSON
	run "$AGENTSBX" policy check "$f"
	[ "$status" -eq 1 ]
	grep -qxF "$f: colour: unknown key" <<<"$output"
	grep -qxF "$f: filesystem.default: unknown permission \`rw\` (none, view, read or write)" <<<"$output"
	grep -qxF "$f: filesystem.enforcement: unknown enforcement \`lax\` (strict or best-effort)" <<<"$output"
	grep -qxF "$f: filesystem.rules[0].pattern: bad pattern \`/a/[b\`: unterminated \`[\`" <<<"$output"
	grep -qxF "$f: capabilities.allow[0]: unknown capability \`CAP_NOPE\`" <<<"$output"
	grep -qxF "$f: limits.memory: bad size \`12X\` (a number with an optional K, M or G suffix)" <<<"$output"
	grep -qxF "$f: limits.timeout: bad duration \`5d\` (a number with an s, m or h suffix)" <<<"$output"
	[ "${#lines[@]}" -eq 7 ]
}

@test "policy check: invalid JSON, missing file, unknown parent, allowlist" {
	echo '{"version": 1,' >"$BATS_TEST_TMPDIR/trunc.json"
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/trunc.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"trunc.json: invalid JSON: "* ]]
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/nope.json"
	[ "$status" -eq 1 ]
	echo '{"extends": "nosuch"}' >"$BATS_TEST_TMPDIR/orphan.json"
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/orphan.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown policy \`nosuch\`"* ]]
	echo '{"network": {"mode": "allowlist", "allow": ["example.com", "a.*.example"]}}' >"$BATS_TEST_TMPDIR/al.json"
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/al.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"al.json: network.allow[1]: bad entry \`a.*.example\`: a wildcard is \`*.domain\` at the start only"* ]]
	echo '{"network": {"mode": "allowlist", "allow": ["example.com", "*.example.org:443", "[2001:db8::1]:443"]}}' >"$BATS_TEST_TMPDIR/al.json"
	run "$AGENTSBX" policy check "$BATS_TEST_TMPDIR/al.json"
	[ "$status" -eq 0 ]
}

@test "policy check warns about rules hidden by a none rule" {
	f="$BATS_TEST_TMPDIR/hidden.json"
	echo '{"filesystem": {"rules": [{"pattern": "/data", "permission": "none"},
	       {"pattern": "/data/pub", "permission": "read", "priority": 9}]}}' >"$f"
	run "$AGENTSBX" policy check "$f"
	[ "$status" -eq 0 ]
	grep -qF "warning: $f: filesystem.rules[1] \`/data/pub\` (read) is unreachable: \`/data\` is hidden by $f: filesystem.rules[0] \`/data\` (none)" <<<"$output"
}

@test "policy show: the default is agent-safe, canonical and complete" {
	run "$AGENTSBX" policy show
	[ "$status" -eq 0 ]
	jq -e '.name == "agent-safe" and .version == 1 and .annotations == true' <<<"$output"
	jq -e '.filesystem.default == "read" and .filesystem.enforcement == "strict" and (.filesystem.rules | length) == 29' <<<"$output"
	jq -e '.filesystem | keys_unsorted == ["default", "enforcement", "rules"]' <<<"$output"
	jq -e '.network.mode == "none" and .capabilities.allow == [] and .noNewPrivileges and .seccomp == "default"' <<<"$output"
	jq -e '.limits == {memory: "1G", cpus: null, pids: 256, openFiles: 1024, fileSize: null, timeout: null, lifetime: null, scratch: "1G"}' <<<"$output"
	jq -e '.exec.allow == null and .audit.path == null and .env.inherit == "all"' <<<"$output"
}

@test "policy show --policy NAME and FILE; the global --policy too" {
	run "$AGENTSBX" policy show --policy strict
	[ "$status" -eq 0 ]
	jq -e '.name == "strict" and .seccomp == "strict" and .exec.allow == ["/bin/*", "/usr/bin/*"]' <<<"$output"
	jq -e '.limits.memory == "512M" and .limits.pids == 128 and .limits.timeout == "15m"' <<<"$output"
	run "$AGENTSBX" --policy read-only policy show
	[ "$status" -eq 0 ]
	jq -e '.name == "read-only"' <<<"$output"
	echo '{"name": "mine", "extends": "development", "limits": {"pids": 64}}' >"$BATS_TEST_TMPDIR/mine.json"
	run "$AGENTSBX" policy show --policy "$BATS_TEST_TMPDIR/mine.json"
	[ "$status" -eq 0 ]
	jq -e '.name == "mine" and .filesystem.default == "write" and .limits.pids == 64' <<<"$output"
	echo '{"extends": "agent-safe", "filesystem": {"enforcement": "best-effort"}}' >"$BATS_TEST_TMPDIR/be.json"
	run "$AGENTSBX" policy show --policy "$BATS_TEST_TMPDIR/be.json"
	[ "$status" -eq 0 ]
	jq -e '.filesystem.enforcement == "best-effort" and .filesystem.default == "read"' <<<"$output"
	run "$AGENTSBX" policy show --policy none
	[ "$status" -eq 0 ]
	jq -e '. == {version: 1, name: "none", passthrough: true}' <<<"$output"
	run "$AGENTSBX" policy show --policy nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"--policy nosuch: unknown policy \`nosuch\`"* ]]
}

@test "policy show --digest is stable and changes with the policy" {
	run "$AGENTSBX" policy show --digest
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	d1="$output"
	run "$AGENTSBX" policy show --digest --policy agent-safe
	[ "$output" = "$d1" ]
	run "$AGENTSBX" policy show --digest --policy strict
	[ "$output" != "$d1" ]
}

@test "policy show --bundle: the annotation picks a preset and tightens it" {
	echo '{"extends": "agent-safe", "selectable": ["development"]}' >"$CONF/policy.json"
	bundle_with '{"agentsbx.policy": "development", "agentsbx.policy.tighten": "{\"network\": {\"mode\": \"none\"}, \"limits\": {\"memory\": \"256M\"}, \"filesystem\": {\"rules\": [{\"pattern\": \"/etc\", \"permission\": \"read\"}]}}"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "development" and .network.mode == "none" and .limits.memory == "256M"' <<<"$output"
	jq -e '.filesystem.rules[-1] == {pattern: "/etc", permission: "read", priority: 0}' <<<"$output"
	run "$AGENTSBX" policy explain --bundle "$PB" /etc/hosts /usr/bin/x
	[ "$status" -eq 0 ]
	grep -qP '^/etc/hosts\tread\tfilesystem.rules\[0\] `/etc` \(priority 0\) of agentsbx.policy.tighten$' <<<"$output"
	grep -qP '^/usr/bin/x\twrite\tfilesystem.default$' <<<"$output"
}

@test "policy show --bundle: a tighten that loosens is refused with its JSON path" {
	bundle_with '{"agentsbx.policy.tighten": "{\"capabilities\": {\"allow\": [\"CAP_SYS_ADMIN\"]}}"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"agentsbx.policy.tighten: capabilities.allow: CAP_SYS_ADMIN is not allowed by the base policy"* ]]
	bundle_with '{"agentsbx.policy.tighten": "{\"network\": {\"mode\": \"unrestricted\"}, \"seccomp\": \"config\"}"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"network.mode: unrestricted is looser than the base policy's none (and 1 more error)"* ]]
	bundle_with '{"agentsbx.policy.tighten": "{\"filesystem\": {\"enforcement\": \"best-effort\"}}"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"agentsbx.policy.tighten: filesystem.enforcement: best-effort is looser than the base policy's strict"* ]]
	bundle_with '{"agentsbx.policy": "../../etc/passwd"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a policy name"* ]]
}

@test "policy show --bundle: the annotation may not choose a looser policy unless selectable" {
	bundle_with '{"agentsbx.policy": "none"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"annotation agentsbx.policy=none refused: policy \`none\` is looser than policy \`agent-safe\`, which holds without the annotation: applies no overlay at all; an annotation may only choose a policy at least as strict, or one listed in \"selectable\" of $CONF/policy.json"* ]]
	bundle_with '{"agentsbx.policy": "development"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"filesystem.default: write is above the base policy's read (and 7 more errors)"* ]]
	bundle_with '{"agentsbx.policy": "view-only"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "view-only"' <<<"$output"
	echo '{"extends": "agent-safe", "selectable": ["development"]}' >"$CONF/policy.json"
	bundle_with '{"agentsbx.policy": "development"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "development"' <<<"$output"
	run "$AGENTSBX" policy show --policy "$CONF/policy.json"
	jq -e '.selectable == ["development"]' <<<"$output"
	run "$AGENTSBX" policy check "$CONF/policy.json"
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	# a name that is no policy is probably a typo: a warning
	echo '{"extends": "agent-safe", "selectable": ["developement"]}' >"$CONF/typo.json"
	run "$AGENTSBX" policy check "$CONF/typo.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: $CONF/typo.json: selectable[0]: \`developement\` is neither a preset nor $CONF/policies/developement.json"* ]]
	echo '{"extends": "agent-safe", "selectable": ["../x"]}' >"$CONF/bad.json"
	run "$AGENTSBX" policy check "$CONF/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"selectable[0]: \`../x\` is not a policy name"* ]]
}

@test "precedence: --policy > annotation > CONFIG_DIR/policy.json > agent-safe" {
	# team writes /tmp, which site does not: the annotation needs the list
	echo '{"name": "site", "extends": "read-only", "limits": {"pids": 99}, "selectable": ["team"]}' >"$CONF/policy.json"
	echo '{"name": "team-x", "extends": "agent-safe", "limits": {"pids": 42}}' >"$CONF/policies/team.json"
	bundle_with '{}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "site" and .limits.pids == 99' <<<"$output"
	bundle_with '{"agentsbx.policy": "team"}'
	run "$AGENTSBX" policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "team-x" and .limits.pids == 42' <<<"$output"
	run --separate-stderr "$AGENTSBX" --policy strict policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	jq -e '.name == "strict"' <<<"$output"
	[[ "$stderr" == *"annotation agentsbx.policy=team ignored: --policy strict takes precedence"* ]]
	rm "$CONF/policy.json"
	bundle_with '{}'
	run "$AGENTSBX" policy show --bundle "$PB"
	jq -e '.name == "agent-safe"' <<<"$output"
}

@test "annotations: false in a pinned policy ignores both annotations" {
	echo '{"name": "pinned", "extends": "agent-safe", "annotations": false}' >"$CONF/policies/pinned.json"
	bundle_with '{"agentsbx.policy": "full-access", "agentsbx.policy.tighten": "{\"seccomp\": \"strict\"}"}'
	run "$AGENTSBX" --policy pinned policy show --bundle "$PB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"annotation agentsbx.policy.tighten ignored: policy \`pinned\` sets \"annotations\": false"* ]]
	run --separate-stderr "$AGENTSBX" --policy pinned policy show --bundle "$PB"
	jq -e '.name == "pinned" and .seccomp == "default" and .annotations == false' <<<"$output"
}

@test "policy explain: permission and deciding rule of several paths" {
	run "$AGENTSBX" policy explain --policy agent-safe /workspace/.env /etc/passwd /tmp/x \
		/home/u/.ssh/known_hosts /workspace/output/r.txt /a/secrets/b/c /workspace/output/.env
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 7 ]
	grep -qP '^/workspace/.env\tnone\tfilesystem.rules\[5\] `\*\*/.env\*` \(priority 100\) of preset agent-safe; if created later: read$' <<<"$output"
	# rules hold for what exists at create; a new file gets its directory's
	grep -qP '^/workspace/output/.env\tnone\tfilesystem.rules\[5\] .* of preset agent-safe; if created later: write$' <<<"$output"
	grep -qP '^/etc/passwd\tread\tfilesystem.default$' <<<"$output"
	grep -qP '^/tmp/x\twrite\tfilesystem.rules\[0\] `/tmp` \(priority 0\) of preset agent-safe$' <<<"$output"
	grep -qP '^/home/u/.ssh/known_hosts\tnone\thidden: /home/u/.ssh is none by filesystem.rules\[15\] ' <<<"$output"
	grep -qP '^/workspace/output/r.txt\twrite\t' <<<"$output"
	grep -qP '^/a/secrets/b/c\tnone\thidden: /a/secrets is none by ' <<<"$output"
}

@test "policy explain with a file policy from CONFIG_DIR names its file" {
	echo '{"filesystem": {"default": "view", "rules": [{"pattern": "/src/**/*.c", "permission": "write"}]}}' \
		>"$CONF/policies/code.json"
	run "$AGENTSBX" policy explain --policy code /src/a/b/m.c /src/a/b/m.h
	[ "$status" -eq 0 ]
	grep -qP "^/src/a/b/m.c\twrite\tfilesystem.rules\[0\] \`/src/\*\*/\*.c\` \(priority 0\) of $CONF/policies/code.json; if created later: view$" <<<"$output"
	grep -qP '^/src/a/b/m.h\tview\tfilesystem.default$' <<<"$output"
	run "$AGENTSBX" policy explain --policy code relative/path
	[ "$status" -eq 1 ]
}

@test "policy explain for hosts and addresses: allowed or not, and by which entry" {
	echo '{"network": {"mode": "allowlist", "allow": ["api.github.com", "*.pythonhosted.org", "pypi.org:443",
	       "10.20.0.0/16", "192.0.2.7:8080", "[2001:db8::1]:443"], "deny": ["uploads.github.com", "0.0.0.0/0:25"],
	       "blockedPorts": [22, 3389]}}' >"$CONF/policies/al.json"
	run "$AGENTSBX" policy explain --policy al api.github.com:443 files.pythonhosted.org pythonhosted.org \
		uploads.github.com pypi.org:80 10.20.1.1:22 10.21.0.1 192.0.2.7:8080 '[2001:db8::1]:443' 203.0.113.5:25 /etc
	[ "$status" -eq 0 ]
	grep -qP '^api.github.com:443\tallowed\tnetwork.allow\[0\] `api.github.com`; its addresses as resolved, except private ones$' <<<"$output"
	grep -qP '^files.pythonhosted.org\tallowed\tnetwork.allow\[1\] `\*.pythonhosted.org`' <<<"$output"
	grep -qP '^pythonhosted.org\trefused\tno network.allow entry$' <<<"$output"
	grep -qP '^uploads.github.com\trefused\tnetwork.deny\[0\] `uploads.github.com`$' <<<"$output"
	grep -qP '^pypi.org:80\trefused\tno network.allow entry$' <<<"$output"
	grep -qP '^10.20.1.1:22\trefused\tnetwork.blockedPorts\[0\] \(22\)$' <<<"$output"
	grep -qP '^10.21.0.1\trefused\tnetwork.blockPrivate \(10.0.0.0/8, RFC 1918\)$' <<<"$output"
	grep -qP '^192.0.2.7:8080\tallowed\tnetwork.allow\[4\] `192.0.2.7:8080`$' <<<"$output"
	grep -qP '^\[2001:db8::1\]:443\tallowed\tnetwork.allow\[5\]' <<<"$output"
	grep -qP '^203.0.113.5:25\trefused\tnetwork.deny\[1\] `0.0.0.0/0:25`$' <<<"$output"
	grep -qP '^/etc\t' <<<"$output"
	run "$AGENTSBX" policy explain --policy al '*.github.com'
	[ "$status" -ne 0 ]
	[[ "$output" == *"explain one host or address, not a pattern"* ]]
	# under network none, everything is refused by the mode
	run "$AGENTSBX" policy explain --policy agent-safe api.github.com:443
	grep -qP '^api.github.com:443\trefused\tnetwork.mode none$' <<<"$output"
}

@test "policy: usage errors" {
	run "$AGENTSBX" policy
	[ "$status" -eq 1 ]
	run "$AGENTSBX" policy frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown subcommand \`frobnicate\`"* ]]
	run "$AGENTSBX" policy check
	[ "$status" -eq 1 ]
	run "$AGENTSBX" policy explain --policy strict
	[ "$status" -eq 1 ]
	run "$AGENTSBX" policy --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"agentsbx policy check FILE"* ]]
}
