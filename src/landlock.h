/* landlock.h: Landlock, the kernel's unprivileged access control, as the
 * filesystem policy uses it: the ABI definitions Debian's headers lack, a
 * ruleset built from a list of grants (a path and the access it gets), and
 * the grants' text form kept in the state directory so every `exec`
 * restricts itself exactly like the container's init.
 *
 * Being Landlocked also makes the mount tree immutable for the process and
 * its children (mount, umount, pivot_root, move_mount fail with EPERM):
 * that is what keeps the policy's overlays in place for root inside.  It
 * does not see the new mount API's detached mounts (fsmount, open_tree
 * clones) nor mount_setattr: the policy's seccomp layer denies those, and
 * the write rights, handled and granted only on write paths, keep what a
 * mount that slips through shows unwritable. */
#ifndef SBX_LANDLOCK_H
#define SBX_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define SBX_LL_EXECUTE    (1ULL << 0)
#define SBX_LL_WRITE_FILE (1ULL << 1)
#define SBX_LL_READ_FILE  (1ULL << 2)
#define SBX_LL_MAKE_BLOCK (1ULL << 11)
#define SBX_LL_REFER      (1ULL << 13)   /* ABI 2 */
#define SBX_LL_TRUNCATE   (1ULL << 14)   /* ABI 3 */

/* What writes: write and truncate files; remove files and directories;
 * make directories, files, sockets, fifos, char and block devices,
 * symlinks; move and link across directories (REFER).  Handled in full;
 * granted (SBX_LL_WRITE) on `write` paths and the kernel's filesystems,
 * never MAKE_BLOCK. */
#define SBX_LL_WRITE_ABI1 (SBX_LL_WRITE_FILE | (0xffULL << 4) | (1ULL << 12))
#define SBX_LL_WRITE      ((SBX_LL_WRITE_ABI1 | SBX_LL_REFER | SBX_LL_TRUNCATE) & ~SBX_LL_MAKE_BLOCK)

/* The write rights a kernel with Landlock ABI abi knows (MAKE_BLOCK
 * included). */
uint64_t sbx_landlock_write_rights(int abi);

struct sbx_landlock_grant {
  char *path;          /* absolute container path */
  uint64_t access;     /* SBX_LL_* */
  dev_t dev;           /* identity of the inode at create: exec checks it */
  ino_t ino;
};

struct sbx_landlock_plan {
  uint64_t handled;    /* 0: no Landlock */
  struct sbx_landlock_grant *grants;
  size_t len, cap;
};

void sbx_landlock_plan_release(struct sbx_landlock_plan *p);
int sbx_landlock_plan_add(struct sbx_landlock_plan *p, const char *path, uint64_t access,
                          struct sbx_error *err);

/* The kernel's Landlock ABI version; 0 when it has none (or it is off). */
int sbx_landlock_abi(void);

/* Text form: "handled HEX\n" then "ACCESS DEV INO PATH\n" per grant (path
 * with \\ and \n escaped).  Parsing checks every field. */
char *sbx_landlock_plan_format(const struct sbx_landlock_plan *p);
int sbx_landlock_plan_parse(const char *text, struct sbx_landlock_plan *p, struct sbx_error *err);

/* Build a ruleset: each grant's path is opened under root_dir (a directory
 * fd; paths are relative to it), and when record is true its identity is
 * stored in the grant, else it must match the stored one: a path that is
 * gone or names another inode since create is left out (what it named is
 * then denied, never something else granted).  Returns the ruleset fd. */
int sbx_landlock_ruleset(struct sbx_landlock_plan *p, int root_dir, bool record,
                         struct sbx_error *err);
/* One more grant, after the ruleset was built (a mount made since, e.g.
 * the terminal on /dev/console): added to the plan, with its identity
 * recorded, and to the ruleset.  access is masked by what the plan
 * handles. */
int sbx_landlock_grant_more(struct sbx_landlock_plan *p, int ruleset, int root_dir,
                            const char *path, uint64_t access, struct sbx_error *err);
/* Restrict the calling thread (and its future children) to the ruleset. */
int sbx_landlock_restrict(int ruleset, struct sbx_error *err);

#endif
