/* monitor.h: the per-container supervisor.  One small detached process per
 * container, on the host side (outside the container's pid and mount
 * namespaces), started by create whenever a component needs it, and ending
 * when the container's init exits (its pidfd) or when delete stops it
 * (SIGTERM).  Its loop polls a small table of event sources: the time
 * limits are two of them (`lifetime` seconds after create, `timeout`
 * seconds after start, which start tells by SIGUSR1); other components add
 * their own (an fd, a handler, a context) before the supervisor is spawned.
 *
 * Adding a source, in create before sbx_monitor_spawn:
 *   struct sbx_monitor_source *s = sbx_monitor_spec_add(&spec);
 *   s->fd = fd;  s->handle = on_ready;  s->ctx = my_state;
 * The fd is kept open across the fork (every other runtime fd is closed),
 * and ctx is the forked copy of the caller's memory.  A source may also
 * have a deadline (timeout_ms) and a `start` run in the supervisor once,
 * before the loop (a place to open what must not live in create). */
#ifndef SBX_MONITOR_H
#define SBX_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "context.h"
#include "error.h"

#define SBX_MONITOR_MAX_SOURCES 8

struct sbx_monitor;

enum sbx_monitor_verdict {
  SBX_MONITOR_KEEP = 0,   /* go on polling this source */
  SBX_MONITOR_DROP = 1,   /* done with it: release it, poll it no more */
  SBX_MONITOR_STOP = 2,   /* stop the supervisor (every source is released) */
};

struct sbx_monitor_source {
  int fd;                 /* polled for POLLIN; -1: a deadline only */
  /* fd readable (revents != 0) or its deadline passed (revents == 0). */
  enum sbx_monitor_verdict (*handle)(struct sbx_monitor *m, void *ctx, short revents);
  /* Optional: milliseconds until the source wants handle() anyway, -1 none. */
  int (*timeout_ms)(void *ctx);
  /* Optional: once in the supervisor, before the loop, with the number
   * the fd has there; < 0 drops the source. */
  int (*start)(struct sbx_monitor *m, void *ctx, int fd);
  /* Optional: when dropped, and when the supervisor ends (flush here);
   * with m NULL in the process that built the spec (sbx_monitor_spec_release),
   * and then it must close the fd.  Without release, that closes the fd. */
  void (*release)(struct sbx_monitor *m, void *ctx);
  void *ctx;
};

struct sbx_monitor_spec {
  const char *id;
  pid_t init_pid;
  unsigned long long init_start_time;
  const char *cgroup_path;     /* to kill every process; may be NULL */
  int64_t timeout_s;           /* <= 0: none */
  int64_t lifetime_s;          /* <= 0: none */
  struct sbx_audit_target audit;
  struct sbx_monitor_source sources[SBX_MONITOR_MAX_SOURCES];
  size_t n_sources;
};

/* A zeroed slot in spec's table (fd -1), or NULL when it is full. */
struct sbx_monitor_source *sbx_monitor_spec_add(struct sbx_monitor_spec *spec);
/* In the caller, after sbx_monitor_spawn or instead of it: each source's
 * release(NULL, ctx), which closes the caller's copy of its fd. */
void sbx_monitor_spec_release(struct sbx_monitor_spec *spec);
/* Fork the supervisor when the spec has time limits, sources or an audit
 * log (its counts close the log at delete); else nothing. */
int sbx_monitor_spawn(const struct sbx_context *ctx, const struct sbx_monitor_spec *m,
                      struct sbx_error *err);

/* In the supervisor, for handlers: */
const struct sbx_monitor_spec *sbx_monitor_get_spec(const struct sbx_monitor *m);
/* Add a source while the loop runs (a listener received, a connection
 * accepted); -1 when out of memory.  A handler may call it. */
int sbx_monitor_add_source(struct sbx_monitor *m, const struct sbx_monitor_source *s);
const struct sbx_context *sbx_monitor_context(const struct sbx_monitor *m);
/* The supervisor's audit log: events through it are rate-limited per kind
 * and counted for container_deleted (audit.h). */
struct sbx_audit_log *sbx_monitor_audit(struct sbx_monitor *m);
/* Kill every process of the container (cgroup, then init's pidfd). */
void sbx_monitor_kill_container(struct sbx_monitor *m);

/* `start`: arm the timeout.  No monitor is fine. */
void sbx_monitor_notify_start(const struct sbx_context *ctx, const char *id);
/* `delete`: stop the supervisor and wait (briefly) until it is gone. */
void sbx_monitor_stop(const struct sbx_context *ctx, const char *id);
/* The violation recorded for the container ("timeout", "lifetime"), or NULL. */
char *sbx_monitor_violation(const struct sbx_context *ctx, const char *id);

#endif
