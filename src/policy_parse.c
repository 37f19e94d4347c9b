/* policy_parse.c: the policy document (docs/policy.md): the model's
 * allocation, copy and free, the parser/validator (every error, each naming
 * its JSON path), sizes and durations, and the canonical JSON writer and
 * digest.
 *
 * The parser walks a yajl tree by hand rather than through oci-spec's
 * descriptor engine because `policy check` must report every error of a
 * document, not the first, and several values take two JSON types (a size
 * is a string or an integer; a limit may be null).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "json_util.h"
#include "net_policy.h"
#include "policy.h"
#include "policy_internal.h"
#include "sha256.h"
#include "utils.h"

/* ---- names ---- */

static const char *const perm_names[] = { "none", "view", "read", "write", NULL };
static const char *const seccomp_names[] = { "config", "default", "strict", NULL };
static const char *const net_names[] = { "none", "allowlist", "unrestricted", NULL };
static const char *const inherit_names[] = { "all", "none", NULL };
/* filesystem.enforcement: index 1 is fs_best_effort. */
static const char *const enforcement_names[] = { "strict", "best-effort", NULL };

const char *sbx_perm_name(enum sbx_perm p)
{
  return (unsigned)p <= SBX_PERM_WRITE ? perm_names[p] : "?";
}

const char *sbx_seccomp_mode_name(enum sbx_seccomp_mode m)
{
  return (unsigned)m <= SBX_SECCOMP_STRICT ? seccomp_names[m] : "?";
}

const char *sbx_net_mode_name(enum sbx_net_mode m)
{
  return (unsigned)m <= SBX_NET_UNRESTRICTED ? net_names[m] : "?";
}

const char *sbx_policy_source_name(enum sbx_policy_source s)
{
  switch (s) {
  case SBX_POLICY_FROM_FLAG: return "--policy";
  case SBX_POLICY_FROM_ANNOTATION: return "annotation " SBX_POLICY_ANNOTATION;
  case SBX_POLICY_FROM_SYSTEM: return "system policy";
  default: return "default";
  }
}

/* Capability names known to Linux 6.x, so that validation does not depend
 * on the kernel the check runs on. */
static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
  "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
  "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
  "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE", NULL };

static bool known_cap(const char *s)
{
  for (int i = 0; cap_names[i]; i++)
    if (strcmp(cap_names[i], s) == 0)
      return true;
  return false;
}

/* ---- the model ---- */

struct sbx_policy *sbx_policy_new(void)
{
  struct sbx_policy *p = calloc(1, sizeof *p);

  if (p == NULL)
    return NULL;
  /* The schema defaults (a document without extends): only what it says
   * is restricted, except capabilities (absent: drop all). */
  p->annotations = true;
  p->fs_default = SBX_PERM_WRITE;
  p->network = SBX_NET_UNRESTRICTED;
  p->network_block_private = true;
  p->network_max_connections = -1;
  p->seccomp = SBX_SECCOMP_CONFIG;
  p->env.inherit = SBX_ENV_INHERIT_ALL;
  p->limits = (struct sbx_policy_limits){ -1, -1, -1, -1, -1, -1, -1, -1 };
  p->audit_max_bytes = SBX_AUDIT_DEFAULT_MAX_BYTES;
  p->source = SBX_POLICY_FROM_DEFAULT;
  return p;
}

static void strv_free_n(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void sbx_policy_rules_free(struct sbx_policy_rule *r, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(r[i].pattern);
    free(r[i].origin);
    sbx_glob_free(&r[i].glob);
  }
  free(r);
}

void sbx_policy_free(struct sbx_policy *p)
{
  if (p == NULL)
    return;
  free(p->name);
  strv_free_n(p->selectable, p->selectable_len);
  sbx_policy_rules_free(p->rules, p->rules_len);
  strv_free_n(p->exec_allow, p->exec_allow_len);
  strv_free_n(p->network_allow, p->network_allow_len);
  strv_free_n(p->network_deny, p->network_deny_len);
  free(p->network_blocked_ports);
  strv_free_n(p->network_dns_upstream, p->network_dns_upstream_len);
  strv_free_n(p->caps_allow, p->caps_allow_len);
  strv_free_n(p->env.allow, p->env.allow_len);
  strv_free_n(p->env.deny, p->env.deny_len);
  strv_free_n(p->env.set_names, p->env.set_len);
  strv_free_n(p->env.set_values, p->env.set_len);
  free(p->audit_path);
  free(p->source_detail);
  free(p->extends);
  free(p);
}

void sbx_diags_free(struct sbx_diags *d)
{
  if (d == NULL)
    return;
  strv_free_n(d->items, d->len);
  d->items = NULL;
  d->len = 0;
}

static char **strv_dup_n(char *const *v, size_t n, bool *ok)
{
  char **out;

  if (n == 0)
    return NULL;
  out = calloc(n, sizeof *out);
  if (out == NULL) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if ((out[i] = strdup(v[i])) == NULL)
      *ok = false;
  return out;
}

static char *dup_or_null(const char *s, bool *ok)
{
  char *d;

  if (s == NULL)
    return NULL;
  if ((d = strdup(s)) == NULL)
    *ok = false;
  return d;
}

/* Copy rule src into dst (compiling its glob again). */
bool sbx_policy_rule_copy(struct sbx_policy_rule *dst, const struct sbx_policy_rule *src)
{
  const char *why;
  bool ok = true;

  memset(dst, 0, sizeof *dst);
  dst->pattern = dup_or_null(src->pattern, &ok);
  dst->origin = dup_or_null(src->origin, &ok);
  dst->permission = src->permission;
  dst->priority = src->priority;
  dst->origin_index = src->origin_index;
  if (ok && !sbx_glob_compile(dst->pattern, &dst->glob, &why))
    ok = false;
  return ok;
}

struct sbx_policy *sbx_policy_dup(const struct sbx_policy *s)
{
  struct sbx_policy *p = calloc(1, sizeof *p);
  bool ok = true;

  if (p == NULL)
    return NULL;
  *p = *s;
  p->rules = NULL;
  p->rules_len = 0;
  p->name = dup_or_null(s->name, &ok);
  p->source_detail = dup_or_null(s->source_detail, &ok);
  p->extends = dup_or_null(s->extends, &ok);
  p->audit_path = dup_or_null(s->audit_path, &ok);
  p->selectable = strv_dup_n(s->selectable, s->selectable_len, &ok);
  p->exec_allow = strv_dup_n(s->exec_allow, s->exec_allow_len, &ok);
  p->network_allow = strv_dup_n(s->network_allow, s->network_allow_len, &ok);
  p->network_deny = strv_dup_n(s->network_deny, s->network_deny_len, &ok);
  p->network_dns_upstream = strv_dup_n(s->network_dns_upstream, s->network_dns_upstream_len, &ok);
  p->network_blocked_ports = NULL;
  if (s->network_blocked_ports_len) {
    p->network_blocked_ports = malloc(s->network_blocked_ports_len * sizeof(int));
    if (p->network_blocked_ports == NULL)
      ok = false;
    else
      memcpy(p->network_blocked_ports, s->network_blocked_ports,
             s->network_blocked_ports_len * sizeof(int));
  }
  p->caps_allow = strv_dup_n(s->caps_allow, s->caps_allow_len, &ok);
  p->env.allow = strv_dup_n(s->env.allow, s->env.allow_len, &ok);
  p->env.deny = strv_dup_n(s->env.deny, s->env.deny_len, &ok);
  p->env.set_names = strv_dup_n(s->env.set_names, s->env.set_len, &ok);
  p->env.set_values = strv_dup_n(s->env.set_values, s->env.set_len, &ok);
  if (s->rules_len) {
    p->rules = calloc(s->rules_len, sizeof *p->rules);
    if (p->rules == NULL)
      ok = false;
    else
      for (size_t i = 0; i < s->rules_len; i++, p->rules_len++)
        if (!sbx_policy_rule_copy(&p->rules[i], &s->rules[i]))
          ok = false;
  }
  if (!ok) {
    /* counts of the arrays that failed to copy are still the source's:
     * the arrays themselves are NULL or complete with NULL holes. */
    sbx_policy_free(p);
    return NULL;
  }
  return p;
}

/* ---- sizes and durations ---- */

bool sbx_policy_parse_size(const char *s, int64_t *out)
{
  int64_t v;

  if (s == NULL || !isdigit((unsigned char)s[0]))
    return false;
  if (!sbx_parse_size(s, &v) || v < 0)
    return false;
  *out = v;
  return true;
}

bool sbx_policy_parse_duration(const char *s, int64_t *out)
{
  char *end;
  long long n;
  int64_t mul = 1;

  if (s == NULL || !isdigit((unsigned char)s[0]))
    return false;
  errno = 0;
  n = strtoll(s, &end, 10);
  if (errno || n < 0)
    return false;
  if (*end) {
    switch (*end) {
    case 's': mul = 1; break;
    case 'm': mul = 60; break;
    case 'h': mul = 3600; break;
    default: return false;
    }
    if (end[1])
      return false;
  }
  if (n > INT64_MAX / mul)
    return false;
  *out = n * mul;
  return true;
}

/* ---- the parser ---- */

struct pctx {
  const char *origin;
  struct sbx_diags *errs;
  char path[512];
  size_t len;
  bool preset;            /* built-in text: may set "passthrough" */
  bool oom;
};

static size_t path_push(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct pctx *c, const char *fmt, ...)
{
  size_t saved = c->len, room = sizeof c->path - c->len;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(c->path + c->len, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    c->len += (size_t)n < room ? (size_t)n : room - 1;
  return saved;
}

static size_t path_key(struct pctx *c, const char *key)
{
  return path_push(c, c->len ? ".%s" : "%s", key);
}

static void path_pop(struct pctx *c, size_t len)
{
  c->len = len;
  c->path[len] = '\0';
}

/* Take msg into the list; false (msg freed) when memory runs out. */
bool sbx_diags_push(struct sbx_diags *d, char *msg)
{
  char **v;

  if (d == NULL || msg == NULL) {
    free(msg);
    return d == NULL;
  }
  v = realloc(d->items, (d->len + 1) * sizeof *v);
  if (v == NULL) {
    free(msg);
    return false;
  }
  d->items = v;
  d->items[d->len++] = msg;
  return true;
}

static void diags_add(struct sbx_diags *d, char *msg, bool *oom)
{
  if (!sbx_diags_push(d, msg))
    *oom = true;
}

static bool perr(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool perr(struct pctx *c, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg == NULL) {
    c->oom = true;
    return false;
  }
  if (c->len)
    diags_add(c->errs, sbx_strdup_printf("%s: %s: %s", c->origin, c->path, msg), &c->oom);
  else
    diags_add(c->errs, sbx_strdup_printf("%s: %s", c->origin, msg), &c->oom);
  return false;
}

static const char *type_name(yajl_val v)
{
  if (YAJL_IS_STRING(v)) return "a string";
  if (YAJL_IS_NUMBER(v)) return "a number";
  if (YAJL_IS_OBJECT(v)) return "an object";
  if (YAJL_IS_ARRAY(v)) return "an array";
  if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) return "a boolean";
  return "null";
}

static bool want(struct pctx *c, yajl_val v, bool ok, const char *what)
{
  if (!ok)
    return perr(c, "expected %s, got %s", what, type_name(v));
  return true;
}

/* The keys of an object, each checked against known (NULL-terminated):
 * an unknown or duplicate key is an error.  Calls fn for each known key. */
typedef void (*key_fn)(struct pctx *c, const char *key, yajl_val v, void *data);

static void walk_object(struct pctx *c, yajl_val obj, const char *const *known, key_fn fn,
                        void *data)
{
  if (!want(c, obj, YAJL_IS_OBJECT(obj), "an object"))
    return;
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const char *k = obj->u.object.keys[i];
    size_t saved = path_key(c, k);
    bool dup = false, found = false;
    for (size_t j = 0; j < i; j++)
      if (strcmp(obj->u.object.keys[j], k) == 0)
        dup = true;
    for (int j = 0; known[j]; j++)
      if (strcmp(known[j], k) == 0)
        found = true;
    if (dup)
      perr(c, "duplicate key");
    else if (!found)
      perr(c, "unknown key");
    else
      fn(c, k, obj->u.object.values[i], data);
    path_pop(c, saved);
  }
}

static char *get_string(struct pctx *c, yajl_val v)
{
  char *s;

  if (!want(c, v, YAJL_IS_STRING(v), "a string"))
    return NULL;
  if ((s = strdup(v->u.string)) == NULL)
    c->oom = true;
  return s;
}

static bool get_bool(struct pctx *c, yajl_val v, bool *out)
{
  if (!want(c, v, YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v), "a boolean"))
    return false;
  *out = YAJL_IS_TRUE(v);
  return true;
}

/* An integer from the raw number text (no fraction, no exponent). */
static bool get_int64(struct pctx *c, yajl_val v, int64_t *out)
{
  const char *raw = YAJL_IS_NUMBER(v) ? v->u.number.r : NULL;
  long long n;

  if (raw == NULL)
    return want(c, v, false, "an integer");
  if (raw[strcspn(raw, ".eE")] != '\0')
    return perr(c, "expected an integer, got %s", raw);
  errno = 0;
  n = strtoll(raw, NULL, 10);
  if (errno == ERANGE)
    return perr(c, "value out of range");
  *out = n;
  return true;
}

static bool get_choice(struct pctx *c, yajl_val v, const char *const *choices, const char *what,
                       int *out)
{
  if (!want(c, v, YAJL_IS_STRING(v), "a string"))
    return false;
  for (int i = 0; choices[i]; i++)
    if (strcmp(choices[i], v->u.string) == 0) {
      *out = i;
      return true;
    }
  {
    char list[128] = "";
    for (int i = 0; choices[i]; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
               i == 0 ? "" : choices[i + 1] ? ", " : " or ", choices[i]);
    return perr(c, "unknown %s `%s` (%s)", what, v->u.string, list);
  }
}

typedef bool (*item_check)(struct pctx *c, const char *s);

/* An array of strings, each checked; NULL + count 0 when bad. */
static bool get_strings(struct pctx *c, yajl_val v, item_check check, char ***out, size_t *n)
{
  char **items;
  bool ok = true;

  *out = NULL;
  *n = 0;
  if (!want(c, v, YAJL_IS_ARRAY(v), "an array of strings"))
    return false;
  items = calloc(v->u.array.len + 1, sizeof *items);
  if (items == NULL) {
    c->oom = true;
    return false;
  }
  for (size_t i = 0; i < v->u.array.len; i++) {
    size_t saved = path_push(c, "[%zu]", i);
    yajl_val e = v->u.array.values[i];
    if (!want(c, e, YAJL_IS_STRING(e), "a string"))
      ok = false;
    else if (check && !check(c, e->u.string))
      ok = false;
    else if ((items[*n] = strdup(e->u.string)) == NULL)
      c->oom = true;
    else
      (*n)++;
    path_pop(c, saved);
  }
  *out = items;
  return ok;
}

static bool valid_name_text(const char *s)
{
  if (s[0] == '\0' || strlen(s) > 128)
    return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

/* NAME of a preset or of CONFIG_DIR/policies/NAME.json. */
bool sbx_policy_valid_name(const char *s)
{
  if (!isalnum((unsigned char)s[0]) || strlen(s) > 64)
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return false;
  return true;
}

static bool check_policy_name(struct pctx *c, const char *s)
{
  if (!sbx_policy_valid_name(s))
    return perr(c, "`%s` is not a policy name (letters, digits, '.', '-', '_')", s);
  return true;
}

static bool check_fs_pattern(struct pctx *c, const char *s)
{
  struct sbx_glob g;
  const char *why;

  if (!sbx_glob_compile(s, &g, &why))
    return perr(c, "bad pattern `%s`: %s", s, why);
  sbx_glob_free(&g);
  return true;
}

static bool check_exec_pattern(struct pctx *c, const char *s)
{
  if (s[0] != '/')
    return perr(c, "`%s` is not an absolute path or pattern", s);
  return check_fs_pattern(c, s);
}

static bool check_env_glob(struct pctx *c, const char *s)
{
  const char *why;
  unsigned w;
  struct sbx_glob g;

  if (s[0] == '\0' || strchr(s, '=') || strchr(s, '/'))
    return perr(c, "bad variable name pattern `%s`", s);
  /* Reuse the segment syntax check of the path globs. */
  if (!sbx_glob_compile(s, &g, &why))
    return perr(c, "bad variable name pattern `%s`: %s", s, why);
  sbx_glob_free(&g);
  (void)w;
  return true;
}

static bool check_cap(struct pctx *c, const char *s)
{
  if (strcmp(s, "ALL") != 0 && !known_cap(s))
    return perr(c, "unknown capability `%s`", s);
  return true;
}

static bool check_net_entry(struct pctx *c, const char *s)
{
  struct sbx_net_entry e;
  const char *why;

  if (!sbx_net_entry_parse(s, &e, &why))
    return perr(c, "bad entry `%s`: %s", s, why);
  return true;
}

static bool check_upstream(struct pctx *c, const char *s)
{
  uint8_t addr[16];
  uint16_t port;
  const char *why;
  int family;

  if (!sbx_net_upstream_parse(s, &family, addr, &port, &why))
    return perr(c, "bad DNS server `%s`: %s", s, why);
  return true;
}

/* ---- sections ---- */

static void parse_rule_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy_rule *r = data;
  int i;
  int64_t n;

  if (strcmp(k, "pattern") == 0) {
    char *s = get_string(c, v);
    if (s && !check_fs_pattern(c, s)) {
      free(s);
      s = NULL;
    }
    if (s) {
      free(r->pattern);
      r->pattern = s;
    }
  } else if (strcmp(k, "permission") == 0) {
    if (get_choice(c, v, perm_names, "permission", &i))
      r->permission = (enum sbx_perm)i;
    else
      r->permission = (enum sbx_perm)-1;
  } else if (strcmp(k, "priority") == 0) {
    if (get_int64(c, v, &n)) {
      if (n < -1000000 || n > 1000000)
        perr(c, "priority %" PRId64 " out of range (-1000000 to 1000000)", n);
      else
        r->priority = (int)n;
    }
  }
}

struct doc {
  struct sbx_policy *p;
  bool mode_set;
};

static void parse_filesystem_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;
  int i;

  if (strcmp(k, "default") == 0) {
    if (get_choice(c, v, perm_names, "permission", &i)) {
      p->fs_default = (enum sbx_perm)i;
      p->present |= SBX_PK_FS_DEFAULT;
    }
    return;
  }
  if (strcmp(k, "enforcement") == 0) {
    if (get_choice(c, v, enforcement_names, "enforcement", &i)) {
      p->fs_best_effort = i == 1;
      p->present |= SBX_PK_FS_ENFORCEMENT;
    }
    return;
  }
  /* rules */
  static const char *const rule_keys[] = { "pattern", "permission", "priority", NULL };
  if (!want(c, v, YAJL_IS_ARRAY(v), "an array of rules"))
    return;
  p->present |= SBX_PK_FS_RULES;
  p->rules = calloc(v->u.array.len + 1, sizeof *p->rules);
  if (p->rules == NULL) {
    c->oom = true;
    return;
  }
  for (size_t j = 0; j < v->u.array.len; j++) {
    size_t saved = path_push(c, "[%zu]", j);
    struct sbx_policy_rule r = { .permission = (enum sbx_perm)-2 };
    const char *why;
    walk_object(c, v->u.array.values[j], rule_keys, parse_rule_key, &r);
    if (YAJL_IS_OBJECT(v->u.array.values[j])) {
      if (r.pattern == NULL && !yajl_tree_get(v->u.array.values[j], (const char *[]){ "pattern", NULL }, yajl_t_any))
        perr(c, "missing pattern");
      if ((int)r.permission == -2)
        perr(c, "missing permission");
    }
    if (r.pattern && (int)r.permission >= 0 && sbx_glob_compile(r.pattern, &r.glob, &why)) {
      r.origin = strdup(c->origin);
      r.origin_index = j;
      p->rules[p->rules_len++] = r;
    } else {
      free(r.pattern);
    }
    path_pop(c, saved);
  }
}

static void parse_exec_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;

  p->present |= SBX_PK_EXEC_ALLOW;
  if (YAJL_IS_NULL(v)) {
    p->exec_restricted = false;
    return;
  }
  p->exec_restricted = true;
  get_strings(c, v, check_exec_pattern, &p->exec_allow, &p->exec_allow_len);
}

static void parse_dns_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;

  (void)k;
  p->present |= SBX_PK_NET_DNS_UPSTREAM;
  get_strings(c, v, check_upstream, &p->network_dns_upstream, &p->network_dns_upstream_len);
}

/* network.blockedPorts: integers 1..65535 */
static void parse_ports(struct pctx *c, yajl_val v, struct sbx_policy *p)
{
  if (!want(c, v, YAJL_IS_ARRAY(v), "an array of port numbers"))
    return;
  p->present |= SBX_PK_NET_BLOCKED_PORTS;
  free(p->network_blocked_ports);
  p->network_blocked_ports_len = 0;
  p->network_blocked_ports = calloc(v->u.array.len + 1, sizeof(int));
  if (p->network_blocked_ports == NULL) {
    c->oom = true;
    return;
  }
  for (size_t j = 0; j < v->u.array.len; j++) {
    size_t saved = path_push(c, "[%zu]", j);
    int64_t n;
    if (get_int64(c, v->u.array.values[j], &n)) {
      if (n < 1 || n > 65535)
        perr(c, "port %" PRId64 " out of range (1 to 65535)", n);
      else
        p->network_blocked_ports[p->network_blocked_ports_len++] = (int)n;
    }
    path_pop(c, saved);
  }
}

static void parse_network_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;
  int i;

  if (strcmp(k, "mode") == 0) {
    if (get_choice(c, v, net_names, "network mode", &i)) {
      p->network = (enum sbx_net_mode)i;
      p->present |= SBX_PK_NET_MODE;
    }
  } else if (strcmp(k, "allow") == 0) {
    p->present |= SBX_PK_NET_ALLOW;
    get_strings(c, v, check_net_entry, &p->network_allow, &p->network_allow_len);
  } else if (strcmp(k, "deny") == 0) {
    p->present |= SBX_PK_NET_DENY;
    get_strings(c, v, check_net_entry, &p->network_deny, &p->network_deny_len);
  } else if (strcmp(k, "blockedPorts") == 0) {
    parse_ports(c, v, p);
  } else if (strcmp(k, "blockPrivate") == 0) {
    if (get_bool(c, v, &p->network_block_private))
      p->present |= SBX_PK_NET_BLOCK_PRIVATE;
  } else if (strcmp(k, "maxConnections") == 0) {
    int64_t n;
    if (YAJL_IS_NULL(v)) {
      p->network_max_connections = -1;
      p->present |= SBX_PK_NET_MAX_CONN;
    } else if (get_int64(c, v, &n)) {
      if (n < 1 || n > 1000000)
        perr(c, "%" PRId64 " out of range (1 to 1000000, or null for unlimited)", n);
      else
        p->network_max_connections = n, p->present |= SBX_PK_NET_MAX_CONN;
    }
  } else if (strcmp(k, "dns") == 0) {
    static const char *const dns_keys[] = { "upstream", NULL };
    walk_object(c, v, dns_keys, parse_dns_key, p);
  }
}

static void parse_caps_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;
  char **v2;
  size_t n;

  p->present |= SBX_PK_CAPS_ALLOW;
  get_strings(c, v, check_cap, &v2, &n);
  p->caps_allow = v2;
  p->caps_allow_len = 0;
  for (size_t i = 0; i < n; i++) {
    bool dup = false;
    if (strcmp(v2[i], "ALL") == 0) {
      p->caps_all = true;
      free(v2[i]);
      continue;
    }
    for (size_t j = 0; j < p->caps_allow_len; j++)
      dup = dup || strcmp(v2[j], v2[i]) == 0;
    if (dup)
      free(v2[i]);
    else
      v2[p->caps_allow_len++] = v2[i];
  }
}

static void parse_env_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;
  int i;

  if (strcmp(k, "inherit") == 0) {
    if (get_choice(c, v, inherit_names, "inherit mode", &i)) {
      p->env.inherit = (enum sbx_env_inherit)i;
      p->present |= SBX_PK_ENV_INHERIT;
    }
  } else if (strcmp(k, "allow") == 0) {
    p->present |= SBX_PK_ENV_ALLOW;
    get_strings(c, v, check_env_glob, &p->env.allow, &p->env.allow_len);
  } else if (strcmp(k, "deny") == 0) {
    p->present |= SBX_PK_ENV_DENY;
    get_strings(c, v, check_env_glob, &p->env.deny, &p->env.deny_len);
  } else {
    if (!want(c, v, YAJL_IS_OBJECT(v), "an object of strings"))
      return;
    p->present |= SBX_PK_ENV_SET;
    size_t n = v->u.object.len;
    p->env.set_names = calloc(n + 1, sizeof(char *));
    p->env.set_values = calloc(n + 1, sizeof(char *));
    if (!p->env.set_names || !p->env.set_values) {
      c->oom = true;
      return;
    }
    for (size_t j = 0; j < n; j++) {
      const char *name = v->u.object.keys[j];
      yajl_val val = v->u.object.values[j];
      size_t saved = path_key(c, name);
      bool dup = false;
      for (size_t q = 0; q < j; q++)
        dup = dup || strcmp(v->u.object.keys[q], name) == 0;
      if (dup)
        perr(c, "duplicate key");
      else if (name[0] == '\0' || strchr(name, '='))
        perr(c, "bad variable name");
      else if (want(c, val, YAJL_IS_STRING(val), "a string")) {
        p->env.set_names[p->env.set_len] = strdup(name);
        p->env.set_values[p->env.set_len] = strdup(val->u.string);
        p->env.set_len++;
      }
      path_pop(c, saved);
    }
  }
}

enum lim_kind { LIM_SIZE, LIM_COUNT, LIM_DURATION, LIM_CPUS };

static void parse_limits_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  static const struct {
    const char *key;
    enum lim_kind kind;
    size_t off;
    unsigned bit;
  } lims[] = {
    { "memory", LIM_SIZE, offsetof(struct sbx_policy_limits, memory), SBX_PK_LIM_MEMORY },
    { "cpus", LIM_CPUS, 0, SBX_PK_LIM_CPUS },
    { "pids", LIM_COUNT, offsetof(struct sbx_policy_limits, pids), SBX_PK_LIM_PIDS },
    { "openFiles", LIM_COUNT, offsetof(struct sbx_policy_limits, open_files), SBX_PK_LIM_OPEN_FILES },
    { "fileSize", LIM_SIZE, offsetof(struct sbx_policy_limits, file_size), SBX_PK_LIM_FILE_SIZE },
    { "timeout", LIM_DURATION, offsetof(struct sbx_policy_limits, timeout), SBX_PK_LIM_TIMEOUT },
    { "lifetime", LIM_DURATION, offsetof(struct sbx_policy_limits, lifetime), SBX_PK_LIM_LIFETIME },
    { "scratch", LIM_SIZE, offsetof(struct sbx_policy_limits, scratch), SBX_PK_LIM_SCRATCH },
  };
  struct sbx_policy *p = data;
  size_t i = 0;
  int64_t n = -1;

  while (strcmp(lims[i].key, k) != 0)
    i++;
  if (YAJL_IS_NULL(v) || (YAJL_IS_STRING(v) && strcmp(v->u.string, "none") == 0)) {
    if (lims[i].kind == LIM_CPUS)
      p->limits.cpus = -1;
    else
      *(int64_t *)((char *)&p->limits + lims[i].off) = -1;
    p->present |= lims[i].bit;
    return;
  }
  switch (lims[i].kind) {
  case LIM_CPUS: {
    const char *raw = YAJL_IS_NUMBER(v) ? v->u.number.r : NULL;
    char *end;
    double d;
    if (raw == NULL) {
      want(c, v, false, "a number of CPUs or null");
      return;
    }
    errno = 0;
    d = strtod(raw, &end);
    if (errno || *end || !isfinite(d) || d <= 0 || d > 1e6) {
      perr(c, "expected a number of CPUs greater than 0, got %s", raw);
      return;
    }
    p->limits.cpus = d;
    p->present |= lims[i].bit;
    return;
  }
  case LIM_COUNT:
    if (!YAJL_IS_NUMBER(v)) {
      want(c, v, false, "an integer or null");
      return;
    }
    if (!get_int64(c, v, &n))
      return;
    if (n <= 0) {
      perr(c, "must be greater than zero");
      return;
    }
    break;
  case LIM_SIZE:
    if (YAJL_IS_NUMBER(v)) {
      if (!get_int64(c, v, &n))
        return;
    } else if (!YAJL_IS_STRING(v)) {
      want(c, v, false, "a size (\"512M\", bytes) or null");
      return;
    } else if (!sbx_policy_parse_size(v->u.string, &n)) {
      perr(c, "bad size `%s` (a number with an optional K, M or G suffix)", v->u.string);
      return;
    }
    if (n < 0 || (n == 0 && lims[i].bit != SBX_PK_LIM_FILE_SIZE)) {
      perr(c, "must be greater than zero");
      return;
    }
    break;
  case LIM_DURATION:
    if (YAJL_IS_NUMBER(v)) {
      if (!get_int64(c, v, &n))
        return;
    } else if (!YAJL_IS_STRING(v)) {
      want(c, v, false, "a duration (\"300s\", \"15m\", \"6h\") or null");
      return;
    } else if (!sbx_policy_parse_duration(v->u.string, &n)) {
      perr(c, "bad duration `%s` (a number with an s, m or h suffix)", v->u.string);
      return;
    }
    if (n <= 0) {
      perr(c, "must be greater than zero");
      return;
    }
    break;
  }
  *(int64_t *)((char *)&p->limits + lims[i].off) = n;
  p->present |= lims[i].bit;
}

static void parse_audit_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  struct sbx_policy *p = data;
  char *s;

  if (strcmp(k, "commands") == 0) {
    if (get_bool(c, v, &p->audit_commands))
      p->present |= SBX_PK_AUDIT_COMMANDS;
    return;
  }
  if (strcmp(k, "maxBytes") == 0) {
    int64_t n = -1;
    if (YAJL_IS_NUMBER(v) ? !get_int64(c, v, &n)
                          : !YAJL_IS_STRING(v) || !sbx_policy_parse_size(v->u.string, &n)) {
      want(c, v, false, "a size (\"64M\", bytes)");
      return;
    }
    if (n < 4096) {
      perr(c, "must be at least 4096 bytes");
      return;
    }
    p->audit_max_bytes = n;
    p->present |= SBX_PK_AUDIT_MAX_BYTES;
    return;
  }
  p->present |= SBX_PK_AUDIT_PATH;
  if (YAJL_IS_NULL(v))
    return;
  if ((s = get_string(c, v)) == NULL)
    return;
  if (s[0] != '/') {
    perr(c, "`%s` is not an absolute path", s);
    free(s);
    return;
  }
  p->audit_path = s;
}

static void parse_top_key(struct pctx *c, const char *k, yajl_val v, void *data)
{
  static const char *const fs_keys[] = { "default", "enforcement", "rules", NULL };
  static const char *const exec_keys[] = { "allow", NULL };
  static const char *const net_keys[] = { "mode", "allow", "deny", "blockedPorts",
                                          "blockPrivate", "maxConnections", "dns", NULL };
  static const char *const caps_keys[] = { "allow", NULL };
  static const char *const env_keys[] = { "inherit", "allow", "deny", "set", NULL };
  static const char *const limit_keys[] = { "memory", "cpus", "pids", "openFiles", "fileSize",
                                            "timeout", "lifetime", "scratch", NULL };
  static const char *const audit_keys[] = { "path", "commands", "maxBytes", NULL };
  struct sbx_policy *p = data;
  int64_t n;
  int i;

  if (strcmp(k, "version") == 0) {
    if (get_int64(c, v, &n) && n != 1)
      perr(c, "unsupported version %" PRId64 " (this agentsbx reads version 1)", n);
  } else if (strcmp(k, "name") == 0) {
    char *s = get_string(c, v);
    if (s && !valid_name_text(s)) {
      perr(c, "a name is 1 to 128 printable characters");
      free(s);
      s = NULL;
    }
    if (s) {
      p->name = s;
      p->present |= SBX_PK_NAME;
    }
  } else if (strcmp(k, "extends") == 0) {
    char *s = get_string(c, v);
    if (s && !sbx_policy_valid_name(s)) {
      perr(c, "`%s` is not a policy name (letters, digits, '.', '-', '_')", s);
      free(s);
      s = NULL;
    }
    if (s) {
      p->extends = s;
      p->present |= SBX_PK_EXTENDS;
    }
  } else if (strcmp(k, "annotations") == 0) {
    if (get_bool(c, v, &p->annotations))
      p->present |= SBX_PK_ANNOTATIONS;
  } else if (strcmp(k, "selectable") == 0) {
    p->present |= SBX_PK_SELECTABLE;
    get_strings(c, v, check_policy_name, &p->selectable, &p->selectable_len);
  } else if (strcmp(k, "passthrough") == 0) {
    if (!c->preset)
      perr(c, "unknown key");
    else
      get_bool(c, v, &p->passthrough);
  } else if (strcmp(k, "filesystem") == 0) {
    walk_object(c, v, fs_keys, parse_filesystem_key, p);
  } else if (strcmp(k, "exec") == 0) {
    walk_object(c, v, exec_keys, parse_exec_key, p);
  } else if (strcmp(k, "network") == 0) {
    walk_object(c, v, net_keys, parse_network_key, p);
  } else if (strcmp(k, "capabilities") == 0) {
    walk_object(c, v, caps_keys, parse_caps_key, p);
  } else if (strcmp(k, "noNewPrivileges") == 0) {
    if (get_bool(c, v, &p->no_new_privileges))
      p->present |= SBX_PK_NNP;
  } else if (strcmp(k, "seccomp") == 0) {
    if (get_choice(c, v, seccomp_names, "seccomp mode", &i)) {
      p->seccomp = (enum sbx_seccomp_mode)i;
      p->present |= SBX_PK_SECCOMP;
    }
  } else if (strcmp(k, "env") == 0) {
    walk_object(c, v, env_keys, parse_env_key, p);
  } else if (strcmp(k, "limits") == 0) {
    walk_object(c, v, limit_keys, parse_limits_key, p);
  } else if (strcmp(k, "audit") == 0) {
    walk_object(c, v, audit_keys, parse_audit_key, p);
  }
}

int sbx_policy_parse_internal(const char *json, size_t len, const char *origin, bool preset,
                              struct sbx_policy **out, struct sbx_diags *errors,
                              struct sbx_error *err)
{
  static const char *const top_keys[] = {
    "version", "name", "extends", "annotations", "selectable", "passthrough", "filesystem", "exec",
    "network", "capabilities", "noNewPrivileges", "seccomp", "env", "limits", "audit", NULL };
  struct sbx_diags local = { 0 };
  struct pctx c = { .origin = origin, .errs = errors ? errors : &local, .preset = preset };
  size_t first = c.errs->len;
  struct sbx_policy *p = NULL;
  char *jerr = NULL;
  yajl_val tree;

  *out = NULL;
  tree = jtree_parse(json, len, &jerr);
  if (tree == NULL) {
    perr(&c, "%s", jerr ? jerr : "invalid JSON");
    free(jerr);
  } else if ((p = sbx_policy_new()) == NULL) {
    c.oom = true;
  } else {
    walk_object(&c, tree, top_keys, parse_top_key, p);
    if (c.errs->len == first && p->network != SBX_NET_ALLOWLIST && p->network_allow_len &&
        (p->present & SBX_PK_NET_MODE))
      perr(&c, "network.allow: hosts are only allowed with mode `allowlist`");
    if (c.errs->len == first && p->network != SBX_NET_ALLOWLIST && p->network_deny_len &&
        (p->present & SBX_PK_NET_MODE))
      perr(&c, "network.deny: entries are only allowed with mode `allowlist`");
  }
  yajl_tree_free(tree);
  if (c.oom && c.errs->len == first)
    diags_add(c.errs, sbx_strdup_printf("%s: out of memory", origin), &c.oom);
  if (c.errs->len > first || c.oom) {
    size_t more = c.errs->len - first - 1;
    if (c.errs->len > first) {
      if (more)
        sbx_fail(err, 0, "%s (and %zu more error%s)", c.errs->items[first], more,
                 more > 1 ? "s" : "");
      else
        sbx_fail(err, 0, "%s", c.errs->items[first]);
      err->errnum = EINVAL;
    } else {
      sbx_fail(err, ENOMEM, "%s", origin);
    }
    sbx_diags_free(&local);
    sbx_policy_free(p);
    return -1;
  }
  sbx_diags_free(&local);
  *out = p;
  return 0;
}

int sbx_policy_parse(const char *json, size_t len, const char *origin, struct sbx_policy **out,
                     struct sbx_diags *errors, struct sbx_error *err)
{
  return sbx_policy_parse_internal(json, len, origin, false, out, errors, err);
}

/* ---- canonical JSON ---- */

static void gen_str(yajl_gen g, const char *s)
{
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_str_or_null(yajl_gen g, const char *s)
{
  if (s)
    gen_str(g, s);
  else
    yajl_gen_null(g);
}

static void gen_strv(yajl_gen g, char *const *v, size_t n)
{
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++)
    gen_str(g, v[i]);
  yajl_gen_array_close(g);
}

static void gen_size(yajl_gen g, int64_t v)
{
  static const char units[] = "KMG";
  char buf[32];
  int u = -1;

  if (v < 0) {
    yajl_gen_null(g);
    return;
  }
  while (u < 2 && v > 0 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  if (u >= 0)
    snprintf(buf, sizeof buf, "%" PRId64 "%c", v, units[u]);
  else
    snprintf(buf, sizeof buf, "%" PRId64, v);
  gen_str(g, buf);
}

static void gen_duration(yajl_gen g, int64_t v)
{
  char buf[32];

  if (v < 0)
    yajl_gen_null(g);
  else {
    if (v % 3600 == 0)
      snprintf(buf, sizeof buf, "%" PRId64 "h", v / 3600);
    else if (v % 60 == 0)
      snprintf(buf, sizeof buf, "%" PRId64 "m", v / 60);
    else
      snprintf(buf, sizeof buf, "%" PRId64 "s", v);
    gen_str(g, buf);
  }
}

static void gen_count(yajl_gen g, int64_t v)
{
  if (v < 0)
    yajl_gen_null(g);
  else
    yajl_gen_integer(g, v);
}

static void gen_cpus(yajl_gen g, double d)
{
  char buf[64];

  if (d < 0) {
    yajl_gen_null(g);
    return;
  }
  snprintf(buf, sizeof buf, "%.15g", d);
  yajl_gen_number(g, buf, strlen(buf));
}

char *sbx_policy_to_json(const struct sbx_policy *p, bool pretty, struct sbx_error *err)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (g == NULL) {
    sbx_fail(err, ENOMEM, "policy to JSON");
    return NULL;
  }
  if (pretty) {
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "  ");
  }
  yajl_gen_map_open(g);
  gen_str(g, "version");
  yajl_gen_integer(g, 1);
  gen_str(g, "name");
  gen_str_or_null(g, p->name);
  if (p->passthrough) {
    /* The preset `none`: no overlay, nothing else applies. */
    gen_str(g, "passthrough");
    yajl_gen_bool(g, 1);
    yajl_gen_map_close(g);
    goto done;
  }
  gen_str(g, "annotations");
  yajl_gen_bool(g, p->annotations);
  gen_str(g, "selectable");
  gen_strv(g, p->selectable, p->selectable_len);

  gen_str(g, "filesystem");
  yajl_gen_map_open(g);
  gen_str(g, "default");
  gen_str(g, sbx_perm_name(p->fs_default));
  gen_str(g, "enforcement");
  gen_str(g, enforcement_names[p->fs_best_effort ? 1 : 0]);
  gen_str(g, "rules");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < p->rules_len; i++) {
    yajl_gen_map_open(g);
    gen_str(g, "pattern");
    gen_str(g, p->rules[i].pattern);
    gen_str(g, "permission");
    gen_str(g, sbx_perm_name(p->rules[i].permission));
    gen_str(g, "priority");
    yajl_gen_integer(g, p->rules[i].priority);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);

  gen_str(g, "exec");
  yajl_gen_map_open(g);
  gen_str(g, "allow");
  if (p->exec_restricted)
    gen_strv(g, p->exec_allow, p->exec_allow_len);
  else
    yajl_gen_null(g);
  yajl_gen_map_close(g);

  gen_str(g, "network");
  yajl_gen_map_open(g);
  gen_str(g, "mode");
  gen_str(g, sbx_net_mode_name(p->network));
  gen_str(g, "allow");
  gen_strv(g, p->network_allow, p->network_allow_len);
  gen_str(g, "deny");
  gen_strv(g, p->network_deny, p->network_deny_len);
  gen_str(g, "blockedPorts");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < p->network_blocked_ports_len; i++)
    yajl_gen_integer(g, p->network_blocked_ports[i]);
  yajl_gen_array_close(g);
  gen_str(g, "blockPrivate");
  yajl_gen_bool(g, p->network_block_private);
  gen_str(g, "maxConnections");
  gen_count(g, p->network_max_connections);
  gen_str(g, "dns");
  yajl_gen_map_open(g);
  gen_str(g, "upstream");
  gen_strv(g, p->network_dns_upstream, p->network_dns_upstream_len);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);

  gen_str(g, "capabilities");
  yajl_gen_map_open(g);
  gen_str(g, "allow");
  if (p->caps_all) {
    yajl_gen_array_open(g);
    gen_str(g, "ALL");
    yajl_gen_array_close(g);
  } else {
    gen_strv(g, p->caps_allow, p->caps_allow_len);
  }
  yajl_gen_map_close(g);

  gen_str(g, "noNewPrivileges");
  yajl_gen_bool(g, p->no_new_privileges);
  gen_str(g, "seccomp");
  gen_str(g, sbx_seccomp_mode_name(p->seccomp));

  gen_str(g, "env");
  yajl_gen_map_open(g);
  gen_str(g, "inherit");
  gen_str(g, inherit_names[p->env.inherit]);
  gen_str(g, "allow");
  gen_strv(g, p->env.allow, p->env.allow_len);
  gen_str(g, "deny");
  gen_strv(g, p->env.deny, p->env.deny_len);
  gen_str(g, "set");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < p->env.set_len; i++) {
    gen_str(g, p->env.set_names[i]);
    gen_str(g, p->env.set_values[i]);
  }
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);

  gen_str(g, "limits");
  yajl_gen_map_open(g);
  gen_str(g, "memory");
  gen_size(g, p->limits.memory);
  gen_str(g, "cpus");
  gen_cpus(g, p->limits.cpus);
  gen_str(g, "pids");
  gen_count(g, p->limits.pids);
  gen_str(g, "openFiles");
  gen_count(g, p->limits.open_files);
  gen_str(g, "fileSize");
  gen_size(g, p->limits.file_size);
  gen_str(g, "timeout");
  gen_duration(g, p->limits.timeout);
  gen_str(g, "lifetime");
  gen_duration(g, p->limits.lifetime);
  gen_str(g, "scratch");
  gen_size(g, p->limits.scratch);
  yajl_gen_map_close(g);

  gen_str(g, "audit");
  yajl_gen_map_open(g);
  gen_str(g, "path");
  gen_str_or_null(g, p->audit_path);
  gen_str(g, "commands");
  yajl_gen_bool(g, p->audit_commands);
  gen_str(g, "maxBytes");
  gen_size(g, p->audit_max_bytes);
  yajl_gen_map_close(g);

  yajl_gen_map_close(g);
done:
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
    sbx_fail(err, 0, "policy to JSON: generator error");
  else if ((out = strndup((const char *)buf, len)) == NULL)
    sbx_fail(err, ENOMEM, "policy to JSON");
  yajl_gen_free(g);
  return out;
}

char *sbx_policy_digest(const struct sbx_policy *p, struct sbx_error *err)
{
  cleanup_free char *json = sbx_policy_to_json(p, false, err);
  char hex[65];

  if (json == NULL)
    return NULL;
  sbx_sha256_hex(json, strlen(json), hex);
  return sbx_strdup_printf("sha256:%s", hex);
}
