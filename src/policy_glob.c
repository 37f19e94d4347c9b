/* policy_glob.c: gitignore-style globs over container paths, the
 * permission of a path (priority, specificity, restrictiveness, subtrees
 * hidden by `none`), the unreachable-rule check and the exec allowlist.
 *
 * A pattern is a list of segments separated by '/'.  Within a segment `*`
 * matches any run of characters (dotfiles included, unlike shells), `?` one
 * character, `[a-z]`, `[!x]` / `[^x]` a class, and `\` escapes the next
 * character.  A segment that is exactly `**` matches zero or more whole
 * segments.  A leading '/' anchors the pattern at the container root;
 * otherwise it is as if it began with `**` / (matches at any depth).  One
 * trailing '/' is ignored.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_internal.h"
#include "utils.h"

#define STAR2 "**"

static bool is_recursive(const char *seg)
{
  return strcmp(seg, STAR2) == 0;
}

/* Check one segment's syntax and count its wildcards; false + *why when bad. */
static bool scan_segment(const char *seg, unsigned *wildcards, const char **why)
{
  unsigned n = 0;

  for (const char *p = seg; *p; p++) {
    switch (*p) {
    case '\\':
      if (p[1] == '\0') {
        *why = "trailing backslash";
        return false;
      }
      p++;
      break;
    case '*':
      n++;
      while (p[1] == '*')
        p++;
      break;
    case '?':
      n++;
      break;
    case '[': {
      const char *q = p + 1;
      if (*q == '!' || *q == '^')
        q++;
      if (*q == ']')
        q++;
      for (; *q && *q != ']'; q++)
        if (*q == '\\' && q[1])
          q++;
      if (*q != ']') {
        *why = "unterminated `[`";
        return false;
      }
      n++;
      p = q;
      break;
    }
    default:
      break;
    }
  }
  *wildcards = n;
  return true;
}

void sbx_glob_free(struct sbx_glob *g)
{
  if (g == NULL)
    return;
  for (size_t i = 0; i < g->n_segs; i++)
    free(g->segs[i]);
  free(g->segs);
  memset(g, 0, sizeof *g);
}

static bool push_seg(struct sbx_glob *g, const char *s, size_t len)
{
  char **v = realloc(g->segs, (g->n_segs + 1) * sizeof *v);
  if (v == NULL)
    return false;
  g->segs = v;
  if ((v[g->n_segs] = strndup(s, len)) == NULL)
    return false;
  g->n_segs++;
  return true;
}

bool sbx_glob_compile(const char *pattern, struct sbx_glob *g, const char **why)
{
  cleanup_free char *copy = NULL;
  size_t len;
  char *p;

  memset(g, 0, sizeof *g);
  if (pattern == NULL || pattern[0] == '\0') {
    *why = "empty pattern";
    return false;
  }
  copy = strdup(pattern);
  if (copy == NULL) {
    *why = "out of memory";
    return false;
  }
  len = strlen(copy);
  if (len > 1 && copy[len - 1] == '/' && (len < 2 || copy[len - 2] != '\\'))
    copy[--len] = '\0';
  p = copy;
  g->anchored = *p == '/';
  if (g->anchored)
    p++;
  else {
    if (!push_seg(g, STAR2, 2))
      goto oom;
    g->wildcards++;
  }
  while (*p) {
    char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    unsigned w;
    if (n == 0) {
      *why = "empty path segment (`//`)";
      goto bad;
    }
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
      *why = "`.` and `..` segments are not allowed";
      goto bad;
    }
    if (n == 2 && p[0] == '*' && p[1] == '*') {
      /* consecutive ** segments are one */
      if (!(g->n_segs && is_recursive(g->segs[g->n_segs - 1]))) {
        if (!push_seg(g, STAR2, 2))
          goto oom;
        g->wildcards++;
      }
    } else {
      if (!push_seg(g, p, n))
        goto oom;
      if (!scan_segment(g->segs[g->n_segs - 1], &w, why))
        goto bad;
      if (w == 0)
        g->literal++;
      g->wildcards += w;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return true;
oom:
  *why = "out of memory";
bad:
  sbx_glob_free(g);
  return false;
}

/* [...] at *pp (just after '['): does c belong?  Advances *pp past ']'.
 * fold: either case of a letter belongs when one does. */
static bool in_range(char c, char lo, char hi)
{
  return (unsigned char)c >= (unsigned char)lo && (unsigned char)c <= (unsigned char)hi;
}

static bool match_class(const char **pp, char c, bool fold)
{
  const char *p = *pp;
  bool neg = false, hit = false;

  if (*p == '!' || *p == '^') {
    neg = true;
    p++;
  }
  bool first = true;
  while (*p && (*p != ']' || first)) {
    char lo = *p, hi;
    first = false;
    if (lo == '\\' && p[1])
      lo = *++p;
    p++;
    hi = lo;
    if (*p == '-' && p[1] && p[1] != ']') {
      p++;
      hi = *p;
      if (hi == '\\' && p[1])
        hi = *++p;
      p++;
    }
    if (in_range(c, lo, hi) ||
        (fold && (in_range((char)tolower((unsigned char)c), lo, hi) ||
                  in_range((char)toupper((unsigned char)c), lo, hi))))
      hit = true;
  }
  if (*p == ']')
    p++;
  *pp = p;
  return hit != neg;
}

static bool same_char(char a, char b, bool fold)
{
  return a == b || (fold && tolower((unsigned char)a) == tolower((unsigned char)b));
}

static bool match_segment(const char *p, const char *s, bool fold)
{
  /* Iterative matcher with one backtrack point for the last '*'. */
  const char *star_p = NULL, *star_s = NULL;

  for (;;) {
    if (*p == '*') {
      while (*p == '*')
        p++;
      if (*p == '\0')
        return true;
      star_p = p;
      star_s = s;
      continue;
    }
    if (*s == '\0') {
      if (*p == '\0')
        return true;
      goto backtrack;
    }
    if (*p == '?') {
      p++;
      s++;
      continue;
    }
    if (*p == '[') {
      const char *q = p + 1;
      if (match_class(&q, *s, fold)) {
        p = q;
        s++;
        continue;
      }
      goto backtrack;
    }
    if (*p == '\\' && p[1])
      p++;
    if (*p != '\0' && same_char(*p, *s, fold)) {
      p++;
      s++;
      continue;
    }
  backtrack:
    if (star_p == NULL || *star_s == '\0')
      return false;
    p = star_p;
    s = ++star_s;
  }
}

bool sbx_glob_match_segment(const char *pattern, const char *s)
{
  return match_segment(pattern, s, false);
}

bool sbx_glob_match_segment_nocase(const char *pattern, const char *s)
{
  return match_segment(pattern, s, true);
}

/* A lexically normalised absolute path as segments, in one buffer. */
struct segs {
  char *buf;
  char **v;
  size_t n;
};

static bool split_path(const char *path, struct segs *out)
{
  size_t len = strlen(path);
  char *save = NULL;

  out->n = 0;
  out->buf = strdup(path);
  out->v = calloc(len / 2 + 2, sizeof *out->v);
  if (out->buf == NULL || out->v == NULL) {
    free(out->buf);
    free(out->v);
    return false;
  }
  for (char *t = strtok_r(out->buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (strcmp(t, ".") == 0)
      continue;
    if (strcmp(t, "..") == 0) {
      if (out->n)
        out->n--;
      continue;
    }
    out->v[out->n++] = t;
  }
  return true;
}

static void free_segs(struct segs *s)
{
  free(s->buf);
  free(s->v);
}

char *sbx_path_normalize(const char *path)
{
  struct segs s;
  char *out, *w;

  if (!split_path(path, &s))
    return NULL;
  out = w = malloc(strlen(path) + 2);
  if (out != NULL) {
    for (size_t i = 0; i < s.n; i++)
      w += sprintf(w, "/%s", s.v[i]);
    if (w == out)
      strcpy(out, "/");
  }
  free_segs(&s);
  return out;
}

/* Pattern segments [pi..) against path segments [si..n).  covers: the
 * pattern may end before the path (it matched an ancestor). */
static bool match_from(const struct sbx_glob *g, size_t pi, char **path, size_t si, size_t n,
                       bool covers)
{
  while (pi < g->n_segs) {
    if (is_recursive(g->segs[pi])) {
      if (pi + 1 == g->n_segs)
        return true;  /* trailing **: zero or more segments */
      for (size_t k = si; k <= n; k++)
        if (match_from(g, pi + 1, path, k, n, covers))
          return true;
      return false;
    }
    if (si == n || !sbx_glob_match_segment(g->segs[pi], path[si]))
      return false;
    pi++;
    si++;
  }
  return si == n || covers;
}

static bool glob_match_segs(const struct sbx_glob *g, char **path, size_t n, bool covers)
{
  return match_from(g, 0, path, 0, n, covers);
}

bool sbx_glob_match(const struct sbx_glob *g, const char *path)
{
  struct segs s;
  bool r;

  if (!split_path(path, &s))
    return false;
  r = glob_match_segs(g, s.v, s.n, false);
  free_segs(&s);
  return r;
}

bool sbx_glob_covers(const struct sbx_glob *g, const char *path)
{
  struct segs s;
  bool r;

  if (!split_path(path, &s))
    return false;
  r = glob_match_segs(g, s.v, s.n, true);
  free_segs(&s);
  return r;
}

/* > 0 when rule a beats rule b. */
static int rule_cmp(const struct sbx_policy_rule *a, const struct sbx_policy_rule *b)
{
  if (a->priority != b->priority)
    return a->priority > b->priority ? 1 : -1;
  if (a->glob.literal != b->glob.literal)
    return a->glob.literal > b->glob.literal ? 1 : -1;
  if (a->glob.wildcards != b->glob.wildcards)
    return a->glob.wildcards < b->glob.wildcards ? 1 : -1;
  if (a->permission != b->permission)
    return a->permission < b->permission ? 1 : -1;
  return 0;
}

int sbx_policy_rule_cmp(const struct sbx_policy_rule *a, const struct sbx_policy_rule *b)
{
  return rule_cmp(a, b);
}

static char *join(char **v, size_t n)
{
  size_t len = 1;
  char *out, *p;

  for (size_t i = 0; i < n; i++)
    len += strlen(v[i]) + 1;
  out = p = malloc(len + 1);
  if (out == NULL)
    return NULL;
  if (n == 0)
    *p++ = '/';
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, "/%s", v[i]);
  *p = '\0';
  return out;
}

void sbx_policy_decision_clear(struct sbx_policy_decision *d)
{
  free(d->hidden_at);
  d->hidden_at = NULL;
}

void sbx_policy_decide(const struct sbx_policy *p, const char *path,
                       struct sbx_policy_decision *out)
{
  struct segs s;
  size_t *depth = NULL;

  memset(out, 0, sizeof *out);
  out->rule = -1;
  out->permission = p->passthrough ? SBX_PERM_WRITE : p->fs_default;
  if (p->passthrough || p->rules_len == 0 || !split_path(path, &s))
    return;
  /* depth[r]: the shallowest ancestor-or-self (by segment count) that rule r
   * matches exactly; it covers every path at or below it.  SIZE_MAX: none. */
  depth = calloc(p->rules_len, sizeof *depth);
  if (depth == NULL) {
    free_segs(&s);
    out->permission = SBX_PERM_NONE;  /* fail closed */
    return;
  }
  for (size_t r = 0; r < p->rules_len; r++) {
    depth[r] = SIZE_MAX;
    for (size_t d = 0; d <= s.n; d++)
      if (glob_match_segs(&p->rules[r].glob, s.v, d, false)) {
        depth[r] = d;
        break;
      }
  }
  /* The root (d = 0) is never hidden; each proper ancestor decided `none`
   * by a rule hides the rest; then the path itself. */
  for (size_t d = 1; d <= s.n; d++) {
    int best = -1;
    for (size_t r = 0; r < p->rules_len; r++)
      if (depth[r] <= d && (best < 0 || rule_cmp(&p->rules[r], &p->rules[best]) > 0))
        best = (int)r;
    if (d < s.n) {
      if (best >= 0 && p->rules[best].permission == SBX_PERM_NONE) {
        out->permission = SBX_PERM_NONE;
        out->rule = best;
        out->hidden = true;
        out->hidden_at = join(s.v, d);
        break;
      }
      continue;
    }
    if (best >= 0) {
      out->rule = best;
      out->permission = p->rules[best].permission;
    }
  }
  if (s.n == 0) {  /* the root itself */
    int best = -1;
    for (size_t r = 0; r < p->rules_len; r++)
      if (depth[r] == 0 && (best < 0 || rule_cmp(&p->rules[r], &p->rules[best]) > 0))
        best = (int)r;
    if (best >= 0) {
      out->rule = best;
      out->permission = p->rules[best].permission;
    }
  }
  free(depth);
  free_segs(&s);
}

enum sbx_perm sbx_policy_permission(const struct sbx_policy *p, const char *path,
                                    int *decided_by_rule)
{
  struct sbx_policy_decision d;

  sbx_policy_decide(p, path, &d);
  if (decided_by_rule)
    *decided_by_rule = d.rule;
  sbx_policy_decision_clear(&d);
  return d.permission;
}


static char *rule_label(const struct sbx_policy_rule *r)
{
  return sbx_strdup_printf("%s: filesystem.rules[%zu] `%s`", r->origin ? r->origin : "policy",
                           r->origin_index, r->pattern);
}

char *sbx_glob_literal_prefix(const struct sbx_glob *g, size_t *count)
{
  size_t k = 0, len = 2;
  char *out, *w;

  while (g->anchored && k < g->n_segs) {
    unsigned n = 0;
    const char *why;
    if (is_recursive(g->segs[k]) || !scan_segment(g->segs[k], &n, &why) || n)
      break;
    len += strlen(g->segs[k]) + 1;
    k++;
  }
  *count = k;
  out = w = malloc(len);
  if (out == NULL)
    return NULL;
  if (k == 0)
    *w++ = '/';
  for (size_t i = 0; i < k; i++) {
    *w++ = '/';
    for (const char *q = g->segs[i]; *q; q++) {
      if (*q == '\\' && q[1])
        q++;
      *w++ = *q;
    }
  }
  *w = '\0';
  return out;
}

void sbx_policy_lint(const struct sbx_policy *p, struct sbx_diags *warnings)
{
  for (size_t i = 0; i < p->rules_len; i++) {
    const struct sbx_policy_rule *r = &p->rules[i];
    const struct sbx_glob *g = &r->glob;
    size_t k = 0;
    struct sbx_policy_decision d;
    cleanup_free char *prefix = NULL;

    if (!g->anchored || r->permission == SBX_PERM_NONE)
      continue;
    /* The literal prefix: every path the rule covers lies at or under it. */
    prefix = sbx_glob_literal_prefix(g, &k);
    if (prefix == NULL || k == 0)
      continue;
    sbx_policy_decide(p, prefix, &d);
    /* Unreachable when the prefix itself is hidden by an ancestor, or is
     * decided `none` by a rule (this one lost there, or only covers paths
     * strictly below it), which hides everything under it. */
    if (d.hidden || (d.rule >= 0 && (size_t)d.rule != i && d.permission == SBX_PERM_NONE)) {
      cleanup_free char *a = rule_label(r);
      cleanup_free char *b = rule_label(&p->rules[d.rule]);
      sbx_diags_push(warnings,
               sbx_strdup_printf("%s (%s) is unreachable: `%s` is hidden by %s (none)", a,
                                 sbx_perm_name(r->permission),
                                 d.hidden ? d.hidden_at : prefix, b));
    }
    sbx_policy_decision_clear(&d);
  }
}

bool sbx_policy_exec_allowed(const struct sbx_policy *p, const char *path)
{
  if (p->passthrough || !p->exec_restricted)
    return true;
  for (size_t i = 0; i < p->exec_allow_len; i++) {
    struct sbx_glob g;
    const char *why;
    bool hit;
    if (!sbx_glob_compile(p->exec_allow[i], &g, &why))
      continue;
    hit = sbx_glob_match(&g, path);
    sbx_glob_free(&g);
    if (hit)
      return true;
  }
  return false;
}

bool sbx_policy_capability_allowed(const struct sbx_policy *p, const char *cap)
{
  if (p->passthrough || p->caps_all)
    return true;
  for (size_t i = 0; i < p->caps_allow_len; i++)
    if (strcmp(p->caps_allow[i], cap) == 0)
      return true;
  return false;
}
