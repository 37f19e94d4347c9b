/* supervise.c: foreground supervision of a container process (see
 * supervise.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "utils.h"

struct watch {
  pid_t pid;
  int sigfd;
  int master;
  int status;
  bool exited;
};

static int status_to_exit_code(int status)
{
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* Reap every child (we are a subreaper); note when ours is among them. */
static void reap(struct watch *w)
{
  int status;
  pid_t p;

  while ((p = waitpid(-1, &status, WNOHANG)) > 0)
    if (p == w->pid) {
      w->status = status;
      w->exited = true;
    }
}

/* Drain the signalfd: SIGCHLD reaps, SIGWINCH resizes, the rest are
 * forwarded to the container process. */
static int handle_signals(void *data, struct sbx_error *err)
{
  struct watch *w = data;
  struct signalfd_siginfo si;

  while (read(w->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD)
      reap(w);
    else if (si.ssi_signo == SIGWINCH) {
      if (w->master >= 0)
        sbx_console_copy_size(STDIN_FILENO, w->master, NULL);
    } else if (!w->exited)
      kill(w->pid, (int)si.ssi_signo);
  }
  reap(w);
  return 0;
}

int sbx_supervise_begin(struct sbx_supervisor *s, bool want_console, struct sbx_error *err)
{
  static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };

  s->sigfd = -1;
  s->console[0] = s->console[1] = -1;
  sigfillset(&s->forwarded);
  /* Faults are our own; KILL and STOP cannot be caught anyway. */
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    sigdelset(&s->forwarded, own[i]);
  sigprocmask(SIG_BLOCK, &s->forwarded, &s->saved);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  s->sigfd = signalfd(-1, &s->forwarded, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sigfd < 0)
    return sbx_fail(err, errno, "signalfd");
  if (want_console && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->console) < 0)
    return sbx_fail(err, errno, "socketpair");
  return 0;
}

/* The master was sent before the process was reported ready, or never. */
static int receive_master(struct sbx_supervisor *s)
{
  int fd = -1;

  if (s->console[0] < 0 || fcntl(s->console[0], F_SETFL, O_NONBLOCK) < 0)
    return -1;
  if (sbx_console_recv_fd(s->console[0], &fd, NULL, NULL) < 0)
    return -1;
  return fd;
}

int sbx_supervise_wait(struct sbx_supervisor *s, pid_t pid, int *exit_code, struct sbx_error *err)
{
  struct watch w = { .pid = pid, .sigfd = s->sigfd, .master = receive_master(s) };
  cleanup_close int master = w.master;

  if (w.master >= 0) {
    struct sbx_console_proxy p = {
      .master = w.master, .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO, .child = pid,
      .wake_fd = s->sigfd, .on_wake = handle_signals, .data = &w,
    };
    if (sbx_console_proxy(&p, err) < 0)
      return -1;
  }
  for (handle_signals(&w, NULL); !w.exited; handle_signals(&w, NULL)) {
    struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };
    if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
      return sbx_fail(err, errno, "wait for the container process");
  }
  *exit_code = status_to_exit_code(w.status);
  return 0;
}

void sbx_supervise_end(struct sbx_supervisor *s)
{
  for (int i = 0; i < 2; i++)
    if (s->console[i] >= 0)
      close(s->console[i]);
  if (s->sigfd >= 0)
    close(s->sigfd);
  sigprocmask(SIG_SETMASK, &s->saved, NULL);
}
