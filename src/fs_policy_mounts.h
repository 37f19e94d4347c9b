/* fs_policy_mounts.h: the filesystem policy applied to a container's mount
 * tree, by init, after the config's mounts and createContainer hooks and
 * before pivot_root.  Every mount that holds files (the rootfs, binds,
 * volumes, tmpfs) is walked (fs_policy.c) and gets read-only overlays with
 * whiteouts for hidden entries, read-only / read-write binds, noexec on its
 * write parts under an exec allowlist; a config mount whose destination is
 * hidden is detached.  proc, sysfs, cgroup, devpts, mqueue (and the other
 * kernel filesystems) and device nodes are exempt.  The Landlock grants are
 * collected into a plan whose ruleset the container process, and every
 * exec, restricts itself with (landlock.h). */
#ifndef SBX_FS_POLICY_MOUNTS_H
#define SBX_FS_POLICY_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "landlock.h"
#include "policy.h"

/* Does the policy restrict the filesystem or exec at all? */
bool sbx_fs_policy_needed(const struct sbx_policy *p);

/* What the Landlock ruleset handles on a kernel with Landlock ABI abi:
 * reads, every write right, exec under an allowlist.  strict enforcement
 * fails naming what the kernel lacks (no Landlock; REFER, ABI 2;
 * TRUNCATE, ABI 3); best-effort handles what there is (0: no Landlock). */
int sbx_fs_landlock_handled(const struct sbx_policy *p, int abi, uint64_t *handled,
                            struct sbx_error *err);

struct sbx_fs_enforce {
  const struct sbx_policy *policy;
  const char *rootfs;          /* host path of the container's rootfs */
  bool root_readonly;          /* config root.readonly */
  bool own_pidns;              /* the container has a pid namespace of its own */
  char *const *destinations;   /* the config's mounts' destinations, in order: a mount
                                  the image's symlinks moved gets the rules of its
                                  destination's name */
  size_t n_destinations;
  /* out */
  struct sbx_landlock_plan plan;
  int ruleset;                 /* -1 when none */
};

/* The plan and the ruleset stay in e for init, which execs (or exits)
 * with them. */
int sbx_fs_policy_enforce(struct sbx_fs_enforce *e, struct sbx_error *err);

#endif
