/* config_parse.c: the descriptor tables of config.json (runtime-spec v1.2
 * for Linux, plus the v1.3 execCPUAffinity and netDevices), the parse entry
 * points built on them, their frees, and the lookup helpers.
 *
 * What is validated here is what the spec makes a hard MUST and what runc
 * refuses while reading the document: required strings, the JSON types and
 * integer ranges, closed enums and duplicate namespaces/rlimits.  Names
 * that need kernel knowledge (capabilities, mount options, syscalls,
 * architectures) are left to the runtime.  Missing numbers decode as 0, as
 * Go's encoding/json does for runc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "oci_spec.h"

/* Terse field constructors; T is the struct being described. */
#define STR(T, k, f, ...) JSCALAR(T, k, JK_STRING, f, __VA_ARGS__)
#define NUM(T, k, kind, f, ...) JSCALAR(T, k, kind, f, __VA_ARGS__)
#define OPT(T, k, kind, f) JSCALAR(T, k, kind, f, .has_off = JHAS(T, has_##f))
#define ENUM(T, k, f, list, what_, ...) \
  JSCALAR(T, k, JK_STRING, f, .choices = list, .what = what_, __VA_ARGS__)
#define OBJ(T, k, f, d) JSCALAR(T, k, JK_OBJECT, f, .sub = &d)
#define STRS(T, k, f, ...) JLIST(T, k, JK_STRINGS, f, f##_len, __VA_ARGS__)
#define KV(T, k, f) JLIST(T, k, JK_KV, f, f##_len)
#define ARR(T, k, f, d) JLIST(T, k, JK_ARRAY, f, f##_len, .sub = &d)
#define MAP(T, k, f, d) JLIST(T, k, JK_MAP, f, f##_len, .sub = &d)

#define FIELDS(...) ((const struct jfield[]) { __VA_ARGS__, JEND })
#define DESC(name, T, ...) \
  static const struct jdesc name = { .size = sizeof(T), .fields = FIELDS(__VA_ARGS__) }
/* A map whose key lands in T.keyf, restricted to choices when non-NULL. */
#define MAPDESC(name, T, keyf, choices, what, ...)                             \
  static const struct jdesc name = { .size = sizeof(T), .key_off = JHAS(T, keyf), \
                                     .key_choices = choices, .key_what = what, \
                                     .fields = FIELDS(__VA_ARGS__) }

/* ---- closed sets of values ---- */

static const char *const namespace_types[] = {
  "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL };
static const char *const rlimit_types[] = {
  "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
  "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
  "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO",
  "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK", NULL };
static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL };
static const char *const seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
  "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
static const char *const propagations[] = {
  "", "shared", "slave", "private", "unbindable",
  "rshared", "rslave", "rprivate", "runbindable", NULL };
static const char *const device_types[] = { "c", "b", "u", "p", NULL };
static const char *const personality_domains[] = { "LINUX", "LINUX32", NULL };
static const char *const time_clocks[] = { "monotonic", "boottime", NULL };
static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
  "SCHED_IDLE", "SCHED_DEADLINE", NULL };
static const char *const ioprio_classes[] = {
  "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
static const char *const mempolicy_modes[] = {
  "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
  "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL };

/* ---- top level: root, mounts, hooks ---- */

#define T struct oci_id_mapping
DESC(id_mapping_desc, T,
     NUM(T, "containerID", JK_U32, container_id),
     NUM(T, "hostID", JK_U32, host_id),
     NUM(T, "size", JK_U32, size));
#undef T

#define T struct oci_root
DESC(root_desc, T,
     STR(T, "path", path, .flags = JF_REQUIRED),
     NUM(T, "readonly", JK_BOOL, readonly, .flags = JF_OMITZERO));
#undef T

#define T struct oci_mount
DESC(mount_desc, T,
     STR(T, "destination", destination, .flags = JF_REQUIRED),
     STR(T, "type", type),
     STR(T, "source", source),
     STRS(T, "options", options),
     ARR(T, "uidMappings", uid_mappings, id_mapping_desc),
     ARR(T, "gidMappings", gid_mappings, id_mapping_desc));
#undef T

#define T struct oci_hook
DESC(hook_desc, T,
     STR(T, "path", path, .flags = JF_REQUIRED | JF_ABSPATH),
     STRS(T, "args", args),
     STRS(T, "env", env),
     JSCALAR(T, "timeout", JK_INT, timeout, .has_off = JHAS(T, has_timeout),
             .flags = JF_POSITIVE));
#undef T

#define T struct oci_hooks
#define HOOKS(k, f) JLIST(T, k, JK_ARRAY, f.hooks, f.len, .sub = &hook_desc)
DESC(hooks_desc, T,
     HOOKS("prestart", prestart),
     HOOKS("createRuntime", create_runtime),
     HOOKS("createContainer", create_container),
     HOOKS("startContainer", start_container),
     HOOKS("poststart", poststart),
     HOOKS("poststop", poststop));
#undef HOOKS
#undef T

/* ---- process ---- */

#define T struct oci_capabilities
#define CAPSET(k, f) JLIST(T, k, JK_STRINGS, f.items, f.len, .has_off = JHAS(T, has_##f))
DESC(capabilities_desc, T,
     CAPSET("bounding", bounding),
     CAPSET("effective", effective),
     CAPSET("inheritable", inheritable),
     CAPSET("permitted", permitted),
     CAPSET("ambient", ambient));
#undef CAPSET
#undef T

#define T struct oci_rlimit
DESC(rlimit_desc, T,
     ENUM(T, "type", type, rlimit_types, "rlimit type", .flags = JF_REQUIRED | JF_UNIQUE),
     NUM(T, "hard", JK_U64, hard),
     NUM(T, "soft", JK_U64, soft));
#undef T

#define T struct oci_user
DESC(user_desc, T,
     NUM(T, "uid", JK_U32, uid),
     NUM(T, "gid", JK_U32, gid),
     OPT(T, "umask", JK_U32, umask),
     JLIST(T, "additionalGids", JK_U32S, additional_gids, additional_gids_len),
     STR(T, "username", username));
#undef T

#define T struct oci_box
DESC(box_desc, T,
     NUM(T, "height", JK_UINT, height),
     NUM(T, "width", JK_UINT, width));
#undef T

#define T struct oci_scheduler
DESC(scheduler_desc, T,
     ENUM(T, "policy", policy, sched_policies, "scheduler policy", .flags = JF_REQUIRED),
     NUM(T, "nice", JK_I32, nice, .flags = JF_OMITZERO),
     NUM(T, "priority", JK_I32, priority, .flags = JF_OMITZERO),
     STRS(T, "flags", flags),
     NUM(T, "runtime", JK_U64, runtime, .flags = JF_OMITZERO),
     NUM(T, "deadline", JK_U64, deadline, .flags = JF_OMITZERO),
     NUM(T, "period", JK_U64, period, .flags = JF_OMITZERO));
#undef T

#define T struct oci_io_priority
DESC(io_priority_desc, T,
     ENUM(T, "class", class_, ioprio_classes, "I/O priority class", .flags = JF_REQUIRED),
     NUM(T, "priority", JK_INT, priority));
#undef T

#define T struct oci_exec_cpu_affinity
DESC(exec_cpu_affinity_desc, T,
     STR(T, "initial", initial),
     STR(T, "final", final));
#undef T

#define T struct oci_process
DESC(process_desc, T,
     NUM(T, "terminal", JK_BOOL, terminal, .flags = JF_OMITZERO),
     OBJ(T, "consoleSize", console_size, box_desc),
     /* runc accepts a process without "user": it decodes as uid 0, gid 0. */
     JSCALAR(T, "user", JK_INLINE, user, .sub = &user_desc),
     STRS(T, "args", args),
     STR(T, "commandLine", command_line),
     STRS(T, "env", env),
     STR(T, "cwd", cwd, .flags = JF_REQUIRED | JF_ABSPATH),
     OBJ(T, "capabilities", capabilities, capabilities_desc),
     ARR(T, "rlimits", rlimits, rlimit_desc),
     NUM(T, "noNewPrivileges", JK_BOOL, no_new_privileges, .flags = JF_OMITZERO),
     STR(T, "apparmorProfile", apparmor_profile),
     OPT(T, "oomScoreAdj", JK_INT, oom_score_adj),
     OBJ(T, "scheduler", scheduler, scheduler_desc),
     STR(T, "selinuxLabel", selinux_label),
     OBJ(T, "ioPriority", io_priority, io_priority_desc),
     OBJ(T, "execCPUAffinity", exec_cpu_affinity, exec_cpu_affinity_desc));
#undef T

/* ---- linux.resources ---- */

#define T struct oci_device_cgroup
DESC(device_cgroup_desc, T,
     NUM(T, "allow", JK_BOOL, allow),
     STR(T, "type", type),
     OPT(T, "major", JK_I64, major),
     OPT(T, "minor", JK_I64, minor),
     STR(T, "access", access));
#undef T

#define T struct oci_memory
DESC(memory_desc, T,
     OPT(T, "limit", JK_I64, limit),
     OPT(T, "reservation", JK_I64, reservation),
     OPT(T, "swap", JK_I64, swap),
     OPT(T, "kernel", JK_I64, kernel),
     OPT(T, "kernelTCP", JK_I64, kernel_tcp),
     OPT(T, "swappiness", JK_U64, swappiness),
     OPT(T, "disableOOMKiller", JK_BOOL, disable_oom_killer),
     OPT(T, "useHierarchy", JK_BOOL, use_hierarchy),
     OPT(T, "checkBeforeUpdate", JK_BOOL, check_before_update));
#undef T

#define T struct oci_cpu
DESC(cpu_desc, T,
     OPT(T, "shares", JK_U64, shares),
     OPT(T, "quota", JK_I64, quota),
     OPT(T, "burst", JK_U64, burst),
     OPT(T, "period", JK_U64, period),
     OPT(T, "realtimeRuntime", JK_I64, realtime_runtime),
     OPT(T, "realtimePeriod", JK_U64, realtime_period),
     STR(T, "cpus", cpus),
     STR(T, "mems", mems),
     OPT(T, "idle", JK_I64, idle));
#undef T

DESC(pids_desc, struct oci_pids, NUM(struct oci_pids, "limit", JK_I64, limit));

#define T struct oci_weight_device
DESC(weight_device_desc, T,
     NUM(T, "major", JK_I64, major),
     NUM(T, "minor", JK_I64, minor),
     OPT(T, "weight", JK_U16, weight),
     OPT(T, "leafWeight", JK_U16, leaf_weight));
#undef T

#define T struct oci_throttle_device
DESC(throttle_device_desc, T,
     NUM(T, "major", JK_I64, major),
     NUM(T, "minor", JK_I64, minor),
     NUM(T, "rate", JK_U64, rate));
#undef T

#define T struct oci_block_io
#define THROTTLE(k, f) ARR(T, k, f, throttle_device_desc)
DESC(block_io_desc, T,
     OPT(T, "weight", JK_U16, weight),
     OPT(T, "leafWeight", JK_U16, leaf_weight),
     ARR(T, "weightDevice", weight_device, weight_device_desc),
     THROTTLE("throttleReadBpsDevice", throttle_read_bps_device),
     THROTTLE("throttleWriteBpsDevice", throttle_write_bps_device),
     THROTTLE("throttleReadIOPSDevice", throttle_read_iops_device),
     THROTTLE("throttleWriteIOPSDevice", throttle_write_iops_device));
#undef THROTTLE
#undef T

#define T struct oci_hugepage_limit
DESC(hugepage_limit_desc, T,
     STR(T, "pageSize", page_size, .flags = JF_REQUIRED),
     NUM(T, "limit", JK_U64, limit));
#undef T

#define T struct oci_interface_priority
DESC(interface_priority_desc, T,
     STR(T, "name", name, .flags = JF_REQUIRED),
     NUM(T, "priority", JK_U32, priority));
#undef T

#define T struct oci_network
DESC(network_desc, T,
     OPT(T, "classID", JK_U32, class_id),
     ARR(T, "priorities", priorities, interface_priority_desc));
#undef T

#define T struct oci_rdma
MAPDESC(rdma_desc, T, device, NULL, NULL,
        OPT(T, "hcaHandles", JK_U32, hca_handles),
        OPT(T, "hcaObjects", JK_U32, hca_objects));
#undef T

#define T struct oci_resources
DESC(resources_desc, T,
     ARR(T, "devices", devices, device_cgroup_desc),
     OBJ(T, "memory", memory, memory_desc),
     OBJ(T, "cpu", cpu, cpu_desc),
     OBJ(T, "pids", pids, pids_desc),
     OBJ(T, "blockIO", block_io, block_io_desc),
     ARR(T, "hugepageLimits", hugepage_limits, hugepage_limit_desc),
     OBJ(T, "network", network, network_desc),
     MAP(T, "rdma", rdma, rdma_desc),
     KV(T, "unified", unified));
#undef T

/* ---- linux.seccomp ---- */

#define T struct oci_seccomp_arg
DESC(seccomp_arg_desc, T,
     NUM(T, "index", JK_UINT, index, .max = 5),  /* six syscall arguments */
     NUM(T, "value", JK_U64, value),
     NUM(T, "valueTwo", JK_U64, value_two, .flags = JF_OMITZERO),
     ENUM(T, "op", op, seccomp_operators, "seccomp operator", .flags = JF_REQUIRED));
#undef T

#define T struct oci_syscall
DESC(syscall_desc, T,
     STRS(T, "names", names, .flags = JF_REQUIRED),
     ENUM(T, "action", action, seccomp_actions, "seccomp action", .flags = JF_REQUIRED),
     OPT(T, "errnoRet", JK_UINT, errno_ret),
     ARR(T, "args", args, seccomp_arg_desc));
#undef T

#define T struct oci_seccomp
DESC(seccomp_desc, T,
     ENUM(T, "defaultAction", default_action, seccomp_actions, "seccomp action",
          .flags = JF_REQUIRED),
     OPT(T, "defaultErrnoRet", JK_UINT, default_errno_ret),
     STRS(T, "architectures", architectures),
     STRS(T, "flags", flags),
     STR(T, "listenerPath", listener_path),
     STR(T, "listenerMetadata", listener_metadata),
     ARR(T, "syscalls", syscalls, syscall_desc));
#undef T

/* ---- the rest of linux ---- */

#define T struct oci_namespace
DESC(namespace_desc, T,
     ENUM(T, "type", type, namespace_types, "namespace type", .flags = JF_REQUIRED | JF_UNIQUE),
     STR(T, "path", path));
#undef T

#define T struct oci_device
DESC(device_desc, T,
     STR(T, "path", path, .flags = JF_REQUIRED),
     ENUM(T, "type", type, device_types, "device type", .flags = JF_REQUIRED),
     NUM(T, "major", JK_I64, major),
     NUM(T, "minor", JK_I64, minor),
     OPT(T, "fileMode", JK_U32, file_mode),
     OPT(T, "uid", JK_U32, uid),
     OPT(T, "gid", JK_U32, gid));
#undef T

#define T struct oci_intel_rdt
DESC(intel_rdt_desc, T,
     STR(T, "closID", clos_id),
     STR(T, "l3CacheSchema", l3_cache_schema),
     STR(T, "memBwSchema", mem_bw_schema),
     NUM(T, "enableCMT", JK_BOOL, enable_cmt, .flags = JF_OMITZERO),
     NUM(T, "enableMBM", JK_BOOL, enable_mbm, .flags = JF_OMITZERO));
#undef T

#define T struct oci_personality
DESC(personality_desc, T,
     ENUM(T, "domain", domain, personality_domains, "personality domain", .flags = JF_REQUIRED),
     STRS(T, "flags", flags));
#undef T

#define T struct oci_time_offset
MAPDESC(time_offset_desc, T, clock, time_clocks, "clock",
        NUM(T, "secs", JK_I64, secs, .flags = JF_OMITZERO),
        NUM(T, "nanosecs", JK_U32, nanosecs, .flags = JF_OMITZERO));
#undef T

#define T struct oci_net_device
MAPDESC(net_device_desc, T, host_name, NULL, NULL, STR(T, "name", name));
#undef T

#define T struct oci_memory_policy
DESC(memory_policy_desc, T,
     ENUM(T, "mode", mode, mempolicy_modes, "memory policy mode", .flags = JF_REQUIRED),
     STR(T, "nodes", nodes),
     STRS(T, "flags", flags));
#undef T

#define T struct oci_linux
DESC(linux_desc, T,
     ARR(T, "uidMappings", uid_mappings, id_mapping_desc),
     ARR(T, "gidMappings", gid_mappings, id_mapping_desc),
     KV(T, "sysctl", sysctl),
     OBJ(T, "resources", resources, resources_desc),
     STR(T, "cgroupsPath", cgroups_path),
     ARR(T, "namespaces", namespaces, namespace_desc),
     ARR(T, "devices", devices, device_desc),
     MAP(T, "netDevices", net_devices, net_device_desc),
     OBJ(T, "seccomp", seccomp, seccomp_desc),
     ENUM(T, "rootfsPropagation", rootfs_propagation, propagations, "rootfs propagation"),
     STRS(T, "maskedPaths", masked_paths),
     STRS(T, "readonlyPaths", readonly_paths),
     STR(T, "mountLabel", mount_label),
     OBJ(T, "intelRdt", intel_rdt, intel_rdt_desc),
     OBJ(T, "personality", personality, personality_desc),
     MAP(T, "timeOffsets", time_offsets, time_offset_desc),
     OBJ(T, "memoryPolicy", memory_policy, memory_policy_desc));
#undef T

/* ---- the document ---- */

#define T struct oci_config
const struct jdesc oci_config_desc = {
  .size = sizeof(T),
  .fields = FIELDS(
    STR(T, "ociVersion", oci_version, .flags = JF_REQUIRED),
    OBJ(T, "process", process, process_desc),
    OBJ(T, "root", root, root_desc),
    STR(T, "hostname", hostname),
    STR(T, "domainname", domainname),
    ARR(T, "mounts", mounts, mount_desc),
    OBJ(T, "hooks", hooks, hooks_desc),
    KV(T, "annotations", annotations),
    OBJ(T, "linux", linux_, linux_desc)),
};
#undef T

struct oci_config *oci_config_parse(const char *json, size_t len, char **err)
{
  return jparse_document(json, len, &oci_config_desc, "", err);
}

static char *read_file(const char *path, size_t *len, char **err)
{
  FILE *f = fopen(path, "re");
  char *buf = NULL, *grown;
  size_t cap = 0;
  *len = 0;
  while (f && !feof(f) && !ferror(f)) {
    if (cap - *len < 4096) {
      if (!(grown = realloc(buf, cap = cap * 2 + 4096))) {
        errno = ENOMEM;
        break;
      }
      buf = grown;
    }
    *len += fread(buf + *len, 1, cap - *len, f);
  }
  if (f && feof(f) && !ferror(f)) {
    fclose(f);
    return buf;
  }
  int saved = errno;
  if (f)
    fclose(f);
  free(buf);
  if (asprintf(err, "%s: %s", path, strerror(saved)) < 0)
    *err = NULL;
  return NULL;
}

struct oci_config *oci_config_parse_file(const char *path, char **err)
{
  size_t len;
  char *text = read_file(path, &len, err), *inner = NULL;
  if (!text)
    return NULL;
  struct oci_config *c = oci_config_parse(text, len, &inner);
  free(text);
  /* Syntax errors say which file; field errors already name their path. */
  if (!c && inner && strncmp(inner, "invalid JSON:", 13) == 0) {
    if (asprintf(err, "%s: %s", path, inner) < 0)
      *err = NULL;
    free(inner);
  } else if (!c)
    *err = inner;
  return c;
}

void oci_config_free(struct oci_config *c)
{
  jfree_document(&oci_config_desc, c);
}

struct oci_process *oci_process_parse(const char *json, size_t len, char **err)
{
  return jparse_document(json, len, &process_desc, "process", err);
}

void oci_process_free(struct oci_process *p)
{
  jfree_document(&process_desc, p);
}

struct oci_resources *oci_resources_parse(const char *json, size_t len, char **err)
{
  return jparse_document(json, len, &resources_desc, "resources", err);
}

void oci_resources_free(struct oci_resources *r)
{
  jfree_document(&resources_desc, r);
}

const char *oci_kv_get(const struct oci_kv *kv, size_t len, const char *key)
{
  for (size_t i = 0; i < len; i++)
    if (strcmp(kv[i].key, key) == 0)
      return kv[i].value;
  return NULL;
}

const struct oci_namespace *oci_linux_namespace(const struct oci_linux *l, const char *type)
{
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (strcmp(l->namespaces[i].type, type) == 0)
      return &l->namespaces[i];
  return NULL;
}
