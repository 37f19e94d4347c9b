#!/usr/bin/env bats
# spec and features

load helpers

@test "spec writes a valid config.json in the current directory" {
	mkdir "$BATS_TEST_TMPDIR/newbundle"
	cd "$BATS_TEST_TMPDIR/newbundle"
	run "$AGENTSBX" spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	jq -e '.ociVersion | type == "string"' config.json
	jq -e '.root.path == "rootfs"' config.json
	jq -e '.process.args == ["sh"]' config.json
	jq -e '.process.terminal == true' config.json
	jq -e '.process.cwd == "/"' config.json
	jq -e '.process.user.uid == 0 and .process.user.gid == 0' config.json
	jq -e '.process.noNewPrivileges == true' config.json
	jq -e '.process.capabilities.bounding | index("CAP_KILL") != null' config.json
	jq -e '[.linux.namespaces[].type] | (index("pid") != null) and (index("mount") != null) and (index("network") != null) and (index("ipc") != null) and (index("uts") != null)' config.json
	jq -e '[.mounts[].destination] | (index("/proc") != null) and (index("/dev") != null) and (index("/dev/pts") != null) and (index("/sys") != null)' config.json
	jq -e '.linux.maskedPaths | length > 0' config.json
	jq -e '.linux.readonlyPaths | length > 0' config.json
	jq -e '.hostname | type == "string"' config.json
}

@test "spec -b BUNDLE writes into BUNDLE" {
	mkdir "$BATS_TEST_TMPDIR/b2"
	run "$AGENTSBX" spec -b "$BATS_TEST_TMPDIR/b2"
	[ "$status" -eq 0 ]
	jq -e . "$BATS_TEST_TMPDIR/b2/config.json" >/dev/null
	run "$AGENTSBX" spec --bundle "$BATS_TEST_TMPDIR/b2" 2>/dev/null
	# config.json exists now: refusing to overwrite is runc's behaviour
	[ "$status" -ne 0 ]
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir "$BATS_TEST_TMPDIR/b3"
	echo '{"keep":"me"}' >"$BATS_TEST_TMPDIR/b3/config.json"
	run "$AGENTSBX" spec -b "$BATS_TEST_TMPDIR/b3"
	[ "$status" -ne 0 ]
	jq -e '.keep == "me"' "$BATS_TEST_TMPDIR/b3/config.json"
}

@test "spec with a nonexistent bundle dir fails" {
	run "$AGENTSBX" spec -b "$BATS_TEST_TMPDIR/does/not/exist"
	[ "$status" -ne 0 ]
}

@test "spec --rootless: user namespace with mappings, no network namespace" {
	mkdir "$BATS_TEST_TMPDIR/rl"
	run "$AGENTSBX" spec --rootless -b "$BATS_TEST_TMPDIR/rl"
	[ "$status" -eq 0 ]
	c="$BATS_TEST_TMPDIR/rl/config.json"
	jq -e '[.linux.namespaces[].type] | index("user") != null' "$c"
	jq -e '[.linux.namespaces[].type] | index("network") == null' "$c"
	jq -e '.linux.uidMappings | length == 1 and .[0].containerID == 0 and .[0].size == 1' "$c"
	jq -e '.linux.gidMappings | length == 1 and .[0].containerID == 0' "$c"
	jq -e '.linux.resources == null or .linux.resources.devices == null' "$c"
	# /sys is bind mounted read-only in rootless mode
	jq -e '.mounts[] | select(.destination == "/sys") | .type == "none" or .type == "bind"' "$c"
}

@test "the generated spec runs (with terminal off)" {
	mkdir "$BATS_TEST_TMPDIR/gen"
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/gen/rootfs"
	"$AGENTSBX" spec -b "$BATS_TEST_TMPDIR/gen"
	cfg_in "$BATS_TEST_TMPDIR/gen" '.process.terminal = false | .process.args = ["sh", "-c", "echo generated-ok"]'
	run sbx run -b "$BATS_TEST_TMPDIR/gen" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *generated-ok* ]]
}

@test "features prints a runtime-spec features document" {
	run "$AGENTSBX" features
	[ "$status" -eq 0 ]
	jq -e . <<<"$output" >/dev/null
	jq -e '.ociVersionMin | test("^1\\.")' <<<"$output"
	jq -e '.ociVersionMax | test("^1\\.")' <<<"$output"
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg h "$h" '.hooks | index($h) != null' <<<"$output"
	done
	jq -e '.mountOptions | index("ro") != null and index("bind") != null and index("rbind") != null' <<<"$output"
	for ns in cgroup ipc mount network pid user uts; do
		jq -e --arg n "$ns" '.linux.namespaces | index($n) != null' <<<"$output"
	done
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null and index("CAP_KILL") != null' <<<"$output"
}

@test "features advertises the time namespace and rro" {
	requires_agentsbx "runc 1.1 predates time namespaces and rro"
	run "$AGENTSBX" features
	[ "$status" -eq 0 ]
	jq -e '.linux.namespaces | index("time") != null' <<<"$output"
	jq -e '.mountOptions | index("rro") != null' <<<"$output"
}

@test "features: netDevices enabled, the memory policy modes and flags applied" {
	requires_agentsbx "runc 1.1 predates runtime-spec 1.3 features"
	run "$AGENTSBX" features
	[ "$status" -eq 0 ]
	jq -e '.linux.netDevices.enabled == true' <<<"$output"
	jq -e '.linux.intelRdt.enabled == false' <<<"$output"
	jq -e '.linux.memoryPolicy.modes | index("MPOL_INTERLEAVE") != null and index("MPOL_BIND") != null' <<<"$output"
	jq -e '.linux.memoryPolicy.flags | index("MPOL_F_STATIC_NODES") != null' <<<"$output"
}
