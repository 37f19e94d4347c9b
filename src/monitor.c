/* monitor.c: timeout and lifetime of a container (see monitor.h). */
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
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "state.h"
#include "utils.h"

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

static void enforce(const struct sbx_context *ctx, const struct sbx_monitor_spec *m, int pidfd,
                    const char *what, int64_t limit)
{
  cleanup_free char *file = sbx_state_file(ctx, m->id, "violation");
  struct sbx_audit_field fields[] = {
    { "violation", SBX_AUDIT_STRING, .string = what },
    { "limit_seconds", SBX_AUDIT_INT, .integer = limit },
  };

  if (file)
    sbx_write_file_atomic(file, what, strlen(what), 0600, NULL);
  if (m->cgroup_path)
    sbx_cgroup_kill_all(m->cgroup_path, false, SIGKILL, NULL);
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  sbx_audit(&m->audit, "resource_violation", fields, 2, NULL);
}

static __attribute__((noreturn)) void watch(const struct sbx_context *ctx,
                                            const struct sbx_monitor_spec *m, int pidfd)
{
  sigset_t set;
  int sigfd, lifetime = arm(m->lifetime_s), timeout = -1;

  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  for (;;) {
    struct pollfd fds[4] = { { pidfd, POLLIN, 0 }, { sigfd, POLLIN, 0 },
                             { lifetime, POLLIN, 0 }, { timeout, POLLIN, 0 } };
    struct signalfd_siginfo si;
    if (poll(fds, 4, -1) < 0 && errno != EINTR)
      _exit(1);
    if (fds[0].revents)
      _exit(0); /* the container is gone */
    if (fds[2].revents) {
      enforce(ctx, m, pidfd, "lifetime", m->lifetime_s);
      _exit(0);
    }
    if (fds[3].revents) {
      enforce(ctx, m, pidfd, "timeout", m->timeout_s);
      _exit(0);
    }
    if (fds[1].revents && read(sigfd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGTERM)
        _exit(0);
      if (timeout < 0)
        timeout = arm(m->timeout_s);
    }
  }
}

int sbx_monitor_spawn(const struct sbx_context *ctx, const struct sbx_monitor_spec *m,
                      struct sbx_error *err)
{
  cleanup_free char *pidfile = sbx_state_file(ctx, m->id, "monitor.pid");
  sigset_t set, saved;
  int pidfd, status;
  pid_t child;

  if (m->timeout_s <= 0 && m->lifetime_s <= 0)
    return 0;
  pidfd = (int)syscall(SYS_pidfd_open, m->init_pid, 0);
  if (pidfd < 0)
    return sbx_fail(err, errno, "policy limits: watch the container");
  /* Blocked before the fork, so start's SIGUSR1 can never be lost. */
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &saved);
  child = fork();
  if (child == 0) {
    pid_t watcher;
    setsid();
    watcher = fork();
    if (watcher != 0) {
      char text[32];
      int n = snprintf(text, sizeof text, "%d", watcher);
      _exit(watcher < 0 || sbx_write_file_atomic(pidfile, text, n, 0600, NULL) < 0);
    }
    /* Keep only the pidfd: no runtime fd may hold anything open. */
    if (dup2(pidfd, 3) < 0)
      _exit(1);
    syscall(SYS_close_range, 4, ~0U, 0);
    {
      int devnull = open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3; fd++)
        dup2(devnull, fd);
      if (devnull > 2)
        close(devnull);
    }
    watch(ctx, m, 3);
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  close(pidfd);
  if (child < 0)
    return sbx_fail(err, errno, "policy limits: fork the watcher");
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return sbx_fail(err, ECHILD, "policy limits: start the watcher");
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

static void signal_monitor(const struct sbx_context *ctx, const char *id, int sig)
{
  pid_t pid = monitor_pid(ctx, id);
  cleanup_close int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
  cleanup_free char *comm = NULL;
  char path[64];

  /* Only a process that is still our watcher (same executable name). */
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  if (fd < 0 || sbx_read_file(path, &comm, NULL, NULL) < 0 || strncmp(comm, "agentsbx", 8) != 0)
    return;
  syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

void sbx_monitor_notify_start(const struct sbx_context *ctx, const char *id)
{
  signal_monitor(ctx, id, SIGUSR1);
}

void sbx_monitor_stop(const struct sbx_context *ctx, const char *id)
{
  signal_monitor(ctx, id, SIGTERM);
}

char *sbx_monitor_violation(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *file = sbx_state_file(ctx, id, "violation");
  char *text = NULL;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}
