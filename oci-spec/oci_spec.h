/* oci_spec.h: the typed model of the OCI runtime-spec v1.2 documents
 * (config.json, state.json, features) for Linux.
 *
 * Ownership: every pointer in these structs is owned by the struct and
 * released by the matching *_free().  Strings are NUL-terminated and
 * malloc'd.  Arrays are (pointer, count) pairs; a non-empty array of
 * strings also ends with a NULL entry (argv and envp are execve-ready).  Optional scalars carry a
 * has_<field> flag; optional objects are NULL when absent.
 *
 * Errors: parse functions return NULL and set *err to a malloc'd message
 * that names the JSON path of the offending field, e.g.
 *   "process.args: expected array of strings"
 *   "linux.namespaces[2].type: unknown namespace type \"foo\"".
 * Unknown fields are ignored, as the spec requires.
 */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string -> string map, in document order. */
struct oci_kv {
  char *key;
  char *value;
};

struct oci_id_mapping {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct oci_root {
  char *path;          /* required */
  bool readonly;
};

struct oci_mount {
  char *destination;   /* required, absolute */
  char *type;          /* may be NULL */
  char *source;        /* may be NULL */
  char **options;
  size_t options_len;
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct oci_hook {
  char *path;          /* required, absolute */
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  bool has_timeout;
  int timeout;         /* seconds, > 0 */
};

struct oci_hook_list {
  struct oci_hook *hooks;
  size_t len;
};

struct oci_hooks {
  struct oci_hook_list prestart;
  struct oci_hook_list create_runtime;
  struct oci_hook_list create_container;
  struct oci_hook_list start_container;
  struct oci_hook_list poststart;
  struct oci_hook_list poststop;
};

struct oci_string_list {
  char **items;
  size_t len;
};

struct oci_capabilities {
  /* Each set is NULL-able: has_<set> says whether it was present. */
  bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
  struct oci_string_list bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit {
  char *type;          /* "RLIMIT_NOFILE" ... validated against known names */
  uint64_t hard;
  uint64_t soft;
};

struct oci_user {
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username;      /* windows only; kept for completeness */
};

struct oci_box {
  unsigned height;
  unsigned width;
};

struct oci_scheduler {
  char *policy;        /* SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH,
                          SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE */
  int32_t nice;
  int32_t priority;
  char **flags;
  size_t flags_len;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};

struct oci_io_priority {
  char *class_;        /* IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE */
  int priority;
};

struct oci_exec_cpu_affinity {
  char *initial;       /* cpu list, may be NULL */
  char *final;         /* cpu list, may be NULL */
};

struct oci_process {
  bool terminal;
  struct oci_box *console_size;          /* NULL when absent */
  struct oci_user user;
  char **args;
  size_t args_len;
  char *command_line;                    /* windows only */
  char **env;
  size_t env_len;
  char *cwd;                             /* required, absolute */
  struct oci_capabilities *capabilities; /* NULL when absent */
  struct oci_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  struct oci_scheduler *scheduler;
  char *selinux_label;
  struct oci_io_priority *io_priority;
  struct oci_exec_cpu_affinity *exec_cpu_affinity;
};

struct oci_namespace {
  char *type;          /* pid network mount ipc uts user cgroup time */
  char *path;          /* NULL: create a new one */
};

struct oci_device {
  char *path;          /* required, absolute */
  char *type;          /* "c", "b", "u" or "p" */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct oci_device_cgroup {
  bool allow;
  char *type;          /* "a", "c", "b"; NULL means "a" */
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  char *access;        /* subset of "rwm"; NULL means "rwm" */
};

struct oci_memory {
  bool has_limit;        int64_t limit;
  bool has_reservation;  int64_t reservation;
  bool has_swap;         int64_t swap;
  bool has_kernel;       int64_t kernel;
  bool has_kernel_tcp;   int64_t kernel_tcp;
  bool has_swappiness;   uint64_t swappiness;
  bool has_disable_oom_killer; bool disable_oom_killer;
  bool has_use_hierarchy;      bool use_hierarchy;
  bool has_check_before_update; bool check_before_update;
};

struct oci_cpu {
  bool has_shares;            uint64_t shares;
  bool has_quota;             int64_t quota;
  bool has_burst;             uint64_t burst;
  bool has_period;            uint64_t period;
  bool has_realtime_runtime;  int64_t realtime_runtime;
  bool has_realtime_period;   uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;              int64_t idle;
};

struct oci_pids {
  int64_t limit;
};

struct oci_weight_device {
  int64_t major;
  int64_t minor;
  bool has_weight;      uint16_t weight;
  bool has_leaf_weight; uint16_t leaf_weight;
};

struct oci_throttle_device {
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct oci_block_io {
  bool has_weight;      uint16_t weight;
  bool has_leaf_weight; uint16_t leaf_weight;
  struct oci_weight_device *weight_device;
  size_t weight_device_len;
  struct oci_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  struct oci_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  struct oci_throttle_device *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  struct oci_throttle_device *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
};

struct oci_hugepage_limit {
  char *page_size;     /* "2MB", "1GB" */
  uint64_t limit;
};

struct oci_interface_priority {
  char *name;
  uint32_t priority;
};

struct oci_network {
  bool has_class_id;
  uint32_t class_id;
  struct oci_interface_priority *priorities;
  size_t priorities_len;
};

struct oci_rdma {
  char *device;        /* the map key */
  bool has_hca_handles; uint32_t hca_handles;
  bool has_hca_objects; uint32_t hca_objects;
};

struct oci_resources {
  struct oci_device_cgroup *devices;
  size_t devices_len;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  struct oci_pids *pids;
  struct oci_block_io *block_io;
  struct oci_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  struct oci_network *network;
  struct oci_rdma *rdma;
  size_t rdma_len;
  struct oci_kv *unified;
  size_t unified_len;
};

struct oci_seccomp_arg {
  unsigned index;      /* 0..5 */
  uint64_t value;
  uint64_t value_two;
  char *op;            /* SCMP_CMP_NE ... validated */
};

struct oci_syscall {
  char **names;
  size_t names_len;
  char *action;        /* SCMP_ACT_... validated */
  bool has_errno_ret;
  unsigned errno_ret;
  struct oci_seccomp_arg *args;
  size_t args_len;
};

struct oci_seccomp {
  char *default_action;
  bool has_default_errno_ret;
  unsigned default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  struct oci_syscall *syscalls;
  size_t syscalls_len;
};

struct oci_intel_rdt {
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_cmt;
  bool enable_mbm;
};

struct oci_personality {
  char *domain;        /* LINUX or LINUX32 */
  char **flags;
  size_t flags_len;
};

struct oci_time_offset {
  char *clock;         /* the map key: "monotonic" or "boottime" */
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_net_device {
  char *host_name;     /* the map key */
  char *name;          /* name inside the container; NULL keeps host_name */
};

struct oci_memory_policy {
  char *mode;          /* MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, ... */
  char *nodes;         /* a node list: "0-3,7" */
  char **flags;        /* MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES,
                          MPOL_F_STATIC_NODES */
  size_t flags_len;
};

struct oci_linux {
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct oci_kv *sysctl;
  size_t sysctl_len;
  struct oci_resources *resources;
  char *cgroups_path;
  struct oci_namespace *namespaces;
  size_t namespaces_len;
  struct oci_device *devices;
  size_t devices_len;
  struct oci_seccomp *seccomp;
  char *rootfs_propagation;   /* shared slave private unbindable rshared ... */
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  char *mount_label;
  struct oci_intel_rdt *intel_rdt;
  struct oci_personality *personality;
  struct oci_time_offset *time_offsets;
  size_t time_offsets_len;
  struct oci_net_device *net_devices;
  size_t net_devices_len;
  struct oci_memory_policy *memory_policy;
};

struct oci_config {
  char *oci_version;          /* required */
  struct oci_process *process;
  struct oci_root *root;
  char *hostname;
  char *domainname;
  struct oci_mount *mounts;
  size_t mounts_len;
  struct oci_hooks *hooks;
  struct oci_kv *annotations;
  size_t annotations_len;
  struct oci_linux *linux_;   /* "linux" is a predefined macro in GNU C */
};

/* ---- config.json ---- */

/* Parse a whole config.json document held in memory. */
struct oci_config *oci_config_parse(const char *json, size_t len, char **err);
/* Read and parse a file; the error names the file on I/O failure. */
struct oci_config *oci_config_parse_file(const char *path, char **err);
void oci_config_free(struct oci_config *c);

/* Parse a standalone process object (runc exec -p process.json).  The JSON
 * paths in errors are rooted at "process". */
struct oci_process *oci_process_parse(const char *json, size_t len, char **err);
void oci_process_free(struct oci_process *p);

/* Parse a standalone resources object (runc update -r FILE), paths rooted
 * at "resources". */
struct oci_resources *oci_resources_parse(const char *json, size_t len, char **err);
void oci_resources_free(struct oci_resources *r);

/* Serialize back to JSON (pretty when pretty is true); returns malloc'd
 * NUL-terminated text, or NULL with *err set.  oci_config_parse of the
 * result gives back an equal config. */
char *oci_config_write(const struct oci_config *c, bool pretty, char **err);

/* Lookup helpers. */
const char *oci_kv_get(const struct oci_kv *kv, size_t len, const char *key);
/* The namespace entry of that type, or NULL. */
const struct oci_namespace *oci_linux_namespace(const struct oci_linux *l, const char *type);

/* ---- state.json (runtime-spec "state") ---- */

struct oci_state {
  char *oci_version;
  char *id;
  char *status;        /* creating created running stopped (paused: runc) */
  int pid;             /* 0 when not running */
  char *bundle;
  struct oci_kv *annotations;
  size_t annotations_len;
};

struct oci_state *oci_state_parse(const char *json, size_t len, char **err);
char *oci_state_write(const struct oci_state *s, bool pretty, char **err);
void oci_state_free(struct oci_state *s);

/* ---- features document ---- */

struct oci_features_seccomp {
  bool enabled;
  struct oci_string_list actions, operators, archs, known_flags, supported_flags;
};

struct oci_features_linux {
  struct oci_string_list namespaces;
  struct oci_string_list capabilities;
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  struct oci_features_seccomp seccomp;
  bool apparmor_enabled;
  bool selinux_enabled;
  bool intel_rdt_enabled;
  bool idmap_mounts_enabled;
  bool net_devices_enabled;
  struct oci_string_list memory_policy_modes, memory_policy_flags;
};

struct oci_features {
  char *oci_version_min;
  char *oci_version_max;
  struct oci_string_list hooks;
  struct oci_string_list mount_options;
  struct oci_features_linux linux_;
  struct oci_kv *annotations;
  size_t annotations_len;
  struct oci_string_list potentially_unsafe_config_annotations;
};

char *oci_features_write(const struct oci_features *f, bool pretty, char **err);
struct oci_features *oci_features_parse(const char *json, size_t len, char **err);
void oci_features_free(struct oci_features *f);

#endif
