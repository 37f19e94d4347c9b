#!/usr/bin/env bats
# A failed create exits non-zero, says what failed, and leaves NOTHING behind:
# no state under --root, no mount, no process.

load helpers

# try_create [FLAGS...] ID: create under a subreaper; sets status/output and
# LEFT (the file listing leftover processes).
try_create() {
	LEFT="$BATS_TEST_TMPDIR/leftover.$RANDOM"
	run_bg run_reaped "$LEFT" "$AGENTSBX" --root "$SBX_ROOT" create -b "$BUNDLE" "$@"
	echo "${@: -1}" >>"$BATS_TEST_TMPDIR/.ids"
}

# try_run ID: `run` (foreground) under a subreaper
try_run() {
	LEFT="$BATS_TEST_TMPDIR/leftover.$RANDOM"
	run_bg run_reaped "$LEFT" "$AGENTSBX" --root "$SBX_ROOT" run -b "$BUNDLE" "$@"
	echo "${@: -1}" >>"$BATS_TEST_TMPDIR/.ids"
}

@test "control: a good create under the reaper check leaves the container" {
	set_args sleep 1000
	# sanity check of the harness itself: a successful create does leave
	# a process (the container's init), which the reaper reports
	try_create "$CID"
	[ "$status" -eq 0 ]
	[ -s "$LEFT" ]
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
	nothing_left "$CID" "$LEFT"
}

@test "config.json is not JSON" {
	echo '{ "ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "wrong type: process.args is a string" {
	cfg '.process.args = "sh -c true"'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "wrong type: the error names the JSON path process.args" {
	requires_agentsbx "runc's error names the Go type, not the JSON path"
	cfg '.process.args = "sh -c true"'
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.args* ]]
	nothing_left "$CID" "$LEFT"
}

@test "wrong type: the error names the JSON path of a nested field" {
	requires_agentsbx "JSON paths in errors"
	cfg '.process.user.uid = "root"'
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.user.uid* ]]
	nothing_left "$CID" "$LEFT"

	write_default_config "$BUNDLE/config.json"
	cfg '.mounts[1].options = "ro"'
	try_create "$CID-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *mounts* ]]
	[[ "$output" == *options* ]]
	nothing_left "$CID-2" "$LEFT"
}

@test "missing process.args binary: create or start fails naming it" {
	set_args /bin/no-such-binary-xyz
	try_create "$CID"
	if [ "$status" -eq 0 ]; then
		# runc reports it only at start
		run sbx start "$CID"
		[ "$status" -ne 0 ]
		[[ "$output" == *no-such-binary-xyz* ]]
		run sbx delete -f "$CID"
		[ "$status" -eq 0 ]
		no_state "$CID"
		no_mounts "$BUNDLE"
	else
		[[ "$output" == *no-such-binary-xyz* ]]
		nothing_left "$CID" "$LEFT"
	fi
}

@test "missing binary looked up in PATH: run fails naming it, leaves nothing" {
	set_args no-such-command-abc
	try_run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-command-abc* ]]
	nothing_left "$CID" "$LEFT"
}

@test "args binary not executable" {
	printf 'not a program\n' >"$ROOTFS/bin/notexec"
	chmod 644 "$ROOTFS/bin/notexec"
	set_args /bin/notexec
	try_run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *notexec* ]]
	nothing_left "$CID" "$LEFT"
}

@test "empty process.args" {
	cfg '.process.args = []'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "bind mount with a nonexistent source" {
	add_mount "{\"destination\": \"/mnt/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/no-such-source\", \"options\": [\"bind\"]}"
	try_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-source* || "$output" == */mnt/x* ]]
	nothing_left "$CID" "$LEFT"
}

@test "mount of an unknown filesystem type" {
	add_mount '{"destination": "/mnt/y", "type": "nosuchfs", "source": "none"}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "missing rootfs" {
	rm -rf "$ROOTFS"
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "joining a nonexistent namespace path" {
	add_ns network "$BATS_TEST_TMPDIR/no-such-netns"
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "joining a namespace path of the wrong type" {
	holder="$(ns_holder --ipc)"
	add_ns network "/proc/$holder/ns/ipc"
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "failing createRuntime hook" {
	cfg '.hooks.createRuntime = [{path: "/bin/false"}]'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "invalid container ids are refused" {
	set_args true
	for id in "../escape" "a/b" "" ".."; do
		try_create "$id"
		[ "$status" -ne 0 ] || {
			echo "id '$id' accepted"
			false
		}
	done
	[ ! -e "$BATS_TEST_TMPDIR/escape" ]
	[ -z "$(ls -A "$SBX_ROOT" 2>/dev/null)" ]
}

@test "bad rlimit type" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOSUCH", hard: 1, soft: 1}]'
	try_create "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "unknown capability name: a warning, not a failure (runtime-spec)" {
	cfg '.process.capabilities.bounding += ["CAP_NO_SUCH_CAP"]'
	set_args true
	run sbx run "$CID"
	[ "$status" -eq 0 ]
}

@test "invalid sysctl" {
	cfg '.linux.sysctl = {"net.no.such.sysctl": "1"}'
	try_run "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "cwd that is not absolute or does not exist as a file" {
	echo x >"$ROOTFS/afile"
	cfg '.process.cwd = "/afile"'
	try_run "$CID"
	[ "$status" -ne 0 ]
	nothing_left "$CID" "$LEFT"
}

@test "user namespace without mappings" {
	add_ns user
	try_create "$CID"
	[ "$status" -ne 0 ]
	# the error names the missing mappings (runc: "no uid mappings found")
	[[ "$output" == *[uU]id*apping* ]]
	nothing_left "$CID" "$LEFT"
}

@test "a memory limit too small for the container's init names the memory limit" {
	cfg '.linux.resources.memory = {limit: 1}'
	try_create "$CID"
	[ "$status" -ne 0 ]
	# runc: "unable to set memory limit to 1"; agentsbx names the JSON path
	[[ "$output" == *memory*limit* ]]
	nothing_left "$CID" "$LEFT"
}

@test "rlimit soft above hard is refused naming the rlimit" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2000, hard: 1000}]'
	try_create "$CID"
	[ "$status" -ne 0 ]
	if [ "$SBX_KIND" = agentsbx ]; then
		[[ "$output" == *"process.rlimits[0]"* ]]
	fi
	nothing_left "$CID" "$LEFT"
}

@test "failed run of a second container does not disturb the first" {
	set_args sleep 1000
	start_detached "$CID"
	pid="$(container_pid "$CID")"
	add_mount "{\"destination\": \"/mnt/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/nope\", \"options\": [\"bind\"]}"
	try_create "$CID-2"
	[ "$status" -ne 0 ]
	nothing_left "$CID-2" "$LEFT"
	[ "$(container_status "$CID")" = running ]
	[ "$(container_pid "$CID")" = "$pid" ]
}
