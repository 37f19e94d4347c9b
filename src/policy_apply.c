/* policy_apply.c: the policy's overlay on config.json (see policy_apply.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "policy_apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utils.h"

int sbx_policy_for_container(const struct sbx_context *ctx, const struct oci_config *c,
                             struct sbx_policy **out, struct sbx_error *err)
{
  struct sbx_policy_request req = { 0 };
  struct sbx_diags warnings = { 0 };
  int ret;

  sbx_policy_request_annotations(&req, c);
  req.flag = ctx->policy;
  req.config_dir = ctx->policy_config_dir;
  ret = sbx_policy_resolve(&req, out, &warnings, err);
  for (size_t i = 0; i < warnings.len; i++)
    sbx_log(ctx, SBX_LOG_WARNING, "%s", warnings.items[i]);
  sbx_diags_free(&warnings);
  return ret;
}

/* Keep only the allowed names of one capability set. */
static void filter_caps(const struct sbx_policy *p, struct oci_string_list *set)
{
  size_t kept = 0;

  for (size_t i = 0; i < set->len; i++) {
    if (sbx_policy_capability_allowed(p, set->items[i]))
      set->items[kept++] = set->items[i];
    else
      free(set->items[i]);
  }
  set->len = kept;
  if (set->items)
    set->items[kept] = NULL;
}

static void apply_capabilities(const struct sbx_policy *p, struct oci_process *proc)
{
  struct oci_capabilities *c = proc->capabilities;

  if (c == NULL || p->caps_all)
    return;
  filter_caps(p, &c->bounding);
  filter_caps(p, &c->effective);
  filter_caps(p, &c->inheritable);
  filter_caps(p, &c->permitted);
  filter_caps(p, &c->ambient);
}

static bool has_cap(const struct oci_process *proc, const char *name)
{
  const struct oci_capabilities *c = proc->capabilities;
  const struct oci_string_list *sets[] = { c ? &c->bounding : NULL, c ? &c->permitted : NULL,
                                           c ? &c->effective : NULL, c ? &c->ambient : NULL };

  for (size_t s = 0; s < 4; s++)
    for (size_t i = 0; sets[s] && i < sets[s]->len; i++)
      if (strcmp(sets[s]->items[i], name) == 0)
        return true;
  return false;
}

static int apply_env(const struct sbx_policy *p, struct oci_process *proc, struct sbx_error *err)
{
  size_t len = 0;
  char **env = sbx_policy_env_filter(p, proc->env, proc->env_len, &len, err);

  if (env == NULL)
    return -1;
  sbx_strv_free(proc->env);
  proc->env = env;
  proc->env_len = len;
  return 0;
}

/* The tighter of the config's rlimit and the policy's value. */
static int tighten_rlimit(struct oci_process *proc, const char *type, int64_t value)
{
  struct oci_rlimit *grown;

  if (value < 0)
    return 0;
  for (size_t i = 0; i < proc->rlimits_len; i++)
    if (strcmp(proc->rlimits[i].type, type) == 0) {
      /* soft above hard is the config's error: create reports it, as
       * without a policy, instead of fixing it here. */
      bool valid = proc->rlimits[i].soft <= proc->rlimits[i].hard;
      if (proc->rlimits[i].hard > (uint64_t)value)
        proc->rlimits[i].hard = (uint64_t)value;
      if (valid && proc->rlimits[i].soft > proc->rlimits[i].hard)
        proc->rlimits[i].soft = proc->rlimits[i].hard;
      return 0;
    }
  grown = realloc(proc->rlimits, (proc->rlimits_len + 1) * sizeof *grown);
  if (grown == NULL)
    return -1;
  proc->rlimits = grown;
  grown[proc->rlimits_len++] = (struct oci_rlimit){ .type = strdup(type), .hard = (uint64_t)value,
                                                    .soft = (uint64_t)value };
  return grown[proc->rlimits_len - 1].type ? 0 : -1;
}

static struct oci_resources *resources(struct oci_linux *l)
{
  if (l->resources == NULL)
    l->resources = calloc(1, sizeof *l->resources);
  return l->resources;
}

static void tighten_i64(bool *has, int64_t *value, int64_t limit)
{
  if (!*has || *value <= 0 || *value > limit) {
    *has = true;
    *value = limit;
  }
}

static int apply_limits(const struct sbx_policy_limits *lim, struct oci_config *c,
                        struct sbx_error *err)
{
  struct oci_resources *r = resources(c->linux_);

  if (r == NULL)
    return sbx_fail(err, ENOMEM, "policy limits");
  if (lim->memory > 0) {
    if (!r->memory && !(r->memory = calloc(1, sizeof *r->memory)))
      return sbx_fail(err, ENOMEM, "policy limits");
    tighten_i64(&r->memory->has_limit, &r->memory->limit, lim->memory);
    /* No swap beyond the memory limit unless the config set a tighter one. */
    if (!r->memory->has_swap || r->memory->swap < 0 || r->memory->swap > r->memory->limit)
      r->memory->has_swap = true, r->memory->swap = r->memory->limit;
  }
  if (lim->cpus > 0) {
    if (!r->cpu && !(r->cpu = calloc(1, sizeof *r->cpu)))
      return sbx_fail(err, ENOMEM, "policy limits");
    if (!r->cpu->has_period || r->cpu->period == 0)
      r->cpu->has_period = true, r->cpu->period = 100000;
    tighten_i64(&r->cpu->has_quota, &r->cpu->quota, (int64_t)(lim->cpus * (double)r->cpu->period));
  }
  if (lim->pids > 0) {
    if (!r->pids && !(r->pids = calloc(1, sizeof *r->pids)))
      return sbx_fail(err, ENOMEM, "policy limits");
    if (r->pids->limit <= 0 || r->pids->limit > lim->pids)
      r->pids->limit = lim->pids;
  }
  if (tighten_rlimit(c->process, "RLIMIT_NOFILE", lim->open_files) < 0 ||
      tighten_rlimit(c->process, "RLIMIT_FSIZE", lim->file_size) < 0)
    return sbx_fail(err, ENOMEM, "policy limits");
  return 0;
}

/* network none / allowlist: rules in the container's network namespace
 * (network.c), which must be one the container cannot change (no
 * CAP_NET_ADMIN, no CAP_NET_RAW) and not the runtime's: a namespace of its
 * own when the config gives none. */
static int apply_network(const struct sbx_policy *p, struct oci_config *c,
                         struct sbx_policy_effects *fx, struct sbx_error *err)
{
  struct oci_linux *l = c->linux_;
  const struct oci_namespace *ns = oci_linux_namespace(l, "network");
  struct oci_namespace *grown;

  fx->network = p->network;
  if (p->network == SBX_NET_UNRESTRICTED)
    return 0;
  for (size_t i = 0; i < 2; i++) {
    const char *cap = i ? "CAP_NET_RAW" : "CAP_NET_ADMIN";
    if (has_cap(c->process, cap))
      return sbx_invalid(err, "policy %s: network.mode %s cannot hold with %s allowed (root "
                         "with it could remove the network rules): capabilities.allow",
                         p->name, sbx_net_mode_name(p->network), cap);
  }
  if (ns)
    return 0;
  grown = realloc(l->namespaces, (l->namespaces_len + 1) * sizeof *grown);
  if (grown == NULL)
    return sbx_fail(err, ENOMEM, "policy network");
  l->namespaces = grown;
  grown[l->namespaces_len++] = (struct oci_namespace){ .type = strdup("network") };
  return grown[l->namespaces_len - 1].type ? 0 : sbx_fail(err, ENOMEM, "policy network");
}

int sbx_policy_apply(const struct sbx_policy *p, struct oci_config *c, const char *bundle,
                     struct sbx_policy_effects *fx, struct sbx_error *err)
{
  memset(fx, 0, sizeof *fx);
  fx->network = SBX_NET_UNRESTRICTED;
  if (p == NULL || p->passthrough)
    return 0;
  if (c->process == NULL || c->linux_ == NULL)
    return sbx_invalid(err, "policy %s: the config has no process or linux section", p->name);
  fx->active = true;
  fx->seccomp = p->seccomp;
  fx->timeout_s = p->limits.timeout;
  fx->lifetime_s = p->limits.lifetime;
  fx->name = strdup(p->name ? p->name : "");
  fx->audit_path = p->audit_path ? strdup(p->audit_path) : NULL;
  fx->audit_commands = p->audit_commands && p->audit_path;
  fx->audit_max_bytes = p->audit_max_bytes;
  fx->digest = sbx_policy_digest(p, err);
  if (fx->name == NULL || fx->digest == NULL)
    return fx->digest ? sbx_fail(err, ENOMEM, "policy") : -1;
  if (sbx_policy_apply_process(p, c->process, err) < 0 || apply_limits(&p->limits, c, err) < 0 ||
      apply_network(p, c, fx, err) < 0 || sbx_policy_apply_scratch(p, c, bundle, err) < 0)
    return sbx_wrap(err, "policy %s", p->name);
  return 0;
}

int sbx_policy_apply_process(const struct sbx_policy *p, struct oci_process *proc,
                             struct sbx_error *err)
{
  apply_capabilities(p, proc);
  if (p->no_new_privileges)
    proc->no_new_privileges = true;
  return apply_env(p, proc, err);
}

int sbx_policy_save(const struct sbx_policy *p, const char *path, struct sbx_error *err)
{
  cleanup_free char *json = sbx_policy_to_json(p, false, err);

  if (json == NULL)
    return -1;
  return sbx_write_file_atomic(path, json, strlen(json), 0600, err);
}

int sbx_policy_load_saved(const char *path, struct sbx_policy **out, struct sbx_error *err)
{
  cleanup_free char *json = NULL;
  struct sbx_diags errors = { 0 };
  size_t len;
  int ret;

  *out = NULL;
  if (sbx_read_file(path, &json, &len, err) < 0)
    return err && err->errnum == ENOENT ? (sbx_error_clear(err), 0) : -1;
  ret = sbx_policy_parse(json, len, path, out, &errors, err);
  if (ret < 0 && errors.len)
    sbx_invalid(err, "%s", errors.items[0]);
  sbx_diags_free(&errors);
  return ret;
}

void sbx_policy_effects_release(struct sbx_policy_effects *fx)
{
  free(fx->name);
  free(fx->digest);
  free(fx->audit_path);
  memset(fx, 0, sizeof *fx);
}
