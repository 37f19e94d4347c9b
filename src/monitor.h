/* monitor.h: the policy's time limits.  A small detached watcher process
 * per container kills it `lifetime` seconds after create and `timeout`
 * seconds after start (start tells it by SIGUSR1), records the violation
 * in the state directory and the audit log, and exits when the container
 * does or when delete stops it. */
#ifndef SBX_MONITOR_H
#define SBX_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "context.h"
#include "error.h"

struct sbx_monitor_spec {
  const char *id;
  pid_t init_pid;
  unsigned long long init_start_time;
  const char *cgroup_path;     /* to kill every process; may be NULL */
  int64_t timeout_s;           /* <= 0: none */
  int64_t lifetime_s;          /* <= 0: none */
  struct sbx_audit_target audit;
};

int sbx_monitor_spawn(const struct sbx_context *ctx, const struct sbx_monitor_spec *m,
                      struct sbx_error *err);
/* `start`: arm the timeout.  No monitor is fine. */
void sbx_monitor_notify_start(const struct sbx_context *ctx, const char *id);
/* `delete`: stop the watcher. */
void sbx_monitor_stop(const struct sbx_context *ctx, const char *id);
/* The violation recorded for the container ("timeout", "lifetime"), or NULL. */
char *sbx_monitor_violation(const struct sbx_context *ctx, const char *id);

#endif
