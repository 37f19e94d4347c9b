/* fs_policy.h: the policy's filesystem rules and exec allowlist turned into
 * a plan for one mount of a container (see docs/policy.md, "How the
 * filesystem rules are enforced").
 *
 * A walk of the mount's tree at create time gives every entry its
 * permission, with the same answer as sbx_policy_decide (a compiled,
 * incremental form of the same globs), and yields:
 *   - fixups: read-only overlays with whiteouts on directories that hold
 *     hidden entries, read-only binds of "fixed" write directories, and
 *     read-only / read-write binds where the permission changes;
 *   - Landlock grants: READ_FILE on the largest subtrees where everything is
 *     readable (so `view` files are not), the write rights on the largest
 *     write subtrees and on kernel filesystems and device nodes (which
 *     keep OCI semantics), and the files the exec allowlist names;
 *   - the config mounts beneath whose destination is hidden.
 * Nothing here mounts anything: fs_policy_mounts.c applies the plan. */
#ifndef SBX_FS_POLICY_H
#define SBX_FS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "landlock.h"
#include "policy.h"

/* The rules and exec globs compiled for incremental matching. */
struct sbx_fs_matcher;
int sbx_fs_matcher_new(const struct sbx_policy *p, struct sbx_fs_matcher **out,
                       struct sbx_error *err);
void sbx_fs_matcher_free(struct sbx_fs_matcher *m);

/* Without Landlock nothing can stop a read: `view` becomes `none`
 * (best-effort enforcement never opens access). */
void sbx_fs_matcher_view_as_none(struct sbx_fs_matcher *m);

/* The permission of an absolute, normalised container path, computed the
 * incremental way (tests compare it with sbx_policy_decide); *hidden: a
 * proper ancestor is none by a rule. */
enum sbx_perm sbx_fs_matcher_permission(const struct sbx_fs_matcher *m, const char *path,
                                        bool *hidden);

enum sbx_fs_fixup_kind {
  SBX_FIXUP_OVERLAY,   /* read-only overlay hiding `whiteouts` */
  SBX_FIXUP_BIND_RO,   /* read-only bind of the real entry on itself */
  SBX_FIXUP_BIND_RW,   /* read-write bind of the real entry on itself */
};

struct sbx_fs_fixup {
  enum sbx_fs_fixup_kind kind;
  char *rel;           /* relative to the mount's root; "" is the root */
  unsigned depth;      /* segments in rel */
  char **whiteouts;    /* OVERLAY: the hidden names, NULL-terminated */
};

/* Another mount whose destination lies in this one (its own plan is done
 * first, deepest first). */
struct sbx_fs_submount {
  const char *path;    /* absolute container path */
  bool exempt;         /* proc, sysfs, devpts, ..., a device node: no rules */
  bool all_read;       /* from its own plan: every entry at least read */
  bool any_visible;    /* from its own plan: something in it is not none */
  bool has_view;
};

struct sbx_fs_walk {
  /* in */
  const struct sbx_fs_matcher *matcher;
  const char *mount_path;           /* absolute container path of the root */
  const char *policy_path;          /* where the rules are matched (the path
                                       the config names, when the image's
                                       symlinks moved the mount); NULL:
                                       mount_path */
  int root_fd;                      /* the mount's root (a directory) */
  bool writable;                    /* the config lets the mount be written */
  size_t max_path;                  /* entries whose container path is longer
                                       (or that lie deeper than the walk goes)
                                       are cut off: hidden with what they
                                       hold; 0: PATH_MAX - 1 */
  const struct sbx_fs_submount *subs;   /* sorted by path */
  size_t n_subs;
  /* out */
  bool hidden;                      /* the mount itself is none: detach it */
  enum sbx_perm root_perm;
  bool root_ro;                     /* the root ends read-only */
  bool root_noexec;                 /* the root stays writable, allowlist set */
  bool all_read, any_visible, has_view;
  struct sbx_fs_fixup *fixups;      /* parents before children */
  size_t n_fixups;
  char **hidden_mounts;             /* destinations to detach, NULL-terminated */
  size_t n_hidden_mounts;
  struct sbx_landlock_plan grants;  /* container paths */
  char **exec_files;                /* allowlisted files (and symlinks) found */
  size_t n_exec_files;
};

/* Walk one mount.  Only its own filesystem is read: other mounts' roots are
 * taken from subs. */
int sbx_fs_walk_mount(struct sbx_fs_walk *w, struct sbx_error *err);
void sbx_fs_walk_release(struct sbx_fs_walk *w);

#endif
