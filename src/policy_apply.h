/* policy_apply.h: the agent sandbox policy as a hardened overlay on a
 * container's config.json: which policy holds for this container (the
 * --policy flag, its annotations, /etc/agentsbx, the default), and what it
 * changes: capabilities intersected with the allowed ones, no_new_privs,
 * the environment scrubbed, limits as cgroup limits and rlimits (the
 * tighter of config and policy), a network namespace of its own for
 * network "none" and "allowlist" when the config has none, size-limited
 * tmpfs mounts on the writable scratch directories (limits.scratch).  The
 * rest of the policy (its seccomp layer, the network rules in the
 * container's namespace, time limits, audit) is carried
 * in sbx_policy_effects for create, init and the watcher to enforce. */
#ifndef SBX_POLICY_APPLY_H
#define SBX_POLICY_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "error.h"
#include "oci_spec.h"
#include "policy.h"

struct sbx_policy_effects {
  bool active;                   /* false: preset none, exact runc */
  enum sbx_net_mode network;     /* none / allowlist: rules in the container's netns */
  enum sbx_seccomp_mode seccomp;
  int64_t timeout_s, lifetime_s; /* <= 0: none */
  char *name;
  char *digest;
  char *audit_path;              /* NULL: no audit */
  bool audit_commands;           /* the command trail */
  int64_t audit_max_bytes;
};

/* The policy that holds for a container with this config (its
 * annotations), given the runtime's --policy and config directory. */
int sbx_policy_for_container(const struct sbx_context *ctx, const struct oci_config *c,
                             struct sbx_policy **out, struct sbx_error *err);

/* Overlay p on c, and describe what remains to enforce.  bundle: where a
 * relative root.path lies (the image is looked at, never changed). */
int sbx_policy_apply(const struct sbx_policy *p, struct oci_config *c, const char *bundle,
                     struct sbx_policy_effects *fx, struct sbx_error *err);
void sbx_policy_effects_release(struct sbx_policy_effects *fx);

/* limits.scratch on c's mounts (policy_scratch.c; part of sbx_policy_apply). */
int sbx_policy_apply_scratch(const struct sbx_policy *p, struct oci_config *c, const char *bundle,
                             struct sbx_error *err);

/* The process part alone (capabilities, no_new_privs, environment), for
 * exec: a process added later is held to the same policy. */
int sbx_policy_apply_process(const struct sbx_policy *p, struct oci_process *proc,
                             struct sbx_error *err);

/* The effective policy kept in the state directory for exec; *out is NULL
 * when the container has none. */
int sbx_policy_save(const struct sbx_policy *p, const char *path, struct sbx_error *err);
int sbx_policy_load_saved(const char *path, struct sbx_policy **out, struct sbx_error *err);

#endif
