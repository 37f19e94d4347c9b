/* console.c: ptys, the controlling terminal, fd passing over unix sockets
 * (console socket, seccomp listener) and the foreground copy loop of
 * `run -t` (see console.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "console.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- pty ---- */

int sbx_console_open_pty(int *master, char **slave_path, struct sbx_error *err)
{
  char name[64];
  int fd;

  fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail(err, errno, "open pty master /dev/ptmx");
  if (grantpt(fd) < 0 || unlockpt(fd) < 0) {
    sbx_fail(err, errno, "unlock pty master");
    close(fd);
    return -1;
  }
  errno = ptsname_r(fd, name, sizeof(name));
  if (errno != 0) {
    sbx_fail(err, errno, "get the name of the pty slave");
    close(fd);
    return -1;
  }
  *slave_path = strdup(name);
  if (*slave_path == NULL) {
    sbx_fail(err, errno, "pty slave name");
    close(fd);
    return -1;
  }
  *master = fd;
  return 0;
}

int sbx_console_setup_slave(const char *slave_path, struct sbx_error *err)
{
  int fd;

  /* TIOCSCTTY needs a session leader without a controlling terminal. */
  if (getsid(0) != getpid() && setsid() < 0)
    return sbx_fail(err, errno, "setsid");
  fd = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail(err, errno, "open console `%s`", slave_path);
  if (ioctl(fd, TIOCSCTTY, 0) < 0) {
    sbx_fail(err, errno, "make `%s` the controlling terminal", slave_path);
    close(fd);
    return -1;
  }
  for (int i = 0; i <= 2; i++) {
    if (fd != i && dup2(fd, i) < 0) {
      sbx_fail(err, errno, "dup console `%s` onto fd %d", slave_path, i);
      if (fd > 2)
        close(fd);
      return -1;
    }
  }
  if (fd > 2)
    close(fd);
  else
    fcntl(fd, F_SETFD, 0);   /* it landed on 0-2 itself: keep it across exec */
  return 0;
}

int sbx_console_set_size(int fd, unsigned height, unsigned width, struct sbx_error *err)
{
  struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };

  if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
    return sbx_fail(err, errno, "set console size %ux%u", width, height);
  return 0;
}

int sbx_console_clear_onlcr(int fd, struct sbx_error *err)
{
  struct termios t;

  if (tcgetattr(fd, &t) < 0)
    return sbx_fail(err, errno, "get console attributes");
  t.c_oflag &= ~(tcflag_t)ONLCR;
  if (tcsetattr(fd, TCSANOW, &t) < 0)
    return sbx_fail(err, errno, "clear ONLCR on the console");
  return 0;
}

int sbx_console_copy_size(int from, int to, struct sbx_error *err)
{
  struct winsize ws;

  if (ioctl(from, TIOCGWINSZ, &ws) < 0)
    return sbx_fail(err, errno, "get terminal size");
  if (ioctl(to, TIOCSWINSZ, &ws) < 0)
    return sbx_fail(err, errno, "set console size");
  return 0;
}

/* ---- fd passing ---- */

int sbx_console_send_fd(int sock, int fd, const char *name, struct sbx_error *err)
{
  /* A stream socket needs at least one byte of data to carry the fd: with
   * no name we send a lone NUL. */
  bool named = name != NULL && name[0] != '\0';
  struct iovec iov = { .iov_base = (void *)(named ? name : ""),
                       .iov_len = named ? strlen(name) : 1 };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
  struct cmsghdr *cmsg;
  ssize_t n;

  memset(&control, 0, sizeof(control));
  cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return sbx_fail(err, errno, "send fd %d (%s) over the socket", fd, name ? name : "unnamed");
  return 0;
}

/* Take the first fd of an SCM_RIGHTS message and close any others. */
static int take_passed_fd(struct msghdr *msg)
{
  int found = -1;

  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
    size_t n;

    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;

      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (found < 0)
        found = fd;
      else
        close(fd);
    }
  }
  return found;
}

int sbx_console_recv_fd(int sock, int *fd, char **name, struct sbx_error *err)
{
  char data[PATH_MAX + 1];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) - 1 };
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];   /* room to notice extra fds */
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
  ssize_t n;
  int got;

  do
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return sbx_fail(err, errno, "receive fd from the socket");
  got = take_passed_fd(&msg);
  if (got < 0)
    return sbx_fail(err, n == 0 ? ECONNRESET : EBADMSG,
                    n == 0 ? "receive fd: peer closed the socket"
                           : "receive fd: message carries no file descriptor");
  if (msg.msg_flags & MSG_CTRUNC) {
    close(got);
    return sbx_fail(err, EBADMSG, "receive fd: control message truncated");
  }
  if (name != NULL) {
    data[n] = '\0';
    *name = strdup(data);
    if (*name == NULL) {
      close(got);
      return sbx_fail(err, ENOMEM, "receive fd");
    }
  }
  *fd = got;
  return 0;
}

int sbx_console_connect(const char *socket_path, struct sbx_error *err)
{
  int sock = sbx_unix_connect(socket_path);

  if (sock < 0)
    return sbx_fail(err, errno, "connect to console socket `%s`", socket_path);
  return sock;
}

/* ---- the foreground proxy ---- */

/* After the child exits, wait this long for the rest of its output (the
 * tty layer hands data to the master asynchronously) before giving up on
 * a hang-up that other holders of the slave may delay forever. */
#define CHILD_EXIT_QUIET_MS 100
/* ... and at most this long in all, should the container keep writing. */
#define CHILD_EXIT_DRAIN_MS 2000
/* Without pidfds (kernel < 5.3, valgrind) the child is checked this often. */
#define NO_PIDFD_POLL_MS 50

struct buffer {
  char data[8192];
  size_t len;    /* bytes held */
  size_t off;    /* bytes of them already written */
};

/* Everything the loop owns, so that one cleanup can undo it. */
struct proxy_state {
  const struct sbx_console_proxy *p;
  struct buffer to_master, to_out;
  bool in_open;          /* still reading in_fd */
  bool child_exited;
  long long drain_deadline;  /* ms, CLOCK_MONOTONIC; set when the child exits */
  int pidfd;             /* -1: none or not supported */
  int sigfd;             /* SIGWINCH signalfd, -1 when in_fd is no tty */
  bool raw;              /* in_fd's mode saved in saved_tio and changed */
  struct termios saved_tio;
  bool mask_saved;
  sigset_t saved_mask;
  int master_flags;      /* to restore O_NONBLOCK on the master */
};

static long long now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mark_child_exited(struct proxy_state *s)
{
  if (s->child_exited)
    return;
  s->child_exited = true;
  s->in_open = false;    /* nobody left to type to */
  s->drain_deadline = now_ms() + CHILD_EXIT_DRAIN_MS;
}

static bool child_gone(pid_t pid)
{
  siginfo_t si;

  memset(&si, 0, sizeof(si));
  /* WNOWAIT: leave the zombie to the caller's waitpid(). */
  return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static int setup_tty(struct proxy_state *s, struct sbx_error *err)
{
  const struct sbx_console_proxy *p = s->p;
  struct termios raw;
  sigset_t winch;

  if (p->in_fd < 0 || !isatty(p->in_fd))
    return 0;
  if (tcgetattr(p->in_fd, &s->saved_tio) < 0)
    return sbx_fail(err, errno, "get terminal attributes");
  raw = s->saved_tio;
  cfmakeraw(&raw);
  if (tcsetattr(p->in_fd, TCSANOW, &raw) < 0)
    return sbx_fail(err, errno, "put the terminal in raw mode");
  s->raw = true;
  /* A failed copy only leaves the default size; not worth failing for. */
  sbx_console_copy_size(p->in_fd, p->master, NULL);

  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  if (sigprocmask(SIG_BLOCK, &winch, &s->saved_mask) < 0)
    return sbx_fail(err, errno, "block SIGWINCH");
  s->mask_saved = true;
  s->sigfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sigfd < 0)
    return sbx_fail(err, errno, "signalfd for SIGWINCH");
  return 0;
}

static int setup(struct proxy_state *s, struct sbx_error *err)
{
  const struct sbx_console_proxy *p = s->p;

  s->master_flags = fcntl(p->master, F_GETFL);
  if (s->master_flags < 0 || fcntl(p->master, F_SETFL, s->master_flags | O_NONBLOCK) < 0)
    return sbx_fail(err, errno, "make the pty master non-blocking");
  if (p->child > 0) {
    s->pidfd = (int)syscall(SYS_pidfd_open, p->child, 0);
    if (s->pidfd < 0 && errno == ESRCH)
      mark_child_exited(s);     /* already reaped: just drain */
    else if (s->pidfd < 0 && errno != ENOSYS)
      return sbx_fail(err, errno, "pidfd_open %d", (int)p->child);
    else if (s->pidfd < 0 && child_gone(p->child))
      mark_child_exited(s);
  }
  return setup_tty(s, err);
}

static void teardown(struct proxy_state *s)
{
  const struct sbx_console_proxy *p = s->p;

  if (s->raw)
    tcsetattr(p->in_fd, TCSANOW, &s->saved_tio);
  if (s->sigfd >= 0)
    close(s->sigfd);
  if (s->mask_saved)
    sigprocmask(SIG_SETMASK, &s->saved_mask, NULL);
  if (s->pidfd >= 0)
    close(s->pidfd);
  if (s->master_flags >= 0)
    fcntl(p->master, F_SETFL, s->master_flags);
}

/* Write what b holds to fd; returns -1 on a real error. */
static int flush_some(int fd, struct buffer *b)
{
  ssize_t n = write(fd, b->data + b->off, b->len - b->off);

  if (n < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
  b->off += (size_t)n;
  if (b->off == b->len)
    b->off = b->len = 0;
  return 0;
}

/* Fill b from fd.  Returns 1 at EOF or hang-up (EIO is how a pty master
 * says that every slave end is closed), 0 otherwise, -1 on error. */
static int fill(int fd, struct buffer *b)
{
  ssize_t n = read(fd, b->data, sizeof(b->data));

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n < 0 && errno == EIO)
    return 1;
  if (n < 0)
    return -1;
  if (n == 0)
    return 1;
  b->len = (size_t)n;
  b->off = 0;
  return 0;
}

/* Before returning: whatever is buffered for out_fd goes out, blocking if
 * need be (out_fd is the caller's and may be blocking anyway). */
static void flush_out(struct proxy_state *s)
{
  struct pollfd pfd = { s->p->out_fd, POLLOUT, 0 };

  while (s->to_out.len > 0) {
    if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
      return;
    if (flush_some(s->p->out_fd, &s->to_out) < 0)
      return;
  }
}

static void on_winch(struct proxy_state *s)
{
  struct signalfd_siginfo si;

  while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
    ;
  sbx_console_copy_size(s->p->in_fd, s->p->master, NULL);
}

enum { PFD_MASTER, PFD_IN, PFD_OUT, PFD_CHILD, PFD_WINCH, PFD_WAKE, PFD_N };

/* Build this round's poll set: each direction reads only when its buffer
 * is empty and writes only when it is not, so nothing ever blocks. */
static void fill_pollset(const struct proxy_state *s, struct pollfd *fds)
{
  const struct sbx_console_proxy *p = s->p;
  short master_events = 0;

  if (s->to_out.len == 0)
    master_events |= POLLIN;
  if (s->to_master.len > 0)
    master_events |= POLLOUT;
  /* fd -1 makes poll skip an entry. */
  fds[PFD_MASTER] = (struct pollfd){ master_events ? p->master : -1, master_events, 0 };
  fds[PFD_IN] = (struct pollfd){ s->in_open && s->to_master.len == 0 ? p->in_fd : -1, POLLIN, 0 };
  fds[PFD_OUT] = (struct pollfd){ s->to_out.len > 0 ? p->out_fd : -1, POLLOUT, 0 };
  fds[PFD_CHILD] = (struct pollfd){ s->child_exited ? -1 : s->pidfd, POLLIN, 0 };
  fds[PFD_WINCH] = (struct pollfd){ s->sigfd, POLLIN, 0 };
  fds[PFD_WAKE] = (struct pollfd){ p->on_wake != NULL ? p->wake_fd : -1, POLLIN, 0 };
}

static int poll_timeout(const struct proxy_state *s)
{
  if (s->child_exited) {
    long long left = s->drain_deadline - now_ms();

    return left <= 0 ? 0 : left < CHILD_EXIT_QUIET_MS ? (int)left : CHILD_EXIT_QUIET_MS;
  }
  if (s->p->child > 0 && s->pidfd < 0)
    return NO_PIDFD_POLL_MS;
  return -1;
}

/* One round of the loop.  Returns 1 when the proxy is done (*end set), 0 to
 * go on, -1 on error. */
static int step(struct proxy_state *s, enum sbx_proxy_end *end, struct sbx_error *err)
{
  const struct sbx_console_proxy *p = s->p;
  struct pollfd fds[PFD_N];
  int r;

  fill_pollset(s, fds);
  r = poll(fds, PFD_N, poll_timeout(s));
  if (r < 0)
    return errno == EINTR ? 0 : sbx_fail(err, errno, "console proxy: poll");
  if (s->child_exited && (r == 0 || now_ms() >= s->drain_deadline)) {
    *end = SBX_PROXY_CHILD_EXITED;   /* quiet, or long enough, since the exit */
    return 1;
  }
  if (fds[PFD_CHILD].revents
      || (p->child > 0 && s->pidfd < 0 && !s->child_exited && child_gone(p->child)))
    mark_child_exited(s);
  if (fds[PFD_WINCH].revents)
    on_winch(s);
  if (fds[PFD_WAKE].revents && p->on_wake(p->data, err) < 0)
    return -1;
  if (fds[PFD_IN].revents) {
    r = fill(p->in_fd, &s->to_master);
    if (r != 0)
      s->in_open = false;            /* EOF or error on input: output goes on */
  }
  if (fds[PFD_OUT].revents && flush_some(p->out_fd, &s->to_out) < 0)
    return sbx_fail(err, errno, "console proxy: write output");

  if (fds[PFD_MASTER].revents & POLLOUT) {
    if (flush_some(p->master, &s->to_master) < 0)
      s->to_master.len = s->to_master.off = 0;   /* slave gone: drop input */
  }
  if (fds[PFD_MASTER].revents & (POLLIN | POLLHUP | POLLERR)) {
    if ((fds[PFD_MASTER].events & POLLIN) == 0) {
      s->to_master.len = s->to_master.off = 0;   /* hang-up while writing */
      return 0;
    }
    r = fill(p->master, &s->to_out);
    if (r < 0)
      return sbx_fail(err, errno, "console proxy: read pty master");
    if (r == 1) {
      *end = SBX_PROXY_HANGUP;
      return 1;
    }
  }
  return 0;
}

int sbx_console_proxy(const struct sbx_console_proxy *p, struct sbx_error *err)
{
  struct proxy_state s;
  enum sbx_proxy_end end = SBX_PROXY_HANGUP;
  int r;

  memset(&s, 0, sizeof(s));
  s.p = p;
  s.pidfd = s.sigfd = s.master_flags = -1;
  s.in_open = p->in_fd >= 0;
  r = setup(&s, err);
  while (r == 0)
    r = step(&s, &end, err);
  if (r > 0)
    flush_out(&s);
  teardown(&s);
  return r < 0 ? -1 : (int)end;
}
