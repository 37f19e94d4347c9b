/* context.h: what the CLI hands to every library call: where state lives,
 * global flags, and where warnings go (the library never prints). */
#ifndef SBX_CONTEXT_H
#define SBX_CONTEXT_H

#include <stdbool.h>

enum sbx_log_level { SBX_LOG_ERROR, SBX_LOG_WARNING, SBX_LOG_INFO, SBX_LOG_DEBUG };

struct sbx_context;
typedef void (*sbx_log_fn)(const struct sbx_context *ctx, enum sbx_log_level level,
                           const char *msg);

struct sbx_context {
  const char *state_root;      /* --root, default /run/agentsbx */
  bool systemd_cgroup;         /* --systemd-cgroup */
  bool debug;                  /* --debug */
  const char *policy;          /* --policy NAME|FILE, or NULL */
  const char *policy_config_dir; /* NULL: /etc/agentsbx */
  sbx_log_fn log;              /* may be NULL */
  void *log_data;
};

void sbx_log(const struct sbx_context *ctx, enum sbx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
