/* fs_policy_mounts.c: the filesystem policy on the mount tree (see
 * fs_policy_mounts.h).
 *
 * Order matters.  Mounts are walked deepest first (a parent needs its
 * submounts' summaries), hidden ones are detached, then each mount gets its
 * fixups from the top down.  A fixup mounted on a directory covers the
 * submounts below it: they are taken (O_PATH fds on their roots) before and
 * moved back on top after, so the tree ends as the config made it.  Bind
 * sources are cloned from the real directories before anything covers
 * them; overlay layers name them as /proc/self/fd/N, so mountinfo shows no
 * host path beyond what the plain bind already shows. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fs_policy_mounts.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_policy.h"
#include "fs_resolve.h"
#include "utils.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

bool sbx_fs_policy_needed(const struct sbx_policy *p)
{
  return p && !p->passthrough &&
         (p->rules_len > 0 || p->fs_default != SBX_PERM_WRITE || p->exec_restricted);
}

/* Kernel filesystems the rules do not apply to (OCI semantics). */
static bool exempt_fstype(const char *t)
{
  static const char *const types[] = {
    "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs", "debugfs",
    "tracefs", "bpf", "pstore", "configfs", "fusectl", "binfmt_misc", "efivarfs", "hugetlbfs",
    "nsfs", "rpc_pipefs", "selinuxfs",
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0)
      return true;
  return false;
}

struct mnt {
  int id, parent;
  char *path;              /* container path */
  char *named;             /* the config's destination, when the image's
                              symlinks put the mount elsewhere (the rules
                              of that name apply); NULL: path */
  char *host;              /* host path (rootfs + path) */
  bool exempt, covered, skip, detached, is_dir;
  unsigned depth;
  struct sbx_fs_walk walk;
  struct sbx_fs_submount *subs;
};

struct tree {
  struct mnt *m;
  size_t n;
  const char *root;        /* canonical rootfs */
};

static void tree_release(struct tree *t)
{
  for (size_t i = 0; i < t->n; i++) {
    free(t->m[i].path);
    free(t->m[i].named);
    free(t->m[i].host);
    free(t->m[i].subs);
    sbx_fs_walk_release(&t->m[i].walk);
  }
  free(t->m);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
  char *w = s;
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
        s[3] >= '0' && s[3] <= '7') {
      *w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      *w++ = *s;
    }
  }
  *w = '\0';
}

static unsigned path_depth(const char *p)
{
  unsigned d = 0;
  for (; *p; p++)
    d += *p == '/' && p[1];
  return d;
}

/* Is path strictly below dir (both container paths)? */
static bool below(const char *path, const char *dir)
{
  size_t n = strlen(dir);
  if (strcmp(dir, "/") == 0)
    return path[1] != '\0';
  return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int read_tree(struct tree *t, struct sbx_error *err)
{
  cleanup_free char *text = NULL;
  size_t rlen = strlen(t->root);
  char *save = NULL;

  if (sbx_read_file("/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    int id, parent;
    char mp[PATH_MAX], fstype[64];
    const char *sep = strstr(line, " - ");
    struct mnt *m;
    if (sep == NULL || sscanf(line, "%d %d %*s %*s %4095s", &id, &parent, mp) != 3 ||
        sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    unescape_octal(mp);
    if (strncmp(mp, t->root, rlen) != 0 || (mp[rlen] != '\0' && mp[rlen] != '/'))
      continue;
    m = realloc(t->m, (t->n + 1) * sizeof *m);
    if (m == NULL)
      return sbx_fail(err, ENOMEM, "filesystem policy");
    t->m = m;
    m = &t->m[t->n++];
    *m = (struct mnt){ .id = id, .parent = parent, .exempt = exempt_fstype(fstype) };
    m->path = strdup(mp[rlen] ? mp + rlen : "/");
    m->host = strdup(mp);
    if (m->path == NULL || m->host == NULL)
      return sbx_fail(err, ENOMEM, "filesystem policy");
    m->depth = path_depth(m->path);
  }
  return 0;
}

/* Keep the topmost mount per path; drop what lies in exempt mounts. */
static void classify(struct tree *t)
{
  for (size_t i = 0; i < t->n; i++) {
    struct stat st;
    for (size_t j = 0; j < t->n; j++)
      if (t->m[j].parent == t->m[i].id && strcmp(t->m[j].path, t->m[i].path) == 0)
        t->m[i].covered = true;
    if (stat(t->m[i].host, &st) == 0) {
      t->m[i].is_dir = S_ISDIR(st.st_mode);
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        t->m[i].exempt = true;
    }
  }
  for (size_t i = 0; i < t->n; i++)
    for (size_t j = 0; j < t->n; j++)
      if (t->m[j].exempt && !t->m[j].covered && below(t->m[i].path, t->m[j].path))
        t->m[i].skip = true;
  for (size_t i = 0; i < t->n; i++)
    t->m[i].skip |= t->m[i].covered;
}

/* The listed mount that directly holds m (longest proper prefix). */
static struct mnt *enclosing(struct tree *t, const struct mnt *m)
{
  struct mnt *best = NULL;
  for (size_t i = 0; i < t->n; i++) {
    struct mnt *c = &t->m[i];
    if (c->skip || c == m || !below(m->path, c->path))
      continue;
    if (best == NULL || c->depth > best->depth)
      best = c;
  }
  return best;
}

static int cmp_sub(const void *a, const void *b)
{
  return strcmp(((const struct sbx_fs_submount *)a)->path,
                ((const struct sbx_fs_submount *)b)->path);
}

static int collect_subs(struct tree *t, struct mnt *m, struct sbx_error *err)
{
  size_t n = 0;

  m->subs = calloc(t->n + 1, sizeof *m->subs);
  if (m->subs == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  for (size_t i = 0; i < t->n; i++) {
    struct mnt *c = &t->m[i];
    if (c->skip || enclosing(t, c) != m)
      continue;
    m->subs[n++] = (struct sbx_fs_submount){
      .path = c->path, .exempt = c->exempt, .all_read = c->exempt || c->walk.all_read,
      .any_visible = c->exempt || (!c->walk.hidden && c->walk.any_visible),
      .has_view = !c->exempt && c->walk.has_view };
  }
  qsort(m->subs, n, sizeof *m->subs, cmp_sub);
  m->walk.subs = m->subs;
  m->walk.n_subs = n;
  return 0;
}

static bool mount_writable(const struct mnt *m, bool root_readonly)
{
  struct statvfs sv;
  if (statvfs(m->host, &sv) < 0 || (sv.f_flag & ST_RDONLY))
    return false;
  return !(root_readonly && strcmp(m->path, "/") == 0);
}

/* A mount whose root is a file: its path's permission is all there is. */
static void plan_file_mount(struct mnt *m, const struct sbx_fs_matcher *matcher,
                            bool restricted)
{
  bool hidden;
  enum sbx_perm p = sbx_fs_matcher_permission(matcher, m->named ? m->named : m->path, &hidden);

  m->walk.hidden = p == SBX_PERM_NONE;
  m->walk.root_perm = p;
  m->walk.root_ro = !(p == SBX_PERM_WRITE && m->walk.writable);
  m->walk.root_noexec = !m->walk.root_ro && restricted;
  m->walk.all_read = p >= SBX_PERM_READ;
  m->walk.any_visible = p != SBX_PERM_NONE;
  m->walk.has_view = p == SBX_PERM_VIEW;
}

static int cmp_depth_desc(const void *a, const void *b)
{
  const struct mnt *const *x = a, *const *y = b;
  return (int)(*y)->depth - (int)(*x)->depth;
}

static int walk_all(struct tree *t, struct sbx_fs_enforce *e, const struct sbx_fs_matcher *matcher,
                    struct sbx_error *err)
{
  cleanup_free struct mnt **order = calloc(t->n + 1, sizeof *order);
  size_t n = 0;

  if (order == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  for (size_t i = 0; i < t->n; i++)
    if (!t->m[i].skip && !t->m[i].exempt)
      order[n++] = &t->m[i];
  qsort(order, n, sizeof *order, cmp_depth_desc);
  for (size_t i = 0; i < n; i++) {
    struct mnt *m = order[i];
    cleanup_close int fd = -1;
    m->walk.matcher = matcher;
    m->walk.mount_path = m->path;
    m->walk.policy_path = m->named;
    /* what covers an entry is mounted by its host path */
    m->walk.max_path = PATH_MAX - 2 - strlen(t->root);
    m->walk.writable = mount_writable(m, e->root_readonly);
    if (collect_subs(t, m, err) < 0)
      return -1;
    if (!m->is_dir) {
      plan_file_mount(m, matcher, e->policy->exec_restricted);
      continue;
    }
    fd = open(m->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return sbx_fail(err, errno, "filesystem policy: open mount `%s`", m->path);
    m->walk.root_fd = fd;
    if (sbx_fs_walk_mount(&m->walk, err) < 0)
      return sbx_wrap(err, "mount `%s`", m->path);
  }
  return 0;
}

/* A mount is hidden by its own path (a none rule) or by its parent's walk
 * (none by default with nothing visible in it): detach it, with what it
 * holds, before the parent's overlay whites its mount point out. */
static void detach_hidden(struct tree *t)
{
  for (size_t i = 0; i < t->n; i++)
    for (size_t h = 0; h < t->m[i].walk.n_hidden_mounts; h++)
      for (size_t j = 0; j < t->n; j++)
        if (!t->m[j].skip && strcmp(t->m[j].path, t->m[i].walk.hidden_mounts[h]) == 0)
          t->m[j].walk.hidden = true;
  for (size_t i = 0; i < t->n; i++) {
    struct mnt *m = &t->m[i];
    if (m->skip || m->exempt || !m->walk.hidden || m->detached)
      continue;
    umount2(m->host, MNT_DETACH);
    for (size_t j = 0; j < t->n; j++)
      if (j == i || below(t->m[j].path, m->path))
        t->m[j].detached = true;
  }
}

/* ---- mounting the fixups ---- */

struct layers {
  int tmpfs;               /* a private tmpfs holding one whiteout dir per overlay */
  unsigned next;
};

static int setattr(int fd, uint64_t set, uint64_t clr, const char *what, struct sbx_error *err)
{
  struct mount_attr a = { .attr_set = set, .attr_clr = clr };

  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
    return sbx_fail(err, errno, "filesystem policy: set mount attributes of `%s`", what);
  return 0;
}

static int whiteout_dir(struct layers *l, char *const *names, struct sbx_error *err)
{
  char dir[16];
  int fd;

  if (l->tmpfs < 0) {
    int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
        (l->tmpfs = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0)) < 0) {
      int saved = errno;
      if (fs >= 0)
        close(fs);
      return sbx_fail(err, saved, "filesystem policy: a tmpfs for the whiteouts");
    }
    close(fs);
  }
  snprintf(dir, sizeof dir, "%u", l->next++);
  if (mkdirat(l->tmpfs, dir, 0755) < 0)
    return sbx_fail(err, errno, "filesystem policy: whiteout directory");
  fd = openat(l->tmpfs, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail(err, errno, "filesystem policy: whiteout directory");
  for (size_t i = 0; names[i]; i++)
    if (mknodat(fd, names[i], S_IFCHR | 0000, makedev(0, 0)) < 0) {
      int saved = errno;
      close(fd);
      return sbx_fail(err, saved, "filesystem policy: whiteout for `%s`", names[i]);
    }
  return fd;
}

/* A read-only overlay of the real directory src without the hidden names. */
static int make_overlay(struct layers *l, int src, char *const *names, uint64_t attrs,
                        const char *what, struct sbx_error *err)
{
  cleanup_close int white = whiteout_dir(l, names, err);
  cleanup_close int fs = -1;
  char lower[64];
  int mnt;

  if (white < 0)
    return -1;
  snprintf(lower, sizeof lower, "/proc/self/fd/%d:/proc/self/fd/%d", white, src);
  fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "agentsbx", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return sbx_fail(err, errno, "filesystem policy: overlayfs to hide entries of `%s`", what);
  mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, (unsigned)(attrs | MOUNT_ATTR_RDONLY));
  if (mnt < 0)
    return sbx_fail(err, errno, "filesystem policy: overlayfs on `%s`", what);
  return mnt;
}

/* Flags of the mount at fd to carry over to what covers it. */
static uint64_t inherited_attrs(int fd)
{
  struct statvfs sv;
  uint64_t a = 0;

  if (fstatvfs(fd, &sv) < 0)
    return MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (sv.f_flag & ST_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (sv.f_flag & ST_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  return a;
}

static int open_real(int mount_root, const char *rel, struct sbx_error *err)
{
  struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS };
  int fd = (int)syscall(SYS_openat2, mount_root, *rel ? rel : ".", &how, sizeof how);

  if (fd < 0)
    return sbx_fail(err, errno, "filesystem policy: open `%s`", rel);
  return fd;
}

static char *join_host(const struct tree *t, const char *path)
{
  return sbx_strdup_printf("%s%s", t->root, strcmp(path, "/") == 0 ? "" : path);
}

/* Mount mnt on the container path target, keeping the mounts below it. */
static int cover(struct tree *t, int mnt, const char *target, struct sbx_error *err)
{
  cleanup_free char *host = join_host(t, target);
  cleanup_free int *held = calloc(t->n + 1, sizeof *held);
  size_t n = 0;
  int ret = 0;

  if (host == NULL || held == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  for (size_t i = 0; i < t->n; i++) {
    struct mnt *m = &t->m[i];
    struct mnt *in = enclosing(t, m);
    held[i] = -1;
    if (m->skip || m->detached || !below(m->path, target) || (in && below(in->path, target)))
      continue;
    held[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->host, OPEN_TREE_CLOEXEC);
    if (held[i] < 0) {
      ret = sbx_fail(err, errno, "filesystem policy: hold mount `%s`", m->path);
      break;
    }
    n++;
  }
  if (ret == 0 && syscall(SYS_move_mount, mnt, "", AT_FDCWD, host, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    ret = sbx_fail(err, errno, "filesystem policy: mount on `%s`", target);
  for (size_t i = 0; i < t->n; i++) {
    if (held[i] < 0)
      continue;
    if (ret == 0 && syscall(SYS_move_mount, held[i], "", AT_FDCWD, t->m[i].host,
                            MOVE_MOUNT_F_EMPTY_PATH) < 0)
      ret = sbx_fail(err, errno, "filesystem policy: put mount `%s` back", t->m[i].path);
    close(held[i]);
  }
  return ret;
}

static int apply_mount(struct tree *t, struct mnt *m, struct layers *l, bool restricted,
                       struct sbx_error *err)
{
  struct sbx_fs_walk *w = &m->walk;
  cleanup_close int root = open(m->host, O_PATH | O_CLOEXEC);
  cleanup_free int *src = calloc(w->n_fixups + 1, sizeof *src);
  uint64_t attrs;
  int ret = -1;

  if (root < 0 || src == NULL)
    return sbx_fail(err, root < 0 ? errno : ENOMEM, "filesystem policy: open mount `%s`", m->path);
  attrs = inherited_attrs(root);
  for (size_t i = 0; i < w->n_fixups; i++)
    src[i] = -1;
  /* Sources first: the real entries, before anything covers them. */
  for (size_t i = 0; i < w->n_fixups; i++) {
    const struct sbx_fs_fixup *f = &w->fixups[i];
    cleanup_close int real = open_real(root, f->rel, err);
    if (real < 0)
      goto out;
    if (f->kind == SBX_FIXUP_OVERLAY) {
      src[i] = real;
      real = -1;
      continue;
    }
    src[i] = (int)syscall(SYS_open_tree, real, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                          AT_EMPTY_PATH);
    if (src[i] < 0) {
      sbx_fail(err, errno, "filesystem policy: clone `%s`", f->rel);
      goto out;
    }
    if (setattr(src[i], f->kind == SBX_FIXUP_BIND_RO ? MOUNT_ATTR_RDONLY
                        : (restricted ? MOUNT_ATTR_NOEXEC : 0), 0, f->rel, err) < 0)
      goto out;
  }
  if ((w->root_ro || w->root_noexec) &&
      setattr(root, w->root_ro ? MOUNT_ATTR_RDONLY : MOUNT_ATTR_NOEXEC, 0, m->path, err) < 0)
    goto out;
  /* Parents before children: each covers what lies below it. */
  for (unsigned depth = 0, left = (unsigned)w->n_fixups; left > 0; depth++)
    for (size_t i = 0; i < w->n_fixups; i++) {
      const struct sbx_fs_fixup *f = &w->fixups[i];
      cleanup_free char *target = NULL;
      cleanup_close int mnt = -1;
      if (f->depth != depth)
        continue;
      left--;
      target = *f->rel ? sbx_strdup_printf("%s%s%s", strcmp(m->path, "/") ? m->path : "", "/",
                                           f->rel)
                       : strdup(m->path);
      if (target == NULL) {
        sbx_fail(err, ENOMEM, "filesystem policy");
        goto out;
      }
      if (f->kind == SBX_FIXUP_OVERLAY)
        mnt = make_overlay(l, src[i], f->whiteouts, attrs, target, err);
      else
        mnt = src[i], src[i] = -1;
      if (mnt < 0 || cover(t, mnt, target, err) < 0)
        goto out;
    }
  ret = 0;
out:
  for (size_t i = 0; i < w->n_fixups; i++)
    if (src[i] >= 0)
      close(src[i]);
  return ret;
}

static int cmp_depth_asc(const void *a, const void *b)
{
  return -cmp_depth_desc(a, b);
}

static int apply_all(struct tree *t, bool restricted, struct sbx_error *err)
{
  cleanup_free struct mnt **order = calloc(t->n + 1, sizeof *order);
  struct layers l = { .tmpfs = -1 };
  size_t n = 0;
  int ret = 0;

  if (order == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  for (size_t i = 0; i < t->n; i++)
    if (!t->m[i].skip && !t->m[i].exempt && !t->m[i].detached)
      order[n++] = &t->m[i];
  qsort(order, n, sizeof *order, cmp_depth_asc);
  for (size_t i = 0; ret == 0 && i < n; i++)
    ret = apply_mount(t, order[i], &l, restricted, err);
  if (l.tmpfs >= 0)
    close(l.tmpfs);
  return ret;
}

/* ---- the exec allowlist: the files, their loaders and interpreters ---- */

/* The container path of an fd opened under the rootfs. */
static char *container_path(const struct tree *t, int fd)
{
  char link[32], buf[PATH_MAX];
  size_t rlen = strlen(t->root);
  ssize_t n = readlink(sbx_fd_path(fd, link), buf, sizeof buf - 1);

  if (n < 0)
    return NULL;
  buf[n] = '\0';
  if (strncmp(buf, t->root, rlen) != 0 || (buf[rlen] != '/' && buf[rlen] != '\0'))
    return NULL;
  return strdup(buf[rlen] ? buf + rlen : "/");
}

/* A config mount's destination that resolves elsewhere through the
 * image's symlinks (/workspace -> /tmp/ws: the mount went to /tmp/ws, as
 * in runc) keeps the rules of the path the config names, never those of
 * where it landed.  Destinations in config order: the last mount on a
 * path is the one on top. */
static int name_moved_mounts(struct tree *t, int rootfd, char *const *dests, size_t n,
                             struct sbx_error *err)
{
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *named = sbx_path_normalize(dests[i]), *real = NULL;
    cleanup_close int fd = sbx_open_in_root(rootfd, dests[i], O_PATH, NULL);
    if (named == NULL)
      return sbx_fail(err, ENOMEM, "filesystem policy");
    if (fd < 0 || (real = container_path(t, fd)) == NULL)
      continue;  /* gone since (a hook): no mount of it to name */
    for (size_t j = 0; j < t->n; j++) {
      struct mnt *m = &t->m[j];
      if (m->skip || strcmp(m->path, real) != 0)
        continue;
      free(m->named);
      m->named = NULL;
      if (strcmp(real, named) != 0 && (m->named = strdup(named)) == NULL)
        return sbx_fail(err, ENOMEM, "filesystem policy");
    }
  }
  return 0;
}

/* The program that runs path: its ELF PT_INTERP or its #! interpreter
 * (NULL: none, a static binary or not a program). */
static char *interpreter_of(int fd)
{
  unsigned char head[512];
  ssize_t n = pread(fd, head, sizeof head, 0);

  if (n > 2 && head[0] == '#' && head[1] == '!') {
    size_t i = 2, j;
    while (i < (size_t)n && (head[i] == ' ' || head[i] == '\t'))
      i++;
    for (j = i; j < (size_t)n && head[j] != ' ' && head[j] != '\t' && head[j] != '\n'; j++)
      ;
    return j > i && head[i] == '/' ? strndup((const char *)head + i, j - i) : NULL;
  }
  if (n >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(head, ELFMAG, SELFMAG) == 0 &&
      head[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    memcpy(&eh, head, sizeof eh);
    for (unsigned i = 0; i < eh.e_phnum && i < 64; i++) {
      Elf64_Phdr ph;
      char path[PATH_MAX];
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
          (ssize_t)sizeof ph)
        return NULL;
      if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz >= sizeof path)
        continue;
      if (pread(fd, path, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
        return NULL;
      path[ph.p_filesz] = '\0';
      return path[0] == '/' ? strdup(path) : NULL;
    }
  }
  return NULL;
}

struct seen {
  dev_t *dev;
  ino_t *ino;
  size_t n;
};

static bool seen_add(struct seen *s, const struct stat *st)
{
  dev_t *d;
  ino_t *i;

  for (size_t k = 0; k < s->n; k++)
    if (s->dev[k] == st->st_dev && s->ino[k] == st->st_ino)
      return false;
  d = realloc(s->dev, (s->n + 1) * sizeof *d);
  if (d)
    s->dev = d;
  i = realloc(s->ino, (s->n + 1) * sizeof *i);
  if (i)
    s->ino = i;
  if (d == NULL || i == NULL)
    return false;
  s->dev[s->n] = st->st_dev;
  s->ino[s->n++] = st->st_ino;
  return true;
}

/* Grant EXECUTE on what path resolves to, and on what it needs to run
 * (depth: how many interpreters deep). */
static int allow_exec(const struct tree *t, int rootfd, const char *path, struct seen *seen,
                      struct sbx_landlock_plan *plan, int depth, struct sbx_error *err)
{
  cleanup_close int fd = sbx_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK, NULL);
  cleanup_free char *canon = NULL, *interp = NULL;
  struct stat st;

  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !seen_add(seen, &st))
    return 0;  /* a dangling link, not a file, or done already */
  canon = container_path(t, fd);
  if (canon == NULL)
    return 0;
  if (sbx_landlock_plan_add(plan, canon, SBX_LL_EXECUTE, err) < 0)
    return -1;
  interp = depth < 2 ? interpreter_of(fd) : NULL;
  if (interp && allow_exec(t, rootfd, interp, seen, plan, depth + 1, err) < 0)
    return -1;
  return 0;
}

/* ---- putting it together ---- */

int sbx_fs_landlock_handled(const struct sbx_policy *p, int abi, uint64_t *handled,
                            struct sbx_error *err)
{
  *handled = 0;
  if (abi < 1 && !p->fs_best_effort)
    return sbx_fail(err, EOPNOTSUPP, "filesystem policy: the kernel has no Landlock (needed to "
                                     "enforce view, the exec allowlist and to lock the mounts; "
                                     "\"enforcement\": \"best-effort\" does without)");
  if (abi < 3 && !p->fs_best_effort)
    return sbx_fail(err, EOPNOTSUPP, "filesystem policy: the kernel's Landlock (ABI %d) cannot "
                                     "handle %s (ABI %d), needed to keep what is not `write` "
                                     "unwritable behind a mount; \"enforcement\": "
                                     "\"best-effort\" does without", abi,
                    abi < 2 ? "renames and links across directories (REFER)"
                            : "truncation (TRUNCATE)", abi < 2 ? 2 : 3);
  if (abi >= 1)
    *handled = SBX_LL_READ_FILE | sbx_landlock_write_rights(abi) |
               (p->exec_restricted ? SBX_LL_EXECUTE : 0);
  return 0;
}

static int build_plan(struct tree *t, struct sbx_fs_enforce *e, int rootfd,
                      struct sbx_error *err)
{
  struct seen seen = { 0 };
  int ret = 0;

  for (size_t i = 0; ret == 0 && i < t->n; i++) {
    struct mnt *m = &t->m[i];
    if (m->skip || m->detached || m->walk.hidden)
      continue;
    /* The rootfs holds everything: readable throughout, one grant. */
    if (strcmp(m->path, "/") == 0 && (m->exempt || m->walk.all_read))
      ret = sbx_landlock_plan_add(&e->plan, "/", SBX_LL_READ_FILE, err);
    for (size_t g = 0; ret == 0 && g < m->walk.grants.len; g++) {
      const struct sbx_landlock_grant *gr = &m->walk.grants.grants[g];
      uint64_t access = gr->access & e->plan.handled;
      if (access)
        ret = sbx_landlock_plan_add(&e->plan, gr->path, access, err);
    }
    for (size_t x = 0; ret == 0 && x < m->walk.n_exec_files; x++)
      ret = allow_exec(t, rootfd, m->walk.exec_files[x], &seen, &e->plan, 0, err);
  }
  free(seen.dev);
  free(seen.ino);
  return ret;
}

/* memfd exec: Landlock grants EXECUTE on no memfd already; in a pid
 * namespace of the container's own, vm.memfd_noexec=2 also refuses
 * MFD_EXEC and seals every memfd non-executable.  (It cannot be set from a
 * user namespace; without Landlock it is the only defence, so it must
 * hold.) */
static int memfd_noexec(bool own_pidns, bool landlock, struct sbx_error *err)
{
  struct sbx_error werr = { 0 };

  if (own_pidns && sbx_write_file("/proc/sys/vm/memfd_noexec", "2", 1, &werr) == 0)
    return 0;
  if (landlock) {
    sbx_error_clear(&werr);
    return 0;
  }
  if (!own_pidns)
    return sbx_invalid(err, "exec.allow: without Landlock, memfd exec can only be stopped in a "
                            "pid namespace of the container's own (vm.memfd_noexec)");
  sbx_fail(err, werr.errnum, "exec.allow: stop memfd exec (vm.memfd_noexec): %s", werr.msg);
  sbx_error_clear(&werr);
  return -1;
}

int sbx_fs_policy_enforce(struct sbx_fs_enforce *e, struct sbx_error *err)
{
  struct tree t = { 0 };
  struct sbx_fs_matcher *matcher = NULL;
  cleanup_free char *root = NULL;
  cleanup_close int rootfd = -1;
  int abi = sbx_landlock_abi(), ret = -1;

  e->ruleset = -1;
  if (!sbx_fs_policy_needed(e->policy))
    return 0;
  if (sbx_fs_landlock_handled(e->policy, abi, &e->plan.handled, err) < 0)
    return -1;
  root = realpath(e->rootfs, NULL);
  if (root == NULL)
    return sbx_fail(err, errno, "filesystem policy: rootfs `%s`", e->rootfs);
  t.root = root;
  rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return sbx_fail(err, errno, "filesystem policy: rootfs `%s`", root);
  if (sbx_fs_matcher_new(e->policy, &matcher, err) < 0 || read_tree(&t, err) < 0)
    goto out;
  if (abi < 1)
    sbx_fs_matcher_view_as_none(matcher);
  classify(&t);
  if (name_moved_mounts(&t, rootfd, e->destinations, e->n_destinations, err) < 0 ||
      walk_all(&t, e, matcher, err) < 0)
    goto out;
  detach_hidden(&t);
  if (apply_all(&t, e->policy->exec_restricted, err) < 0)
    goto out;
  /* the rootfs fd now names the covered root when an overlay went on it */
  close(rootfd);
  rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    sbx_fail(err, errno, "filesystem policy: rootfs `%s`", root);
    goto out;
  }
  if (abi >= 1) {
    if (build_plan(&t, e, rootfd, err) < 0)
      goto out;
    e->ruleset = sbx_landlock_ruleset(&e->plan, rootfd, true, err);
    if (e->ruleset < 0)
      goto out;
  }
  if (e->policy->exec_restricted && memfd_noexec(e->own_pidns, abi >= 1, err) < 0)
    goto out;
  ret = 0;
out:
  sbx_fs_matcher_free(matcher);
  tree_release(&t);
  return ret;
}
