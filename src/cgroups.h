/* cgroups.h: the container's cgroup on cgroup v1, v2 or hybrid hosts:
 * where it lives (linux.cgroupsPath, absolute, relative to the runtime's
 * own cgroup, or systemd's slice:prefix:name), creating it and placing
 * init in it before init runs, freezing, killing all its processes, and
 * removing it.  Only cgroups this runtime created are ever touched. */
#ifndef SBX_CGROUPS_H
#define SBX_CGROUPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"
#include "oci_spec.h"

enum sbx_cgroup_mode { SBX_CGROUP_V1, SBX_CGROUP_HYBRID, SBX_CGROUP_V2 };

struct sbx_cgroup;

enum sbx_cgroup_mode sbx_cgroup_mode(void);
/* Mount points of every hierarchy under /sys/fs/cgroup (v1 controllers and
 * cgroup2), NULL-terminated; free with sbx_strv_free. */
char **sbx_cgroup_mountpoints(void);

/* The directory of the cgroup at path in the hierarchy of a v1 controller
 * ("memory", "cpu", "net_cls"...; co-mounted ones such as cpu,cpuacct are
 * found by any of their names), or with controller NULL in the cgroup2
 * hierarchy (/sys/fs/cgroup on v2, /sys/fs/cgroup/unified on hybrid hosts).
 * NULL (errno ENOENT) when no such hierarchy is mounted.  Malloc'd. */
char *sbx_cgroup_controller_dir(const char *controller, const char *path);

/* The path inside every hierarchy (always starting with '/'). */
char *sbx_cgroup_resolve_path(const struct sbx_context *ctx, const char *id,
                              const struct oci_config *c, struct sbx_error *err);

/* Create the cgroup in every hierarchy and move pid into it. */
int sbx_cgroup_create(const char *path, pid_t pid, struct sbx_cgroup **out,
                      struct sbx_error *err);
const char *sbx_cgroup_path(const struct sbx_cgroup *cg);
/* Move pid into the existing cgroup at path in every hierarchy (exec). */
int sbx_cgroup_enter(const char *path, pid_t pid, struct sbx_error *err);
/* The same, into sub-cgroups of path (which must exist), as runc's exec
 * --cgroup: each of subs is "sub" (every hierarchy) or "ctrl[,ctrl]:sub";
 * `..` and unknown controllers are refused. */
int sbx_cgroup_enter_sub(const char *path, pid_t pid, char *const *subs, size_t n,
                         struct sbx_error *err);
int sbx_cgroup_destroy(struct sbx_cgroup *cg, struct sbx_error *err);
void sbx_cgroup_free(struct sbx_cgroup *cg);

/* Operations on a saved path (from state.json). */
int sbx_cgroup_remove_path(const char *path, bool systemd, struct sbx_error *err);
bool sbx_cgroup_is_frozen(const char *path, bool systemd);
int sbx_cgroup_freeze(const char *path, bool systemd, struct sbx_error *err);
int sbx_cgroup_thaw(const char *path, bool systemd, struct sbx_error *err);
/* CPU time (ns) and peak memory (bytes) used by the cgroup so far; 0 when
 * the host does not account them. */
void sbx_cgroup_usage(const char *path, unsigned long long *cpu_ns, unsigned long long *peak);
/* The processes of the cgroup (from the pids or unified hierarchy). */
int sbx_cgroup_pids(const char *path, pid_t **pids, size_t *n, struct sbx_error *err);
int sbx_cgroup_kill_all(const char *path, bool systemd, int sig, struct sbx_error *err);

#endif
