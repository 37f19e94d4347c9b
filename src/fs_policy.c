/* fs_policy.c: the walk of one mount and its plan (see fs_policy.h).
 *
 * Globs are run as small NFAs over path segments: a rule's state is the set
 * of pattern positions reachable after the segments seen so far (a bit
 * each), so a child's state is computed from its parent's with one segment
 * match per live position.  A rule matches a path exactly when its last
 * position is reached; it then applies to the whole subtree.  The best
 * applicable rule is kept per level the way sbx_policy_decide picks it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fs_policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy_internal.h"
#include "utils.h"

#define MAX_SEGS 63
#define MAX_DEPTH 1024

struct nfa {
  const struct sbx_glob *g;
  uint64_t init;       /* positions reachable before any segment */
  uint64_t star2;      /* positions holding ** */
  uint64_t accept;     /* the position past the last segment */
};

struct sbx_fs_matcher {
  const struct sbx_policy *p;
  bool view_as_none;           /* no Landlock to stop reads: hide instead */
  size_t n_rules, n_exec;
  struct nfa *nfa;             /* rules, then exec globs */
  struct sbx_glob *exec_globs;
};

static uint64_t closure(const struct nfa *n, uint64_t s)
{
  for (size_t i = 0; i < n->g->n_segs; i++)
    if ((s >> i & 1) && (n->star2 >> i & 1))
      s |= 1ULL << (i + 1);
  return s;
}

static uint64_t advance(const struct nfa *n, uint64_t s, const char *name)
{
  uint64_t t = 0;

  for (size_t i = 0; s >> i && i < n->g->n_segs; i++) {
    if (!(s >> i & 1))
      continue;
    if (n->star2 >> i & 1)
      t |= 1ULL << i;
    else if (sbx_glob_match_segment(n->g->segs[i], name))
      t |= 1ULL << (i + 1);
  }
  return closure(n, t);
}

static bool nfa_init(struct nfa *n, const struct sbx_glob *g)
{
  if (g->n_segs > MAX_SEGS)
    return false;
  n->g = g;
  n->star2 = 0;
  for (size_t i = 0; i < g->n_segs; i++)
    if (strcmp(g->segs[i], "**") == 0)
      n->star2 |= 1ULL << i;
  n->accept = 1ULL << g->n_segs;
  n->init = closure(n, 1);
  return true;
}

void sbx_fs_matcher_free(struct sbx_fs_matcher *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n_exec; i++)
    sbx_glob_free(&m->exec_globs[i]);
  free(m->exec_globs);
  free(m->nfa);
  free(m);
}

int sbx_fs_matcher_new(const struct sbx_policy *p, struct sbx_fs_matcher **out,
                       struct sbx_error *err)
{
  struct sbx_fs_matcher *m = calloc(1, sizeof *m);
  size_t n_exec = p->exec_restricted ? p->exec_allow_len : 0;

  if (m == NULL || (m->nfa = calloc(p->rules_len + n_exec + 1, sizeof *m->nfa)) == NULL ||
      (m->exec_globs = calloc(n_exec + 1, sizeof *m->exec_globs)) == NULL) {
    sbx_fs_matcher_free(m);
    return sbx_fail(err, ENOMEM, "filesystem policy");
  }
  m->p = p;
  for (; m->n_rules < p->rules_len; m->n_rules++)
    if (!nfa_init(&m->nfa[m->n_rules], &p->rules[m->n_rules].glob)) {
      const char *pattern = p->rules[m->n_rules].pattern;
      sbx_fs_matcher_free(m);
      return sbx_invalid(err, "filesystem.rules: `%s` has more than %d segments", pattern,
                         MAX_SEGS);
    }
  for (; m->n_exec < n_exec; m->n_exec++) {
    const char *why = NULL, *pattern = p->exec_allow[m->n_exec];
    struct sbx_glob *g = &m->exec_globs[m->n_exec];
    if (!sbx_glob_compile(pattern, g, &why) || !nfa_init(&m->nfa[m->n_rules + m->n_exec], g)) {
      sbx_glob_free(g);
      sbx_fs_matcher_free(m);
      return sbx_invalid(err, "exec.allow: `%s`: %s", pattern, why ? why : "too many segments");
    }
  }
  *out = m;
  return 0;
}

/* ---- one level of the walk: every glob's state and the best rule ---- */

static size_t n_states(const struct sbx_fs_matcher *m)
{
  return m->n_rules + m->n_exec;
}

/* The rule that wins between a and b (-1: none), as sbx_policy_decide. */
static int better(const struct sbx_policy *p, int a, int b)
{
  int c;

  if (a < 0 || b < 0)
    return a < 0 ? b : a;
  c = sbx_policy_rule_cmp(&p->rules[a], &p->rules[b]);
  if (c != 0)
    return c > 0 ? a : b;
  return a < b ? a : b;
}

static void level_root(const struct sbx_fs_matcher *m, uint64_t *st, int *best)
{
  *best = -1;
  for (size_t i = 0; i < n_states(m); i++) {
    st[i] = m->nfa[i].init;
    if (i < m->n_rules && (st[i] & m->nfa[i].accept))
      *best = better(m->p, *best, (int)i);
  }
}

static void level_child(const struct sbx_fs_matcher *m, const uint64_t *parent, int parent_best,
                        const char *name, uint64_t *st, int *best)
{
  *best = parent_best;
  for (size_t i = 0; i < n_states(m); i++) {
    st[i] = parent[i] ? advance(&m->nfa[i], parent[i], name) : 0;
    if (i < m->n_rules && (st[i] & m->nfa[i].accept))
      *best = better(m->p, *best, (int)i);
  }
}

static enum sbx_perm perm_of(const struct sbx_fs_matcher *m, int best)
{
  enum sbx_perm p = best >= 0 ? m->p->rules[best].permission : m->p->fs_default;
  return p == SBX_PERM_VIEW && m->view_as_none ? SBX_PERM_NONE : p;
}

void sbx_fs_matcher_view_as_none(struct sbx_fs_matcher *m)
{
  m->view_as_none = true;
}

static bool exec_match(const struct sbx_fs_matcher *m, const uint64_t *st)
{
  for (size_t i = m->n_rules; i < n_states(m); i++)
    if (st[i] & m->nfa[i].accept)
      return true;
  return false;
}

/* Walk the segments of an absolute path from the root.  *hidden: a proper
 * ancestor (not the root) is none by a rule. */
static bool path_state(const struct sbx_fs_matcher *m, const char *path, uint64_t *st, int *best,
                       bool *hidden, enum sbx_perm *parent_perm)
{
  cleanup_free char *copy = strdup(path);
  cleanup_free uint64_t *tmp = calloc(n_states(m) + 1, sizeof *tmp);
  char *save = NULL;
  bool root = true;

  if (copy == NULL || tmp == NULL)
    return false;
  *hidden = false;
  level_root(m, st, best);
  *parent_perm = perm_of(m, *best);
  for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
    if (!root && *best >= 0 && m->p->rules[*best].permission == SBX_PERM_NONE)
      *hidden = true;
    *parent_perm = perm_of(m, *best);
    memcpy(tmp, st, n_states(m) * sizeof *st);
    level_child(m, tmp, *best, s, st, best);
    root = false;
  }
  return true;
}

enum sbx_perm sbx_fs_matcher_permission(const struct sbx_fs_matcher *m, const char *path,
                                        bool *hidden)
{
  cleanup_free uint64_t *st = calloc(n_states(m) + 1, sizeof *st);
  enum sbx_perm parent;
  int best;

  if (st == NULL || !path_state(m, path, st, &best, hidden, &parent))
    return SBX_PERM_NONE;  /* fail closed */
  return *hidden ? SBX_PERM_NONE : perm_of(m, best);
}

/* ---- the walk ---- */

struct walker {
  struct sbx_fs_walk *w;
  const struct sbx_fs_matcher *m;
  size_t ns;
  uint64_t *states;        /* (depth + 1) * ns */
  size_t depth_cap;
  char *path;              /* the container path being visited */
  size_t len, cap;
  size_t rel;              /* where the mount-relative part starts */
  size_t max_len;          /* the longest path an entry may have */
  struct sbx_error *err;
};

struct summary {
  bool all_read, any_visible, has_view;
  bool own_state;          /* an overlay or a fixed bind of its own */
};

/* What a directory remembers of each entry until its own decisions. */
struct child {
  const char *name;
  enum sbx_perm perm;
  bool visible, is_dir, own_state, view_below, all_read;
  bool bindable;           /* a plain directory or file of this mount */
  bool kernel;             /* a kernel filesystem or a device node: no rules */
};

static bool path_push(struct walker *k, const char *name, size_t *saved)
{
  size_t n = strlen(name);

  *saved = k->len;
  if (k->len + n + 2 > k->cap) {
    size_t cap = (k->len + n + 2) * 2;
    char *p = realloc(k->path, cap);
    if (p == NULL)
      return false;
    k->path = p;
    k->cap = cap;
  }
  if (k->len > 1 || k->path[0] != '/')
    k->path[k->len++] = '/';
  memcpy(k->path + k->len, name, n + 1);
  k->len += n;
  return true;
}

static void path_pop(struct walker *k, size_t saved)
{
  k->len = saved;
  k->path[saved] = '\0';
}

static const char *rel_path(const struct walker *k)
{
  return k->len > k->rel ? k->path + k->rel : "";
}

static unsigned rel_depth(const char *rel)
{
  unsigned d = *rel ? 1 : 0;
  for (; *rel; rel++)
    d += *rel == '/';
  return d;
}

static uint64_t *states_at(struct walker *k, size_t depth)
{
  if (depth >= k->depth_cap) {
    size_t cap = k->depth_cap ? k->depth_cap * 2 : 32;
    uint64_t *s = realloc(k->states, cap * (k->ns + 1) * sizeof *s);
    if (s == NULL)
      return NULL;
    k->states = s;
    k->depth_cap = cap;
  }
  return k->states + depth * (k->ns + 1);
}

static const struct sbx_fs_submount *submount_at(const struct sbx_fs_walk *w, const char *path)
{
  size_t lo = 0, hi = w->n_subs;

  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(path, w->subs[mid].path);
    if (c == 0)
      return &w->subs[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

static int push_str(char ***v, size_t *n, const char *s, struct sbx_error *err)
{
  char **grown = realloc(*v, (*n + 2) * sizeof **v);

  if (grown == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  *v = grown;
  if ((grown[*n] = strdup(s)) == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  grown[++*n] = NULL;
  return 0;
}

static int add_fixup(struct walker *k, enum sbx_fs_fixup_kind kind, const char *rel,
                     char **whiteouts)
{
  struct sbx_fs_walk *w = k->w;
  struct sbx_fs_fixup *f = realloc(w->fixups, (w->n_fixups + 1) * sizeof *f);

  if (f == NULL)
    return sbx_fail(k->err, ENOMEM, "filesystem policy");
  w->fixups = f;
  f = &w->fixups[w->n_fixups];
  *f = (struct sbx_fs_fixup){ .kind = kind, .rel = strdup(rel), .depth = rel_depth(rel),
                              .whiteouts = whiteouts };
  if (f->rel == NULL)
    return sbx_fail(k->err, ENOMEM, "filesystem policy");
  w->n_fixups++;
  return 0;
}

/* Every entry of a directory, as one buffer of dirents. */
static int read_entries(int fd, char **buf, size_t *len, struct sbx_error *err)
{
  size_t cap = 32768;

  *len = 0;
  *buf = malloc(cap);
  for (;;) {
    long n;
    if (*buf == NULL)
      return sbx_fail(err, ENOMEM, "filesystem policy");
    if (cap - *len < 8192) {
      char *g = realloc(*buf, cap * 2);
      if (g == NULL) {
        free(*buf);
        *buf = NULL;
        continue;
      }
      *buf = g;
      cap *= 2;
    }
    n = syscall(SYS_getdents64, fd, *buf + *len, cap - *len);
    if (n < 0)
      return sbx_fail(err, errno, "read directory");
    if (n == 0)
      return 0;
    *len += (size_t)n;
  }
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static unsigned char entry_type(int dirfd, const struct linux_dirent64 *d)
{
  struct stat st;

  if (d->d_type != DT_UNKNOWN)
    return d->d_type;
  if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return DT_UNKNOWN;
  return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK
         : S_ISCHR(st.st_mode) ? DT_CHR : S_ISBLK(st.st_mode) ? DT_BLK : DT_FIFO;
}

static int walk_dir(struct walker *k, int dirfd, size_t depth, int best, enum sbx_perm perm,
                    bool is_root, struct summary *out);

/* Decide one entry of a directory; recurse into directories. */
static int visit(struct walker *k, int dirfd, size_t depth, int parent_best,
                 const struct linux_dirent64 *d, struct child *c)
{
  struct sbx_fs_walk *w = k->w;
  const struct sbx_fs_submount *sub;
  uint64_t *parent = states_at(k, depth), *st = states_at(k, depth + 1);
  unsigned char type = entry_type(dirfd, d);
  bool by_rule;
  int best;

  if (parent == NULL || st == NULL)
    return sbx_fail(k->err, ENOMEM, "filesystem policy");
  parent = states_at(k, depth);  /* states_at may have moved them */
  level_child(k->m, parent, parent_best, d->d_name, st, &best);
  *c = (struct child){ .name = d->d_name, .perm = perm_of(k->m, best), .is_dir = type == DT_DIR };
  by_rule = best >= 0 && c->perm == SBX_PERM_NONE;
  sub = submount_at(w, k->path);
  /* Deeper than the walk goes, or a path too long for the mounts and
   * rules that would carry its permission (a chain an agent left behind):
   * cut off, with everything under it (fail closed; never fail create). */
  if (!sub && (depth + 1 > MAX_DEPTH || k->len > k->max_len))
    return 0;
  /* Kernel filesystems and device nodes keep OCI semantics. */
  if ((sub && sub->exempt) || type == DT_CHR || type == DT_BLK) {
    *c = (struct child){ .name = d->d_name, .perm = SBX_PERM_READ, .visible = true,
                         .own_state = true, .all_read = true, .kernel = true };
    return 0;
  }
  if (sub) {
    c->visible = !by_rule && (c->perm != SBX_PERM_NONE || sub->any_visible);
    c->own_state = true;
    c->all_read = sub->all_read;
    c->view_below = sub->has_view;
    if (!c->visible)
      return push_str(&w->hidden_mounts, &w->n_hidden_mounts, k->path, k->err);
    return 0;
  }
  if (by_rule)
    return 0;  /* hidden with everything under it */
  if (c->is_dir) {
    size_t marks[3] = { w->n_fixups, w->grants.len, w->n_exec_files };
    struct summary s;
    cleanup_close int fd = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                  O_CLOEXEC);
    if (fd < 0)
      return sbx_fail(k->err, errno, "filesystem policy: open `%s`", k->path);
    if (walk_dir(k, fd, depth + 1, best, c->perm, false, &s) < 0)
      return -1;
    c->visible = c->perm != SBX_PERM_NONE || s.any_visible;
    c->all_read = s.all_read;
    c->view_below = s.has_view;
    c->own_state = s.own_state;
    c->bindable = true;
    if (!c->visible) {  /* none by default and nothing visible below */
      while (w->n_fixups > marks[0]) {
        struct sbx_fs_fixup *f = &w->fixups[--w->n_fixups];
        free(f->rel);
        sbx_strv_free(f->whiteouts);
      }
      while (w->grants.len > marks[1])
        free(w->grants.grants[--w->grants.len].path);
      while (w->n_exec_files > marks[2])
        free(w->exec_files[--w->n_exec_files]);
      if (w->exec_files)
        w->exec_files[w->n_exec_files] = NULL;
    }
    return 0;
  }
  c->visible = c->perm != SBX_PERM_NONE;
  c->all_read = c->perm >= SBX_PERM_READ;
  c->bindable = type == DT_REG;
  if (c->visible && (type == DT_REG || type == DT_LNK) && exec_match(k->m, st) &&
      push_str(&w->exec_files, &w->n_exec_files, k->path, k->err) < 0)
    return -1;
  return 0;
}

/* The directory's own decisions, once its entries are known: an overlay
 * for hidden entries, a fixed (read-only) state for a write directory with
 * view entries below, binds where an entry's writability differs from
 * what it inherits, and READ_FILE / REFER grants. */
static int decide_dir(struct walker *k, struct child *kids, size_t n, enum sbx_perm perm,
                      bool is_root, struct summary *out)
{
  struct sbx_fs_walk *w = k->w;
  const bool restricted = k->m->n_exec > 0;
  char **whiteouts = NULL;
  size_t n_white = 0;
  bool overlay, fixed, dir_w;
  const char *rel = rel_path(k);

  out->any_visible = perm != SBX_PERM_NONE;
  out->all_read = perm >= SBX_PERM_READ;
  out->has_view = perm == SBX_PERM_VIEW || (perm == SBX_PERM_NONE && !is_root);
  for (size_t i = 0; i < n; i++) {
    if (!kids[i].visible) {
      if (push_str(&whiteouts, &n_white, kids[i].name, k->err) < 0) {
        sbx_strv_free(whiteouts);
        return -1;
      }
      continue;
    }
    out->any_visible = true;
    out->all_read &= kids[i].all_read;
    out->has_view |= kids[i].perm == SBX_PERM_VIEW || kids[i].perm == SBX_PERM_NONE ||
                     kids[i].view_below;
  }
  overlay = n_white > 0;
  fixed = !overlay && perm == SBX_PERM_WRITE && w->writable && out->has_view;
  if (overlay && add_fixup(k, SBX_FIXUP_OVERLAY, rel, whiteouts) < 0) {
    sbx_strv_free(whiteouts);
    return -1;
  }
  if (fixed && !is_root && add_fixup(k, SBX_FIXUP_BIND_RO, rel, NULL) < 0)
    return -1;
  out->own_state = overlay || fixed;
  dir_w = !overlay && !fixed && perm == SBX_PERM_WRITE && w->writable;
  if (is_root) {
    w->root_ro = !dir_w;
    w->root_noexec = dir_w && restricted;
  }
  for (size_t i = 0; i < n; i++) {
    struct child *c = &kids[i];
    bool child_w = c->perm == SBX_PERM_WRITE && w->writable;
    size_t saved;
    int ret = 0;
    if (!c->visible)
      continue;
    if (!path_push(k, c->name, &saved))
      return sbx_fail(k->err, ENOMEM, "filesystem policy");
    /* A child directory that set its own state (overlay, fixed) was
     * recorded by its own walk. */
    /* Under an overlay, every directory is also bound from the real tree:
     * overlayfs does not follow renames and deletions the host makes in
     * its lower layer, a bind shows them at once. */
    if (c->bindable && !c->own_state && (child_w != dir_w || (overlay && c->is_dir)))
      ret = add_fixup(k, child_w ? SBX_FIXUP_BIND_RW : SBX_FIXUP_BIND_RO, rel_path(k), NULL);
    if (ret == 0 && !out->all_read && c->all_read)
      ret = sbx_landlock_plan_add(&w->grants, k->path, SBX_LL_READ_FILE, k->err);
    /* The write rights on the largest write subtrees (below them every
     * entry has them too: Landlock cannot take a right back, read-only
     * mounts do), and on what keeps OCI semantics. */
    if (ret == 0 && ((c->perm == SBX_PERM_WRITE && perm != SBX_PERM_WRITE) || c->kernel))
      ret = sbx_landlock_plan_add(&w->grants, k->path, SBX_LL_WRITE, k->err);
    path_pop(k, saved);
    if (ret < 0)
      return -1;
  }
  return 0;
}

static int walk_dir(struct walker *k, int dirfd, size_t depth, int best, enum sbx_perm perm,
                    bool is_root, struct summary *out)
{
  cleanup_free char *buf = NULL;
  cleanup_free struct child *kids = NULL;
  size_t len, n = 0, cap = 0;

  if (read_entries(dirfd, &buf, &len, k->err) < 0)
    return sbx_wrap(k->err, "filesystem policy: `%s`", k->path);
  for (size_t off = 0; off < len;) {
    const struct linux_dirent64 *d = (const void *)(buf + off);
    size_t saved;
    off += d->d_reclen;
    if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
      continue;
    if (n == cap) {
      struct child *g = realloc(kids, (cap = cap ? cap * 2 : 16) * sizeof *g);
      if (g == NULL)
        return sbx_fail(k->err, ENOMEM, "filesystem policy");
      kids = g;
    }
    if (!path_push(k, d->d_name, &saved))
      return sbx_fail(k->err, ENOMEM, "filesystem policy");
    if (visit(k, dirfd, depth, best, d, &kids[n]) < 0)
      return -1;
    path_pop(k, saved);
    n++;
  }
  return decide_dir(k, kids, n, perm, is_root, out);
}

void sbx_fs_walk_release(struct sbx_fs_walk *w)
{
  for (size_t i = 0; i < w->n_fixups; i++) {
    free(w->fixups[i].rel);
    sbx_strv_free(w->fixups[i].whiteouts);
  }
  free(w->fixups);
  sbx_strv_free(w->hidden_mounts);
  sbx_strv_free(w->exec_files);
  sbx_landlock_plan_release(&w->grants);
  w->fixups = NULL;
  w->hidden_mounts = w->exec_files = NULL;
  w->n_fixups = w->n_hidden_mounts = w->n_exec_files = 0;
}

int sbx_fs_walk_mount(struct sbx_fs_walk *w, struct sbx_error *err)
{
  struct walker k = { .w = w, .m = w->matcher, .ns = n_states(w->matcher), .err = err,
                      .max_len = w->max_path ? w->max_path : PATH_MAX - 1 };
  /* the rules apply at the path the config names, wherever the image's
   * symlinks put the mount */
  const char *named = w->policy_path ? w->policy_path : w->mount_path;
  const bool is_top = strcmp(named, "/") == 0;
  enum sbx_perm parent_perm;
  struct summary s = { 0 };
  uint64_t *st;
  int best, ret = -1;
  bool hidden;

  k.path = strdup(w->mount_path);
  st = states_at(&k, 0);
  if (k.path == NULL || st == NULL) {
    sbx_fail(err, ENOMEM, "filesystem policy");
    goto out;
  }
  k.len = k.cap = strlen(k.path);
  k.cap++;
  k.rel = strcmp(k.path, "/") == 0 ? 1 : k.len + 1;
  if (!path_state(k.m, named, st, &best, &hidden, &parent_perm)) {
    sbx_fail(err, ENOMEM, "filesystem policy");
    goto out;
  }
  w->root_perm = hidden ? SBX_PERM_NONE : perm_of(k.m, best);
  /* none by a rule (the root of the container never is) */
  w->hidden = hidden || (!is_top && best >= 0 && w->root_perm == SBX_PERM_NONE);
  if (w->hidden) {
    ret = 0;
    goto out;
  }
  if (walk_dir(&k, w->root_fd, 0, best, w->root_perm, true, &s) < 0)
    goto out;
  w->all_read = s.all_read;
  w->any_visible = s.any_visible;
  w->has_view = s.has_view;
  if (w->root_perm == SBX_PERM_WRITE && (parent_perm != SBX_PERM_WRITE || is_top) &&
      sbx_landlock_plan_add(&w->grants, w->mount_path, SBX_LL_WRITE, err) < 0)
    goto out;
  ret = 0;
out:
  free(k.path);
  free(k.states);
  return ret;
}
