/* cgroup_resources.h: linux.resources applied to the container's cgroup on
 * cgroup v1, v2 and hybrid hosts, its statistics (runc's `events --stats`
 * data) and its OOM events.
 *
 * `path` is always the cgroup's path inside each hierarchy, as returned by
 * sbx_cgroup_path() / saved in state.json.  On hybrid hosts the v1
 * controllers are used (devices too); only `unified` goes to the cgroup2
 * hierarchy.  A value this host cannot apply (a controller or a file that
 * does not exist, a bad value the kernel refuses) is an error whose message
 * starts with the JSON path of the key, e.g.
 *   "linux.resources.cpu.realtimeRuntime: not supported by this host (no cpu.rt_runtime_us)"
 *   "linux.resources.memory.limit: write `4096` to `/sys/fs/cgroup/memory/x/memory.limit_in_bytes`: Device or resource busy"
 *
 * Semantics follow runc 1.1.5: a zero limit, quota, period, shares, weight
 * or classID means "unset" (nothing is written); pids.limit < 0 is "max";
 * memory.limit/swap -1 is unlimited; memory.swap is memory+swap (v2 writes
 * swap - limit to memory.swap.max); memory.kernel/kernelTCP and
 * useHierarchy are ignored (runc ignores them); on v2 swappiness and
 * disableOOMKiller are ignored as runc does; cpu.shares is converted to
 * cpu.weight and blockIO.weight to io.weight (or io.bfq.weight) on v2.
 * Device rules are the config's followed by runc's default allowed devices
 * (mknod of any device, /dev/null, zero, full, random, urandom, tty, ptmx,
 * pts/N, net/tun; a default is dropped when linux.devices has a device with
 * its path), evaluated in order as the v1 devices controller would.
 */
#ifndef SBX_CGROUP_RESOURCES_H
#define SBX_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci_spec.h"

/* ---- the API ---- */

/* create: apply linux->resources (all its keys, devices with runc's default
 * rules appended) to the cgroup at path.  Call after sbx_cgroup_create()
 * and before the container process runs user code.  linux_ may be NULL or
 * have no resources: the default device rules are still applied. */
int sbx_cgroup_apply_resources(const char *path, const struct oci_linux *linux_,
                               struct sbx_error *err);

/* update: write the keys present in r (runc update); r->devices is ignored,
 * the device rules set at create stay as they are. */
int sbx_cgroup_update_resources(const char *path, const struct oci_resources *r,
                                struct sbx_error *err);

/* The statistics as the JSON object runc's `events --stats` puts in "data"
 * (runc types.Stats: cpu, cpuset, memory, pids, blkio, hugetlb, intel_rdt,
 * network_interfaces).  Malloc'd; NULL with err set on failure. */
char *sbx_cgroup_stats_json(const char *path, struct sbx_error *err);

/* A pollable fd (O_CLOEXEC) that becomes readable when something happens
 * to the cgroup's OOM state: v1 an eventfd registered on memory.oom_control
 * (it also fires when the cgroup is removed), v2 an inotify watch of
 * memory.events.  After a wakeup call sbx_cgroup_oom_ack(fd) then compare
 * sbx_cgroup_oom_count() with the previous count. */
int sbx_cgroup_oom_watch(const char *path, struct sbx_error *err);
/* Consume the pending wakeups of an fd from sbx_cgroup_oom_watch (never
 * blocks: the fd is non-blocking). */
void sbx_cgroup_oom_ack(int fd);
/* The number of OOM kills in the cgroup ("oom_kill N" of v1
 * memory.oom_control / v2 memory.events). */
int sbx_cgroup_oom_count(const char *path, unsigned long long *count, struct sbx_error *err);

/* ---- building blocks, exposed for tests ---- */

/* Access bits, the values of BPF_DEVCG_ACC_*. */
enum { SBX_DEV_MKNOD = 1, SBX_DEV_READ = 2, SBX_DEV_WRITE = 4, SBX_DEV_RWM = 7 };

struct sbx_dev_rule {
  char type;        /* 'a', 'c' or 'b' */
  int64_t major;    /* -1: any */
  int64_t minor;    /* -1: any */
  unsigned access;  /* SBX_DEV_* bits */
  bool allow;
};

/* The rules of linux.resources.devices (r may be NULL) followed by runc's
 * default allowed devices minus those whose path is in devs.  Errors name
 * linux.resources.devices[i].type / .access. */
int sbx_dev_rules_from_spec(const struct oci_resources *r, const struct oci_device *devs,
                            size_t devs_len, struct sbx_dev_rule **out, size_t *out_len,
                            struct sbx_error *err);
/* "c 1:3 rwm", "b *:* m", "a" (type 'a' is the whole-table rule). */
char *sbx_dev_rule_string(const struct sbx_dev_rule *r);
/* "rwm" -> bits; -1 on an empty string or another letter.  NULL is "rwm". */
int sbx_dev_parse_access(const char *s);

/* The device table the v1 controller ends up with after the rules, in
 * order, were written to a fresh cgroup: a default and exceptions. */
struct sbx_dev_state {
  bool default_allow;
  struct sbx_dev_rule *exc;   /* allow == !default_allow */
  size_t n;
};
int sbx_dev_emulate(const struct sbx_dev_rule *rules, size_t n, struct sbx_dev_state *st);
void sbx_dev_state_free(struct sbx_dev_state *st);
/* Does the table let type major:minor be used with all of access? */
bool sbx_dev_state_permits(const struct sbx_dev_state *st, char type, int64_t major,
                           int64_t minor, unsigned access);

/* v1: the writes that set the table: {file, line} pairs, the first being
 * devices.deny "a" (or devices.allow "a") then one per exception.  Returns
 * the count; the files and lines arrays are malloc'd arrays of static/malloc'd strings,
 * free with sbx_dev_v1_writes_free. */
size_t sbx_dev_v1_writes(const struct sbx_dev_state *st, const char ***files, char ***lines);
void sbx_dev_v1_writes_free(const char **files, char **lines, size_t n);

/* v2: a BPF_PROG_TYPE_CGROUP_DEVICE program deciding as the table does.
 * *insns is malloc'd (struct bpf_insn, 8 bytes each). */
struct bpf_insn;
int sbx_dev_bpf_program(const struct sbx_dev_state *st, struct bpf_insn **insns, size_t *n);
/* Load the program and attach it to the cgroup2 directory dir
 * (BPF_F_ALLOW_MULTI), then detach the device programs that were attached
 * there before, so the new table replaces the old one. */
int sbx_dev_bpf_apply(const char *dir, const struct sbx_dev_state *st, struct sbx_error *err);

/* Conversions (runc's). */
uint64_t sbx_cpu_shares_to_weight(uint64_t shares);           /* 0 -> 0 */
uint64_t sbx_blkio_weight_to_io_weight(uint64_t weight);      /* 0 -> 0 */
/* memory.swap (memory+swap) and memory.limit -> memory.swap.max value;
 * -1 is "max", 0 "unset".  -1 with a static message in *why on a bad pair. */
int sbx_memory_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, const char **why);
/* "0-3,5" -> {0,1,2,3,5}; -1 on garbage (runc getCpusetStat rules). */
int sbx_parse_cpu_list(const char *s, uint16_t **out, size_t *n);

/* The directories of the container's cgroup in each hierarchy; NULL where
 * the hierarchy is absent. */
struct sbx_cgroup_dirs {
  char *cpu, *cpuacct, *cpuset, *memory, *pids, *blkio, *devices, *hugetlb,
      *net_cls, *net_prio, *rdma;
  char *unified;   /* cgroup2 dir: hybrid hosts only, for `unified` */
};
void sbx_cgroup_dirs_free(struct sbx_cgroup_dirs *d);

/* Apply r in v1 directories / one v2 directory.  rules NULL: devices are
 * left alone; otherwise they are the whole rule list (see above). */
int sbx_cgroup_v1_set(const struct sbx_cgroup_dirs *d, const struct oci_resources *r,
                      const struct sbx_dev_rule *rules, size_t nrules, struct sbx_error *err);
int sbx_cgroup_v2_set(const char *dir, const struct oci_resources *r,
                      const struct sbx_dev_rule *rules, size_t nrules, struct sbx_error *err);
char *sbx_cgroup_v1_stats_json(const struct sbx_cgroup_dirs *d, struct sbx_error *err);
char *sbx_cgroup_v2_stats_json(const char *dir, struct sbx_error *err);

/* Shared by cgroup_v1.c / cgroup_v2.c: write value to dir/file for the key
 * (a JSON path): a missing dir or file is "not supported by this host". */
int sbx_cg_write(const char *dir, const char *controller, const char *file, const char *value,
                 const char *key, struct sbx_error *err);
bool sbx_cg_exists(const char *dir, const char *file);
int sbx_cg_pids(const char *dir, const char *ctrl, const struct oci_pids *p, struct sbx_error *err);
int sbx_cg_throttles(const char *dir, const char *ctrl, const struct oci_block_io *b, bool v2,
                     struct sbx_error *err);
int sbx_cg_page_size_ok(const char *size, const char *key, struct sbx_error *err);
int sbx_cg_rdma(const char *dir, const struct oci_resources *r, struct sbx_error *err);
int sbx_cg_unified(const char *dir, const struct oci_resources *r, struct sbx_error *err);
int sbx_cg_read_u64(const char *dir, const char *file, uint64_t *out);   /* "max" -> UINT64_MAX */
/* The v1 dirs of path (and the cgroup2 one on hybrid hosts). */
int sbx_cgroup_v1_dirs(const char *path, struct sbx_cgroup_dirs *d);

#endif
