/* fs_resolve.h: resolve paths inside a container's root as if it were "/"
 * (openat2 RESOLVE_IN_ROOT), so that a symlink planted in an image can never
 * make a mount, mknod or mkdir land outside it (CVE-2021-30465 class), and
 * create mount targets step by step through such resolved fds. */
#ifndef SBX_FS_RESOLVE_H
#define SBX_FS_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS). */
int sbx_open_in_root(int rootfd, const char *path, int flags, struct sbx_error *err);
/* The same without following any symlink (a canonical path, e.g. one the
 * filesystem policy recorded at create). */
int sbx_open_beneath(int rootfd, const char *path, int flags, struct sbx_error *err);

/* Open the parent directory of path inside root (O_PATH) and return the last
 * component in *base (pointer into a malloc'd copy in *copy). */
int sbx_open_parent_in_root(int rootfd, const char *path, char **copy, const char **base,
                            struct sbx_error *err);

/* The same, creating the parent directories first. */
int sbx_make_parent_in_root(int rootfd, const char *path, char **copy, const char **base,
                            struct sbx_error *err);

/* mkdir -p inside root; returns an O_PATH fd of the directory. */
int sbx_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct sbx_error *err);

/* Make sure a mount target exists inside root (a directory, or an empty
 * regular file when as_file) and return an O_PATH fd to it. */
int sbx_mount_target_in_root(int rootfd, const char *path, bool as_file, struct sbx_error *err);

/* "/proc/self/fd/N" for an fd, for mount(2) calls that must hit exactly the
 * inode that was resolved safely.  buf must hold 32 bytes. */
const char *sbx_fd_path(int fd, char buf[32]);

#endif
