/* events.h: `events` and `update`: a container's cgroup statistics and OOM
 * notices as runc's JSON events, and changing its resources while it runs. */
#ifndef SBX_EVENTS_H
#define SBX_EVENTS_H

#include <stdbool.h>

#include "context.h"
#include "error.h"
#include "oci_spec.h"

/* Called with each event document ({"type":"stats"|"oom","id":...,"data":...}). */
typedef int (*sbx_event_fn)(void *data, const char *json);

/* stats_only: one stats event and return.  Else a stats event every
 * interval_ms and an oom event on each OOM kill, until the container stops. */
int sbx_container_events(const struct sbx_context *ctx, const char *id, bool stats_only,
                         int interval_ms, sbx_event_fn emit, void *data, struct sbx_error *err);

int sbx_container_update(const struct sbx_context *ctx, const char *id,
                         const struct oci_resources *r, struct sbx_error *err);

#endif
