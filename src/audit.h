/* audit.h: the policy's audit trail: one JSON object per line at
 * audit.path, with time (RFC 3339, ns), event, container id and policy
 * name, plus the event's own fields.  Each line is one O_APPEND write, so
 * lines from concurrent writers never interleave; the file is opened
 * non-blocking and a failure to audit never stops the container. */
#ifndef SBX_AUDIT_H
#define SBX_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sbx_audit_kind { SBX_AUDIT_STRING, SBX_AUDIT_INT, SBX_AUDIT_STRINGS, SBX_AUDIT_RAW };

/* One extra field of an event. */
struct sbx_audit_field {
  const char *key;
  enum sbx_audit_kind kind;
  const char *string;          /* STRING; RAW: a JSON value as text */
  int64_t integer;             /* INT */
  char *const *strings;        /* STRINGS: NULL-terminated */
};

struct sbx_audit_target {
  const char *path;            /* NULL: auditing is off */
  const char *container_id;
  const char *policy;
};

int sbx_audit(const struct sbx_audit_target *t, const char *event,
              const struct sbx_audit_field *fields, size_t n, struct sbx_error *err);

#endif
