/* devices.c: device nodes and symlinks under the container's /dev. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_resolve.h"
#include "utils.h"

static const struct oci_device default_devices[] = {
  { .path = "/dev/null", .type = "c", .major = 1, .minor = 3 },
  { .path = "/dev/zero", .type = "c", .major = 1, .minor = 5 },
  { .path = "/dev/full", .type = "c", .major = 1, .minor = 7 },
  { .path = "/dev/random", .type = "c", .major = 1, .minor = 8 },
  { .path = "/dev/urandom", .type = "c", .major = 1, .minor = 9 },
  { .path = "/dev/tty", .type = "c", .major = 5, .minor = 0 },
};

static const struct { const char *target, *link; } default_links[] = {
  { "/proc/self/fd", "/dev/fd" },      { "/proc/self/fd/0", "/dev/stdin" },
  { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
  { "pts/ptmx", "/dev/ptmx" },
};

static mode_t node_type(const char *type)
{
  switch (type[0]) {
  case 'b':
    return S_IFBLK;
  case 'p':
    return S_IFIFO;
  default:
    return S_IFCHR; /* "c" and "u" */
  }
}

static int bind_host_node(int parent, const char *base, const struct oci_device *d,
                          struct sbx_error *err)
{
  cleanup_close int target = -1;
  char buf[32];
  int fd = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);

  if (fd < 0 && errno != EEXIST)
    return sbx_fail(err, errno, "create `%s`", d->path);
  if (fd >= 0)
    close(fd);
  target = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return sbx_fail(err, errno, "open `%s`", d->path);
  if (mount(d->path, sbx_fd_path(target, buf), NULL, MS_BIND, NULL) < 0)
    return sbx_fail(err, errno, "bind mount host device `%s`", d->path);
  return 0;
}

static int create_node(int rootfd, const struct oci_device *d, bool in_userns,
                       struct sbx_error *err)
{
  cleanup_free char *copy = NULL;
  cleanup_close int parent = -1;
  const char *base;
  mode_t mode = d->has_file_mode ? d->file_mode : 0666;

  parent = sbx_make_parent_in_root(rootfd, d->path, &copy, &base, err);
  if (parent < 0)
    return -1;
  if (in_userns)
    return bind_host_node(parent, base, d, err);
  if (unlinkat(parent, base, 0) < 0 && errno != ENOENT)
    return sbx_fail(err, errno, "replace `%s`", d->path);
  if (mknodat(parent, base, (mode & 07777) | node_type(d->type),
              makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
    return sbx_fail(err, errno, "mknod `%s`", d->path);
  /* mknod obeys the umask; the config's mode is meant exactly. */
  if (fchmodat(parent, base, mode & 07777, 0) < 0)
    return sbx_fail(err, errno, "chmod `%s`", d->path);
  if (fchownat(parent, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
               AT_SYMLINK_NOFOLLOW) < 0)
    return sbx_fail(err, errno, "chown `%s`", d->path);
  return 0;
}

static int create_link(int rootfd, const char *target, const char *link, struct sbx_error *err)
{
  cleanup_free char *copy = NULL;
  const char *base;
  cleanup_close int parent = sbx_open_parent_in_root(rootfd, link, &copy, &base, err);

  if (parent < 0)
    return -1;
  unlinkat(parent, base, 0);
  if (symlinkat(target, parent, base) < 0)
    return sbx_fail(err, errno, "symlink `%s` -> `%s`", link, target);
  return 0;
}

int sbx_devices_populate(int rootfd, const struct oci_config *c, bool in_userns,
                         struct sbx_error *err)
{
  const struct oci_linux *l = c->linux_;
  cleanup_close int devfd = sbx_mkdir_in_root(rootfd, "/dev", 0755, err);
  struct stat st;

  if (devfd < 0)
    return -1;
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    if (create_node(rootfd, &default_devices[i], in_userns, err) < 0)
      return -1;
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (create_node(rootfd, &l->devices[i], in_userns, err) < 0)
      return sbx_wrap(err, "linux.devices[%zu]", i);
  for (size_t i = 0; i < sizeof default_links / sizeof default_links[0]; i++)
    if (create_link(rootfd, default_links[i].target, default_links[i].link, err) < 0)
      return -1;
  if (stat("/proc/kcore", &st) == 0 && create_link(rootfd, "/proc/kcore", "/dev/core", err) < 0)
    return -1;
  return 0;
}
