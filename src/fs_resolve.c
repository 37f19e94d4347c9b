/* fs_resolve.c: symlink-safe resolution inside a root (see fs_resolve.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fs_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

const char *sbx_fd_path(int fd, char buf[32])
{
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static int open_resolved(int rootfd, const char *path, int flags, unsigned long long resolve,
                         struct sbx_error *err)
{
  struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC), .resolve = resolve };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0)
    return sbx_fail(err, errno, "open `%s` in the container root", path);
  return fd;
}

int sbx_open_in_root(int rootfd, const char *path, int flags, struct sbx_error *err)
{
  return open_resolved(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, err);
}

int sbx_open_beneath(int rootfd, const char *path, int flags, struct sbx_error *err)
{
  return open_resolved(rootfd, path, flags | O_NOFOLLOW,
                       RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
}

int sbx_open_parent_in_root(int rootfd, const char *path, char **copy, const char **base,
                            struct sbx_error *err)
{
  char *dup = strdup(path);
  char *slash;
  int fd;

  if (dup == NULL)
    return sbx_fail(err, ENOMEM, "resolve `%s`", path);
  /* Trailing slashes do not make another component. */
  for (size_t n = strlen(dup); n > 1 && dup[n - 1] == '/'; n--)
    dup[n - 1] = '\0';
  slash = strrchr(dup, '/');
  if (slash == NULL) {
    *base = dup;
    fd = sbx_open_in_root(rootfd, ".", O_PATH | O_DIRECTORY, err);
  } else {
    *slash = '\0';
    *base = slash + 1;
    fd = sbx_open_in_root(rootfd, *dup ? dup : "/", O_PATH | O_DIRECTORY, err);
  }
  if (fd < 0) {
    free(dup);
    return -1;
  }
  *copy = dup;
  return fd;
}

int sbx_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct sbx_error *err)
{
  cleanup_free char *prefix = strdup(path);
  char *p;
  int fd;

  if (prefix == NULL)
    return sbx_fail(err, ENOMEM, "mkdir `%s`", path);
  fd = sbx_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, NULL);
  if (fd >= 0)
    return fd;
  /* Walk the prefixes; create each missing one under its resolved parent. */
  for (p = prefix; ; p++) {
    bool end = *p == '\0';
    if (!end && *p != '/')
      continue;
    if (p != prefix && p[-1] != '/') {
      char saved = *p;
      *p = '\0';
      fd = sbx_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, NULL);
      if (fd < 0) {
        cleanup_free char *copy = NULL;
        const char *base;
        cleanup_close int parent = sbx_open_parent_in_root(rootfd, prefix, &copy, &base, err);
        if (parent < 0)
          return -1;
        if (mkdirat(parent, base, mode) < 0 && errno != EEXIST)
          return sbx_fail(err, errno, "mkdir `%s` in the container root", prefix);
        fd = sbx_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, err);
        if (fd < 0)
          return -1;
      }
      *p = saved;
      if (!end)
        close(fd);
    }
    if (end)
      break;
  }
  return fd;
}

int sbx_make_parent_in_root(int rootfd, const char *path, char **copy, const char **base,
                            struct sbx_error *err)
{
  cleanup_free char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;

  if (slash && slash != dir) {
    int dfd;
    *slash = '\0';
    dfd = sbx_mkdir_in_root(rootfd, dir, 0755, err);
    if (dfd < 0)
      return -1;
    close(dfd);
  }
  return sbx_open_parent_in_root(rootfd, path, copy, base, err);
}

int sbx_mount_target_in_root(int rootfd, const char *path, bool as_file, struct sbx_error *err)
{
  cleanup_free char *copy = NULL;
  const char *base;
  cleanup_close int parent = -1;
  int fd;

  if (!as_file)
    return sbx_mkdir_in_root(rootfd, path, 0755, err);
  fd = sbx_open_in_root(rootfd, path, O_PATH, NULL);
  if (fd >= 0)
    return fd;
  parent = sbx_make_parent_in_root(rootfd, path, &copy, &base, err);
  if (parent < 0)
    return -1;
  {
    /* An O_PATH fd serves as the dirfd of openat(2). */
    int f = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST)
      return sbx_fail(err, errno, "create mount target `%s`", path);
    if (f >= 0)
      close(f);
  }
  return sbx_open_in_root(rootfd, path, O_PATH, err);
}
