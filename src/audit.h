/* audit.h: the policy's audit trail (docs/policy.md, "Audit").  One JSON
 * object per line at audit.path: time (RFC 3339, UTC, microseconds),
 * event, container, policy {name, digest}, then the event's own fields.
 * Lines are written by agentsbx on the host only: by one-shot commands
 * (create, start, exec, delete) and by the container's supervisor
 * (monitor.h), which owns the long-lived event sources.
 *
 * Writing: each line is one write(2) on an O_APPEND fd under flock(2), so
 * lines from concurrent writers never interleave; beyond max_bytes the
 * file is renamed to PATH.1 (replacing the previous one) and a new one is
 * begun.  The directory is made 0700, the file 0600, never through a
 * symlink.  A failure to audit never stops the container.
 *
 * Bounding (supervisor only): struct sbx_audit_log rate-limits each event
 * kind with a token bucket.  A line dropped by the limit is counted; the
 * next line of that kind carries `suppressed` (how many were dropped
 * before it), or, when none comes within a second, an `events_suppressed`
 * line {kind, suppressed} does.  Every event is counted per kind, dropped
 * or not, for container_deleted. */
#ifndef SBX_AUDIT_H
#define SBX_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

enum sbx_audit_kind { SBX_AUDIT_STRING, SBX_AUDIT_INT, SBX_AUDIT_STRINGS, SBX_AUDIT_RAW,
                      SBX_AUDIT_BOOL };

/* One extra field of an event. */
struct sbx_audit_field {
  const char *key;
  enum sbx_audit_kind kind;
  const char *string;          /* STRING; RAW: a JSON value as text */
  int64_t integer;             /* INT; BOOL: 0 or 1 */
  char *const *strings;        /* STRINGS: NULL-terminated */
};

struct sbx_audit_target {
  const char *path;            /* NULL: auditing is off */
  const char *container_id;
  const char *policy;          /* name */
  const char *digest;          /* "sha256:..." */
  int64_t max_bytes;           /* <= 0: SBX_AUDIT_DEFAULT_MAX_BYTES of policy.h */
};

/* One line, now: format and append.  For one-shot writers. */
int sbx_audit(const struct sbx_audit_target *t, const char *event,
              const struct sbx_audit_field *fields, size_t n, struct sbx_error *err);

/* The pieces, for the supervisor and the unit tests. */
/* The line (with its '\n') for an event at `when` (CLOCK_REALTIME). */
char *sbx_audit_format(const struct sbx_audit_target *t, const struct timespec *when,
                       const char *event, const struct sbx_audit_field *fields, size_t n,
                       size_t *len);
/* Append line to path, rotating to path.1 first when it would pass max_bytes. */
int sbx_audit_append(const char *path, int64_t max_bytes, const char *line, size_t len,
                     struct sbx_error *err);

/* A token bucket: `rate` lines a second, bursts of `burst`. */
struct sbx_audit_rate {
  double rate, burst, tokens;
  int64_t last_ns;             /* CLOCK_MONOTONIC of the last refill; 0: full */
  uint64_t suppressed;         /* dropped since the last line of the kind */
  int64_t suppressed_since_ns; /* when the first of them was dropped */
};
bool sbx_audit_rate_take(struct sbx_audit_rate *r, int64_t now_ns);

/* The kinds the supervisor limits and counts. */
enum sbx_audit_event {
  SBX_AUDIT_EV_COMMAND,        /* command_executed */
  SBX_AUDIT_EV_EXEC_DENIED,    /* exec_denied */
  SBX_AUDIT_EV_FILE_DENIED,    /* file_denied */
  SBX_AUDIT_EV_NETWORK_DENIED, /* network_denied */
  SBX_AUDIT_EV_RESOURCE,       /* resource_violation */
  SBX_AUDIT_EV_EXITED,         /* process_exited */
  SBX_AUDIT_EV_COUNT,
};
const char *sbx_audit_event_name(enum sbx_audit_event e);

struct sbx_audit_log {
  struct sbx_audit_target target;
  struct sbx_audit_rate rate[SBX_AUDIT_EV_COUNT];
  uint64_t count[SBX_AUDIT_EV_COUNT];
};

/* The default limits: commands 100/s (burst 1000), denials 20/s (burst
 * 200), violations and exits 20/s (burst 100). */
void sbx_audit_log_init(struct sbx_audit_log *log, const struct sbx_audit_target *t);
/* An event of kind e through its rate limit; counted either way.  Returns
 * 1 when written, 0 when suppressed, -1 when writing failed. */
int sbx_audit_log_event(struct sbx_audit_log *log, enum sbx_audit_event e,
                        const struct sbx_audit_field *fields, size_t n, int64_t now_ns,
                        struct sbx_error *err);
/* Events of kind e a caller dropped by its own limit (the DNS resolver's):
 * counted, and reported with the log's own suppressed count. */
void sbx_audit_log_add_suppressed(struct sbx_audit_log *log, enum sbx_audit_event e,
                                  uint64_t n, int64_t now_ns);
/* Write the events_suppressed lines that are due (force: all of them).
 * Milliseconds until the next one is due, -1 when none is held. */
int sbx_audit_log_flush(struct sbx_audit_log *log, int64_t now_ns, bool force);
/* {"command_executed": N, "exec_denied": N, ...} */
char *sbx_audit_log_counts_json(const struct sbx_audit_log *log);

/* For the network helpers: a refused connection or query, as network_denied
 * through the log's limit.  name (a DNS query) or address (a packet);
 * port 0 and protocol NULL when not known; rule: the policy entry or the
 * reason ("not in allow", "blockPrivate", "deny[2]"). */
struct sbx_audit_network_denial {
  const char *name;
  const char *address;
  int port;
  const char *protocol;        /* "tcp", "udp", "icmp", "dns" */
  const char *qtype;           /* DNS: "A", "AAAA", "TXT"...; else NULL */
  const char *rule;
};
int sbx_audit_network_denied(struct sbx_audit_log *log, const struct sbx_audit_network_denial *d,
                             int64_t now_ns, struct sbx_error *err);

int64_t sbx_audit_monotonic_ns(void);

/* Why file_denied lines are not written (said once at create, in the log
 * and on stderr, and by `policy show`), for a policy whose file rules
 * restrict. */
extern const char sbx_audit_file_denied_unavailable[];

#endif
