/* resource_watch.c: OOM kills and the pids limit as audit lines (see
 * resource_watch.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "resource_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cgroup_resources.h"
#include "cgroups.h"
#include "utils.h"

struct watch {
  const char *cgroup_path;
  unsigned long long ooms;      /* oom_kill count already reported */
  unsigned long long pids_max;  /* pids.events "max" already reported */
  char *pids_events;            /* the file, NULL: no pids controller */
  int64_t next_tick_ns;         /* when pids.events is read next */
  int fd;                       /* the OOM watch, in the process at hand */
};

static void violation(struct sbx_monitor *m, const char *what, unsigned long long n)
{
  struct sbx_audit_field f[] = {
    { "violation", SBX_AUDIT_STRING, .string = what },
    { "count", SBX_AUDIT_INT, .integer = (int64_t)n },
  };

  sbx_audit_log_event(sbx_monitor_audit(m), SBX_AUDIT_EV_RESOURCE, f, 2, sbx_audit_monotonic_ns(),
                      NULL);
}

static enum sbx_monitor_verdict on_oom(struct sbx_monitor *m, void *ctx, short revents)
{
  struct watch *w = ctx;
  unsigned long long now = 0;

  (void)revents;
  sbx_cgroup_oom_ack(w->fd);
  if (sbx_cgroup_oom_count(w->cgroup_path, &now, NULL) < 0)
    return SBX_MONITOR_DROP; /* the cgroup is gone */
  if (now > w->ooms)
    violation(m, "oom", now - w->ooms);
  w->ooms = now;
  return SBX_MONITOR_KEEP;
}

static unsigned long long pids_max_events(const struct watch *w)
{
  cleanup_free char *text = NULL;
  const char *p;

  if (w->pids_events == NULL || sbx_read_file(w->pids_events, &text, NULL, NULL) < 0)
    return 0;
  p = strstr(text, "max ");
  return p ? strtoull(p + 4, NULL, 10) : 0;
}

static int pids_due_ms(void *ctx)
{
  struct watch *w = ctx;
  int64_t now = sbx_audit_monotonic_ns();

  if (w->next_tick_ns == 0)
    w->next_tick_ns = now + 1000000000;
  return w->next_tick_ns <= now ? 0 : (int)((w->next_tick_ns - now + 999999) / 1000000);
}

static enum sbx_monitor_verdict on_pids_tick(struct sbx_monitor *m, void *ctx, short revents)
{
  struct watch *w = ctx;
  unsigned long long now = pids_max_events(w);

  (void)revents;
  w->next_tick_ns = sbx_audit_monotonic_ns() + 1000000000;
  if (now > w->pids_max)
    violation(m, "pids", now - w->pids_max);
  w->pids_max = now;
  return SBX_MONITOR_KEEP;
}

/* The last second's refusals when the supervisor ends. */
static void release_pids(struct sbx_monitor *m, void *ctx)
{
  struct watch *w = ctx;

  if (m)
    on_pids_tick(m, ctx, 0);
  free(w->pids_events);
  free(w);
}

static void release_oom(struct sbx_monitor *m, void *ctx)
{
  struct watch *w = ctx;

  if (m)
    on_oom(m, ctx, 0);
  close(w->fd);
  free(w);
}

static int start_oom(struct sbx_monitor *m, void *ctx, int fd)
{
  (void)m;
  ((struct watch *)ctx)->fd = fd;
  return 0;
}

int sbx_resource_watch_add(struct sbx_monitor_spec *spec, const char *cgroup_path,
                           struct sbx_error *err)
{
  cleanup_free char *pids_dir = cgroup_path ? sbx_cgroup_controller_dir("pids", cgroup_path) : NULL;
  struct watch *oom = NULL, *pids = NULL;
  struct sbx_monitor_source *s;
  int fd;

  if (cgroup_path == NULL)
    return 0;
  fd = sbx_cgroup_oom_watch(cgroup_path, NULL);
  if (fd >= 0) {
    oom = calloc(1, sizeof *oom);
    s = oom ? sbx_monitor_spec_add(spec) : NULL;
    if (s == NULL) {
      close(fd);
      free(oom);
      return sbx_fail(err, ENOMEM, "audit: watch OOM kills");
    }
    oom->cgroup_path = cgroup_path;
    oom->fd = fd;
    sbx_cgroup_oom_count(cgroup_path, &oom->ooms, NULL);
    *s = (struct sbx_monitor_source){ .fd = fd, .handle = on_oom, .start = start_oom,
                                      .release = release_oom, .ctx = oom };
  }
  if (pids_dir) {
    pids = calloc(1, sizeof *pids);
    s = pids ? sbx_monitor_spec_add(spec) : NULL;
    if (s == NULL || (pids->pids_events = sbx_strdup_printf("%s/pids.events", pids_dir)) == NULL) {
      free(pids);
      return sbx_fail(err, ENOMEM, "audit: watch the pids limit");
    }
    pids->pids_max = pids_max_events(pids);
    *s = (struct sbx_monitor_source){ .fd = -1, .handle = on_pids_tick, .timeout_ms = pids_due_ms,
                                      .release = release_pids, .ctx = pids };
  }
  return 0;
}
