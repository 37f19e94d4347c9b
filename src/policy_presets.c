/* policy_presets.c: the built-in policies, written as policy documents and
 * read by the same parser as any file (docs/policy.md has the table).
 * A preset may extend another preset. */
#include <string.h>

#include "policy.h"

/* JSON without escaping: the preprocessor quotes it. */
#define J(...) #__VA_ARGS__

/* Files that hold credentials, hidden at priority 100 everywhere.  A rule
 * here names a credential file, never a kind of source file (issue 12:
 * source and template files must stay visible). */
#define SECRET_RULES J(                                                        \
  {"pattern": "**/.env*", "permission": "none", "priority": 100},              \
  {"pattern": "**/secrets/**", "permission": "none", "priority": 100},         \
  {"pattern": "**/*.key", "permission": "none", "priority": 100},              \
  {"pattern": "**/*.pem", "permission": "none", "priority": 100},              \
  {"pattern": "**/*.p12", "permission": "none", "priority": 100},              \
  {"pattern": "**/*.pfx", "permission": "none", "priority": 100},              \
  {"pattern": "**/id_rsa*", "permission": "none", "priority": 100},            \
  {"pattern": "**/id_ed25519*", "permission": "none", "priority": 100},        \
  {"pattern": "**/credentials*", "permission": "none", "priority": 100},       \
  {"pattern": "**/.aws/**", "permission": "none", "priority": 100},            \
  {"pattern": "**/.ssh/**", "permission": "none", "priority": 100},            \
  {"pattern": "**/.gnupg/**", "permission": "none", "priority": 100},          \
  {"pattern": "**/.netrc", "permission": "none", "priority": 100},             \
  {"pattern": "**/.git-credentials", "permission": "none", "priority": 100},   \
  {"pattern": "**/.docker/config.json", "permission": "none", "priority": 100}, \
  {"pattern": "**/.kube/config", "permission": "none", "priority": 100},       \
  {"pattern": "**/.npmrc", "permission": "none", "priority": 100},             \
  {"pattern": "**/.pypirc", "permission": "none", "priority": 100},            \
  {"pattern": "**/.config/gh/hosts.yml", "permission": "none", "priority": 100}, \
  {"pattern": "**/.vault-token", "permission": "none", "priority": 100},       \
  {"pattern": "**/.pgpass", "permission": "none", "priority": 100},            \
  {"pattern": "**/*.tfstate", "permission": "none", "priority": 100},          \
  {"pattern": "**/*.tfstate.backup", "permission": "none", "priority": 100},   \
  {"pattern": "**/.terraformrc", "permission": "none", "priority": 100})

/* Variables whose names look like secrets. */
#define SECRET_ENV J(                                                          \
  "deny": ["AWS_*", "*_KEY", "*_SECRET", "*_TOKEN", "*PASSWORD*", "*_CREDENTIALS"])

/* What the locked-down presets share besides the filesystem. */
#define LOCKED_DOWN J(                                                         \
  "network": {"mode": "none"},                                                 \
  "capabilities": {"allow": []},                                               \
  "noNewPrivileges": true,                                                     \
  "seccomp": "default",                                                        \
  "limits": {"memory": "1G", "pids": 256, "openFiles": 1024, "timeout": null, \
             "scratch": "1G"}, \
  "audit": {"commands": true})

static const struct sbx_policy_preset presets[] = {
  { "agent-safe",
    "the default: read-only but /tmp, /var/tmp, /run, /dev/shm, /workspace/output; secrets hidden; no network",
    J({"version": 1, "name": "agent-safe",
       "filesystem": {"default": "read", "rules": [
         {"pattern": "/tmp", "permission": "write"},
         {"pattern": "/var/tmp", "permission": "write"},
         {"pattern": "/run", "permission": "write"},
         {"pattern": "/dev/shm", "permission": "write"},
         {"pattern": "/workspace/output", "permission": "write"},)
      SECRET_RULES J(]},) LOCKED_DOWN J(,
       "env": {"inherit": "all",) SECRET_ENV J(}}) },
  { "read-only",
    "everything read-only; secrets hidden; no network",
    J({"version": 1, "name": "read-only",
       "filesystem": {"default": "read", "rules": [)
      SECRET_RULES J(]},) LOCKED_DOWN J(,
       "env": {"inherit": "all",) SECRET_ENV J(}}) },
  { "development",
    "write everywhere but secrets hidden; network and capabilities as configured",
    J({"version": 1, "name": "development",
       "filesystem": {"default": "write", "rules": [)
      SECRET_RULES J(]},
       "network": {"mode": "unrestricted"},
       "capabilities": {"allow": ["ALL"]},
       "noNewPrivileges": true,
       "seccomp": "default",
       "env": {"inherit": "all",) SECRET_ENV J(}}) },
  { "full-access",
    "no restriction, but still an agentsbx policy (audited, recorded)",
    J({"version": 1, "name": "full-access",
       "filesystem": {"default": "write"},
       "network": {"mode": "unrestricted"},
       "capabilities": {"allow": ["ALL"]},
       "noNewPrivileges": false,
       "seccomp": "config"}) },
  { "view-only",
    "files listed but unreadable, except the system directories; secrets hidden; no network",
    J({"version": 1, "name": "view-only",
       "filesystem": {"default": "view", "rules": [
         {"pattern": "/bin", "permission": "read"},
         {"pattern": "/sbin", "permission": "read"},
         {"pattern": "/lib", "permission": "read"},
         {"pattern": "/lib32", "permission": "read"},
         {"pattern": "/lib64", "permission": "read"},
         {"pattern": "/usr", "permission": "read"},
         {"pattern": "/etc", "permission": "read"},)
      SECRET_RULES J(]},) LOCKED_DOWN J(,
       "env": {"inherit": "all",) SECRET_ENV J(}}) },
  { "strict",
    "agent-safe plus seccomp strict, only /bin and /usr/bin may run, 512M, 128 pids, 15m",
    J({"version": 1, "name": "strict", "extends": "agent-safe",
       "seccomp": "strict",
       "exec": {"allow": ["/bin/*", "/usr/bin/*"]},
       "limits": {"memory": "512M", "pids": 128, "timeout": "15m"}}) },
  { "none",
    "no overlay at all: exact runc behaviour (conformance suites)",
    J({"version": 1, "name": "none", "passthrough": true}) },
};

const struct sbx_policy_preset *sbx_policy_presets(size_t *count)
{
  *count = sizeof presets / sizeof presets[0];
  return presets;
}

const struct sbx_policy_preset *sbx_policy_preset_find(const char *name)
{
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
    if (strcmp(presets[i].name, name) == 0)
      return &presets[i];
  return NULL;
}
