/* mounts.c: rootfs preparation, the config's mounts, pivot_root, masked and
 * read-only paths (see mounts.h).  Every target is resolved inside the
 * rootfs first and mounted through its /proc/self/fd path, so a symlink in
 * the image cannot redirect a mount to the host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "devices.h"
#include "fs_resolve.h"
#include "sync.h"
#include "utils.h"

enum opt_kind { OPT_FLAG, OPT_CLEAR, OPT_PROPAGATION, OPT_ATTR_SET, OPT_ATTR_CLR, OPT_BIND,
                OPT_IGNORE };

static const struct mount_opt {
  const char *name;
  enum opt_kind kind;
  unsigned long value;
} mount_opts[] = {
  { "defaults", OPT_IGNORE, 0 },
  { "ro", OPT_FLAG, MS_RDONLY },          { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_FLAG, MS_NOSUID },      { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_FLAG, MS_NODEV },        { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_FLAG, MS_NOEXEC },      { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_FLAG, MS_SYNCHRONOUS },   { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, MS_DIRSYNC },    { "remount", OPT_FLAG, MS_REMOUNT },
  { "mand", OPT_FLAG, MS_MANDLOCK },      { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_FLAG, MS_NOATIME },    { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_FLAG, MS_NODIRATIME }, { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_FLAG, MS_RELATIME },  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_FLAG, MS_STRICTATIME }, { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_FLAG, MS_LAZYTIME },  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_FLAG, MS_NOSYMFOLLOW }, { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "bind", OPT_BIND, 0 },                { "rbind", OPT_BIND, MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },       { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },         { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },           { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE }, { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },       { "rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },   { "rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },     { "rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },   { "rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME }, { "rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
  { "rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME }, { "ratime", OPT_ATTR_CLR, MOUNT_ATTR__ATIME },
  { "rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME }, { "rnorelatime", OPT_ATTR_CLR, MOUNT_ATTR__ATIME },
  { "rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", OPT_ATTR_CLR, MOUNT_ATTR__ATIME },
  { "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
  /* Options of other runtimes that change nothing here. */
  { "tmpcopyup", OPT_IGNORE, 0 },
};
#define MOUNT_OPT_COUNT (sizeof mount_opts / sizeof mount_opts[0])

const char *const *sbx_mount_option_names(void)
{
  static const char *names[MOUNT_OPT_COUNT + 1];

  if (names[0] == NULL)
    for (size_t i = 0; i < MOUNT_OPT_COUNT; i++)
      names[i] = mount_opts[i].name;
  return names;
}

static const struct mount_opt *find_option(const char *name)
{
  for (size_t i = 0; i < MOUNT_OPT_COUNT; i++)
    if (strcmp(mount_opts[i].name, name) == 0)
      return &mount_opts[i];
  return NULL;
}

static int append_data(char **data, const char *opt)
{
  char *joined = *data ? sbx_strdup_printf("%s,%s", *data, opt) : strdup(opt);

  if (joined == NULL)
    return -1;
  free(*data);
  *data = joined;
  return 0;
}

int sbx_mount_options_parse(char *const *opts, size_t n, struct sbx_mount_options *out,
                            struct sbx_error *err)
{
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    const struct mount_opt *o = find_option(opts[i]);
    if (strcmp(opts[i], "idmap") == 0 || strcmp(opts[i], "ridmap") == 0)
      return sbx_fail(err, EOPNOTSUPP, "mount option `%s` (id-mapped mounts) is not supported",
                      opts[i]);
    if (o == NULL) {
      if (append_data(&out->data, opts[i]) < 0)
        return sbx_fail(err, ENOMEM, "mount options");
      continue;
    }
    switch (o->kind) {
    case OPT_FLAG:
      out->flags |= o->value;
      break;
    case OPT_CLEAR:
      out->flags &= ~o->value;
      break;
    case OPT_PROPAGATION:
      if (out->propagation_len == sizeof out->propagation / sizeof out->propagation[0])
        return sbx_invalid(err, "too many propagation options");
      out->propagation[out->propagation_len++] = o->value;
      break;
    case OPT_ATTR_SET:
      out->attr_set |= o->value;
      out->attr_clr &= ~o->value;
      break;
    case OPT_ATTR_CLR:
      out->attr_clr |= o->value;
      out->attr_set &= ~o->value;
      break;
    case OPT_BIND:
      out->bind = true;
      out->recursive_bind |= (o->value & MS_REC) != 0;
      break;
    case OPT_IGNORE:
      break;
    }
  }
  return 0;
}

void sbx_mount_options_release(struct sbx_mount_options *o)
{
  free(o->data);
  o->data = NULL;
}

static int apply_propagation(const char *target, const struct sbx_mount_options *o,
                             const char *what, struct sbx_error *err)
{
  for (size_t i = 0; i < o->propagation_len; i++)
    if (mount(NULL, target, NULL, o->propagation[i], NULL) < 0)
      return sbx_fail(err, errno, "set propagation of `%s`", what);
  return 0;
}

static int apply_recursive_attrs(int fd, const struct sbx_mount_options *o, const char *what,
                                 struct sbx_error *err)
{
  struct mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };

  if (o->attr_set == 0 && o->attr_clr == 0)
    return 0;
  if (attr.attr_set & MOUNT_ATTR__ATIME)
    attr.attr_clr |= MOUNT_ATTR__ATIME;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return sbx_fail(err, errno, "set recursive mount attributes on `%s`", what);
  return 0;
}

/* Flags the kernel locks on a mount in a user namespace: a remount must
 * keep them or it fails with EPERM. */
static unsigned long locked_flags(const char *path)
{
  struct statvfs sv;
  unsigned long flags = 0;

  if (statvfs(path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    flags |= MS_NOEXEC;
  return flags;
}

/* Flags set after a bind: MS_BIND ignores them on the first call. */
#define REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
                       MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW)

static int mount_bind(const char *source, const char *target, const char *dest,
                      const struct sbx_mount_options *o, const char *named, struct sbx_error *err)
{
  unsigned long flags = MS_BIND | (o->recursive_bind ? MS_REC : 0);

  if (mount(source, target, NULL, flags, NULL) < 0)
    return sbx_fail(err, errno, "bind mount `%s` on `%s`", named, dest);
  return 0;
}

static int remount_bind(const char *target, const char *dest, const struct sbx_mount_options *o,
                        bool in_userns, struct sbx_error *err)
{
  unsigned long flags = o->flags & REMOUNT_FLAGS;

  if (flags == 0)
    return 0;
  if (in_userns)
    flags |= locked_flags(target);
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
    return sbx_fail(err, errno, "remount `%s` with its options", dest);
  return 0;
}

static char *bind_source(const char *bundle, const char *source)
{
  if (source == NULL)
    return NULL;
  if (source[0] == '/')
    return strdup(source);
  return sbx_strdup_printf("%s/%s", bundle, source);
}

static bool is_bind(const struct oci_mount *m)
{
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  for (size_t j = 0; j < m->options_len; j++)
    if (strcmp(m->options[j], "bind") == 0 || strcmp(m->options[j], "rbind") == 0)
      return true;
  return false;
}

/* In the helper, host root in the container's mount namespace: open and
 * send each bind source, then the end mark.  An error goes to errfd. */
static __attribute__((noreturn)) void send_bind_sources(pid_t init_pid,
                                                        const struct oci_config *c,
                                                        const char *bundle, int sync_fd,
                                                        int errfd)
{
  cleanup_error struct sbx_error err = { 0 };
  char ns[64];
  int nsfd;

  snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", init_pid);
  nsfd = open(ns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0) {
    sbx_fail(&err, errno, "join the container's mount namespace to open bind sources");
    goto fail;
  }
  for (size_t i = 0; i < c->mounts_len; i++) {
    cleanup_free char *path = NULL;
    int fd;
    if (!is_bind(&c->mounts[i]))
      continue;
    path = bind_source(bundle, c->mounts[i].source);
    if (path == NULL) {
      sbx_invalid(&err, "mounts[%zu].source: required for a bind mount", i);
      goto fail;
    }
    fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      sbx_fail(&err, errno, "mounts[%zu]: bind source `%s`", i, c->mounts[i].source);
      goto fail;
    }
    if (sbx_sync_send_fd(sync_fd, SYNC_MOUNT_FD, (int)i, fd) < 0) {
      sbx_fail(&err, errno, "send bind source of mounts[%zu] to the container process", i);
      goto fail;
    }
    close(fd);
  }
  if (sbx_sync_send_fd(sync_fd, SYNC_MOUNT_FD, -1, -1) < 0) {
    sbx_fail(&err, errno, "send bind sources to the container process");
    goto fail;
  }
  _exit(0);
fail:
  sbx_write_all(errfd, err.msg, strlen(err.msg));
  _exit(1);
}

int sbx_bind_sources_send(pid_t init_pid, const struct oci_config *c, const char *bundle,
                          int sync_fd, struct sbx_error *err)
{
  cleanup_close int rd = -1;
  cleanup_free char *msg = NULL;
  int pipefd[2], status;
  pid_t child;

  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return sbx_fail(err, errno, "pipe");
  rd = pipefd[0];
  /* setns needs a process of its own: the runtime keeps its namespace. */
  child = fork();
  if (child == 0) {
    close(rd);
    send_bind_sources(init_pid, c, bundle, sync_fd, pipefd[1]);
  }
  close(pipefd[1]);
  if (child < 0)
    return sbx_fail(err, errno, "fork to open bind sources");
  if (sbx_read_fd(rd, &msg, NULL, NULL) < 0)
    msg = NULL;
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return sbx_invalid(err, "%s", msg && *msg ? msg : "open bind sources: the helper died");
  return 0;
}

int sbx_bind_sources_recv(int sync_fd, const struct oci_config *c, int **fds,
                          struct sbx_error *err)
{
  int *list = malloc((c->mounts_len + 1) * sizeof *list);

  *fds = NULL;
  if (list == NULL)
    return sbx_fail(err, ENOMEM, "bind sources");
  for (size_t i = 0; i <= c->mounts_len; i++)
    list[i] = -1;
  for (;;) {
    int index, fd;
    if (sbx_sync_expect_fd(sync_fd, SYNC_MOUNT_FD, &index, &fd, err) < 0) {
      free(list);
      return -1;
    }
    if (index < 0)
      break;
    if ((size_t)index >= c->mounts_len || fd < 0) {
      if (fd >= 0)
        close(fd);
      free(list);
      return sbx_fail(err, EPROTO, "bind source for a mount that does not exist");
    }
    if (list[index] >= 0)
      close(list[index]);
    list[index] = fd;
  }
  *fds = list;
  return 0;
}

void sbx_bind_sources_close(int *fds, const struct oci_config *c)
{
  for (size_t i = 0; fds && i < c->mounts_len; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
}

/* cgroup mounts: cgroup2 where the host is unified, else a tmpfs holding one
 * mount per v1 hierarchy (read-only unless the options say rw). */
static int mount_cgroup(int rootfd, const char *dest, const struct sbx_rootfs_setup *s,
                        const struct sbx_mount_options *o, struct sbx_error *err);

/* A read-only mount that later mounts (or /dev's nodes) go inside is
 * mounted writable and made read-only once everything is in place. */
static bool defer_readonly(const struct oci_config *c, size_t index)
{
  const char *dest = c->mounts[index].destination;
  size_t len = strlen(dest);

  if (strcmp(dest, "/dev") == 0)
    return true;
  for (size_t j = index + 1; j < c->mounts_len; j++)
    if (strncmp(c->mounts[j].destination, dest, len) == 0 && c->mounts[j].destination[len] == '/')
      return true;
  return false;
}

static int finish_readonly(int rootfd, const struct oci_config *c, struct sbx_error *err)
{
  for (size_t i = 0; i < c->mounts_len; i++) {
    struct sbx_mount_options o;
    cleanup_close int fd = -1;
    char buf[32];
    bool ro;
    if (sbx_mount_options_parse(c->mounts[i].options, c->mounts[i].options_len, &o, NULL) < 0)
      continue;
    ro = (o.flags & MS_RDONLY) && !o.bind && !(c->mounts[i].type && strcmp(c->mounts[i].type, "bind") == 0);
    sbx_mount_options_release(&o);
    if (!ro || !defer_readonly(c, i))
      continue;
    fd = sbx_open_in_root(rootfd, c->mounts[i].destination, O_PATH, err);
    if (fd < 0 || mount(NULL, sbx_fd_path(fd, buf), NULL,
                        MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(buf), NULL) < 0)
      return fd < 0 ? -1 : sbx_fail(err, errno, "mounts[%zu]: remount `%s` read-only", i,
                                    c->mounts[i].destination);
  }
  return 0;
}

static int mount_one(int rootfd, const struct sbx_rootfs_setup *s, size_t index,
                     struct sbx_error *err)
{
  const struct oci_mount *m = &s->config->mounts[index];
  struct sbx_mount_options o;
  cleanup_free char *source = NULL;
  cleanup_close int target = -1, top = -1;
  char buf[32], topbuf[32];
  const char *type = m->type;
  bool as_file = false;
  int ret = -1;

  if (m->destination[0] != '/')
    return sbx_invalid(err, "mounts[%zu].destination: `%s` is not an absolute path", index,
                    m->destination);
  if (sbx_mount_options_parse(m->options, m->options_len, &o, err) < 0)
    return sbx_wrap(err, "mounts[%zu].options", index);
  if (type && strcmp(type, "bind") == 0)
    o.bind = true;
  if (type && strcmp(type, "cgroup") == 0 && !o.bind) {
    ret = mount_cgroup(rootfd, m->destination, s, &o, err);
    goto out;
  }
  if (o.bind) {
    struct stat st;
    char fdbuf[32];
    /* Opened by the runtime where we, in a user namespace, may not reach. */
    bool opened = s->bind_fds && s->bind_fds[index] >= 0;
    source = opened ? strdup(sbx_fd_path(s->bind_fds[index], fdbuf))
                    : bind_source(s->bundle, m->source);
    if (source == NULL || stat(source, &st) < 0) {
      sbx_fail(err, source ? errno : EINVAL, "mounts[%zu]: bind source `%s`", index,
               m->source ? m->source : "");
      goto out;
    }
    as_file = !S_ISDIR(st.st_mode);
  }
  target = sbx_mount_target_in_root(rootfd, m->destination, as_file, err);
  if (target < 0)
    goto fail;
  if (o.bind) {
    if (mount_bind(source, sbx_fd_path(target, buf), m->destination, &o,
                   m->source ? m->source : "", err) < 0)
      goto out;
  } else {
    unsigned long flags = o.flags & ~MS_REMOUNT;
    if (defer_readonly(s->config, index))
      flags &= ~MS_RDONLY;
    if (mount(m->source ? m->source : type, sbx_fd_path(target, buf), type, flags, o.data) < 0) {
      sbx_fail(err, errno, "mount `%s` (type %s) on `%s`", m->source ? m->source : "",
               type ? type : "none", m->destination);
      goto out;
    }
  }
  /* Reopen: the fd taken before mounting names the covered directory. */
  top = sbx_open_in_root(rootfd, m->destination, O_PATH, err);
  if (top < 0)
    goto fail;
  sbx_fd_path(top, topbuf);
  if (o.bind && remount_bind(topbuf, m->destination, &o, s->in_userns, err) < 0)
    goto out;
  if (apply_propagation(topbuf, &o, m->destination, err) < 0 ||
      apply_recursive_attrs(top, &o, m->destination, err) < 0)
    goto out;
  ret = 0;
  goto out;
fail:
  sbx_wrap(err, "mounts[%zu]", index);
out:
  sbx_mount_options_release(&o);
  return ret;
}

/* Bind the container's own cgroup directory of one hierarchy (mounted on
 * the host at mnt) onto target: works in user namespaces, where cgroupfs
 * cannot be mounted, and shows the container nothing above its cgroup. */
static int bind_cgroup_dir(int rootfd, const char *mnt, const char *cgroup_path,
                           const char *dest, unsigned long flags, struct sbx_error *err)
{
  cleanup_free char *source = sbx_strdup_printf("%s%s", mnt, cgroup_path ? cgroup_path : "");
  cleanup_close int target = sbx_mkdir_in_root(rootfd, dest, 0755, err);
  cleanup_close int top = -1;
  char buf[32];

  if (target < 0)
    return -1;
  if (source == NULL)
    return sbx_fail(err, ENOMEM, "cgroup mount");
  if (mount(source, sbx_fd_path(target, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
    return sbx_fail(err, errno, "bind cgroup `%s` on `%s`", source, dest);
  /* The remount must name the new mount, not the directory it covers. */
  top = sbx_open_in_root(rootfd, dest, O_PATH, err);
  if (top < 0)
    return -1;
  if (mount(NULL, sbx_fd_path(top, buf), NULL, MS_BIND | MS_REMOUNT | flags | locked_flags(buf),
            NULL) < 0)
    return sbx_fail(err, errno, "remount cgroup `%s`", dest);
  return 0;
}

/* Each v1 hierarchy (and a hybrid host's cgroup2) under a tmpfs at dest. */
static int mount_cgroup_hierarchies(int rootfd, const char *dest, const char *cgroup_path,
                                    unsigned long flags, struct sbx_error *err)
{
  char **mounts = sbx_cgroup_mountpoints();
  int ret = 0;

  for (size_t i = 0; ret == 0 && mounts && mounts[i]; i++) {
    cleanup_free char *sub = sbx_strdup_printf("%s/%s", dest, mounts[i] + strlen("/sys/fs/cgroup/"));
    if (sub == NULL || bind_cgroup_dir(rootfd, mounts[i], cgroup_path, sub, flags, err) < 0)
      ret = -1;
  }
  sbx_strv_free(mounts);
  return ret;
}

static int mount_cgroup(int rootfd, const char *dest, const struct sbx_rootfs_setup *s,
                        const struct sbx_mount_options *o, struct sbx_error *err)
{
  unsigned long flags = (o->flags & REMOUNT_FLAGS) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_close int target = sbx_mkdir_in_root(rootfd, dest, 0755, err);
  cleanup_close int top = -1;
  char buf[32];
  struct stat st;

  if (target < 0)
    return -1;
  /* A pure v2 host: a fresh cgroup2 shows the cgroup namespace's root, the
   * container's cgroup; without a new cgroupns bind that cgroup itself. */
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
    if (s->new_cgroupns) {
      if (mount("cgroup2", sbx_fd_path(target, buf), "cgroup2", flags, NULL) < 0)
        return sbx_fail(err, errno, "mount cgroup2 on `%s`", dest);
      return 0;
    }
    return bind_cgroup_dir(rootfd, "/sys/fs/cgroup", s->cgroup_path, dest, flags, err);
  }
  if (mount("tmpfs", sbx_fd_path(target, buf), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "mode=755") < 0)
    return sbx_fail(err, errno, "mount tmpfs for cgroups on `%s`", dest);
  top = sbx_open_in_root(rootfd, dest, O_PATH, err);
  if (top < 0 || mount_cgroup_hierarchies(rootfd, dest, s->cgroup_path, flags, err) < 0)
    return -1;
  if (flags & MS_RDONLY &&
      mount(NULL, sbx_fd_path(top, buf), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
            MS_NODEV | MS_NOEXEC, NULL) < 0)
    return sbx_fail(err, errno, "remount `%s` read-only", dest);
  return 0;
}

static unsigned long propagation_flag(const char *name)
{
  static const struct { const char *name; unsigned long flag; } table[] = {
    { "shared", MS_SHARED },          { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },            { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE },        { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].name, name) == 0)
      return table[i].flag;
  return 0;
}

static bool dev_is_bind_mounted(const struct oci_config *c)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    if (strcmp(c->mounts[i].destination, "/dev") == 0 && is_bind(&c->mounts[i]))
      return true;
  return false;
}

bool sbx_mounts_in_host_namespace(const struct oci_config *c)
{
  return c->linux_ == NULL || oci_linux_namespace(c->linux_, "mount") == NULL;
}

/* The id of the mount at path (its top mount), from fdinfo. */
static int mount_id_of(const char *path, int *id)
{
  cleanup_close int fd = open(path, O_PATH | O_CLOEXEC);
  cleanup_free char *info = NULL;
  char file[64];
  const char *p;

  if (fd < 0)
    return -1;
  snprintf(file, sizeof file, "/proc/self/fdinfo/%d", fd);
  if (sbx_read_file(file, &info, NULL, NULL) < 0 || (p = strstr(info, "mnt_id:")) == NULL)
    return -1;
  *id = atoi(p + 7);
  return 0;
}

int sbx_rootfs_bind_private(const char *rootfs, int *mnt_id, struct sbx_error *err)
{
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return sbx_fail(err, errno, "bind mount rootfs `%s` on itself (no mount namespace)", rootfs);
  /* Nothing the container mounts under it flows to the host's peers. */
  if (mount(NULL, rootfs, NULL, MS_PRIVATE | MS_REC, NULL) < 0 || mount_id_of(rootfs, mnt_id) < 0) {
    int saved = errno;
    umount2(rootfs, MNT_DETACH);
    return sbx_fail(err, saved, "make the bind of rootfs `%s` private", rootfs);
  }
  return 0;
}

int sbx_rootfs_unbind(const char *rootfs, int mnt_id, struct sbx_error *err)
{
  int now;

  /* Only our bind: never what an engine mounted on the rootfs. */
  if (rootfs == NULL || mount_id_of(rootfs, &now) < 0 || now != mnt_id)
    return 0;
  if (umount2(rootfs, MNT_DETACH) < 0)
    return sbx_fail(err, errno, "unmount the container's mounts on `%s`", rootfs);
  return 0;
}

int sbx_rootfs_chroot(const char *rootfs, struct sbx_error *err)
{
  if (chdir(rootfs) < 0)
    return sbx_fail(err, errno, "chdir `%s`", rootfs);
  if (chroot(".") < 0)
    return sbx_fail(err, errno, "chroot `%s`", rootfs);
  if (chdir("/") < 0)
    return sbx_fail(err, errno, "chdir /");
  return 0;
}

int sbx_rootfs_prepare(const struct sbx_rootfs_setup *s, struct sbx_error *err)
{
  const struct oci_linux *l = s->config->linux_;
  unsigned long prop = propagation_flag(l ? l->rootfs_propagation : NULL);
  cleanup_close int rootfd = -1;

  /* Keep host mounts flowing in but nothing of ours flowing out; shared
   * propagation is set on the new root only after the pivot, which refuses
   * shared mounts.  In the host's namespace the runtime made a private
   * bind already, and "/" is the host's own. */
  if (prop == 0 || (prop & MS_SHARED))
    prop = MS_SLAVE | MS_REC;
  if (!sbx_mounts_in_host_namespace(s->config)) {
    if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
      return sbx_fail(err, errno, "set propagation of `/`");
    if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
      return sbx_fail(err, errno, "bind mount rootfs `%s` on itself", s->rootfs);
  }
  rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return sbx_fail(err, errno, "open rootfs `%s`", s->rootfs);
  for (size_t i = 0; i < s->config->mounts_len; i++)
    if (mount_one(rootfd, s, i, err) < 0)
      return -1;
  if (!dev_is_bind_mounted(s->config) &&
      sbx_devices_populate(rootfd, s->config, s->in_userns, err) < 0)
    return -1;
  /* A terminal's pty is bound on /dev/console after the pivot: its mount
   * point must exist before /dev may turn read-only. */
  if (s->config->process && s->config->process->terminal) {
    cleanup_close int console = sbx_mount_target_in_root(rootfd, "/dev/console", true, err);
    if (console < 0)
      return sbx_wrap(err, "process.terminal");
  }
  return finish_readonly(rootfd, s->config, err);
}

static int pivot_into(const char *rootfs, struct sbx_error *err)
{
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0 || newroot < 0)
    return sbx_fail(err, errno, "open `%s` for pivot_root", rootfs);
  if (fchdir(newroot) < 0)
    return sbx_fail(err, errno, "chdir `%s`", rootfs);
  /* pivot_root(".", ".") stacks the old root under the new one; detach it
   * without letting the unmount propagate to the host. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return sbx_fail(err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir(oldroot) < 0)
    return sbx_fail(err, errno, "chdir to the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return sbx_fail(err, errno, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return sbx_fail(err, errno, "unmount the old root");
  if (chdir("/") < 0)
    return sbx_fail(err, errno, "chdir /");
  return 0;
}

/* Without pivot_root the host's mount tree stays in this namespace under
 * the chroot: detach every mount outside the rootfs first (deepest first),
 * so a process escaping the chroot finds nothing of the host mounted. */
static void detach_outside(const char *rootfs)
{
  cleanup_free char *text = NULL;
  char **points = NULL;
  size_t n = 0, len = strlen(rootfs);
  char *line, *save = NULL;

  if (sbx_read_file("/proc/self/mountinfo", &text, NULL, NULL) < 0)
    return;
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char mnt[4096];
    char **grown;
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strcmp(mnt, "/") == 0)
      continue;
    if (strncmp(mnt, rootfs, len) == 0 && (mnt[len] == '/' || mnt[len] == '\0'))
      continue;
    /* an ancestor of the rootfs carries it: keep it */
    if (strncmp(rootfs, mnt, strlen(mnt)) == 0 && rootfs[strlen(mnt)] == '/')
      continue;
    grown = realloc(points, (n + 1) * sizeof *points);
    if (grown == NULL)
      break;
    points = grown;
    points[n++] = strdup(mnt);
  }
  /* mountinfo lists parents before children: undo in reverse */
  while (n-- > 0) {
    if (points[n])
      umount2(points[n], MNT_DETACH);
    free(points[n]);
  }
  free(points);
}

static int move_into(const char *rootfs, struct sbx_error *err)
{
  detach_outside(rootfs);
  if (chdir(rootfs) < 0)
    return sbx_fail(err, errno, "chdir `%s`", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return sbx_fail(err, errno, "move rootfs `%s` to /", rootfs);
  if (chroot(".") < 0)
    return sbx_fail(err, errno, "chroot `%s`", rootfs);
  if (chdir("/") < 0)
    return sbx_fail(err, errno, "chdir /");
  return 0;
}

int sbx_rootfs_enter(const char *rootfs, bool no_pivot, struct sbx_error *err)
{
  return no_pivot ? move_into(rootfs, err) : pivot_into(rootfs, err);
}

static int mask_path(int rootfd, const char *path, struct sbx_error *err)
{
  cleanup_close int fd = sbx_open_in_root(rootfd, path, O_PATH, NULL);
  struct stat st;
  char buf[32];

  if (fd < 0)
    return 0; /* nothing to hide */
  if (fstat(fd, &st) < 0)
    return sbx_fail(err, errno, "stat masked path `%s`", path);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", sbx_fd_path(fd, buf), "tmpfs", MS_RDONLY, NULL) < 0)
      return sbx_fail(err, errno, "mask `%s`", path);
  } else if (mount("/dev/null", sbx_fd_path(fd, buf), NULL, MS_BIND, NULL) < 0) {
    return sbx_fail(err, errno, "mask `%s`", path);
  }
  return 0;
}

static int readonly_path(int rootfd, const char *path, struct sbx_error *err)
{
  cleanup_close int fd = sbx_open_in_root(rootfd, path, O_PATH, NULL);
  cleanup_close int top = -1;
  char buf[32];

  if (fd < 0)
    return 0;
  if (mount(sbx_fd_path(fd, buf), buf, NULL, MS_BIND | MS_REC, NULL) < 0)
    return sbx_fail(err, errno, "bind `%s` for read-only", path);
  top = sbx_open_in_root(rootfd, path, O_PATH, err);
  if (top < 0)
    return -1;
  if (mount(NULL, sbx_fd_path(top, buf), NULL,
            MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(buf), NULL) < 0)
    return sbx_fail(err, errno, "remount `%s` read-only", path);
  return 0;
}

int sbx_rootfs_finish(const struct oci_config *c, struct sbx_error *err)
{
  const struct oci_linux *l = c->linux_;
  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  unsigned long prop = propagation_flag(l ? l->rootfs_propagation : NULL);

  if (rootfd < 0)
    return sbx_fail(err, errno, "open /");
  for (size_t i = 0; l && i < l->masked_paths_len; i++)
    if (mask_path(rootfd, l->masked_paths[i], err) < 0)
      return sbx_wrap(err, "linux.maskedPaths[%zu]", i);
  for (size_t i = 0; l && i < l->readonly_paths_len; i++)
    if (readonly_path(rootfd, l->readonly_paths[i], err) < 0)
      return sbx_wrap(err, "linux.readonlyPaths[%zu]", i);
  if (c->root && c->root->readonly &&
      mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
    return sbx_fail(err, errno, "root.readonly: remount / read-only");
  if (prop & MS_SHARED && mount(NULL, "/", NULL, prop, NULL) < 0)
    return sbx_fail(err, errno, "linux.rootfsPropagation: make / %s", l->rootfs_propagation);
  return 0;
}
