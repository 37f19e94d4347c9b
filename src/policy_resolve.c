/* policy_resolve.c: where the effective policy comes from (--policy, the
 * agentsbx.policy annotation, CONFIG_DIR/policy.json, the default preset),
 * `extends` chains (key by key, cycles, depth), the agentsbx.policy.tighten
 * annotation (which may only tighten), and `policy check`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci_spec.h"
#include "policy.h"
#include "net_policy.h"
#include "policy_internal.h"
#include "utils.h"


static const char *config_dir_of(const char *dir)
{
  return dir && *dir ? dir : SBX_POLICY_CONFIG_DIR;
}

/* --policy X names a FILE when it holds a '/' or ends in ".json". */
static bool is_file_ref(const char *s)
{
  size_t n = strlen(s);
  return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".json") == 0);
}

/* ---- loading one document ---- */

struct loaded {
  struct sbx_policy *doc;
  char *origin;        /* "preset NAME" or the file path */
  char *default_name;  /* name when the document has none */
};

static void loaded_clear(struct loaded *l)
{
  sbx_policy_free(l->doc);
  free(l->origin);
  free(l->default_name);
  memset(l, 0, sizeof *l);
}

static int load_file(const char *path, const char *default_name, struct loaded *out,
                     struct sbx_diags *errors, struct sbx_error *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (sbx_read_file(path, &text, &len, err) < 0)
    return sbx_wrap(err, "policy file");
  out->origin = strdup(path);
  out->default_name = strdup(default_name);
  if (out->origin == NULL || out->default_name == NULL)
    return sbx_fail(err, ENOMEM, "load policy");
  return sbx_policy_parse_internal(text, len, path, false, &out->doc, errors, err);
}

/* NAME: a preset, else CONFIG_DIR/policies/NAME.json. */
static int load_name(const char *config_dir, const char *name, struct loaded *out,
                     struct sbx_diags *errors, struct sbx_error *err)
{
  const struct sbx_policy_preset *pr = sbx_policy_preset_find(name);
  cleanup_free char *path = NULL;
  struct stat st;

  if (pr) {
    out->origin = sbx_strdup_printf("preset %s", name);
    out->default_name = strdup(name);
    if (out->origin == NULL || out->default_name == NULL)
      return sbx_fail(err, ENOMEM, "load policy");
    return sbx_policy_parse_internal(pr->json, strlen(pr->json), out->origin, true, &out->doc,
                                     errors, err);
  }
  if (!sbx_policy_valid_name(name))
    return sbx_invalid(err, "`%s` is not a policy name (letters, digits, '.', '-', '_')", name);
  path = sbx_strdup_printf("%s/policies/%s.json", config_dir, name);
  if (path == NULL)
    return sbx_fail(err, ENOMEM, "load policy");
  if (stat(path, &st) < 0 && errno == ENOENT)
    return sbx_invalid(err, "unknown policy `%s`: not a preset, and there is no %s", name, path);
  return load_file(path, name, out, errors, err);
}

/* ---- extends ---- */

static bool strv_append(char ***v, size_t *n, char *const *add, size_t add_n)
{
  char **nv;

  if (add_n == 0)
    return true;
  nv = realloc(*v, (*n + add_n + 1) * sizeof *nv);
  if (nv == NULL)
    return false;
  *v = nv;
  for (size_t i = 0; i < add_n; i++) {
    if ((nv[*n] = strdup(add[i])) == NULL)
      return false;
    (*n)++;
  }
  return true;
}

static void strv_clear(char ***v, size_t *n)
{
  for (size_t i = 0; i < *n; i++)
    free((*v)[i]);
  free(*v);
  *v = NULL;
  *n = 0;
}

static bool strv_replace(char ***v, size_t *n, char *const *src, size_t src_n)
{
  strv_clear(v, n);
  return strv_append(v, n, src, src_n);
}

/* network.blockedPorts: append, skipping ports already there. */
static bool ports_append(int **v, size_t *n, const int *add, size_t add_n)
{
  int *nv;

  if (add_n == 0)
    return true;
  nv = realloc(*v, (*n + add_n) * sizeof *nv);
  if (nv == NULL)
    return false;
  *v = nv;
  for (size_t i = 0; i < add_n; i++) {
    size_t j;
    for (j = 0; j < *n && nv[j] != add[i]; j++)
      ;
    if (j == *n)
      nv[(*n)++] = add[i];
  }
  return true;
}

static bool rules_append(struct sbx_policy *p, const struct sbx_policy_rule *add, size_t n)
{
  struct sbx_policy_rule *r;

  if (n == 0)
    return true;
  r = realloc(p->rules, (p->rules_len + n) * sizeof *r);
  if (r == NULL)
    return false;
  p->rules = r;
  for (size_t i = 0; i < n; i++) {
    if (!sbx_policy_rule_copy(&r[p->rules_len], &add[i])) {
      free(r[p->rules_len].pattern);
      free(r[p->rules_len].origin);
      sbx_glob_free(&r[p->rules_len].glob);
      return false;
    }
    p->rules_len++;
  }
  return true;
}

static bool env_set_merge(struct sbx_policy_env *e, char *const *names, char *const *values,
                          size_t n)
{
  for (size_t i = 0; i < n; i++) {
    size_t j;
    for (j = 0; j < e->set_len; j++)
      if (strcmp(e->set_names[j], names[i]) == 0)
        break;
    if (j < e->set_len) {
      char *v = strdup(values[i]);
      if (v == NULL)
        return false;
      free(e->set_values[j]);
      e->set_values[j] = v;
      continue;
    }
    char **nn = realloc(e->set_names, (e->set_len + 1) * sizeof *nn);
    if (nn == NULL)
      return false;
    e->set_names = nn;
    char **nv = realloc(e->set_values, (e->set_len + 1) * sizeof *nv);
    if (nv == NULL)
      return false;
    e->set_values = nv;
    nn[e->set_len] = strdup(names[i]);
    nv[e->set_len] = strdup(values[i]);
    if (nn[e->set_len] == NULL || nv[e->set_len] == NULL) {
      free(nn[e->set_len]);
      free(nv[e->set_len]);
      return false;
    }
    e->set_len++;
  }
  return true;
}

/* Copy into r what doc sets, key by key: rules and env.deny append, env.set
 * merges, limits per key, everything else replaces. */
static bool overlay(struct sbx_policy *r, const struct sbx_policy *d)
{
  uint64_t k = d->present;
  bool ok = true;

  if (k & SBX_PK_ANNOTATIONS)
    r->annotations = d->annotations;
  if (k & SBX_PK_SELECTABLE)
    ok = ok && strv_replace(&r->selectable, &r->selectable_len, d->selectable, d->selectable_len);
  if (k & SBX_PK_FS_DEFAULT)
    r->fs_default = d->fs_default;
  if (k & SBX_PK_FS_ENFORCEMENT)
    r->fs_best_effort = d->fs_best_effort;
  if (k & SBX_PK_FS_RULES)
    ok = ok && rules_append(r, d->rules, d->rules_len);
  if (k & SBX_PK_EXEC_ALLOW) {
    r->exec_restricted = d->exec_restricted;
    ok = ok && strv_replace(&r->exec_allow, &r->exec_allow_len, d->exec_allow, d->exec_allow_len);
  }
  if (k & SBX_PK_NET_MODE)
    r->network = d->network;
  if (k & SBX_PK_NET_ALLOW)
    ok = ok && strv_append(&r->network_allow, &r->network_allow_len, d->network_allow,
                           d->network_allow_len);
  if (k & SBX_PK_NET_DENY)
    ok = ok && strv_append(&r->network_deny, &r->network_deny_len, d->network_deny,
                           d->network_deny_len);
  if (k & SBX_PK_NET_BLOCKED_PORTS)
    ok = ok && ports_append(&r->network_blocked_ports, &r->network_blocked_ports_len,
                            d->network_blocked_ports, d->network_blocked_ports_len);
  if (k & SBX_PK_NET_BLOCK_PRIVATE)
    r->network_block_private = d->network_block_private;
  if (k & SBX_PK_NET_MAX_CONN)
    r->network_max_connections = d->network_max_connections;
  if (k & SBX_PK_NET_DNS_UPSTREAM)
    ok = ok && strv_replace(&r->network_dns_upstream, &r->network_dns_upstream_len,
                            d->network_dns_upstream, d->network_dns_upstream_len);
  if (k & SBX_PK_CAPS_ALLOW) {
    r->caps_all = d->caps_all;
    ok = ok && strv_replace(&r->caps_allow, &r->caps_allow_len, d->caps_allow, d->caps_allow_len);
  }
  if (k & SBX_PK_NNP)
    r->no_new_privileges = d->no_new_privileges;
  if (k & SBX_PK_SECCOMP)
    r->seccomp = d->seccomp;
  if (k & SBX_PK_ENV_INHERIT)
    r->env.inherit = d->env.inherit;
  if (k & SBX_PK_ENV_ALLOW)
    ok = ok && strv_replace(&r->env.allow, &r->env.allow_len, d->env.allow, d->env.allow_len);
  if (k & SBX_PK_ENV_DENY)
    ok = ok && strv_append(&r->env.deny, &r->env.deny_len, d->env.deny, d->env.deny_len);
  if (k & SBX_PK_ENV_SET)
    ok = ok && env_set_merge(&r->env, d->env.set_names, d->env.set_values, d->env.set_len);
  if (k & SBX_PK_LIM_MEMORY)
    r->limits.memory = d->limits.memory;
  if (k & SBX_PK_LIM_CPUS)
    r->limits.cpus = d->limits.cpus;
  if (k & SBX_PK_LIM_PIDS)
    r->limits.pids = d->limits.pids;
  if (k & SBX_PK_LIM_OPEN_FILES)
    r->limits.open_files = d->limits.open_files;
  if (k & SBX_PK_LIM_FILE_SIZE)
    r->limits.file_size = d->limits.file_size;
  if (k & SBX_PK_LIM_TIMEOUT)
    r->limits.timeout = d->limits.timeout;
  if (k & SBX_PK_LIM_LIFETIME)
    r->limits.lifetime = d->limits.lifetime;
  if (k & SBX_PK_LIM_SCRATCH)
    r->limits.scratch = d->limits.scratch;
  if (k & SBX_PK_AUDIT_PATH) {
    free(r->audit_path);
    r->audit_path = d->audit_path ? strdup(d->audit_path) : NULL;
    ok = ok && (d->audit_path == NULL || r->audit_path != NULL);
  }
  if (k & SBX_PK_AUDIT_COMMANDS)
    r->audit_commands = d->audit_commands;
  if (k & SBX_PK_AUDIT_MAX_BYTES)
    r->audit_max_bytes = d->audit_max_bytes;
  return ok;
}

struct chain {
  const char *config_dir;
  const char *names[SBX_POLICY_MAX_EXTENDS + 2];
  size_t depth;
};

static int resolve_loaded(struct chain *ch, struct loaded *l, struct sbx_policy **out,
                          struct sbx_diags *errors, struct sbx_error *err);

/* The effective policy of NAME with its chain. */
static int resolve_name(struct chain *ch, const char *name, struct sbx_policy **out,
                        struct sbx_diags *errors, struct sbx_error *err)
{
  struct loaded l = { 0 };
  int r;

  if (load_name(ch->config_dir, name, &l, errors, err) < 0) {
    loaded_clear(&l);
    return -1;
  }
  r = resolve_loaded(ch, &l, out, errors, err);
  loaded_clear(&l);
  return r;
}

static int resolve_loaded(struct chain *ch, struct loaded *l, struct sbx_policy **out,
                          struct sbx_diags *errors, struct sbx_error *err)
{
  struct sbx_policy *doc = l->doc, *r = NULL;

  *out = NULL;
  if (doc->passthrough) {
    if ((r = sbx_policy_dup(doc)) == NULL)
      return sbx_fail(err, ENOMEM, "resolve policy");
  } else if (doc->extends) {
    const char *parent = doc->extends;
    if (ch->depth >= SBX_POLICY_MAX_EXTENDS) {
      sbx_invalid(err, "%s: extends: more than %d levels of extends", l->origin,
                  SBX_POLICY_MAX_EXTENDS);
      goto fail;
    }
    for (size_t i = 0; i < ch->depth; i++)
      if (strcmp(ch->names[i], parent) == 0) {
        char chain[512] = "";
        for (size_t j = i; j < ch->depth; j++)
          snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s -> ", ch->names[j]);
        sbx_invalid(err, "%s: extends: cycle %s%s", l->origin, chain, parent);
        goto fail;
      }
    ch->names[ch->depth++] = parent;
    int rc = resolve_name(ch, parent, &r, errors, err);
    ch->depth--;
    if (rc < 0) {
      sbx_wrap(err, "%s: extends `%s`", l->origin, parent);
      return -1;
    }
    /* {"extends": "none"} alone (a name, annotations and selectable aside:
     * under none every policy is at least as strict) is how a file selects
     * the preset none; anything more would be meaningless. */
    if (r->passthrough &&
        (doc->present & ~(uint64_t)(SBX_PK_NAME | SBX_PK_EXTENDS | SBX_PK_ANNOTATIONS |
                                    SBX_PK_SELECTABLE)) == 0) {
      r->annotations = (doc->present & SBX_PK_ANNOTATIONS) ? doc->annotations : r->annotations;
    } else if (r->passthrough) {
      sbx_policy_free(r);
      sbx_invalid(err, "%s: extends: the policy `none` applies no overlay and cannot be extended "
                  "(a document of only {\"extends\": \"none\"} selects it)", l->origin);
      goto fail;
    } else if (!overlay(r, doc)) {
      sbx_policy_free(r);
      return sbx_fail(err, ENOMEM, "resolve policy");
    }
  } else {
    if ((r = sbx_policy_new()) == NULL || !overlay(r, doc)) {
      sbx_policy_free(r);
      return sbx_fail(err, ENOMEM, "resolve policy");
    }
  }
  free(r->name);
  r->name = strdup(doc->name ? doc->name : l->default_name);
  free(r->extends);
  r->extends = NULL;
  r->present = 0;
  free(r->source_detail);
  r->source_detail = strdup(l->origin);
  if (r->name == NULL || r->source_detail == NULL) {
    sbx_policy_free(r);
    return sbx_fail(err, ENOMEM, "resolve policy");
  }
  *out = r;
  return 0;
fail:
  if (errors)
    sbx_diags_push(errors, strdup(err->msg ? err->msg : "error"));
  return -1;
}

int sbx_policy_load(const char *config_dir, const char *ref, struct sbx_policy **out,
                    struct sbx_error *err)
{
  struct chain ch = { .config_dir = config_dir_of(config_dir) };
  struct loaded l = { 0 };
  int r;

  *out = NULL;
  if (is_file_ref(ref)) {
    if (load_file(ref, ref, &l, NULL, err) < 0) {
      loaded_clear(&l);
      return -1;
    }
    ch.names[ch.depth++] = ref;
  } else {
    if (load_name(ch.config_dir, ref, &l, NULL, err) < 0) {
      loaded_clear(&l);
      return -1;
    }
    ch.names[ch.depth++] = ref;
  }
  r = resolve_loaded(&ch, &l, out, NULL, err);
  loaded_clear(&l);
  return r;
}

/* ---- tighten ---- */

struct tctx {
  const char *origin;
  struct sbx_diags *errs;
  size_t count;
};

static void tfail(struct tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tfail(struct tctx *t, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  t->count++;
  if (t->origin)
    sbx_diags_push(t->errs, sbx_strdup_printf("%s: %s", t->origin, msg ? msg : "out of memory"));
  else
    sbx_diags_push(t->errs, strdup(msg ? msg : "out of memory"));
  free(msg);
}

static bool in_list(char *const *v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

static bool has_wildcard(const char *s)
{
  return strpbrk(s, "*?[\\") != NULL;
}

/* s is allowed by a list of globs: the same glob, or a literal it matches. */
static bool glob_list_allows(char *const *v, size_t n, const char *s, bool paths)
{
  if (in_list(v, n, s))
    return true;
  if (has_wildcard(s))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (paths) {
      struct sbx_glob g;
      const char *why;
      if (sbx_glob_compile(v[i], &g, &why)) {
        bool hit = sbx_glob_match(&g, s);
        sbx_glob_free(&g);
        if (hit)
          return true;
      }
    } else if (sbx_glob_match_segment(v[i], s)) {
      return true;
    }
  }
  return false;
}

static void fmt_size(char *buf, size_t n, int64_t v)
{
  static const char units[] = "KMG";
  int u = -1;

  if (v < 0) {
    snprintf(buf, n, "unlimited");
    return;
  }
  while (u < 2 && v > 0 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  if (u >= 0)
    snprintf(buf, n, "%" PRId64 "%c", v, units[u]);
  else
    snprintf(buf, n, "%" PRId64, v);
}

static void fmt_duration(char *buf, size_t n, int64_t v)
{
  if (v < 0)
    snprintf(buf, n, "none");
  else if (v % 3600 == 0)
    snprintf(buf, n, "%" PRId64 "h", v / 3600);
  else if (v % 60 == 0)
    snprintf(buf, n, "%" PRId64 "m", v / 60);
  else
    snprintf(buf, n, "%" PRId64 "s", v);
}

static void fmt_count(char *buf, size_t n, int64_t v)
{
  if (v < 0)
    snprintf(buf, n, "unlimited");
  else
    snprintf(buf, n, "%" PRId64, v);
}

/* Segment-wise: can paths under prefix a and under prefix b overlap? */
static bool prefixes_overlap(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  size_t n = la < lb ? la : lb;

  if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
    return true;
  if (strncmp(a, b, n) != 0)
    return false;
  /* equal up to the shorter: the longer must continue with a '/' */
  return la == lb || (la > lb ? a[n] == '/' : b[n] == '/');
}

/* A tighten rule t may only lower permissions: wherever it can win (beat
 * the base's best candidate), its permission must not exceed that
 * candidate's, nor filesystem.default where no base rule may apply. */
static void check_fs_rule(struct tctx *t, const struct sbx_policy *base,
                          const struct sbx_policy_rule *tr, size_t idx)
{
  size_t k;
  cleanup_free char *region = sbx_glob_literal_prefix(&tr->glob, &k);
  bool default_reachable = true;

  if (region == NULL)
    return;
  for (size_t i = 0; i < base->rules_len; i++)
    if (sbx_glob_covers(&base->rules[i].glob, region))
      default_reachable = false;
  if (default_reachable && tr->permission > base->fs_default)
    tfail(t, "filesystem.rules[%zu]: `%s` (%s) is above the base policy's filesystem.default (%s)",
          idx, tr->pattern, sbx_perm_name(tr->permission), sbx_perm_name(base->fs_default));
  for (size_t i = 0; i < base->rules_len; i++) {
    const struct sbx_policy_rule *br = &base->rules[i];
    size_t bk;
    cleanup_free char *bregion = NULL;

    if (tr->permission <= br->permission || sbx_policy_rule_cmp(tr, br) <= 0)
      continue;
    bregion = sbx_glob_literal_prefix(&br->glob, &bk);
    if (bregion == NULL || !prefixes_overlap(region, bregion))
      continue;
    tfail(t, "filesystem.rules[%zu]: `%s` (%s, priority %d) would override `%s` (%s, priority %d) of %s",
          idx, tr->pattern, sbx_perm_name(tr->permission), tr->priority, br->pattern,
          sbx_perm_name(br->permission), br->priority, br->origin ? br->origin : "the base policy");
  }
}

static bool same_rule(const struct sbx_policy_rule *a, const struct sbx_policy_rule *b)
{
  return a->permission == b->permission && a->priority == b->priority &&
         strcmp(a->pattern, b->pattern) == 0;
}

static bool has_rule(const struct sbx_policy *p, const struct sbx_policy_rule *r)
{
  for (size_t i = 0; i < p->rules_len; i++)
    if (same_rule(&p->rules[i], r))
      return true;
  return false;
}

/* A policy d in place of base gives no path more than base does when it
 * keeps every base rule below write (a write rule dropped can only lower
 * what it decided), and each rule of its own passes the tighten rule check
 * against base; filesystem.default is checked with the other keys.  (The
 * argument of check_fs_rule holds: where such a rule decides a path, base's
 * best candidate there was a rule d dropped, so write, or one it beat.) */
static void check_fs_replacement(struct tctx *t, const struct sbx_policy *base,
                                 const struct sbx_policy *d)
{
  for (size_t i = 0; i < base->rules_len; i++) {
    const struct sbx_policy_rule *br = &base->rules[i];
    if (br->permission < SBX_PERM_WRITE && !has_rule(d, br))
      tfail(t, "filesystem.rules: `%s` (%s, priority %d) of %s is missing", br->pattern,
            sbx_perm_name(br->permission), br->priority, br->origin ? br->origin : "the base policy");
  }
  for (size_t i = 0; i < d->rules_len; i++)
    if (!has_rule(base, &d->rules[i]))
      check_fs_rule(t, base, &d->rules[i], d->rules[i].origin_index);
}

/* The environment of d in place of base: base's deny globs kept (names
 * match case-insensitively, so do the globs), and each name base sets still
 * set or denied (else config's value of it would come back). */
static void check_env_replacement(struct tctx *t, const struct sbx_policy *base,
                                  const struct sbx_policy *d)
{
  for (size_t i = 0; i < base->env.deny_len; i++) {
    bool kept = false;
    for (size_t j = 0; j < d->env.deny_len && !kept; j++)
      kept = strcasecmp(base->env.deny[i], d->env.deny[j]) == 0;
    if (!kept)
      tfail(t, "env.deny: %s of the base policy is missing", base->env.deny[i]);
  }
  for (size_t i = 0; i < base->env.set_len; i++)
    if (!in_list(d->env.set_names, d->env.set_len, base->env.set_names[i]) &&
        !sbx_policy_env_denied(d, base->env.set_names[i]))
      tfail(t, "env.set.%s: set by the base policy, neither set nor denied", base->env.set_names[i]);
}

/* Is network.allow entry s within one of the base's? */
static bool net_allow_covered(const struct sbx_policy *base, const char *s)
{
  struct sbx_net_entry in, out;
  const char *why;

  if (!sbx_net_entry_parse(s, &in, &why))
    return false;
  for (size_t i = 0; i < base->network_allow_len; i++)
    if (sbx_net_entry_parse(base->network_allow[i], &out, &why) && sbx_net_entry_covers(&out, &in))
      return true;
  return false;
}

static bool same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

/* The network keys: allow only narrower, deny and blockedPorts only added
 * (a replacing policy must keep the base's), blockPrivate only on,
 * maxConnections only smaller, dns.upstream unchanged. */
static void check_net_not_looser(struct tctx *t, const struct sbx_policy *base,
                                 const struct sbx_policy *d, uint64_t k, bool replaces)
{
  char a[64];

  if ((k & SBX_PK_NET_ALLOW) && base->network == SBX_NET_ALLOWLIST)
    for (size_t i = 0; i < d->network_allow_len; i++)
      if (!net_allow_covered(base, d->network_allow[i]))
        tfail(t, "network.allow[%zu]: %s is not allowed by the base policy", i,
              d->network_allow[i]);
  if (replaces) {
    for (size_t i = 0; i < base->network_deny_len; i++)
      if (!in_list(d->network_deny, d->network_deny_len, base->network_deny[i]))
        tfail(t, "network.deny: %s of the base policy is missing", base->network_deny[i]);
    for (size_t i = 0; i < base->network_blocked_ports_len; i++) {
      size_t j;
      for (j = 0; j < d->network_blocked_ports_len; j++)
        if (d->network_blocked_ports[j] == base->network_blocked_ports[i])
          break;
      if (j == d->network_blocked_ports_len)
        tfail(t, "network.blockedPorts: %d of the base policy is missing",
              base->network_blocked_ports[i]);
    }
  }
  if ((k & SBX_PK_NET_BLOCK_PRIVATE) && !d->network_block_private && base->network_block_private)
    tfail(t, "network.blockPrivate: false would lift the base policy's true");
  if ((k & SBX_PK_NET_MAX_CONN) && base->network_max_connections >= 0 &&
      (d->network_max_connections < 0 ||
       d->network_max_connections > base->network_max_connections)) {
    fmt_count(a, sizeof a, d->network_max_connections);
    tfail(t, "network.maxConnections: %s is above the base policy's %" PRId64, a,
          base->network_max_connections);
  }
  if ((k & SBX_PK_NET_DNS_UPSTREAM) && !replaces)
    tfail(t, "network.dns.upstream: cannot be changed by a tighten document");
  else if (replaces && !same_strv(d->network_dns_upstream, d->network_dns_upstream_len,
                                  base->network_dns_upstream, base->network_dns_upstream_len))
    tfail(t, "network.dns.upstream: differs from the base policy's");
}

/* Every key of d in k must be at least as strict as base's.  A tighten
 * document (replaces false) is laid over base: its rules and deny globs are
 * added to base's.  A policy the annotation chose (replaces true) takes
 * base's place: what it leaves out of base's is checked too. */
static void check_not_looser(struct tctx *t, const struct sbx_policy *base,
                             const struct sbx_policy *d, uint64_t k, bool replaces)
{
  char a[64], b[64];

  if ((k & SBX_PK_FS_DEFAULT) && d->fs_default > base->fs_default)
    tfail(t, "filesystem.default: %s is above the base policy's %s", sbx_perm_name(d->fs_default),
          sbx_perm_name(base->fs_default));
  if ((k & SBX_PK_FS_ENFORCEMENT) && d->fs_best_effort && !base->fs_best_effort)
    tfail(t, "filesystem.enforcement: best-effort is looser than the base policy's strict");
  if ((k & SBX_PK_FS_RULES) && replaces)
    check_fs_replacement(t, base, d);
  else if (k & SBX_PK_FS_RULES)
    for (size_t i = 0; i < d->rules_len; i++)
      check_fs_rule(t, base, &d->rules[i], d->rules[i].origin_index);

  if (k & SBX_PK_EXEC_ALLOW) {
    if (!d->exec_restricted && base->exec_restricted)
      tfail(t, "exec.allow: null would lift the base policy's allowlist");
    else if (base->exec_restricted)
      for (size_t i = 0; i < d->exec_allow_len; i++)
        if (!glob_list_allows(base->exec_allow, base->exec_allow_len, d->exec_allow[i], true))
          tfail(t, "exec.allow: %s is not allowed by the base policy", d->exec_allow[i]);
  }

  if ((k & SBX_PK_NET_MODE) && d->network > base->network)
    tfail(t, "network.mode: %s is looser than the base policy's %s", sbx_net_mode_name(d->network),
          sbx_net_mode_name(base->network));
  check_net_not_looser(t, base, d, k, replaces);

  if ((k & SBX_PK_CAPS_ALLOW) && !base->caps_all) {
    if (d->caps_all)
      tfail(t, "capabilities.allow: ALL is not allowed by the base policy");
    for (size_t i = 0; i < d->caps_allow_len; i++)
      if (!in_list(base->caps_allow, base->caps_allow_len, d->caps_allow[i]))
        tfail(t, "capabilities.allow: %s is not allowed by the base policy", d->caps_allow[i]);
  }

  if ((k & SBX_PK_NNP) && !d->no_new_privileges && base->no_new_privileges)
    tfail(t, "noNewPrivileges: false would lift the base policy's true");
  if ((k & SBX_PK_SECCOMP) && d->seccomp < base->seccomp)
    tfail(t, "seccomp: %s is weaker than the base policy's %s", sbx_seccomp_mode_name(d->seccomp),
          sbx_seccomp_mode_name(base->seccomp));

  if ((k & SBX_PK_ENV_INHERIT) && d->env.inherit == SBX_ENV_INHERIT_ALL &&
      base->env.inherit == SBX_ENV_INHERIT_NONE)
    tfail(t, "env.inherit: all is looser than the base policy's none");
  if ((k & SBX_PK_ENV_ALLOW) && base->env.inherit == SBX_ENV_INHERIT_NONE)
    for (size_t i = 0; i < d->env.allow_len; i++)
      if (!glob_list_allows(base->env.allow, base->env.allow_len, d->env.allow[i], false))
        tfail(t, "env.allow: %s is not allowed by the base policy", d->env.allow[i]);
  if (k & SBX_PK_ENV_SET)
    for (size_t i = 0; i < d->env.set_len; i++)
      if (sbx_policy_env_denied(base, d->env.set_names[i]))
        tfail(t, "env.set.%s: the base policy denies %s", d->env.set_names[i],
              d->env.set_names[i]);
  if (replaces)
    check_env_replacement(t, base, d);

#define LIMIT(bit, key, field, fmt)                                                       \
  if ((k & (bit)) && base->limits.field >= 0 &&                                           \
      (d->limits.field < 0 || d->limits.field > base->limits.field)) {                    \
    fmt(a, sizeof a, d->limits.field);                                                    \
    fmt(b, sizeof b, base->limits.field);                                                 \
    tfail(t, "limits." key ": %s is above the base policy's %s", a, b);                   \
  }
  LIMIT(SBX_PK_LIM_MEMORY, "memory", memory, fmt_size)
  LIMIT(SBX_PK_LIM_PIDS, "pids", pids, fmt_count)
  LIMIT(SBX_PK_LIM_OPEN_FILES, "openFiles", open_files, fmt_count)
  LIMIT(SBX_PK_LIM_FILE_SIZE, "fileSize", file_size, fmt_size)
  LIMIT(SBX_PK_LIM_TIMEOUT, "timeout", timeout, fmt_duration)
  LIMIT(SBX_PK_LIM_LIFETIME, "lifetime", lifetime, fmt_duration)
  LIMIT(SBX_PK_LIM_SCRATCH, "scratch", scratch, fmt_size)
#undef LIMIT
  if ((k & SBX_PK_LIM_CPUS) && base->limits.cpus >= 0 &&
      (d->limits.cpus < 0 || d->limits.cpus > base->limits.cpus)) {
    if (d->limits.cpus < 0)
      snprintf(a, sizeof a, "unlimited");
    else
      snprintf(a, sizeof a, "%g", d->limits.cpus);
    tfail(t, "limits.cpus: %s is above the base policy's %g", a, base->limits.cpus);
  }

  if ((k & SBX_PK_AUDIT_PATH) &&
      !(d->audit_path && base->audit_path && strcmp(d->audit_path, base->audit_path) == 0) &&
      !(d->audit_path == NULL && base->audit_path == NULL))
    tfail(t, "audit.path: %s", replaces ? "differs from the base policy's"
                                        : "cannot be changed by a tighten document");
  if ((k & SBX_PK_AUDIT_COMMANDS) && !d->audit_commands && base->audit_commands)
    tfail(t, "audit.commands: false would turn off the base policy's command trail");
  if ((k & SBX_PK_AUDIT_MAX_BYTES) && d->audit_max_bytes != base->audit_max_bytes)
    tfail(t, "audit.maxBytes: %s", replaces ? "differs from the base policy's"
                                            : "cannot be changed by a tighten document");
}

static bool apply_tighten(struct tctx *t, const struct sbx_policy *base,
                          const struct sbx_policy *d, struct sbx_policy *r)
{
  uint64_t k = d->present;

  if (k & SBX_PK_EXTENDS)
    tfail(t, "extends: not allowed in a tighten document");
  if (k & SBX_PK_NAME)
    tfail(t, "name: not allowed in a tighten document");
  if (k & SBX_PK_ANNOTATIONS)
    tfail(t, "annotations: not allowed in a tighten document");
  if (k & SBX_PK_SELECTABLE)
    tfail(t, "selectable: not allowed in a tighten document");
  check_not_looser(t, base, d, k, false);
  if (t->count)
    return true;
  /* Everything checked: the result is base with d laid over it, except
   * that env.allow only applies where it is kept and NNP only goes up. */
  struct sbx_policy copy = *d;
  copy.present &= ~(uint64_t)(SBX_PK_NAME | SBX_PK_ANNOTATIONS | SBX_PK_EXTENDS | SBX_PK_SELECTABLE);
  if (!overlay(r, &copy))
    return false;
  /* a tighten's allow narrows: it replaces the base's list (each entry was
   * checked to be covered by the base's when the base is an allowlist) */
  if ((k & SBX_PK_NET_ALLOW) &&
      !strv_replace(&r->network_allow, &r->network_allow_len, d->network_allow,
                    d->network_allow_len))
    return false;
  r->no_new_privileges = base->no_new_privileges || d->no_new_privileges;
  for (size_t i = r->rules_len - ((k & SBX_PK_FS_RULES) ? d->rules_len : 0); i < r->rules_len; i++) {
    free(r->rules[i].origin);
    r->rules[i].origin = strdup(t->origin);
  }
  r->tightened = true;
  return true;
}

int sbx_policy_tighten(const struct sbx_policy *base, const char *json, const char *origin,
                       struct sbx_policy **out, struct sbx_diags *errors, struct sbx_error *err)
{
  struct sbx_diags local = { 0 };
  struct tctx t = { .origin = origin, .errs = errors ? errors : &local };
  size_t first = t.errs->len;
  cleanup_policy struct sbx_policy *d = NULL;
  struct sbx_policy *r = NULL;

  *out = NULL;
  if (base->passthrough)
    return sbx_invalid(err, "%s: the policy `%s` applies no overlay and cannot be tightened",
                       origin, base->name ? base->name : "none");
  if (sbx_policy_parse(json, strlen(json), origin, &d, t.errs, err) < 0) {
    sbx_diags_free(&local);
    return -1;
  }
  if ((r = sbx_policy_dup(base)) == NULL) {
    sbx_diags_free(&local);
    return sbx_fail(err, ENOMEM, "tighten policy");
  }
  if (!apply_tighten(&t, base, d, r)) {
    sbx_policy_free(r);
    sbx_diags_free(&local);
    return sbx_fail(err, ENOMEM, "tighten policy");
  }
  if (t.count) {
    size_t more = t.count - 1;
    if (more)
      sbx_invalid(err, "%s (and %zu more error%s)", t.errs->items[first], more, more > 1 ? "s" : "");
    else
      sbx_invalid(err, "%s", t.errs->items[first]);
    sbx_policy_free(r);
    sbx_diags_free(&local);
    return -1;
  }
  sbx_diags_free(&local);
  *out = r;
  return 0;
}

/* ---- sources and precedence ---- */

void sbx_policy_request_annotations(struct sbx_policy_request *req, const struct oci_config *cfg)
{
  req->annotation_policy = NULL;
  req->annotation_tighten = NULL;
  if (cfg == NULL)
    return;
  for (size_t i = 0; i < cfg->annotations_len; i++) {
    if (strcmp(cfg->annotations[i].key, SBX_POLICY_ANNOTATION) == 0)
      req->annotation_policy = cfg->annotations[i].value;
    else if (strcmp(cfg->annotations[i].key, SBX_POLICY_TIGHTEN_ANNOTATION) == 0)
      req->annotation_tighten = cfg->annotations[i].value;
  }
}

/* The annotation may replace the policy that holds without it (dflt) only
 * by one at least as strict (the tighten checks, on the whole policy), or
 * by a name dflt lists in "selectable".  Fail closed: a refusal is an error
 * naming both policies and the first rule that is looser. */
static int check_selectable(const struct sbx_policy *dflt, const struct sbx_policy *chosen,
                            const char *name, const char *system_path, struct sbx_error *err)
{
  const uint64_t keys = ~(uint64_t)(SBX_PK_NAME | SBX_PK_ANNOTATIONS | SBX_PK_EXTENDS |
                                    SBX_PK_SELECTABLE);
  struct sbx_diags errs = { 0 };
  struct tctx t = { .errs = &errs };
  char more[64] = "";

  if (dflt->passthrough || in_list(dflt->selectable, dflt->selectable_len, name))
    return 0;
  if (chosen->passthrough)
    tfail(&t, "applies no overlay at all");
  else
    check_not_looser(&t, dflt, chosen, keys, true);
  if (t.count == 0) {
    sbx_diags_free(&errs);
    return 0;
  }
  if (t.count > 1)
    snprintf(more, sizeof more, " (and %zu more error%s)", t.count - 1, t.count > 2 ? "s" : "");
  sbx_invalid(err,
              "annotation %s=%s refused: policy `%s` is looser than policy `%s`, which holds "
              "without the annotation: %s%s; an annotation may only choose a policy at least as "
              "strict, or one listed in \"selectable\" of %s",
              SBX_POLICY_ANNOTATION, name, chosen->name, dflt->name,
              errs.len ? errs.items[0] : "out of memory", more, system_path);
  sbx_diags_free(&errs);
  return -1;
}

int sbx_policy_resolve(const struct sbx_policy_request *req, struct sbx_policy **out,
                       struct sbx_diags *warnings, struct sbx_error *err)
{
  const char *dir = config_dir_of(req->config_dir);
  const char *ann_policy = req->annotation_policy, *ann_tighten = req->annotation_tighten;
  cleanup_free char *system_path = sbx_strdup_printf("%s/policy.json", dir);
  cleanup_policy struct sbx_policy *base = NULL;
  enum sbx_policy_source source;
  struct stat st;

  *out = NULL;
  if (system_path == NULL)
    return sbx_fail(err, ENOMEM, "resolve policy");
  if (req->flag) {
    if (sbx_policy_load(dir, req->flag, &base, err) < 0)
      return sbx_wrap(err, "--policy %s", req->flag);
    source = SBX_POLICY_FROM_FLAG;
  } else {
    if (stat(system_path, &st) == 0) {
      if (sbx_policy_load(dir, system_path, &base, err) < 0)
        return -1;
      source = SBX_POLICY_FROM_SYSTEM;
    } else {
      if (sbx_policy_load(dir, SBX_POLICY_DEFAULT, &base, err) < 0)
        return -1;
      source = SBX_POLICY_FROM_DEFAULT;
    }
    if (ann_policy && base->annotations) {
      struct sbx_policy *chosen = NULL;
      if (!sbx_policy_valid_name(ann_policy))
        return sbx_invalid(err, "annotation %s: `%s` is not a policy name", SBX_POLICY_ANNOTATION,
                           ann_policy);
      if (sbx_policy_load(dir, ann_policy, &chosen, err) < 0)
        return sbx_wrap(err, "annotation %s", SBX_POLICY_ANNOTATION);
      if (check_selectable(base, chosen, ann_policy, system_path, err) < 0) {
        sbx_policy_free(chosen);
        return -1;
      }
      sbx_policy_free(base);
      base = chosen;
      source = SBX_POLICY_FROM_ANNOTATION;
      ann_policy = NULL;
    }
  }
  if (!base->annotations) {
    if (ann_policy)
      sbx_diags_push(warnings, sbx_strdup_printf("annotation %s ignored: policy `%s` sets \"annotations\": false",
                                            SBX_POLICY_ANNOTATION, base->name));
    if (ann_tighten)
      sbx_diags_push(warnings, sbx_strdup_printf("annotation %s ignored: policy `%s` sets \"annotations\": false",
                                            SBX_POLICY_TIGHTEN_ANNOTATION, base->name));
    ann_tighten = NULL;
  } else if (ann_policy && source == SBX_POLICY_FROM_FLAG) {
    /* --policy outranks the annotation. */
    sbx_diags_push(warnings, sbx_strdup_printf("annotation %s=%s ignored: --policy %s takes precedence",
                                          SBX_POLICY_ANNOTATION, ann_policy, req->flag));
  }
  base->source = source;
  if (ann_tighten) {
    struct sbx_policy *t = NULL;
    if (sbx_policy_tighten(base, ann_tighten, SBX_POLICY_TIGHTEN_ANNOTATION, &t, NULL, err) < 0)
      return -1;
    sbx_policy_free(base);
    base = t;
  }
  *out = steal_pointer(&base);
  return 0;
}

/* ---- policy check ---- */

/* A selectable NAME that names no policy is likely a typo. */
static void lint_selectable(const char *config_dir, const char *path, const struct sbx_policy *p,
                            struct sbx_diags *warnings)
{
  struct stat st;

  for (size_t i = 0; i < p->selectable_len; i++) {
    cleanup_free char *file = NULL;
    if (sbx_policy_preset_find(p->selectable[i]))
      continue;
    file = sbx_strdup_printf("%s/policies/%s.json", config_dir, p->selectable[i]);
    if (file && stat(file, &st) < 0)
      sbx_diags_push(warnings, sbx_strdup_printf("%s: selectable[%zu]: `%s` is neither a preset "
                                                 "nor %s", path, i, p->selectable[i], file));
  }
}

int sbx_policy_check_file(const char *config_dir, const char *path, struct sbx_diags *errors,
                          struct sbx_diags *warnings)
{
  struct chain ch = { .config_dir = config_dir_of(config_dir) };
  cleanup_error struct sbx_error err = { 0 };
  cleanup_policy struct sbx_policy *eff = NULL;
  struct loaded l = { 0 };
  size_t before = errors->len;

  if (load_file(path, path, &l, errors, &err) < 0) {
    if (errors->len == before)
      sbx_diags_push(errors, strdup(err.msg ? err.msg : "error"));
    loaded_clear(&l);
    return -1;
  }
  ch.names[ch.depth++] = path;
  if (resolve_loaded(&ch, &l, &eff, NULL, &err) < 0) {
    sbx_diags_push(errors, strdup(err.msg ? err.msg : "error"));
    loaded_clear(&l);
    return -1;
  }
  loaded_clear(&l);
  if (warnings) {
    sbx_policy_lint(eff, warnings);
    lint_selectable(ch.config_dir, path, eff, warnings);
  }
  return errors->len > before ? -1 : 0;
}
