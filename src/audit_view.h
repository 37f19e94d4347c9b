/* audit_view.h: reading an audit log back (`agentsbx audit`): its lines
 * filtered by container and event, as they are (JSON) or as one readable
 * table row each, and following the file as it grows and rotates. */
#ifndef SBX_AUDIT_VIEW_H
#define SBX_AUDIT_VIEW_H

#include <stdbool.h>

#include "error.h"

struct sbx_audit_view {
  const char *path;
  const char *container;       /* NULL: every container */
  const char *event;           /* NULL: every event */
  bool json;                   /* lines as they are, else table rows */
  bool follow;                 /* then wait for more, until stop() says so */
  /* Each output line (without '\n'). */
  void (*emit)(void *ctx, const char *line);
  /* follow: polled between reads; true ends the loop. */
  bool (*stop)(void *ctx);
  void *ctx;
};

/* The table's header row. */
const char *sbx_audit_view_header(void);
/* One log line as a table row (malloc'd), NULL when it is not an object. */
char *sbx_audit_view_row(const char *line);
/* Emit the matching lines of the log (and, following, those to come). */
int sbx_audit_view_run(const struct sbx_audit_view *v, struct sbx_error *err);

#endif
