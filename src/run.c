/* run.c: `run` in the foreground: create and start the container, forward
 * the signals the runtime receives to it, carry its terminal when it has
 * one, reap it, and delete it (unless --keep).  Detached, it is create +
 * start. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "container.h"
#include "utils.h"

struct supervisor {
  pid_t pid;
  int sigfd;
  int master;
  int status;       /* wait status once exited */
  bool exited;
};

static int status_to_exit_code(int status)
{
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* Reap every child (we are a subreaper); note when the container's init is
 * among them. */
static void reap(struct supervisor *s)
{
  int status;
  pid_t p;

  while ((p = waitpid(-1, &status, WNOHANG)) > 0)
    if (p == s->pid) {
      s->status = status;
      s->exited = true;
    }
}

/* One signal from the signalfd: SIGCHLD reaps, SIGWINCH resizes, the rest
 * go to the container. */
static int handle_signal(void *data, struct sbx_error *err)
{
  struct supervisor *s = data;
  struct signalfd_siginfo si;

  while (read(s->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD)
      reap(s);
    else if (si.ssi_signo == SIGWINCH) {
      if (s->master >= 0)
        sbx_console_copy_size(STDIN_FILENO, s->master, NULL);
    } else if (!s->exited)
      kill(s->pid, (int)si.ssi_signo);
  }
  return 0;
}

static int forwardable_signals(sigset_t *set)
{
  static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };

  sigfillset(set);
  /* Faults are our own; KILL and STOP cannot be caught anyway. */
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    sigdelset(set, own[i]);
  return 0;
}

static int supervise(struct supervisor *s, struct sbx_error *err)
{
  if (s->master >= 0) {
    struct sbx_console_proxy p = {
      .master = s->master, .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO, .child = s->pid,
      .wake_fd = s->sigfd, .on_wake = handle_signal, .data = s,
    };
    if (sbx_console_proxy(&p, err) < 0)
      return -1;
  }
  for (handle_signal(s, NULL); !s->exited; handle_signal(s, NULL)) {
    struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };
    if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
      return sbx_fail(err, errno, "wait for the container");
  }
  return 0;
}

static int receive_master(int sock)
{
  int fd = -1;

  /* The master was sent before create returned, or not at all. */
  if (sock < 0)
    return -1;
  if (fcntl(sock, F_SETFL, O_NONBLOCK) < 0)
    return -1;
  if (sbx_console_recv_fd(sock, &fd, NULL, NULL) < 0)
    return -1;
  return fd;
}

static int run_detached(const struct sbx_context *ctx, const char *id,
                        const struct sbx_run_options *opts, struct sbx_error *err)
{
  if (sbx_container_create(ctx, id, &opts->create, NULL, err) < 0)
    return -1;
  if (sbx_container_start(ctx, id, err) < 0) {
    sbx_container_delete(ctx, id, true, NULL);
    return -1;
  }
  return 0;
}

int sbx_container_run(const struct sbx_context *ctx, const char *id,
                      const struct sbx_run_options *opts, int *exit_status,
                      struct sbx_error *err)
{
  struct sbx_create_options create = opts->create;
  struct supervisor s = { .sigfd = -1, .master = -1 };
  int pair[2] = { -1, -1 };
  sigset_t forward, saved;
  int ret = -1;

  *exit_status = 0;
  if (opts->detach)
    return run_detached(ctx, id, opts, err);
  /* Without --console-socket a terminal comes back to us on a socketpair. */
  if (create.console_socket == NULL) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      return sbx_fail(err, errno, "socketpair");
    create.console_fd = pair[1];
  }
  create.foreground = true;
  /* Blocked before create so no signal is lost; init unblocks its own. */
  forwardable_signals(&forward);
  sigprocmask(SIG_BLOCK, &forward, &saved);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  s.sigfd = signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.sigfd < 0) {
    sbx_fail(err, errno, "signalfd");
    goto out;
  }
  if (sbx_container_create(ctx, id, &create, &s.pid, err) < 0)
    goto out;
  if (pair[1] >= 0) {
    close(pair[1]);
    pair[1] = -1;
  }
  s.master = receive_master(pair[0]);
  if (sbx_container_start(ctx, id, err) < 0) {
    sbx_container_delete(ctx, id, true, NULL);
    goto out;
  }
  if (supervise(&s, err) < 0) {
    sbx_container_delete(ctx, id, true, NULL);
    goto out;
  }
  *exit_status = status_to_exit_code(s.status);
  ret = 0;
  if (!opts->keep && sbx_container_delete(ctx, id, true, err) < 0)
    ret = -1;
out:
  for (int i = 0; i < 2; i++)
    if (pair[i] >= 0)
      close(pair[i]);
  if (s.master >= 0)
    close(s.master);
  if (s.sigfd >= 0)
    close(s.sigfd);
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return ret;
}
