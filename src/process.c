/* process.c: process attributes of the container's user process (see
 * process.h).  The order matters: capabilities survive the uid change only
 * through PR_SET_KEEPCAPS, and the bounding set must shrink while we still
 * hold CAP_SETPCAP. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "fs_resolve.h"
#include "utils.h"

static const struct { const char *name; int resource; } rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int sbx_process_set_rlimits(const struct oci_process *p, struct sbx_error *err)
{
  for (size_t i = 0; i < p->rlimits_len; i++) {
    const struct oci_rlimit *r = &p->rlimits[i];
    struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
    size_t k;
    for (k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
      if (strcmp(rlimit_names[k].name, r->type) == 0)
        break;
    if (k == sizeof rlimit_names / sizeof rlimit_names[0])
      return sbx_invalid(err, "process.rlimits[%zu].type: unknown rlimit `%s`", i, r->type);
    if (setrlimit(rlimit_names[k].resource, &lim) < 0)
      return sbx_fail(err, errno, "process.rlimits[%zu]: set %s to soft %llu hard %llu", i,
                      r->type, (unsigned long long)r->soft, (unsigned long long)r->hard);
  }
  return 0;
}

int sbx_process_set_personality(const struct oci_linux *l, struct sbx_error *err)
{
  unsigned long persona;

  if (l == NULL || l->personality == NULL)
    return 0;
  if (strcmp(l->personality->domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (strcmp(l->personality->domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return sbx_invalid(err, "linux.personality.domain: unknown `%s`", l->personality->domain);
  for (size_t i = 0; i < l->personality->flags_len; i++)
    return sbx_invalid(err, "linux.personality.flags[%zu]: `%s` is not supported", i,
                    l->personality->flags[i]);
  if (personality(persona) < 0)
    return sbx_fail(err, errno, "linux.personality: set %s", l->personality->domain);
  return 0;
}

static int set_groups(const struct oci_user *u, struct sbx_error *err)
{
  gid_t groups[u->additional_gids_len ? u->additional_gids_len : 1];

  for (size_t i = 0; i < u->additional_gids_len; i++)
    groups[i] = u->additional_gids[i];
  if (setgroups(u->additional_gids_len, groups) == 0)
    return 0;
  /* A user namespace with setgroups denied: only an empty list is moot. */
  if (errno == EPERM && u->additional_gids_len == 0)
    return 0;
  return sbx_fail(err, errno, "process.user.additionalGids: setgroups");
}

int sbx_process_set_identity(const struct oci_process *p, const struct sbx_caps *caps,
                             struct sbx_error *err)
{
  if (sbx_caps_drop_bounding(caps, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return sbx_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (set_groups(&p->user, err) < 0)
    return -1;
  if (setresgid(p->user.gid, p->user.gid, p->user.gid) < 0)
    return sbx_fail(err, errno, "process.user.gid: setgid(%u)", p->user.gid);
  if (setresuid(p->user.uid, p->user.uid, p->user.uid) < 0)
    return sbx_fail(err, errno, "process.user.uid: setuid(%u)", p->user.uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return sbx_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (sbx_caps_apply(caps, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sbx_fail(err, errno, "process.noNewPrivileges");
  if (p->user.has_umask)
    umask(p->user.umask & 0777);
  return 0;
}

int sbx_process_enter_cwd(const struct oci_process *p, struct sbx_error *err)
{
  cleanup_close int rootfd = -1, dirfd = -1;

  if (chdir(p->cwd) == 0)
    return 0;
  if (errno != ENOENT)
    return sbx_fail(err, errno, "process.cwd: chdir `%s`", p->cwd);
  rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  dirfd = rootfd < 0 ? -1 : sbx_mkdir_in_root(rootfd, p->cwd, 0755, err);
  if (dirfd < 0)
    return sbx_wrap(err, "process.cwd");
  if (fchdir(dirfd) < 0)
    return sbx_fail(err, errno, "process.cwd: chdir `%s`", p->cwd);
  return 0;
}

/* HOME of uid in the container's /etc/passwd, or "/". */
static char *home_of(uid_t uid)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL;

  if (sbx_read_file("/etc/passwd", &text, NULL, NULL) < 0)
    return strdup("/");
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *fields[7] = { 0 };
    char *rest = line;
    for (int i = 0; i < 7 && rest; i++)
      fields[i] = strsep(&rest, ":");
    if (fields[2] && fields[5] && strtoul(fields[2], NULL, 10) == uid && *fields[2])
      return strdup(fields[5]);
  }
  return strdup("/");
}

char **sbx_process_environ(const struct oci_process *p)
{
  size_t n = p->env_len;
  bool has_home = false;
  char **env = calloc(n + 2, sizeof *env);

  if (env == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    env[i] = strdup(p->env[i]);
    has_home |= strncmp(p->env[i], "HOME=", 5) == 0;
  }
  if (!has_home) {
    cleanup_free char *home = home_of(p->user.uid);
    env[n] = sbx_strdup_printf("HOME=%s", home ? home : "/");
  }
  return env;
}

/* close_range's fallback: mark every fd listed in /proc/self/fd.  Only a
 * real procfs that lists the directory's own fd is trusted; anything else
 * (no /proc, a fake one mounted by the container's root) fails closed. */
static int cloexec_listed_fds(unsigned first, struct sbx_error *err)
{
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct statfs fs;
  struct dirent *e;
  bool saw_self = false;
  DIR *d;

  if (dir < 0)
    return sbx_fail(err, errno, "open /proc/self/fd");
  if (fstatfs(dir, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    close(dir);
    return sbx_fail(err, EXDEV, "/proc/self/fd is not on procfs");
  }
  d = fdopendir(dir);
  if (d == NULL) {
    close(dir);
    return sbx_fail(err, errno, "read /proc/self/fd");
  }
  for (;;) {
    long fd;
    errno = 0;
    if ((e = readdir(d)) == NULL)
      break;
    if (!sbx_parse_long(e->d_name, &fd))
      continue;
    saw_self |= fd == dir;
    if (fd >= (long)first && fd != dir && fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 &&
        errno != EBADF)
      break;
  }
  if (errno != 0) {
    sbx_fail(err, errno, "mark the fds of /proc/self/fd close-on-exec");
    closedir(d);
    return -1;
  }
  closedir(d);
  if (!saw_self)
    return sbx_fail(err, EXDEV, "/proc/self/fd does not list this process's fds");
  return 0;
}

int sbx_process_close_fds(int preserve_fds, struct sbx_error *err)
{
  unsigned first = 3 + (unsigned)preserve_fds;

  /* Everything else we hold (sync socket, fifo, host dirs) must not reach
   * the container's process: CVE-2024-21626 leaked a host cwd fd.  The
   * caller runs this before any seccomp filter; close_range can still fail
   * (ENOSYS before Linux 5.11, or a filter the runtime itself runs under),
   * and then /proc/self/fd says which fds there are. */
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    int range_errno = errno;
    if (cloexec_listed_fds(first, err) < 0)
      return sbx_wrap(err, "close_range failed (%s) and its fallback too", strerror(range_errno));
  }
  for (unsigned fd = 3; fd < first; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
      fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  return 0;
}

static bool apparmor_enabled(void)
{
  cleanup_free char *text = NULL;

  return sbx_read_file("/sys/module/apparmor/parameters/enabled", &text, NULL, NULL) == 0 &&
         text[0] == 'Y';
}

static bool selinux_enabled(void)
{
  return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int sbx_process_check_lsm(const struct oci_config *c, struct sbx_error *err)
{
  const struct oci_process *p = c->process;
  const char *mount_label = c->linux_ ? c->linux_->mount_label : NULL;

  if (p && p->apparmor_profile && *p->apparmor_profile && !apparmor_enabled())
    return sbx_invalid(err, "process.apparmorProfile: AppArmor is not enabled on this host");
  if (p && p->selinux_label && *p->selinux_label && !selinux_enabled())
    return sbx_invalid(err, "process.selinuxLabel: SELinux is not enabled on this host");
  if (p && p->selinux_label && *p->selinux_label)
    return sbx_invalid(err, "process.selinuxLabel: SELinux labels are not supported yet");
  if (mount_label && *mount_label)
    return sbx_invalid(err, "linux.mountLabel: SELinux mount labels are not supported yet");
  return 0;
}

int sbx_process_set_exec_label(const struct oci_process *p, struct sbx_error *err)
{
  cleanup_free char *text = NULL;

  if (p->apparmor_profile == NULL || *p->apparmor_profile == '\0')
    return 0;
  text = sbx_strdup_printf("exec %s", p->apparmor_profile);
  if (text == NULL)
    return sbx_fail(err, ENOMEM, "apparmor");
  if (sbx_write_file("/proc/self/attr/apparmor/exec", text, strlen(text), NULL) == 0 ||
      sbx_write_file("/proc/self/attr/exec", text, strlen(text), err) == 0)
    return 0;
  return sbx_wrap(err, "process.apparmorProfile `%s`", p->apparmor_profile);
}
