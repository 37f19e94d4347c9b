/* policy_env.c: the environment filter of a policy (env.inherit, allow,
 * deny, set) applied to config's process.env. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "utils.h"

static bool any_match(char *const *globs, size_t n, const char *name, bool fold)
{
  for (size_t i = 0; i < n; i++)
    if (fold ? sbx_glob_match_segment_nocase(globs[i], name)
             : sbx_glob_match_segment(globs[i], name))
      return true;
  return false;
}

/* Deny globs ignore case: a process that reads aws_secret_access_key (or a
 * tool that looks names up case-insensitively) must not get what AWS_*
 * removes.  Allow globs keep their case, so that they keep no more than
 * they name. */
bool sbx_policy_env_denied(const struct sbx_policy *p, const char *name)
{
  return any_match(p->env.deny, p->env.deny_len, name, true);
}

/* The name of "NAME=value" (the whole entry when it has no '='). */
static char *entry_name(const char *e)
{
  const char *eq = strchr(e, '=');
  return eq ? strndup(e, (size_t)(eq - e)) : strdup(e);
}

char **sbx_policy_env_filter(const struct sbx_policy *p, char *const *env, size_t env_len,
                             size_t *out_len, struct sbx_error *err)
{
  size_t n = 0, cap = env_len + (p->passthrough ? 0 : p->env.set_len) + 1;
  bool *set_done = NULL;
  char **out = calloc(cap, sizeof *out);

  if (out == NULL)
    goto oom;
  if (!p->passthrough && p->env.set_len &&
      (set_done = calloc(p->env.set_len, sizeof *set_done)) == NULL)
    goto oom;
  for (size_t i = 0; i < env_len; i++) {
    cleanup_free char *name = NULL;
    char *entry = NULL;

    if (p->passthrough) {
      if ((out[n++] = strdup(env[i])) == NULL)
        goto oom;
      continue;
    }
    if ((name = entry_name(env[i])) == NULL)
      goto oom;
    /* set: replaces the first occurrence in place, drops the others. */
    size_t s;
    for (s = 0; s < p->env.set_len; s++)
      if (strcmp(p->env.set_names[s], name) == 0)
        break;
    if (s < p->env.set_len) {
      if (set_done[s])
        continue;
      set_done[s] = true;
      entry = sbx_strdup_printf("%s=%s", name, p->env.set_values[s]);
    } else {
      if (p->env.inherit == SBX_ENV_INHERIT_NONE &&
          !any_match(p->env.allow, p->env.allow_len, name, false))
        continue;
      if (sbx_policy_env_denied(p, name))
        continue;
      entry = strdup(env[i]);
    }
    if (entry == NULL)
      goto oom;
    out[n++] = entry;
  }
  if (!p->passthrough)
    for (size_t s = 0; s < p->env.set_len; s++)
      if (!set_done[s] &&
          (out[n++] = sbx_strdup_printf("%s=%s", p->env.set_names[s], p->env.set_values[s])) == NULL)
        goto oom;
  out[n] = NULL;
  free(set_done);
  if (out_len)
    *out_len = n;
  return out;
oom:
  free(set_done);
  sbx_strv_free(out);
  sbx_fail(err, ENOMEM, "filter the environment");
  return NULL;
}
