/* landlock.c: Landlock rulesets from grant lists (see landlock.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_resolve.h"
#include "utils.h"

/* The syscalls and structures, defined here: Debian's headers predate the
 * ABI this uses. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
};

struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

/* The rights a rule on a file (not a directory) may carry. */
#define LL_FILE_RIGHTS (SBX_LL_EXECUTE | SBX_LL_WRITE_FILE | SBX_LL_READ_FILE | SBX_LL_TRUNCATE | \
                        (1ULL << 15))

int sbx_landlock_abi(void)
{
  long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : (int)v;
}

uint64_t sbx_landlock_write_rights(int abi)
{
  return abi < 1 ? 0 : SBX_LL_WRITE_ABI1 | (abi >= 2 ? SBX_LL_REFER : 0) |
                       (abi >= 3 ? SBX_LL_TRUNCATE : 0);
}

void sbx_landlock_plan_release(struct sbx_landlock_plan *p)
{
  for (size_t i = 0; i < p->len; i++)
    free(p->grants[i].path);
  free(p->grants);
  memset(p, 0, sizeof *p);
}

static struct sbx_landlock_grant *plan_push(struct sbx_landlock_plan *p, char *path,
                                            uint64_t access)
{
  if (p->len == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 32;
    struct sbx_landlock_grant *g = realloc(p->grants, cap * sizeof *g);
    if (g == NULL)
      return NULL;
    p->grants = g;
    p->cap = cap;
  }
  p->grants[p->len] = (struct sbx_landlock_grant){ .path = path, .access = access };
  return &p->grants[p->len++];
}

int sbx_landlock_plan_add(struct sbx_landlock_plan *p, const char *path, uint64_t access,
                          struct sbx_error *err)
{
  char *copy = strdup(path);

  if (copy == NULL || plan_push(p, copy, access) == NULL) {
    free(copy);
    return sbx_fail(err, ENOMEM, "landlock grant `%s`", path);
  }
  return 0;
}

char *sbx_landlock_plan_format(const struct sbx_landlock_plan *p)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);

  if (f == NULL)
    return NULL;
  fprintf(f, "handled %" PRIx64 "\n", p->handled);
  for (size_t i = 0; i < p->len; i++) {
    const struct sbx_landlock_grant *g = &p->grants[i];
    fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " ", g->access, (uint64_t)g->dev,
            (uint64_t)g->ino);
    for (const char *c = g->path; *c; c++) {
      if (*c == '\\' || *c == '\n')
        fputc('\\', f);
      fputc(*c == '\n' ? 'n' : *c, f);
    }
    fputc('\n', f);
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

static char *unescape(const char *s, size_t len)
{
  char *out = malloc(len + 1), *w = out;

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' && i + 1 < len) {
      i++;
      *w++ = s[i] == 'n' ? '\n' : s[i];
    } else {
      *w++ = s[i];
    }
  }
  *w = '\0';
  return out;
}

int sbx_landlock_plan_parse(const char *text, struct sbx_landlock_plan *p, struct sbx_error *err)
{
  const char *line = text, *end;
  size_t n = 0;
  int used = 0;

  memset(p, 0, sizeof *p);
  if (sscanf(line, "handled %" SCNx64 "%n", &p->handled, &used) != 1 || line[used] != '\n')
    return sbx_fail(err, EINVAL, "landlock plan: bad header");
  for (line += used + 1; *line; line = end + 1, n++) {
    uint64_t access, dev, ino;
    struct sbx_landlock_grant *g;
    char *path;
    end = strchr(line, '\n');
    if (end == NULL ||
        sscanf(line, "%" SCNx64 " %" SCNu64 " %" SCNu64 " %n", &access, &dev, &ino, &used) != 3 ||
        line[used] != '/')
      goto bad;
    path = unescape(line + used, (size_t)(end - line - used));
    if (path == NULL || (g = plan_push(p, path, access)) == NULL) {
      free(path);
      sbx_landlock_plan_release(p);
      return sbx_fail(err, ENOMEM, "landlock plan");
    }
    g->dev = (dev_t)dev;
    g->ino = (ino_t)ino;
  }
  return 0;
bad:
  sbx_landlock_plan_release(p);
  return sbx_fail(err, EINVAL, "landlock plan: bad grant on line %zu", n + 2);
}

static int add_grant(int ruleset, int root_dir, struct sbx_landlock_grant *g, bool record,
                     struct sbx_error *err)
{
  cleanup_close int fd = sbx_open_beneath(root_dir, g->path, O_PATH, record ? err : NULL);
  struct ll_path_beneath_attr attr;
  struct stat st;

  /* At exec, a grant whose path is gone or now names another inode (the
   * host replaced a file) is dropped: never a grant on something else. */
  if (fd < 0)
    return record ? sbx_wrap(err, "filesystem policy: open `%s`", g->path) : 0;
  if (fstat(fd, &st) < 0)
    return sbx_fail(err, errno, "filesystem policy: stat `%s`", g->path);
  if (record) {
    g->dev = st.st_dev;
    g->ino = st.st_ino;
  } else if (g->dev != st.st_dev || g->ino != st.st_ino) {
    return 0;
  }
  attr.allowed_access = S_ISDIR(st.st_mode) ? g->access : g->access & LL_FILE_RIGHTS;
  attr.parent_fd = fd;
  if (attr.allowed_access == 0)
    return 0;
  if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
    return sbx_fail(err, errno, "landlock: add a rule for `%s`", g->path);
  return 0;
}

int sbx_landlock_ruleset(struct sbx_landlock_plan *p, int root_dir, bool record,
                         struct sbx_error *err)
{
  struct ll_ruleset_attr attr = { .handled_access_fs = p->handled };
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);

  if (ruleset < 0)
    return sbx_fail(err, errno, "landlock: create a ruleset (the filesystem policy needs Landlock)");
  for (size_t i = 0; i < p->len; i++)
    if (add_grant(ruleset, root_dir, &p->grants[i], record, err) < 0) {
      close(ruleset);
      return -1;
    }
  return ruleset;
}

int sbx_landlock_grant_more(struct sbx_landlock_plan *p, int ruleset, int root_dir,
                            const char *path, uint64_t access, struct sbx_error *err)
{
  if ((access & p->handled) == 0)
    return 0;
  if (sbx_landlock_plan_add(p, path, access & p->handled, err) < 0)
    return -1;
  if (add_grant(ruleset, root_dir, &p->grants[p->len - 1], true, err) < 0) {
    free(p->grants[--p->len].path);
    return -1;
  }
  return 0;
}

int sbx_landlock_restrict(int ruleset, struct sbx_error *err)
{
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
    return sbx_fail(err, errno, "landlock: restrict the container process");
  return 0;
}
