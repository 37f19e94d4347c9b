/* events.c: container events and resource updates (see events.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "events.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_resources.h"
#include "state.h"
#include "utils.h"

static int emit_event(const char *type, const char *id, const char *data_json, sbx_event_fn emit,
                      void *data)
{
  cleanup_free char *json = data_json
      ? sbx_strdup_printf("{\"type\":\"%s\",\"id\":\"%s\",\"data\":%s}", type, id, data_json)
      : sbx_strdup_printf("{\"type\":\"%s\",\"id\":\"%s\"}", type, id);

  return json ? emit(data, json) : -1;
}

static int emit_stats(const struct sbx_state *st, sbx_event_fn emit, void *data,
                      struct sbx_error *err)
{
  cleanup_free char *stats = sbx_cgroup_stats_json(st->cgroup_path, err);

  if (stats == NULL)
    return -1;
  return emit_event("stats", st->id, stats, emit, data);
}

static int load_running(const struct sbx_context *ctx, const char *id, struct sbx_state *st,
                        struct sbx_error *err)
{
  if (sbx_state_load(ctx, id, st, err) < 0)
    return -1;
  if (sbx_state_status(ctx, st) == SBX_STOPPED) {
    sbx_state_release(st);
    return sbx_invalid(err, "container `%s` is not running", id);
  }
  if (st->cgroup_path == NULL) {
    sbx_state_release(st);
    return sbx_invalid(err, "container `%s` has no cgroup", id);
  }
  return 0;
}

int sbx_container_events(const struct sbx_context *ctx, const char *id, bool stats_only,
                         int interval_ms, sbx_event_fn emit, void *data, struct sbx_error *err)
{
  struct sbx_state st;
  cleanup_close int oom = -1;
  unsigned long long seen = 0, now;
  int ret = -1;

  if (load_running(ctx, id, &st, err) < 0)
    return -1;
  if (stats_only) {
    ret = emit_stats(&st, emit, data, err);
    goto out;
  }
  oom = sbx_cgroup_oom_watch(st.cgroup_path, err);
  if (oom < 0 || sbx_cgroup_oom_count(st.cgroup_path, &seen, err) < 0)
    goto out;
  while (sbx_state_status(ctx, &st) != SBX_STOPPED) {
    struct pollfd pfd = { .fd = oom, .events = POLLIN };
    int n = poll(&pfd, 1, interval_ms);
    if (n < 0 && errno != EINTR) {
      sbx_fail(err, errno, "wait for events");
      goto out;
    }
    if (n > 0)
      sbx_cgroup_oom_ack(oom);
    /* The notice can precede the kill's count (and v1 also fires on
     * removal): the count decides, checked at every wakeup. */
    if (sbx_cgroup_oom_count(st.cgroup_path, &now, NULL) == 0 && now > seen) {
      seen = now;
      if (emit_event("oom", id, NULL, emit, data) < 0)
        goto out;
    }
    if (n == 0 && emit_stats(&st, emit, data, err) < 0)
      goto out;
  }
  ret = 0;
out:
  sbx_state_release(&st);
  return ret;
}

int sbx_container_update(const struct sbx_context *ctx, const char *id,
                         const struct oci_resources *r, struct sbx_error *err)
{
  struct sbx_state st;
  cleanup_close int lock = -1;
  int ret;

  if (sbx_validate_id(id, err) < 0 || (lock = sbx_state_lock(ctx, id, err)) < 0)
    return -1;
  if (load_running(ctx, id, &st, err) < 0)
    return -1;
  ret = sbx_cgroup_update_resources(st.cgroup_path, r, err);
  sbx_state_release(&st);
  return ret;
}
