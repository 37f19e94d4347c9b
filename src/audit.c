/* audit.c: JSON-lines audit events, rotation, rate limits and counts (see
 * audit.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "policy.h"
#include "utils.h"

static const char *const event_names[SBX_AUDIT_EV_COUNT] = {
  "command_executed", "exec_denied", "file_denied", "network_denied", "resource_violation",
  "process_exited",
};

const char sbx_audit_file_denied_unavailable[] =
  "file_denied is not recorded: Landlock (ABI 7) reports its refusals only to the kernel's "
  "audit subsystem, which agentsbx does not read (it is the host auditd's); refused opens "
  "still fail with EACCES in the container";

const char *sbx_audit_event_name(enum sbx_audit_event e)
{
  return e < SBX_AUDIT_EV_COUNT ? event_names[e] : "unknown";
}

int64_t sbx_audit_monotonic_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- one line ---- */

static void gen_str(yajl_gen g, const char *s)
{
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_field(yajl_gen g, const struct sbx_audit_field *f)
{
  gen_str(g, f->key);
  switch (f->kind) {
  case SBX_AUDIT_STRING:
    gen_str(g, f->string ? f->string : "");
    break;
  case SBX_AUDIT_INT:
    yajl_gen_integer(g, f->integer);
    break;
  case SBX_AUDIT_BOOL:
    yajl_gen_bool(g, f->integer != 0);
    break;
  case SBX_AUDIT_STRINGS:
    yajl_gen_array_open(g);
    for (size_t i = 0; f->strings && f->strings[i]; i++)
      gen_str(g, f->strings[i]);
    yajl_gen_array_close(g);
    break;
  case SBX_AUDIT_RAW:
    yajl_gen_number(g, f->string, strlen(f->string));
    break;
  }
}

char *sbx_audit_format(const struct sbx_audit_target *t, const struct timespec *when,
                       const char *event, const struct sbx_audit_field *fields, size_t n,
                       size_t *len)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  char date[32], stamp[64];
  struct tm tm;
  size_t blen;
  char *line = NULL;

  if (g == NULL)
    return NULL;
  gmtime_r(&when->tv_sec, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp, sizeof stamp, "%s.%06ldZ", date, when->tv_nsec / 1000);
  yajl_gen_map_open(g);
  gen_str(g, "time"), gen_str(g, stamp);
  gen_str(g, "event"), gen_str(g, event);
  gen_str(g, "container"), gen_str(g, t->container_id ? t->container_id : "");
  gen_str(g, "policy");
  yajl_gen_map_open(g);
  gen_str(g, "name"), gen_str(g, t->policy ? t->policy : "");
  gen_str(g, "digest"), gen_str(g, t->digest ? t->digest : "");
  yajl_gen_map_close(g);
  for (size_t i = 0; i < n; i++)
    gen_field(g, &fields[i]);
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &blen) == yajl_gen_status_ok && (line = malloc(blen + 2))) {
    memcpy(line, buf, blen);
    line[blen] = '\n';
    line[blen + 1] = '\0';
    *len = blen + 1;
  }
  yajl_gen_free(g);
  return line;
}

/* ---- the file ---- */

static int open_log(const char *path, struct sbx_error *err)
{
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW;
  cleanup_free char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;
  int fd = open(path, flags, 0600);

  if (fd >= 0 || errno != ENOENT || slash == NULL || slash == dir)
    return fd >= 0 ? fd : sbx_fail(err, errno, "audit log `%s`", path);
  *slash = '\0';
  if (sbx_mkdir_p(dir, 0700, err) < 0)
    return -1;
  fd = open(path, flags, 0600);
  return fd >= 0 ? fd : sbx_fail(err, errno, "audit log `%s`", path);
}

/* An fd on path, locked, that is still the file path names (a writer that
 * rotated between our open and our lock moved ours to .1). */
static int open_locked(const char *path, struct sbx_error *err)
{
  for (int tries = 0; tries < 8; tries++) {
    struct stat a, b;
    int fd = open_log(path, err);
    if (fd < 0)
      return -1;
    if (flock(fd, LOCK_EX) == 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
        a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      return fd;
    close(fd);
  }
  return sbx_fail(err, EAGAIN, "audit log `%s`: keeps being replaced", path);
}

int sbx_audit_append(const char *path, int64_t max_bytes, const char *line, size_t len,
                     struct sbx_error *err)
{
  cleanup_close int fd = open_locked(path, err);
  struct stat st;

  if (fd < 0)
    return -1;
  if (max_bytes <= 0)
    max_bytes = SBX_AUDIT_DEFAULT_MAX_BYTES;
  if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size + (off_t)len > max_bytes) {
    cleanup_free char *old = sbx_strdup_printf("%s.1", path);
    if (old == NULL || rename(path, old) < 0)
      return sbx_fail(err, old ? errno : ENOMEM, "rotate audit log `%s`", path);
    close(fd);
    /* The lock on the old inode is dropped; new writers see the new file. */
    if ((fd = open_locked(path, err)) < 0)
      return -1;
  }
  if (write(fd, line, len) != (ssize_t)len)
    return sbx_fail(err, errno ? errno : EIO, "write audit log `%s`", path);
  return 0;
}

int sbx_audit(const struct sbx_audit_target *t, const char *event,
              const struct sbx_audit_field *fields, size_t n, struct sbx_error *err)
{
  cleanup_free char *line = NULL;
  struct timespec now;
  size_t len = 0;

  if (t == NULL || t->path == NULL)
    return 0;
  clock_gettime(CLOCK_REALTIME, &now);
  line = sbx_audit_format(t, &now, event, fields, n, &len);
  if (line == NULL)
    return sbx_fail(err, ENOMEM, "audit");
  return sbx_audit_append(t->path, t->max_bytes, line, len, err);
}

/* ---- rate limits and counts ---- */

bool sbx_audit_rate_take(struct sbx_audit_rate *r, int64_t now_ns)
{
  if (r->last_ns == 0) {
    r->tokens = r->burst;
  } else if (now_ns > r->last_ns) {
    r->tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
    if (r->tokens > r->burst)
      r->tokens = r->burst;
  }
  r->last_ns = now_ns;
  if (r->tokens >= 1) {
    r->tokens -= 1;
    return true;
  }
  if (r->suppressed++ == 0)
    r->suppressed_since_ns = now_ns;
  return false;
}

void sbx_audit_log_init(struct sbx_audit_log *log, const struct sbx_audit_target *t)
{
  memset(log, 0, sizeof *log);
  log->target = *t;
  for (int e = 0; e < SBX_AUDIT_EV_COUNT; e++) {
    struct sbx_audit_rate *r = &log->rate[e];
    if (e == SBX_AUDIT_EV_COMMAND)
      r->rate = 100, r->burst = 1000;
    else if (e == SBX_AUDIT_EV_EXEC_DENIED || e == SBX_AUDIT_EV_FILE_DENIED ||
             e == SBX_AUDIT_EV_NETWORK_DENIED)
      r->rate = 20, r->burst = 200;
    else
      r->rate = 20, r->burst = 100;
  }
}

static int write_now(struct sbx_audit_log *log, const char *event,
                     const struct sbx_audit_field *fields, size_t n, struct sbx_error *err)
{
  return sbx_audit(&log->target, event, fields, n, err);
}

int sbx_audit_log_event(struct sbx_audit_log *log, enum sbx_audit_event e,
                        const struct sbx_audit_field *fields, size_t n, int64_t now_ns,
                        struct sbx_error *err)
{
  struct sbx_audit_rate *r = &log->rate[e];
  struct sbx_audit_field all[32];

  log->count[e]++;
  if (!sbx_audit_rate_take(r, now_ns))
    return 0;
  if (n > 31)
    n = 31;
  memcpy(all, fields, n * sizeof *fields);
  if (r->suppressed)
    all[n++] = (struct sbx_audit_field){ "suppressed", SBX_AUDIT_INT,
                                         .integer = (int64_t)r->suppressed };
  r->suppressed = 0;
  return write_now(log, event_names[e], all, n, err) < 0 ? -1 : 1;
}

void sbx_audit_log_add_suppressed(struct sbx_audit_log *log, enum sbx_audit_event e,
                                  uint64_t n, int64_t now_ns)
{
  struct sbx_audit_rate *r = &log->rate[e];

  if (n == 0)
    return;
  log->count[e] += n;
  if (r->suppressed == 0)
    r->suppressed_since_ns = now_ns;
  r->suppressed += n;
}

int sbx_audit_log_flush(struct sbx_audit_log *log, int64_t now_ns, bool force)
{
  const int64_t hold_ns = 1000000000;
  int64_t next = -1;

  for (int e = 0; e < SBX_AUDIT_EV_COUNT; e++) {
    struct sbx_audit_rate *r = &log->rate[e];
    int64_t due = r->suppressed_since_ns + hold_ns;
    if (r->suppressed == 0)
      continue;
    if (force || now_ns >= due) {
      struct sbx_audit_field f[] = {
        { "kind", SBX_AUDIT_STRING, .string = event_names[e] },
        { "suppressed", SBX_AUDIT_INT, .integer = (int64_t)r->suppressed },
      };
      write_now(log, "events_suppressed", f, 2, NULL);
      r->suppressed = 0;
      continue;
    }
    if (next < 0 || due - now_ns < next)
      next = due - now_ns;
  }
  return next < 0 ? -1 : (int)((next + 999999) / 1000000);
}

char *sbx_audit_log_counts_json(const struct sbx_audit_log *log)
{
  char buf[512];
  size_t off = 0;

  off += (size_t)snprintf(buf, sizeof buf, "{");
  for (int e = 0; e < SBX_AUDIT_EV_COUNT; e++)
    off += (size_t)snprintf(buf + off, sizeof buf - off, "%s\"%s\":%llu", e ? "," : "",
                            event_names[e], (unsigned long long)log->count[e]);
  snprintf(buf + off, sizeof buf - off, "}");
  return strdup(buf);
}

int sbx_audit_network_denied(struct sbx_audit_log *log, const struct sbx_audit_network_denial *d,
                             int64_t now_ns, struct sbx_error *err)
{
  struct sbx_audit_field f[6];
  size_t n = 0;

  if (d->name)
    f[n++] = (struct sbx_audit_field){ "name", SBX_AUDIT_STRING, .string = d->name };
  if (d->address)
    f[n++] = (struct sbx_audit_field){ "address", SBX_AUDIT_STRING, .string = d->address };
  if (d->port > 0)
    f[n++] = (struct sbx_audit_field){ "port", SBX_AUDIT_INT, .integer = d->port };
  if (d->protocol)
    f[n++] = (struct sbx_audit_field){ "protocol", SBX_AUDIT_STRING, .string = d->protocol };
  if (d->qtype)
    f[n++] = (struct sbx_audit_field){ "qtype", SBX_AUDIT_STRING, .string = d->qtype };
  if (d->rule)
    f[n++] = (struct sbx_audit_field){ "rule", SBX_AUDIT_STRING, .string = d->rule };
  return sbx_audit_log_event(log, SBX_AUDIT_EV_NETWORK_DENIED, f, n, now_ns, err);
}
