/* test-oci-spec.c: unit tests of oci-spec/: config parsing of every field,
 * `runc spec`'s default config, a table of bad documents with their exact
 * errors, process/resources documents, the config write round trip, state
 * and features.  Run it under valgrind to check the error paths for leaks.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "oci_spec.h"
#include "unit.h"

/* JSON literals without escaping: the preprocessor quotes them. */
#define JSON(...) #__VA_ARGS__
/* A config with ociVersion and the given members. */
#define DOC(...) "{\"ociVersion\": \"1.2.0\", " #__VA_ARGS__ "}"
/* A config whose seccomp has the given syscall rules. */
#define SYSCALLS(...) \
  DOC("linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [__VA_ARGS__]}})

/* Every field of the model, each with a value the writer does not omit,
 * so that the round trip can compare whole JSON trees. */
static const char full_config[] = JSON({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 4294967295],
             "username": "alice"},
    "args": ["sh", "-c", "echo hi"],
    "commandLine": "cmd /c",
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/work",
    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                     "inheritable": ["CAP_CHOWN"], "permitted": ["CAP_KILL"], "ambient": []},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024},
                {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}],
    "noNewPrivileges": true,
    "apparmorProfile": "agentsbx-default",
    "oomScoreAdj": -500,
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 100, "deadline": 200,
                  "period": 300},
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "execCPUAffinity": {"initial": "0-3", "final": "1"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/bin/pre", "args": ["pre", "-x"], "env": ["A=1"], "timeout": 5}],
    "createRuntime": [{"path": "/bin/cr"}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps"}, {"path": "/bin/ps2"}],
    "poststop": [{"path": "/bin/stop"}]
  },
  "annotations": {"org.example.b": "2", "org.example.a": "1"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": 1001, "size": 1}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": -1, "reservation": 1024, "swap": 2048, "kernel": 4096,
                 "kernelTCP": 8192, "swappiness": 60, "disableOOMKiller": true,
                 "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": -1, "burst": 1000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-1",
              "mems": "0", "idle": 1},
      "pids": {"limit": 32},
      "blockIO": {
        "weight": 10, "leafWeight": 20,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                         {"major": 8, "minor": 16}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 700}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 800}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 900}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaObjects": 7}},
      "unified": {"memory.high": "max", "io.weight": "100"}
    },
    "cgroupsPath": "/agentsbx/test",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                   {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
                   {"type": "cgroup"}, {"type": "time"}],
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                 "fileMode": 438, "uid": 0, "gid": 0},
                {"path": "/dev/fifo", "type": "p", "major": 0, "minor": 0}],
    "netDevices": {"eth1": {"name": "ceth1"}, "eth2": {}},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp.sock", "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
         "args": [{"index": 5, "value": 18446744073709551615, "valueTwo": 4,
                   "op": "SCMP_CMP_MASKED_EQ"},
                  {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/proc/keys"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "intelRdt": {"closID": "c1", "l3CacheSchema": "L3:0=ff", "memBwSchema": "MB:0=50",
                 "enableCMT": true, "enableMBM": true},
    "personality": {"domain": "LINUX32", "flags": ["SOME_FLAG"]},
    "timeOffsets": {"monotonic": {"secs": -3600, "nanosecs": 5},
                    "boottime": {"secs": 10, "nanosecs": 999999999}},
    "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-3,7",
                     "flags": ["MPOL_F_STATIC_NODES"]}
  }
});

/* The output of `runc spec` (runc 1.1). */
static const char runc_spec_config[] = JSON({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
});

/* ---- helpers ---- */

static struct oci_config *parse_ok(const char *json)
{
  char *err = NULL;
  struct oci_config *c = oci_config_parse(json, strlen(json), &err);
  if (!unit_report(c != NULL, __FILE__, __LINE__, "parse failed: %s", err ? err : "?"))
    free(err);
  return c;
}

/* Deep equality of two JSON trees; object members may come in any order and
 * numbers compare by their text. */
static bool json_equal(yajl_val a, yajl_val b)
{
  if (!a || !b || a->type != b->type)
    return false;
  switch (a->type) {
  case yajl_t_string: return strcmp(a->u.string, b->u.string) == 0;
  case yajl_t_number: return strcmp(a->u.number.r, b->u.number.r) == 0;
  case yajl_t_array:
    if (a->u.array.len != b->u.array.len)
      return false;
    for (size_t i = 0; i < a->u.array.len; i++)
      if (!json_equal(a->u.array.values[i], b->u.array.values[i]))
        return false;
    return true;
  case yajl_t_object:
    if (a->u.object.len != b->u.object.len)
      return false;
    for (size_t i = 0; i < a->u.object.len; i++) {
      const char *path[] = { a->u.object.keys[i], NULL };
      if (!json_equal(a->u.object.values[i], yajl_tree_get(b, path, yajl_t_any)))
        return false;
    }
    return true;
  default: return true;
  }
}

/* The stringized JSON literals get spaces between tokens: drop them for
 * comparisons with compact output (the expected values hold no spaces). */
static const char *compact(const char *json)
{
  static char buf[4096];
  size_t n = 0;
  for (; *json && n + 1 < sizeof buf; json++)
    if (*json != ' ')
      buf[n++] = *json;
  buf[n] = '\0';
  return buf;
}

static bool json_text_equal(const char *a, const char *b)
{
  yajl_val ta = yajl_tree_parse(a, NULL, 0), tb = yajl_tree_parse(b, NULL, 0);
  bool equal = json_equal(ta, tb);
  yajl_tree_free(ta);
  yajl_tree_free(tb);
  return equal;
}

/* ---- config: values land in the struct ---- */

static void check_full_process(const struct oci_process *p)
{
  CHECK(p->terminal);
  CHECK(p->console_size && p->console_size->height == 24 && p->console_size->width == 80);
  CHECK_INT(p->user.uid, 1000);
  CHECK_INT(p->user.gid, 1001);
  CHECK(p->user.has_umask && p->user.umask == 18);
  CHECK_INT(p->user.additional_gids_len, 2);
  CHECK_U64(p->user.additional_gids[1], 4294967295u);
  CHECK_STR(p->user.username, "alice");
  CHECK_INT(p->args_len, 3);
  CHECK_STR(p->args[2], "echo hi");
  CHECK_STR(p->command_line, "cmd /c");
  CHECK_STR(p->env[1], "TERM=xterm");
  CHECK_STR(p->cwd, "/work");
  CHECK(p->capabilities->has_bounding && p->capabilities->bounding.len == 2);
  CHECK_STR(p->capabilities->bounding.items[1], "CAP_CHOWN");
  CHECK(p->capabilities->has_ambient && p->capabilities->ambient.len == 0);
  CHECK_STR(p->capabilities->inheritable.items[0], "CAP_CHOWN");
  CHECK_INT(p->rlimits_len, 2);
  CHECK_STR(p->rlimits[0].type, "RLIMIT_NOFILE");
  CHECK_U64(p->rlimits[0].hard, UINT64_MAX);
  CHECK_U64(p->rlimits[0].soft, 1024);
  CHECK(p->no_new_privileges);
  CHECK_STR(p->apparmor_profile, "agentsbx-default");
  CHECK(p->has_oom_score_adj && p->oom_score_adj == -500);
  CHECK_STR(p->scheduler->policy, "SCHED_DEADLINE");
  CHECK_INT(p->scheduler->nice, -5);
  CHECK_U64(p->scheduler->period, 300);
  CHECK_STR(p->scheduler->flags[0], "SCHED_FLAG_RESET_ON_FORK");
  CHECK_STR(p->selinux_label, "system_u:system_r:container_t:s0");
  CHECK_STR(p->io_priority->class_, "IOPRIO_CLASS_BE");
  CHECK_INT(p->io_priority->priority, 4);
  CHECK_STR(p->exec_cpu_affinity->initial, "0-3");
  CHECK_STR(p->exec_cpu_affinity->final, "1");
}

static void check_full_resources(const struct oci_resources *r)
{
  CHECK_INT(r->devices_len, 2);
  CHECK(!r->devices[0].allow && !r->devices[0].type && !r->devices[0].has_major);
  CHECK(r->devices[1].allow && r->devices[1].has_minor && r->devices[1].minor == 3);
  CHECK_STR(r->devices[1].access, "rw");
  CHECK(r->memory->has_limit && r->memory->limit == -1);
  CHECK(r->memory->has_kernel_tcp && r->memory->kernel_tcp == 8192);
  CHECK(r->memory->has_swappiness && r->memory->swappiness == 60);
  CHECK(r->memory->has_use_hierarchy && !r->memory->use_hierarchy);
  CHECK(r->memory->has_disable_oom_killer && r->memory->disable_oom_killer);
  CHECK(r->cpu->has_quota && r->cpu->quota == -1);
  CHECK(r->cpu->has_realtime_period && r->cpu->realtime_period == 1000000);
  CHECK_STR(r->cpu->cpus, "0-1");
  CHECK(r->cpu->has_idle && r->cpu->idle == 1);
  CHECK_INT(r->pids->limit, 32);
  CHECK(r->block_io->has_weight && r->block_io->weight == 10);
  CHECK(r->block_io->weight_device[0].has_leaf_weight && r->block_io->weight_device[0].leaf_weight == 300);
  CHECK(!r->block_io->weight_device[1].has_weight);
  CHECK_U64(r->block_io->throttle_write_iops_device[0].rate, 900);
  CHECK_U64(r->block_io->throttle_read_bps_device[0].rate, 600);
  CHECK_STR(r->hugepage_limits[0].page_size, "2MB");
  CHECK(r->network->has_class_id && r->network->class_id == 1048577);
  CHECK_STR(r->network->priorities[0].name, "eth0");
  CHECK_INT(r->rdma_len, 2);
  CHECK_STR(r->rdma[0].device, "mlx5_1");
  CHECK(r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3);
  CHECK(!r->rdma[1].has_hca_handles && r->rdma[1].hca_objects == 7);
  CHECK_INT(r->unified_len, 2);
  CHECK_STR(r->unified[0].key, "memory.high");
  CHECK_STR(oci_kv_get(r->unified, r->unified_len, "io.weight"), "100");
}

static void check_full_linux(const struct oci_linux *l)
{
  CHECK_INT(l->uid_mappings[0].host_id, 1000);
  CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");
  CHECK_STR(l->sysctl[1].key, "kernel.shmmax");
  CHECK_STR(l->cgroups_path, "/agentsbx/test");
  CHECK_INT(l->namespaces_len, 8);
  CHECK_STR(oci_linux_namespace(l, "network")->path, "/var/run/netns/x");
  CHECK(oci_linux_namespace(l, "pid") && !oci_linux_namespace(l, "pid")->path);
  CHECK_STR(l->devices[0].type, "c");
  CHECK(l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK(l->devices[0].has_uid && l->devices[0].uid == 0 && !l->devices[1].has_gid);
  CHECK_INT(l->net_devices_len, 2);
  CHECK_STR(l->net_devices[0].host_name, "eth1");
  CHECK_STR(l->net_devices[0].name, "ceth1");
  CHECK_STR(l->net_devices[1].name, NULL);
  const struct oci_seccomp *s = l->seccomp;
  CHECK_STR(s->default_action, "SCMP_ACT_ERRNO");
  CHECK(s->has_default_errno_ret && s->default_errno_ret == 1);
  CHECK_STR(s->architectures[1], "SCMP_ARCH_X86");
  CHECK_STR(s->listener_path, "/run/seccomp.sock");
  CHECK(!s->syscalls[0].has_errno_ret && s->syscalls[1].errno_ret == 38);
  CHECK_INT(s->syscalls[1].args[0].index, 5);
  CHECK_U64(s->syscalls[1].args[0].value, UINT64_MAX);
  CHECK_U64(s->syscalls[1].args[0].value_two, 4);
  CHECK_STR(s->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
  CHECK_STR(l->rootfs_propagation, "rslave");
  CHECK_STR(l->masked_paths[1], "/proc/keys");
  CHECK_STR(l->readonly_paths[0], "/proc/sys");
  CHECK_STR(l->intel_rdt->mem_bw_schema, "MB:0=50");
  CHECK(l->intel_rdt->enable_cmt && l->intel_rdt->enable_mbm);
  CHECK_STR(l->personality->domain, "LINUX32");
  CHECK_STR(l->time_offsets[0].clock, "monotonic");
  CHECK_INT(l->time_offsets[0].secs, -3600);
  CHECK_INT(l->time_offsets[1].nanosecs, 999999999);
  CHECK_STR(l->memory_policy->mode, "MPOL_INTERLEAVE");
  CHECK_STR(l->memory_policy->nodes, "0-3,7");
  CHECK_STR(l->memory_policy->flags[0], "MPOL_F_STATIC_NODES");
  check_full_resources(l->resources);
}

static void test_full_config(void)
{
  struct oci_config *c = parse_ok(full_config);
  if (!c)
    return;
  CHECK_STR(c->oci_version, "1.2.0");
  CHECK_STR(c->root->path, "rootfs");
  CHECK(c->root->readonly);
  CHECK_STR(c->hostname, "box");
  CHECK_STR(c->domainname, "example.org");
  CHECK_INT(c->mounts_len, 2);
  CHECK_STR(c->mounts[0].type, "proc");
  CHECK_INT(c->mounts[0].options_len, 0);
  CHECK_STR(c->mounts[1].options[1], "ro");
  CHECK_INT(c->mounts[1].gid_mappings[0].host_id, 200000);
  CHECK_INT(c->hooks->prestart.len, 1);
  CHECK(c->hooks->prestart.hooks[0].has_timeout && c->hooks->prestart.hooks[0].timeout == 5);
  CHECK_STR(c->hooks->prestart.hooks[0].env[0], "A=1");
  CHECK_STR(c->hooks->poststart.hooks[1].path, "/bin/ps2");
  CHECK_STR(c->hooks->create_container.hooks[0].path, "/bin/cc");
  CHECK(!c->hooks->poststop.hooks[0].has_timeout);
  CHECK_STR(c->annotations[0].key, "org.example.b");
  CHECK_STR(oci_kv_get(c->annotations, c->annotations_len, "org.example.a"), "1");
  CHECK_STR(oci_kv_get(c->annotations, c->annotations_len, "missing"), NULL);
  check_full_process(c->process);
  check_full_linux(c->linux_);
  oci_config_free(c);
}

static void test_runc_spec_config(void)
{
  struct oci_config *c = parse_ok(runc_spec_config);
  if (!c)
    return;
  CHECK_STR(c->oci_version, "1.0.2-dev");
  CHECK(c->process->terminal && c->process->user.uid == 0 && !c->process->user.has_umask);
  CHECK(!c->process->capabilities->has_inheritable);
  CHECK_INT(c->process->capabilities->ambient.len, 3);
  CHECK_U64(c->process->rlimits[0].hard, 1024);
  CHECK_INT(c->mounts_len, 7);
  CHECK_STR(c->mounts[2].options[3], "ptmxmode=0666");
  CHECK(c->linux_->resources->devices_len == 1 && !c->linux_->resources->devices[0].allow);
  CHECK_INT(c->linux_->namespaces_len, 5);
  CHECK(!oci_linux_namespace(c->linux_, "user"));
  CHECK_INT(c->linux_->masked_paths_len, 10);
  CHECK(!c->hooks && !c->annotations && !c->linux_->seccomp);
  oci_config_free(c);
}

/* Absent members, JSON nulls, unknown members and other platforms. */
static void test_minimal_and_lenient(void)
{
  struct oci_config *c = parse_ok(DOC("process": {"cwd": "/", "user": null},
                                      "hostname": null, "solaris": {"milestone": 1},
                                      "windows": {"layerFolders": 5}, "vm": [],
                                      "linux": {"someFutureField": {"x": 1},
                                                "resources": {"pids": {}}}));
  if (!c)
    return;
  CHECK(c->process && c->process->user.uid == 0 && c->process->args_len == 0);
  CHECK(!c->root && !c->mounts && !c->hostname);
  CHECK_INT(c->linux_->resources->pids->limit, 0);
  oci_config_free(c);
}

/* Repeated keys: the last value wins and keeps the first one's place. */
static void test_duplicate_keys(void)
{
  struct oci_config *c = parse_ok(JSON({"ociVersion": "1", "ociVersion": "2",
    "annotations": {"a": "1", "b": "2", "a": "3"},
    "linux": {"resources": {"rdma": {"m": {"hcaHandles": 1}, "n": {}, "m": {"hcaObjects": 2}}}}}));
  if (!c)
    return;
  CHECK_STR(c->oci_version, "2");
  CHECK_INT(c->annotations_len, 2);
  CHECK_STR(c->annotations[0].key, "a");
  CHECK_STR(c->annotations[0].value, "3");
  const struct oci_resources *r = c->linux_->resources;
  CHECK_INT(r->rdma_len, 2);
  CHECK_STR(r->rdma[0].device, "m");
  CHECK(!r->rdma[0].has_hca_handles && r->rdma[0].has_hca_objects && r->rdma[0].hca_objects == 2);
  oci_config_free(c);
}

/* ---- config: errors ---- */

static const struct bad_doc {
  const char *json;
  const char *err;
} bad_docs[] = {
  { "", "invalid JSON: parse error: premature EOF" },
  { "{\"ociVersion\": ", "invalid JSON: parse error: premature EOF" },
  { "{} x", "invalid JSON: parse error: trailing garbage" },
  { "{\"a\" 1}",
    "invalid JSON: parse error: object key and value must be separated by a colon (':')" },
  { "[]", "expected object" },
  { "{}", "ociVersion: required field missing" },
  { "{\"ociVersion\": null}", "ociVersion: required field missing" },
  { "{\"ociVersion\": 1}", "ociVersion: expected string" },
  /* process */
  { DOC("process": []), "process: expected object" },
  { DOC("process": {}), "process.cwd: required field missing" },
  { DOC("process": {"cwd": "work"}), "process.cwd: must be an absolute path" },
  { DOC("process": {"cwd": "/", "args": "sh"}), "process.args: expected array of strings" },
  { DOC("process": {"cwd": "/", "args": ["sh", 1]}), "process.args[1]: expected string" },
  { DOC("process": {"cwd": "/", "env": [null]}), "process.env[0]: expected string" },
  { DOC("process": {"cwd": "/", "terminal": "yes"}), "process.terminal: expected boolean" },
  { DOC("process": {"cwd": "/", "user": "root"}), "process.user: expected object" },
  { DOC("process": {"cwd": "/", "user": {"uid": -1}}),
    "process.user.uid: value out of range for uint32" },
  { DOC("process": {"cwd": "/", "user": {"uid": 4294967296}}),
    "process.user.uid: value out of range for uint32" },
  { DOC("process": {"cwd": "/", "user": {"gid": 1.5}}), "process.user.gid: expected integer" },
  { DOC("process": {"cwd": "/", "user": {"gid": "0"}}), "process.user.gid: expected integer" },
  { DOC("process": {"cwd": "/", "user": {"additionalGids": [1, "2"]}}),
    "process.user.additionalGids[1]: expected integer" },
  { DOC("process": {"cwd": "/", "user": {"additionalGids": 1}}),
    "process.user.additionalGids: expected array of integers" },
  { DOC("process": {"cwd": "/", "consoleSize": {"height": -1}}),
    "process.consoleSize.height: value out of range for uint" },
  { DOC("process": {"cwd": "/", "rlimits": {}}), "process.rlimits: expected array" },
  { DOC("process": {"cwd": "/", "rlimits": [5]}), "process.rlimits[0]: expected object" },
  { DOC("process": {"cwd": "/", "rlimits": [{"hard": 1}]}),
    "process.rlimits[0].type: required field missing" },
  { DOC("process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_FOO"}]}),
    "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"" },
  { DOC("process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_NOFILE"}, {"type": "RLIMIT_NOFILE"}]}),
    "process.rlimits[1].type: duplicate rlimit type \"RLIMIT_NOFILE\"" },
  { DOC("process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_AS", "hard": 18446744073709551616}]}),
    "process.rlimits[0].hard: value out of range for uint64" },
  { DOC("process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_AS", "soft": 1e3}]}),
    "process.rlimits[0].soft: expected integer" },
  { DOC("process": {"cwd": "/", "capabilities": {"bounding": "CAP_KILL"}}),
    "process.capabilities.bounding: expected array of strings" },
  { DOC("process": {"cwd": "/", "oomScoreAdj": 2147483648}),
    "process.oomScoreAdj: value out of range for int" },
  { DOC("process": {"cwd": "/", "scheduler": {"policy": "SCHED_FOO"}}),
    "process.scheduler.policy: unknown scheduler policy \"SCHED_FOO\"" },
  { DOC("process": {"cwd": "/", "scheduler": {"nice": 1}}),
    "process.scheduler.policy: required field missing" },
  { DOC("process": {"cwd": "/", "scheduler": {"policy": "SCHED_RR", "priority": -2147483649}}),
    "process.scheduler.priority: value out of range for int32" },
  { DOC("process": {"cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_NONE"}}),
    "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"" },
  { DOC("process": {"cwd": "/", "execCPUAffinity": {"initial": 0}}),
    "process.execCPUAffinity.initial: expected string" },
  { DOC("linux": {"memoryPolicy": {"mode": "MPOL_BOGUS"}}),
    "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_BOGUS\"" },
  /* root, mounts, hooks, annotations */
  { DOC("root": {}), "root.path: required field missing" },
  { DOC("root": {"path": "rootfs", "readonly": 1}), "root.readonly: expected boolean" },
  { DOC("hostname": ["a"]), "hostname: expected string" },
  { DOC("mounts": {}), "mounts: expected array" },
  { DOC("mounts": [{}]), "mounts[0].destination: required field missing" },
  { DOC("mounts": [{"destination": "/x", "options": [1]}]),
    "mounts[0].options[0]: expected string" },
  { DOC("mounts": [{"destination": "/x"}, {"destination": "/y", "uidMappings": [{"size": -1}]}]),
    "mounts[1].uidMappings[0].size: value out of range for uint32" },
  { DOC("hooks": {"prestart": [{"path": "pre"}]}),
    "hooks.prestart[0].path: must be an absolute path" },
  { DOC("hooks": {"poststop": [{"path": "/a"}, {}]}),
    "hooks.poststop[1].path: required field missing" },
  { DOC("hooks": {"createRuntime": [{"path": "/a", "timeout": 0}]}),
    "hooks.createRuntime[0].timeout: must be greater than zero" },
  { DOC("hooks": {"startContainer": {}}), "hooks.startContainer: expected array" },
  { DOC("annotations": {"a": 1}), "annotations.a: expected string" },
  { DOC("annotations": []), "annotations: expected object" },
  /* linux */
  { DOC("linux": "x"), "linux: expected object" },
  { DOC("linux": {"namespaces": [{"type": "pid"}, {"type": "net"}, {"type": "foo"}]}),
    "linux.namespaces[1].type: unknown namespace type \"net\"" },
  { DOC("linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "foo"}]}),
    "linux.namespaces[2].type: unknown namespace type \"foo\"" },
  { DOC("linux": {"namespaces": [{"type": "pid"}, {"type": "pid", "path": "/proc/1/ns/pid"}]}),
    "linux.namespaces[1].type: duplicate namespace type \"pid\"" },
  { DOC("linux": {"namespaces": [{"path": "/x"}]}),
    "linux.namespaces[0].type: required field missing" },
  { DOC("linux": {"namespaces": [{"type": "ipc", "path": 5}]}),
    "linux.namespaces[0].path: expected string" },
  { DOC("linux": {"uidMappings": [{"hostID": 1.0}]}),
    "linux.uidMappings[0].hostID: expected integer" },
  { DOC("linux": {"sysctl": {"kernel.x": true}}), "linux.sysctl.kernel.x: expected string" },
  { DOC("linux": {"resources": {"memory": {"limit": "1G"}}}),
    "linux.resources.memory.limit: expected integer" },
  { DOC("linux": {"resources": {"memory": {"limit": 9223372036854775808}}}),
    "linux.resources.memory.limit: value out of range for int64" },
  { DOC("linux": {"resources": {"memory": {"swap": -9223372036854775809}}}),
    "linux.resources.memory.swap: value out of range for int64" },
  { DOC("linux": {"resources": {"memory": {"swappiness": -1}}}),
    "linux.resources.memory.swappiness: value out of range for uint64" },
  { DOC("linux": {"resources": {"memory": {"disableOOMKiller": "true"}}}),
    "linux.resources.memory.disableOOMKiller: expected boolean" },
  { DOC("linux": {"resources": {"cpu": {"shares": true}}}),
    "linux.resources.cpu.shares: expected integer" },
  { DOC("linux": {"resources": {"cpu": {"cpus": 3}}}),
    "linux.resources.cpu.cpus: expected string" },
  { DOC("linux": {"resources": {"pids": {"limit": 1.0}}}),
    "linux.resources.pids.limit: expected integer" },
  { DOC("linux": {"resources": {"blockIO": {"weight": 65536}}}),
    "linux.resources.blockIO.weight: value out of range for uint16" },
  { DOC("linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "leafWeight": 70000}]}}}),
    "linux.resources.blockIO.weightDevice[0].leafWeight: value out of range for uint16" },
  { DOC("linux": {"resources": {"blockIO": {"throttleReadIOPSDevice": [{"rate": -5}]}}}),
    "linux.resources.blockIO.throttleReadIOPSDevice[0].rate: value out of range for uint64" },
  { DOC("linux": {"resources": {"devices": [{"allow": "no"}]}}),
    "linux.resources.devices[0].allow: expected boolean" },
  { DOC("linux": {"resources": {"hugepageLimits": [{"limit": 1}]}}),
    "linux.resources.hugepageLimits[0].pageSize: required field missing" },
  { DOC("linux": {"resources": {"network": {"priorities": [{"name": "eth0", "priority": -1}]}}}),
    "linux.resources.network.priorities[0].priority: value out of range for uint32" },
  { DOC("linux": {"resources": {"rdma": {"mlx": {"hcaHandles": -1}}}}),
    "linux.resources.rdma.mlx.hcaHandles: value out of range for uint32" },
  { DOC("linux": {"resources": {"rdma": {"mlx": 1}}}),
    "linux.resources.rdma.mlx: expected object" },
  { DOC("linux": {"resources": {"unified": {"memory.max": 5}}}),
    "linux.resources.unified.memory.max: expected string" },
  { DOC("linux": {"devices": [{"path": "/dev/x", "type": "x"}]}),
    "linux.devices[0].type: unknown device type \"x\"" },
  { DOC("linux": {"devices": [{"type": "c"}]}), "linux.devices[0].path: required field missing" },
  { DOC("linux": {"devices": [{"path": "/dev/x", "type": "c", "fileMode": -1}]}),
    "linux.devices[0].fileMode: value out of range for uint32" },
  { DOC("linux": {"seccomp": {}}), "linux.seccomp.defaultAction: required field missing" },
  { DOC("linux": {"seccomp": {"defaultAction": "SCMP_ACT_FOO"}}),
    "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_FOO\"" },
  { SYSCALLS({"action": "SCMP_ACT_LOG"}),
    "linux.seccomp.syscalls[0].names: required field missing" },
  { SYSCALLS({"names": ["x"], "action": "kill"}),
    "linux.seccomp.syscalls[0].action: unknown seccomp action \"kill\"" },
  { SYSCALLS({"names": ["x"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "op": "SCMP_CMP_FOO"}]}),
    "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\"" },
  { SYSCALLS({"names": ["x"], "action": "SCMP_ACT_LOG", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}),
    "linux.seccomp.syscalls[0].args[0].index: value out of range (max 5)" },
  { DOC("linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}}),
    "linux.seccomp.defaultErrnoRet: value out of range for uint" },
  { DOC("linux": {"rootfsPropagation": "bogus"}),
    "linux.rootfsPropagation: unknown rootfs propagation \"bogus\"" },
  { DOC("linux": {"personality": {"domain": "LINUX64"}}),
    "linux.personality.domain: unknown personality domain \"LINUX64\"" },
  { DOC("linux": {"timeOffsets": {"realtime": {"secs": 1}}}),
    "linux.timeOffsets.realtime: unknown clock \"realtime\"" },
  { DOC("linux": {"timeOffsets": {"boottime": {"nanosecs": -1}}}),
    "linux.timeOffsets.boottime.nanosecs: value out of range for uint32" },
  { DOC("linux": {"netDevices": {"eth0": {"name": []}}}),
    "linux.netDevices.eth0.name: expected string" },
  { DOC("linux": {"intelRdt": {"enableCMT": 1}}), "linux.intelRdt.enableCMT: expected boolean" },
  { DOC("linux": {"maskedPaths": "/proc"}), "linux.maskedPaths: expected array of strings" },
};

static void test_bad_documents(void)
{
  for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
    char *err = NULL;
    unit_begin(bad_docs[i].err);
    struct oci_config *c = oci_config_parse(bad_docs[i].json, strlen(bad_docs[i].json), &err);
    CHECK(c == NULL);
    CHECK_STR(err, bad_docs[i].err);
    oci_config_free(c);
    free(err);
    unit_end();
  }
}

/* Errors found after much of the document is built, to prove (under
 * valgrind) that the partly filled model is released. */
static const struct late_error {
  const char *from, *to, *err;
} late_errors[] = {
  { "\"nanosecs\": 999999999", "\"nanosecs\": -1",
    "linux.timeOffsets.boottime.nanosecs: value out of range for uint32" },
  { "\"kernel.shmmax\": \"4096\"", "\"kernel.shmmax\": 4096",
    "linux.sysctl.kernel.shmmax: expected string" },
  { "\"hcaObjects\": 7", "\"hcaObjects\": \"7\"",
    "linux.resources.rdma.mlx4_0.hcaObjects: expected integer" },
  { "[\"CAP_KILL\", \"CAP_CHOWN\"]", "[\"CAP_KILL\", 7]",
    "process.capabilities.bounding[1]: expected string" },
  { "{\"type\": \"time\"}", "{\"type\": \"uts\"}",
    "linux.namespaces[7].type: duplicate namespace type \"uts\"" },
  { "\"path\": \"/bin/ps2\"", "\"path\": 2", "hooks.poststart[1].path: expected string" },
  { "\"value\": 0,", "\"value\": 0.0,",
    "linux.seccomp.syscalls[1].args[1].value: expected integer" },
};

static void test_late_errors(void)
{
  for (size_t i = 0; i < sizeof late_errors / sizeof late_errors[0]; i++) {
    const struct late_error *e = &late_errors[i];
    const char *at = strstr(full_config, e->from);
    char *doc = NULL, *err = NULL;
    unit_begin(e->err);
    if (CHECK(at != NULL) && CHECK(asprintf(&doc, "%.*s%s%s", (int) (at - full_config), full_config,
                                            e->to, at + strlen(e->from)) > 0)) {
      CHECK(!oci_config_parse(doc, strlen(doc), &err));
      CHECK_STR(err, e->err);
    }
    free(doc);
    free(err);
    unit_end();
  }
}

static void test_embedded_nul(void)
{
  char *err = NULL;
  CHECK(!oci_config_parse("{}\0{", 4, &err));
  CHECK_STR(err, "invalid JSON: embedded NUL byte");
  free(err);
}

static char *write_temp(const char *text)
{
  char *path = strdup("/tmp/test-oci-spec.XXXXXX");
  int fd = mkstemp(path);
  CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text));
  close(fd);
  return path;
}

static void check_file_error(const char *path, const char *suffix)
{
  char *err = NULL, *want = NULL;
  CHECK(oci_config_parse_file(path, &err) == NULL);
  CHECK(asprintf(&want, "%s: %s", path, suffix) > 0);
  CHECK_STR(err, want);
  free(err);
  free(want);
}

static void test_parse_file(void)
{
  char *err = NULL, *good = write_temp(runc_spec_config), *bad = write_temp("{\"ociVersion\"");
  struct oci_config *c = oci_config_parse_file(good, &err);
  CHECK(c && c->mounts_len == 7);
  oci_config_free(c);
  check_file_error(bad, "invalid JSON: parse error: premature EOF");
  check_file_error("/nonexistent/config.json", "No such file or directory");
  check_file_error("/tmp", "Is a directory");
  unlink(good);
  unlink(bad);
  free(good);
  free(bad);
  /* A field error is not prefixed: it names its JSON path already. */
  bad = write_temp("{}");
  CHECK(!oci_config_parse_file(bad, &err));
  CHECK_STR(err, "ociVersion: required field missing");
  unlink(bad);
  free(bad);
  free(err);
}

/* ---- config: write ---- */

static void check_round_trip(const char *json, bool pretty)
{
  char *err = NULL;
  struct oci_config *c = parse_ok(json), *again = NULL;
  char *text = c ? oci_config_write(c, pretty, &err) : NULL;
  CHECK_STR(err, NULL);
  CHECK(text && json_text_equal(json, text));
  if (text && (again = parse_ok(text))) {
    char *text2 = oci_config_write(again, pretty, &err);
    CHECK_STR(text2, text);
    free(text2);
  }
  oci_config_free(again);
  oci_config_free(c);
  free(text);
}

static void test_write_round_trip(void)
{
  check_round_trip(full_config, true);
  check_round_trip(full_config, false);
  check_round_trip(runc_spec_config, true);
  /* Empty but required, and present-but-empty capability sets, survive. */
  check_round_trip(DOC("process": {"cwd": "/", "user": {"uid": 0, "gid": 0},
                                   "capabilities": {"bounding": [], "ambient": []}},
                       "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                                             "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]}}),
                   false);
}

static void test_write_errors(void)
{
  char *err = NULL;
  struct oci_process process = { .args_len = 0 };
  struct oci_namespace ns = { .type = "bogus" };
  struct oci_linux linux_ = { .namespaces = &ns, .namespaces_len = 1 };
  struct oci_config c = { .oci_version = "1.2.0", .process = &process };
  CHECK(!oci_config_write(&c, false, &err));
  CHECK_STR(err, "process.cwd: required field missing");
  free(err);
  c.process = NULL;
  c.linux_ = &linux_;
  CHECK(!oci_config_write(&c, false, &err));
  CHECK_STR(err, "linux.namespaces[0].type: unknown namespace type \"bogus\"");
  free(err);
  struct oci_namespace twice[] = { { .type = "pid" }, { .type = "pid" } };
  linux_.namespaces = twice;
  linux_.namespaces_len = 2;
  CHECK(!oci_config_write(&c, false, &err));
  CHECK_STR(err, "linux.namespaces[1].type: duplicate namespace type \"pid\"");
  free(err);
  struct oci_seccomp_arg arg = { .index = 6, .op = "SCMP_CMP_EQ" };
  struct oci_syscall sys = { .action = "SCMP_ACT_LOG", .args = &arg, .args_len = 1 };
  struct oci_seccomp seccomp = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sys, .syscalls_len = 1 };
  linux_.namespaces_len = 0;
  linux_.seccomp = &seccomp;
  CHECK(!oci_config_write(&c, false, &err));
  CHECK_STR(err, "linux.seccomp.syscalls[0].args[0].index: value out of range (max 5)");
  free(err);
}

/* ---- process.json and resources ---- */

static void test_process_document(void)
{
  char *err = NULL;
  const char *json = JSON({"terminal": false, "user": {"uid": 5, "gid": 6}, "args": ["ls", "-l"],
                           "env": ["A=B"], "cwd": "/tmp", "oomScoreAdj": 0,
                           "rlimits": [{"type": "RLIMIT_STACK", "hard": 1, "soft": 1}]});
  struct oci_process *p = oci_process_parse(json, strlen(json), &err);
  CHECK(p && p->user.uid == 5 && p->args_len == 2 && p->has_oom_score_adj);
  CHECK(p && !p->capabilities && !p->terminal);
  oci_process_free(p);
  json = JSON({"cwd": "/", "args": "ls"});
  CHECK(!oci_process_parse(json, strlen(json), &err));
  CHECK_STR(err, "process.args: expected array of strings");
  free(err);
  CHECK(!oci_process_parse("[1]", 3, &err));
  CHECK_STR(err, "process: expected object");
  free(err);
  CHECK(!oci_process_parse("{", 1, &err));
  CHECK_STR(err, "invalid JSON: parse error: premature EOF");
  free(err);
}

static void test_resources_document(void)
{
  char *err = NULL;
  const char *json = JSON({"memory": {"limit": 1048576, "swap": -1}, "pids": {"limit": -1},
                           "cpu": {"cpus": "0", "quota": 1000},
                           "blockIO": {"weight": 100}, "unified": {"pids.max": "10"}});
  struct oci_resources *r = oci_resources_parse(json, strlen(json), &err);
  CHECK(r && r->memory->limit == 1048576 && r->memory->swap == -1 && !r->memory->has_reservation);
  CHECK(r && r->pids->limit == -1 && r->cpu->quota == 1000 && !r->cpu->has_period);
  CHECK(r && r->block_io->weight == 100 && !r->network);
  CHECK_STR(r ? oci_kv_get(r->unified, r->unified_len, "pids.max") : NULL, "10");
  oci_resources_free(r);
  json = JSON({"memory": {"limit": "x"}});
  CHECK(!oci_resources_parse(json, strlen(json), &err));
  CHECK_STR(err, "resources.memory.limit: expected integer");
  free(err);
}

/* ---- state ---- */

static void check_state_write(const struct oci_state *s, const char *want)
{
  char *err = NULL, *text = oci_state_write(s, false, &err);
  CHECK_STR(text, compact(want));
  struct oci_state *back = text ? oci_state_parse(text, strlen(text), &err) : NULL;
  CHECK(back != NULL);
  if (back) {
    CHECK_STR(back->id, s->id);
    CHECK_STR(back->status, s->status);
    CHECK_INT(back->pid, s->pid);
    CHECK_STR(back->bundle, s->bundle);
    CHECK_INT(back->annotations_len, s->annotations_len);
  }
  oci_state_free(back);
  free(text);
}

static void test_state(void)
{
  struct oci_kv ann = { "org.a", "b" };
  struct oci_state s = { .oci_version = "1.2.0", .id = "c1", .status = "running", .pid = 42,
                         .bundle = "/run/b", .annotations = &ann, .annotations_len = 1 };
  check_state_write(&s, JSON({"ociVersion":"1.2.0","id":"c1","status":"running","pid":42,
                              "bundle":"/run/b","annotations":{"org.a":"b"}}));
  s.pid = 0;
  s.status = "stopped";
  s.annotations_len = 0;
  check_state_write(&s, JSON({"ociVersion":"1.2.0","id":"c1","status":"stopped","pid":0,
                              "bundle":"/run/b"}));
  char *err = NULL;
  const char *json = JSON({"ociVersion": "1.2.0", "status": "created", "bundle": "/b"});
  CHECK(!oci_state_parse(json, strlen(json), &err));
  CHECK_STR(err, "id: required field missing");
  free(err);
  s.id = NULL;
  CHECK(!oci_state_write(&s, true, &err));
  CHECK_STR(err, "id: required field missing");
  free(err);
}

/* ---- features ---- */

#define LIST(...) { (char *[]) { __VA_ARGS__ }, sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *) }

static void test_features(void)
{
  struct oci_kv ann = { "org.opencontainers.runc.version", "1.1" };
  const struct oci_features f = {
    .oci_version_min = "1.0.0", .oci_version_max = "1.2.0",
    .hooks = LIST("prestart", "poststop"),
    .mount_options = LIST("ro", "rbind"),
    .linux_ = {
      .namespaces = LIST("pid", "mount"), .capabilities = LIST("CAP_KILL"),
      .cgroup_v1 = false, .cgroup_v2 = true, .cgroup_systemd = true,
      .seccomp = { .enabled = true, .actions = LIST("SCMP_ACT_ALLOW"),
                   .operators = LIST("SCMP_CMP_EQ"), .archs = LIST("SCMP_ARCH_X86_64"),
                   .known_flags = LIST("SECCOMP_FILTER_FLAG_LOG"),
                   .supported_flags = LIST("SECCOMP_FILTER_FLAG_LOG") },
      .apparmor_enabled = true, .selinux_enabled = false, .idmap_mounts_enabled = true,
      .memory_policy_modes = LIST("MPOL_BIND"), .memory_policy_flags = LIST("MPOL_F_STATIC_NODES"),
    },
    .annotations = &ann, .annotations_len = 1,
    .potentially_unsafe_config_annotations = LIST("org.systemd.property."),
  };
  char *err = NULL, *text = oci_features_write(&f, false, &err);
  CHECK_STR(text, compact(JSON({"ociVersionMin":"1.0.0","ociVersionMax":"1.2.0",
    "hooks":["prestart","poststop"],"mountOptions":["ro","rbind"],
    "linux":{"namespaces":["pid","mount"],"capabilities":["CAP_KILL"],
      "cgroup":{"v1":false,"v2":true,"systemd":true,"systemdUser":false,"rdma":false},
      "seccomp":{"enabled":true,"actions":["SCMP_ACT_ALLOW"],"operators":["SCMP_CMP_EQ"],
        "archs":["SCMP_ARCH_X86_64"],"knownFlags":["SECCOMP_FILTER_FLAG_LOG"],
        "supportedFlags":["SECCOMP_FILTER_FLAG_LOG"]},
      "apparmor":{"enabled":true},"selinux":{"enabled":false},"intelRdt":{"enabled":false},
      "mountExtensions":{"idmap":{"enabled":true}},"netDevices":{"enabled":false},
      "memoryPolicy":{"modes":["MPOL_BIND"],"flags":["MPOL_F_STATIC_NODES"]}},
    "annotations":{"org.opencontainers.runc.version":"1.1"},
    "potentiallyUnsafeConfigAnnotations":["org.systemd.property."]})));
  struct oci_features *back = text ? oci_features_parse(text, strlen(text), &err) : NULL;
  CHECK(back != NULL);
  if (back) {
    CHECK_STR(back->oci_version_max, "1.2.0");
    CHECK(back->hooks.len == 2 && back->linux_.namespaces.len == 2);
    CHECK(back->linux_.cgroup_v2 && !back->linux_.cgroup_v1 && back->linux_.cgroup_systemd);
    CHECK(back->linux_.seccomp.enabled && back->linux_.seccomp.archs.len == 1);
    CHECK_STR(back->linux_.seccomp.supported_flags.items[0], "SECCOMP_FILTER_FLAG_LOG");
    CHECK(back->linux_.apparmor_enabled && !back->linux_.selinux_enabled);
    CHECK(back->linux_.idmap_mounts_enabled && !back->linux_.intel_rdt_enabled);
    CHECK(!back->linux_.net_devices_enabled && back->linux_.memory_policy_modes.len == 1);
    CHECK_STR(back->linux_.memory_policy_flags.items[0], "MPOL_F_STATIC_NODES");
    CHECK_STR(oci_kv_get(back->annotations, back->annotations_len,
                         "org.opencontainers.runc.version"), "1.1");
    CHECK_STR(back->potentially_unsafe_config_annotations.items[0], "org.systemd.property.");
  }
  oci_features_free(back);
  free(text);
  CHECK(!oci_features_parse("{\"linux\": {\"cgroup\": {\"v2\": 1}}}", 32, &err));
  CHECK_STR(err, "linux.cgroup.v2: expected boolean");
  free(err);
}

int main(void)
{
  RUN(test_full_config);
  RUN(test_runc_spec_config);
  RUN(test_minimal_and_lenient);
  RUN(test_duplicate_keys);
  test_bad_documents();
  test_late_errors();
  RUN(test_embedded_nul);
  RUN(test_parse_file);
  RUN(test_write_round_trip);
  RUN(test_write_errors);
  RUN(test_process_document);
  RUN(test_resources_document);
  RUN(test_state);
  RUN(test_features);
  return unit_finish("oci-spec");
}
