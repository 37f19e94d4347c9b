/* monitor.c: the per-container supervisor process and its table of event
 * sources (see monitor.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "state.h"
#include "utils.h"


struct sbx_monitor {
  const struct sbx_context *ctx;
  const struct sbx_monitor_spec *spec;
  int pidfd;
  int timeout_fd;            /* armed by start's SIGUSR1 */
  struct sbx_audit_log log;  /* rate limits and counts of every source's events */
  int64_t started_ns;        /* when start told us (CLOCK_MONOTONIC); 0: not started */
  bool exit_recorded;        /* init's process_exited is written */
  struct sbx_monitor_source *slots; /* built-in, the spec's, then those added later */
  size_t n, cap;
};

struct sbx_monitor_source *sbx_monitor_spec_add(struct sbx_monitor_spec *spec)
{
  struct sbx_monitor_source *s;

  if (spec->n_sources >= SBX_MONITOR_MAX_SOURCES)
    return NULL;
  s = &spec->sources[spec->n_sources++];
  memset(s, 0, sizeof *s);
  s->fd = -1;
  return s;
}

void sbx_monitor_spec_release(struct sbx_monitor_spec *spec)
{
  for (size_t i = 0; i < spec->n_sources; i++) {
    struct sbx_monitor_source *s = &spec->sources[i];
    if (s->release)
      s->release(NULL, s->ctx);
    else if (s->fd >= 0)
      close(s->fd);
  }
  spec->n_sources = 0;
}

const struct sbx_monitor_spec *sbx_monitor_get_spec(const struct sbx_monitor *m)
{
  return m->spec;
}

struct sbx_audit_log *sbx_monitor_audit(struct sbx_monitor *m)
{
  return &m->log;
}

void sbx_monitor_kill_container(struct sbx_monitor *m)
{
  if (m->spec->cgroup_path)
    sbx_cgroup_kill_all(m->spec->cgroup_path, false, SIGKILL, NULL);
  syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
}

static int arm(int64_t seconds)
{
  struct itimerspec its = { .it_value = { .tv_sec = seconds } };
  int fd;

  if (seconds <= 0)
    return -1;
  fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (fd >= 0)
    timerfd_settime(fd, 0, &its, NULL);
  return fd;
}

/* A time limit passed: record it, kill the container, audit it. */
static void enforce(struct sbx_monitor *m, const char *what, int64_t limit)
{
  cleanup_free char *file = sbx_state_file(m->ctx, m->spec->id, "violation");
  struct sbx_audit_field fields[] = {
    { "violation", SBX_AUDIT_STRING, .string = what },
    { "limit_seconds", SBX_AUDIT_INT, .integer = limit },
  };

  if (file)
    sbx_write_file_atomic(file, what, strlen(what), 0600, NULL);
  sbx_monitor_kill_container(m);
  sbx_audit_log_event(&m->log, SBX_AUDIT_EV_RESOURCE, fields, 2, sbx_audit_monotonic_ns(), NULL);
}

/* PIDFD_GET_INFO (Linux 6.13): the exit status of a reaped process. */
struct pidfd_info_v0 {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
#define SBX_PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info_v0)
#define SBX_PIDFD_INFO_EXIT (1UL << 3)

/* The wait status of init, which is not our child: from its zombie's
 * /proc/PID/stat (field 52) before its parent reaps it, else from the
 * pidfd after.  -1 when neither tells. */
static int init_wait_status(const struct sbx_monitor *m)
{
  struct pidfd_info_v0 info = { .mask = SBX_PIDFD_INFO_EXIT };
  cleanup_free char *text = NULL;
  char path[64];

  snprintf(path, sizeof path, "/proc/%d/stat", m->spec->init_pid);
  if (sbx_read_file(path, &text, NULL, NULL) == 0) {
    char *p = strrchr(text, ')');
    int field = 2;
    for (; p && *p; p++)
      if (*p == ' ' && ++field == 52)
        return (int)strtol(p + 1, NULL, 10);
  }
  for (int tries = 0; tries < 50; tries++) {
    if (ioctl(m->pidfd, SBX_PIDFD_GET_INFO, &info) == 0 && (info.mask & SBX_PIDFD_INFO_EXIT))
      return info.exit_code;
    usleep(10000); /* not reaped yet */
    info.mask = SBX_PIDFD_INFO_EXIT;
  }
  return -1;
}

/* The container's first process ended: its status and how long it ran. */
static enum sbx_monitor_verdict on_init_exit(struct sbx_monitor *m, void *ctx, short revents)
{
  int status = init_wait_status(m);
  struct sbx_audit_field f[] = {
    { "process", SBX_AUDIT_STRING, .string = "init" },
    { "pid", SBX_AUDIT_INT, .integer = m->spec->init_pid },
    { "exit_code", SBX_AUDIT_INT, .integer = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status) },
    { "signal", SBX_AUDIT_INT, .integer = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0 },
    { "duration_ms", SBX_AUDIT_INT,
      .integer = m->started_ns ? (sbx_audit_monotonic_ns() - m->started_ns) / 1000000 : 0 },
  };

  struct sbx_audit_field fsize[] = {
    { "violation", SBX_AUDIT_STRING, .string = "file_size" },
    { "process", SBX_AUDIT_STRING, .string = "init" },
    { "pid", SBX_AUDIT_INT, .integer = m->spec->init_pid },
  };

  (void)ctx, (void)revents;
  m->exit_recorded = true;
  if (m->spec->audit.path == NULL)
    return SBX_MONITOR_STOP;
  /* RLIMIT_FSIZE (limits.fileSize) ends a process with SIGXFSZ. */
  if (status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
    sbx_audit_log_event(&m->log, SBX_AUDIT_EV_RESOURCE, fsize, 3, sbx_audit_monotonic_ns(), NULL);
  sbx_audit_log_event(&m->log, SBX_AUDIT_EV_EXITED, f, 5, sbx_audit_monotonic_ns(), NULL);
  return SBX_MONITOR_STOP;
}

static enum sbx_monitor_verdict on_lifetime(struct sbx_monitor *m, void *ctx, short revents)
{
  (void)ctx, (void)revents;
  enforce(m, "lifetime", m->spec->lifetime_s);
  return SBX_MONITOR_STOP;
}

static enum sbx_monitor_verdict on_timeout(struct sbx_monitor *m, void *ctx, short revents)
{
  (void)ctx, (void)revents;
  enforce(m, "timeout", m->spec->timeout_s);
  return SBX_MONITOR_STOP;
}

/* The audit log's own source: a deadline when a suppressed count is held. */
static int suppressed_due_ms(void *ctx)
{
  struct sbx_monitor *m = ctx;
  return m->spec->audit.path ? sbx_audit_log_flush(&m->log, sbx_audit_monotonic_ns(), false) : -1;
}

static enum sbx_monitor_verdict on_suppressed_due(struct sbx_monitor *m, void *ctx, short revents)
{
  (void)ctx, (void)revents;
  sbx_audit_log_flush(&m->log, sbx_audit_monotonic_ns(), false);
  return SBX_MONITOR_KEEP;
}

/* At the end: what is still suppressed, and the counts for delete's
 * container_deleted line (state file audit-counts.json). */
static void finish_audit(struct sbx_monitor *m)
{
  cleanup_free char *file = sbx_state_file(m->ctx, m->spec->id, "audit-counts.json");
  cleanup_free char *counts = sbx_audit_log_counts_json(&m->log);

  if (m->spec->audit.path == NULL)
    return;
  sbx_audit_log_flush(&m->log, sbx_audit_monotonic_ns(), true);
  if (file && counts)
    sbx_write_file_atomic(file, counts, strlen(counts), 0600, NULL);
}

int sbx_monitor_add_source(struct sbx_monitor *m, const struct sbx_monitor_source *s)
{
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct sbx_monitor_source *grown = realloc(m->slots, cap * sizeof *grown);
    if (grown == NULL)
      return -1;
    m->slots = grown, m->cap = cap;
  }
  m->slots[m->n++] = *s;
  return 0;
}

const struct sbx_context *sbx_monitor_context(const struct sbx_monitor *m)
{
  return m->ctx;
}

static void add_slot(struct sbx_monitor *m, int fd,
                     enum sbx_monitor_verdict (*handle)(struct sbx_monitor *, void *, short))
{
  sbx_monitor_add_source(m, &(struct sbx_monitor_source){ .fd = fd, .handle = handle });
}

/* SIGTERM: delete stops us.  SIGUSR1: start arms the timeout (once). */
static enum sbx_monitor_verdict on_signal(struct sbx_monitor *m, void *ctx, short revents)
{
  struct signalfd_siginfo si;
  int sigfd = (int)(intptr_t)ctx;

  (void)revents;
  if (read(sigfd, &si, sizeof si) != sizeof si)
    return SBX_MONITOR_KEEP;
  if (si.ssi_signo == SIGTERM)
    return SBX_MONITOR_STOP;
  if (m->started_ns == 0)
    m->started_ns = sbx_audit_monotonic_ns();
  if (m->timeout_fd < 0 && (m->timeout_fd = arm(m->spec->timeout_s)) >= 0)
    add_slot(m, m->timeout_fd, on_timeout);
  return SBX_MONITOR_KEEP;
}

static void release_slot(struct sbx_monitor *m, size_t i)
{
  struct sbx_monitor_source s = m->slots[i];

  memmove(&m->slots[i], &m->slots[i + 1], (m->n - i - 1) * sizeof s);
  m->n--;
  if (s.release)
    s.release(m, s.ctx);
}

static void release_all(struct sbx_monitor *m)
{
  while (m->n > 0)
    release_slot(m, m->n - 1);
}

/* The smallest deadline of the sources, and which source has it. */
static int next_deadline(const struct sbx_monitor *m, size_t *which)
{
  int best = -1;

  for (size_t i = 0; i < m->n; i++) {
    int t = m->slots[i].timeout_ms ? m->slots[i].timeout_ms(m->slots[i].ctx) : -1;
    if (t >= 0 && (best < 0 || t < best))
      best = t, *which = i;
  }
  return best;
}

/* One round: poll, then run the handler of every ready source (or of the
 * one whose deadline passed).  False when the supervisor must stop. */
static bool loop_once(struct sbx_monitor *m)
{
  size_t due = 0, n = m->n;
  cleanup_free struct pollfd *fds = calloc(n ? n : 1, sizeof *fds);
  int timeout = next_deadline(m, &due), ready;

  if (fds == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    fds[i] = (struct pollfd){ .fd = m->slots[i].fd, .events = POLLIN };
  ready = poll(fds, n, timeout);
  if (ready < 0)
    return errno == EINTR;
  if (ready == 0 && timeout >= 0)
    fds[due].revents = 0, ready = -1; /* the deadline: handle() with revents 0 */
  /* In table order (init's exit first); dropped sources go after the round,
   * last first, so the indices stay those of fds. */
  bool go_on = true;
  for (size_t i = 0; i < n && go_on; i++) {
    enum sbx_monitor_verdict v;
    if (fds[i].revents == 0 && !(ready == -1 && i == due))
      continue;
    v = m->slots[i].handle(m, m->slots[i].ctx, fds[i].revents);
    if (v == SBX_MONITOR_STOP)
      go_on = false;
    fds[i].fd = v == SBX_MONITOR_DROP ? -2 : fds[i].fd; /* marks it */
  }
  for (size_t i = n; i-- > 0;)
    if (fds[i].fd == -2)
      release_slot(m, i);
  return go_on;
}

static __attribute__((noreturn)) void supervise(const struct sbx_context *ctx,
                                                const struct sbx_monitor_spec *spec, int pidfd,
                                                const int *source_fds)
{
  struct sbx_monitor m = { .ctx = ctx, .spec = spec, .pidfd = pidfd, .timeout_fd = -1 };
  sigset_t set;
  int sigfd, lifetime;

  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  sbx_audit_log_init(&m.log, &spec->audit);
  add_slot(&m, pidfd, on_init_exit);
  sbx_monitor_add_source(&m, &(struct sbx_monitor_source){ .fd = -1, .handle = on_suppressed_due,
                                                           .timeout_ms = suppressed_due_ms,
                                                           .ctx = &m });
  sbx_monitor_add_source(&m, &(struct sbx_monitor_source){ .fd = sigfd, .handle = on_signal,
                                                           .ctx = (void *)(intptr_t)sigfd });
  if ((lifetime = arm(spec->lifetime_s)) >= 0)
    add_slot(&m, lifetime, on_lifetime);
  for (size_t i = 0; i < spec->n_sources; i++) {
    struct sbx_monitor_source s = spec->sources[i];
    s.fd = source_fds[i];
    if (sbx_monitor_add_source(&m, &s) < 0)
      _exit(1);
    if (s.start && s.start(&m, s.ctx, s.fd) < 0)
      release_slot(&m, m.n - 1);
  }
  while (loop_once(&m))
    ;
  /* Stopped by delete or a time limit: init's end, when it came too. */
  {
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    if (!m.exit_recorded && poll(&p, 1, 0) == 1)
      on_init_exit(&m, NULL, POLLIN);
  }
  release_all(&m);
  finish_audit(&m);
  _exit(0);
}

/* Keep only init's pidfd (as 3) and the sources' fds (4, 5, ...): no other
 * runtime fd may stay open in a process that outlives create.  Every fd is
 * first copied above the final range so no dup2 clobbers one still needed. */
static int keep_fds(int pidfd, const struct sbx_monitor_spec *spec, int *source_fds)
{
  enum { HIGH = 64 };
  int high_pidfd = fcntl(pidfd, F_DUPFD, HIGH);

  if (high_pidfd < 0)
    return -1;
  for (size_t i = 0; i < spec->n_sources; i++)
    if (spec->sources[i].fd >= 0 && (source_fds[i] = fcntl(spec->sources[i].fd, F_DUPFD, HIGH)) < 0)
      return -1;
  if (dup2(high_pidfd, 3) < 0)
    return -1;
  for (size_t i = 0; i < spec->n_sources; i++) {
    if (spec->sources[i].fd < 0) {
      source_fds[i] = -1;
      close(4 + (int)i);
      continue;
    }
    if (dup2(source_fds[i], 4 + (int)i) < 0)
      return -1;
    source_fds[i] = 4 + (int)i;
  }
  syscall(SYS_close_range, 4 + spec->n_sources, ~0U, 0);
  {
    int devnull = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
      dup2(devnull, fd);
    if (devnull > 2)
      close(devnull);
  }
  return 0;
}

int sbx_monitor_spawn(const struct sbx_context *ctx, const struct sbx_monitor_spec *m,
                      struct sbx_error *err)
{
  cleanup_free char *pidfile = sbx_state_file(ctx, m->id, "monitor.pid");
  sigset_t set, saved;
  int pidfd, status;
  pid_t child;

  if (m->timeout_s <= 0 && m->lifetime_s <= 0 && m->n_sources == 0 && m->audit.path == NULL)
    return 0;
  pidfd = (int)syscall(SYS_pidfd_open, m->init_pid, 0);
  if (pidfd < 0)
    return sbx_fail(err, errno, "supervisor: watch the container");
  /* Blocked before the fork, so start's SIGUSR1 can never be lost. */
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &saved);
  child = fork();
  if (child == 0) {
    int source_fds[SBX_MONITOR_MAX_SOURCES];
    pid_t supervisor;
    setsid();
    supervisor = fork();
    if (supervisor != 0) {
      char text[32];
      int n = snprintf(text, sizeof text, "%d", supervisor);
      _exit(supervisor < 0 || sbx_write_file_atomic(pidfile, text, n, 0600, NULL) < 0);
    }
    if (keep_fds(pidfd, m, source_fds) < 0)
      _exit(1);
    supervise(ctx, m, 3, source_fds);
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  close(pidfd);
  if (child < 0)
    return sbx_fail(err, errno, "supervisor: fork");
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return sbx_fail(err, ECHILD, "supervisor: start");
  return 0;
}

static pid_t monitor_pid(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *file = sbx_state_file(ctx, id, "monitor.pid");
  cleanup_free char *text = NULL;
  long pid;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0 || !sbx_parse_long(text, &pid))
    return -1;
  return (pid_t)pid;
}

/* A pidfd of the supervisor, when the pid still names it (same executable
 * name), else -1. */
static int open_monitor(const struct sbx_context *ctx, const char *id)
{
  pid_t pid = monitor_pid(ctx, id);
  int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
  cleanup_free char *comm = NULL;
  char path[64];

  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  if (fd >= 0 && (sbx_read_file(path, &comm, NULL, NULL) < 0 || strncmp(comm, "agentsbx", 8) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

void sbx_monitor_notify_start(const struct sbx_context *ctx, const char *id)
{
  cleanup_close int fd = open_monitor(ctx, id);

  if (fd >= 0)
    syscall(SYS_pidfd_send_signal, fd, SIGUSR1, NULL, 0);
}

void sbx_monitor_stop(const struct sbx_context *ctx, const char *id)
{
  cleanup_close int fd = open_monitor(ctx, id);
  struct pollfd p = { .fd = fd, .events = POLLIN };

  if (fd < 0)
    return;
  /* It flushes what it holds (suppressed counts, the command counts) and
   * exits; one that does not within 2 s is killed. */
  syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
  if (poll(&p, 1, 2000) <= 0) {
    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
    poll(&p, 1, 1000);
  }
}

char *sbx_monitor_violation(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *file = sbx_state_file(ctx, id, "violation");
  char *text = NULL;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}
