/* policy_scratch.c: limits.scratch, the policy's tmpfs mounts on the
 * scratch directories (/tmp, /var/tmp, /run, /dev/shm), added to the
 * config's mount list where the policy lets the container write; what wins
 * against the config's own mounts there is documented in docs/policy.md
 * ("Scratch"). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "policy_apply.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fs_resolve.h"
#include "utils.h"

/* Where programs write scratch data; with limits.scratch each of them the
 * policy makes writable gets a tmpfs of that size instead of the image's
 * directory on the host's disk. */
static const struct {
  const char *path;
  const char *mode;
} scratch_dirs[] = {
  { "/tmp", "mode=1777" }, { "/var/tmp", "mode=1777" }, { "/run", "mode=755" },
  { "/dev/shm", "mode=1777" },
};

/* path with "//", "." and ".." folded, no trailing '/' ("/" for the root). */
static char *normalize(const char *path)
{
  size_t len = strlen(path);
  char *out = malloc(len + 2), *o = out;

  if (out == NULL)
    return NULL;
  for (const char *p = path; *p;) {
    size_t n;
    while (*p == '/')
      p++;
    n = strcspn(p, "/");
    if (n == 0 || (n == 1 && p[0] == '.')) {
      p += n;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (o > out && *--o != '/')
        ;
    } else {
      *o++ = '/';
      memcpy(o, p, n);
      o += n;
    }
    p += n;
  }
  if (o == out)
    *o++ = '/';
  *o = '\0';
  return out;
}

/* Is a (normalised) strictly under b? */
static bool strictly_under(const char *a, const char *b)
{
  size_t n = strlen(b);

  if (strcmp(b, "/") == 0)
    return strcmp(a, "/") != 0;
  return strncmp(a, b, n) == 0 && a[n] == '/';
}

/* The bytes a tmpfs size= or nr_blocks= option gives, -1 when unbounded
 * (absent, 0, or not understood). */
static int64_t tmpfs_option_size(const char *opt)
{
  int64_t v;

  if (strncmp(opt, "size=", 5) == 0) {
    const char *s = opt + 5;
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '%') {
      long pct;
      cleanup_free char *num = strndup(s, n - 1);
      long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
      if (num == NULL || !sbx_parse_long(num, &pct) || pct <= 0 || pages <= 0 || page <= 0)
        return -1;
      return (int64_t)pages * page / 100 * pct;
    }
    return sbx_parse_size(s, &v) && v > 0 ? v : -1;
  }
  if (strncmp(opt, "nr_blocks=", 10) == 0)
    return sbx_parse_size(opt + 10, &v) && v > 0 ? v * sysconf(_SC_PAGESIZE) : -1;
  return -1;
}

static bool is_size_option(const char *opt)
{
  return strncmp(opt, "size=", 5) == 0 || strncmp(opt, "nr_blocks=", 10) == 0;
}

/* A tmpfs the config already mounts there: the tighter size holds. */
static int cap_tmpfs(struct oci_mount *m, int64_t limit, struct sbx_error *err)
{
  int64_t size = -1;
  size_t kept = 0;
  char **grown;

  for (size_t i = 0; i < m->options_len; i++)
    if (is_size_option(m->options[i]))
      size = tmpfs_option_size(m->options[i]); /* the last one counts, as for the kernel */
  if (size > 0 && size <= limit)
    return 0;
  for (size_t i = 0; i < m->options_len; i++) {
    if (is_size_option(m->options[i]))
      free(m->options[i]);
    else
      m->options[kept++] = m->options[i];
  }
  m->options_len = kept;
  grown = realloc(m->options, (kept + 2) * sizeof *grown);
  if (grown == NULL)
    return sbx_fail(err, ENOMEM, "limits.scratch");
  m->options = grown;
  grown[kept] = sbx_strdup_printf("size=%" PRId64, limit);
  grown[kept + 1] = NULL;
  if (grown[kept] == NULL)
    return sbx_fail(err, ENOMEM, "limits.scratch");
  m->options_len++;
  return 0;
}

/* Where a new mount on dir goes: right after the last mount of one of its
 * ancestors (a /dev tmpfs for /dev/shm), so every later mount lands on top
 * of it: those under it by name (/run/secrets on /run) and those a hostile
 * image's symlink sends into it (/workspace -> /tmp/ws).  *parent: that
 * ancestor's index, -1 for the rootfs. */
static size_t scratch_position(char *const *dests, size_t n, const char *dir, ssize_t *parent)
{
  size_t pos = 0;

  *parent = -1;
  for (size_t i = 0; i < n; i++)
    if (dests[i] && strictly_under(dir, dests[i])) {
      pos = i + 1;
      *parent = (ssize_t)i;
    }
  return pos;
}

static bool mount_readonly(const struct oci_mount *m)
{
  bool ro = false;

  for (size_t i = 0; i < m->options_len; i++)
    if (strcmp(m->options[i], "ro") == 0)
      ro = true;
    else if (strcmp(m->options[i], "rw") == 0)
      ro = false;
  return ro;
}

static int insert_scratch(struct oci_config *c, size_t pos, const char *dir, const char *mode,
                          int64_t size, struct sbx_error *err)
{
  struct oci_mount *grown = realloc(c->mounts, (c->mounts_len + 1) * sizeof *grown);
  struct oci_mount m = { 0 };

  if (grown == NULL)
    return sbx_fail(err, ENOMEM, "limits.scratch");
  c->mounts = grown;
  m.destination = strdup(dir);
  m.type = strdup("tmpfs");
  m.source = strdup("tmpfs");
  m.options = calloc(5, sizeof *m.options);
  if (m.options) {
    m.options[0] = strdup("nosuid");
    m.options[1] = strdup("nodev");
    m.options[2] = strdup(mode);
    m.options[3] = sbx_strdup_printf("size=%" PRId64, size);
    m.options_len = 4;
  }
  memmove(&grown[pos + 1], &grown[pos], (c->mounts_len - pos) * sizeof *grown);
  grown[pos] = m;
  c->mounts_len++;
  if (!m.destination || !m.type || !m.source || !m.options || !m.options[0] || !m.options[1] ||
      !m.options[2] || !m.options[3])
    return sbx_fail(err, ENOMEM, "limits.scratch");
  return 0;
}

/* The image's root, to look at (O_PATH), or -1. */
static int open_rootfs(const struct oci_config *c, const char *bundle)
{
  cleanup_free char *path = NULL;

  if (c->root == NULL || c->root->path == NULL)
    return -1;
  if (c->root->path[0] == '/')
    path = strdup(c->root->path);
  else
    path = sbx_strdup_printf("%s/%s", bundle ? bundle : ".", c->root->path);
  return path ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

/* Is dir, or a directory on its way, a symlink in the image?  Its tmpfs
 * would land on the link's target (resolved in the root), on top of that
 * target's own; writes through the link reach the target's scratch. */
static bool symlinked_in_image(int rootfd, const char *dir)
{
  struct sbx_error e = { 0 };
  struct stat st;
  bool link;
  int fd;

  if (rootfd < 0)
    return false;
  fd = sbx_open_beneath(rootfd, dir, O_PATH | O_NOFOLLOW, &e);
  link = fd < 0 ? e.errnum == ELOOP : fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
  if (fd >= 0)
    close(fd);
  sbx_error_clear(&e);
  return link;
}

/* limits.scratch: a size-limited tmpfs on each scratch directory the policy
 * lets the container write.  A tmpfs the config already puts there keeps
 * the tighter size; a bind or volume the engine put there (Docker's
 * /dev/shm, -v x:/tmp) is the engine's choice and is kept as it is; a
 * directory the config leaves read-only (root.readonly, a read-only mount
 * above it: docker run --read-only) stays so, without a tmpfs; so does one
 * that is a symlink in the image. */
int sbx_policy_apply_scratch(const struct sbx_policy *p, struct oci_config *c, const char *bundle,
                             struct sbx_error *err)
{
  cleanup_close int rootfd = -1;

  if (p->limits.scratch <= 0)
    return 0;
  rootfd = open_rootfs(c, bundle);
  for (size_t d = 0; d < sizeof scratch_dirs / sizeof scratch_dirs[0]; d++) {
    const char *dir = scratch_dirs[d].path;
    size_t n = c->mounts_len;
    char **dests;
    ssize_t same = -1;
    int r = 0;

    if (sbx_policy_permission(p, dir, NULL) != SBX_PERM_WRITE)
      continue;
    if ((dests = calloc(n + 1, sizeof *dests)) == NULL)
      return sbx_fail(err, ENOMEM, "limits.scratch");
    for (size_t i = 0; i < n; i++) {
      dests[i] = normalize(c->mounts[i].destination);
      if (dests[i] == NULL)
        r = -1;
      else if (strcmp(dests[i], dir) == 0)
        same = (ssize_t)i; /* the last one is on top */
    }
    if (r < 0)
      r = sbx_fail(err, ENOMEM, "limits.scratch");
    else if (same >= 0 && c->mounts[same].type && strcmp(c->mounts[same].type, "tmpfs") == 0)
      r = cap_tmpfs(&c->mounts[same], p->limits.scratch, err);
    else if (same < 0) {
      ssize_t parent;
      size_t pos = scratch_position(dests, n, dir, &parent);
      bool ro = parent >= 0 ? mount_readonly(&c->mounts[parent]) : (c->root && c->root->readonly);
      if (!ro && (parent >= 0 || !symlinked_in_image(rootfd, dir)))
        r = insert_scratch(c, pos, dir, scratch_dirs[d].mode, p->limits.scratch, err);
    }
    for (size_t i = 0; i < n; i++)
      free(dests[i]);
    free(dests);
    if (r < 0)
      return -1;
  }
  return 0;
}
