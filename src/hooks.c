/* hooks.c: runs OCI hooks: one child per hook, state on stdin, output
 * captured, a pidfd-based wait with a timeout (see hooks.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CAPTURE_MAX (64 * 1024)
#define NO_PIDFD_POLL_MS 10

/* What the parent keeps of one running hook. */
struct hook_proc {
  pid_t pid;
  int pidfd;
  int in_w;      /* the hook's stdin; -1 once all of the state is written */
  int out_r;     /* the hook's stdout; -1 at EOF */
  int err_r;     /* the hook's stderr; -1 at EOF */
};

struct capture {
  char *data;
  size_t len;
};

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Hand an fd over from a variable that is cleaned up at the end. */
static int take_fd(int *fd)
{
  int v = *fd;

  *fd = -1;
  return v;
}

static int set_nonblock(int fd)
{
  int flags = fcntl(fd, F_GETFL);

  return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* (items, len) -> a NULL-terminated copy of the pointer array; first, if
 * not NULL and the list is empty, becomes the only item. */
static char **null_terminated(char **items, size_t len, const char *first)
{
  char **v = calloc(len + 2, sizeof(*v));

  if (v == NULL)
    return NULL;
  if (len == 0 && first != NULL)
    v[0] = (char *)first;
  else if (len > 0)
    memcpy(v, items, len * sizeof(*v));
  return v;
}

/* ---- the child ---- */

/* What the child reports on the exec-error pipe when it fails. */
enum { STEP_EXEC, STEP_SECCOMP };
struct child_failure {
  int step;
  int errnum;
};

static void __attribute__((noreturn)) child_fail(int step)
{
  struct child_failure f = { step, errno };

  if (write(3, &f, sizeof(f)) < 0) {
    /* nothing more we can do */
  }
  _exit(127);
}

/* The hook's seccomp filters, last before execve, as the container's own
 * process gets them. */
static void enter_sandbox(const struct sbx_hook_sandbox *sb)
{
  if (sb == NULL)
    return;
  if (sb->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(STEP_SECCOMP);
  for (int i = 0; i < 2; i++) {
    struct sbx_error err = { 0 };
    if (sb->seccomp[i] && sbx_seccomp_install(sb->seccomp[i], NULL, &err) < 0) {
      errno = err.errnum;
      child_fail(STEP_SECCOMP);
    }
  }
}

/* Put the pipes on 0, 1, 2 and the exec-error pipe on 3 (close-on-exec),
 * close everything else, reset the signal state, execve.  Never returns. */
static void __attribute__((noreturn))
child_exec(const char *path, char **argv, char **envp, int in_r, int out_w, int err_w,
           int exec_err_w, const struct sbx_hook_sandbox *sb)
{
  int fds[4] = { in_r, out_w, err_w, exec_err_w };
  sigset_t none;

  /* First move every fd above 3, so that none of the dup2() below can
   * clobber another one sitting on a low number. */
  for (int i = 0; i < 4; i++)
    if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4)) < 0)
      _exit(127);
  if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0
      || dup3(fds[3], 3, O_CLOEXEC) < 0)
    _exit(127);
  /* The hook must not inherit the runtime's descriptors. */
  if (close_range(4, UINT_MAX, 0) < 0) {
    for (int fd = 4; fd < 1024; fd++)
      close(fd);
  }
  /* The parent blocks SIGPIPE while it writes; the hook gets a clean state. */
  signal(SIGPIPE, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  enter_sandbox(sb);
  execve(path, argv, envp);
  child_fail(STEP_EXEC);
}

/* ---- the parent ---- */

static int pidfd_open_(pid_t pid)
{
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void kill_hook(const struct hook_proc *p)
{
  /* Through the pidfd the signal cannot hit a recycled pid; the plain kill
   * is only for the no-pidfd fallback, where the child is not reaped yet. */
  if (p->pidfd >= 0)
    syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
  else
    kill(p->pid, SIGKILL);
}

/* After fork: learn whether execve worked.  The exec-error pipe is
 * close-on-exec, so EOF means success; else the child says which step
 * failed, and errno. */
static int read_child_failure(int fd, struct child_failure *f)
{
  ssize_t n;

  do
    n = read(fd, f, sizeof(*f));
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof(*f) ? -1 : 0;
}

/* Fork and exec the hook.  On success p holds the parent's ends of the
 * pipes and a pidfd.  Returns -1 with errno (execve's too) and *what naming
 * the failed step on failure, the child then being reaped already. */
static int spawn(const struct oci_hook *h, const struct sbx_hook_sandbox *sb,
                 struct hook_proc *p, const char **what)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ex[2] = { -1, -1 };
  static char *no_env[] = { NULL };   /* after clearenv() */
  char **argv = NULL, **envp = NULL;
  struct child_failure failure;
  int ret = -1, saved;

  p->pid = -1;
  p->pidfd = p->in_w = p->out_r = p->err_r = -1;
  argv = null_terminated(h->args, h->args_len, h->path);
  if (h->env_len > 0)
    envp = null_terminated(h->env, h->env_len, NULL);
  else if (sb != NULL)
    envp = null_terminated(sb->default_env, sb->default_env_len, NULL);
  else
    envp = environ != NULL ? environ : no_env;
  *what = "allocate";
  if (argv == NULL || envp == NULL)
    goto out;
  *what = "pipe";
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0
      || pipe2(ex, O_CLOEXEC) < 0)
    goto out;
  /* Only the parent's ends: the hook gets ordinary blocking stdio. */
  if (set_nonblock(in[1]) < 0 || set_nonblock(out[0]) < 0 || set_nonblock(errp[0]) < 0)
    goto out;

  *what = "fork";
  p->pid = fork();
  if (p->pid < 0)
    goto out;
  if (p->pid == 0)
    child_exec(h->path, argv, envp, in[0], out[1], errp[1], ex[1], sb);

  close_fd(&ex[1]);
  if (read_child_failure(ex[0], &failure) < 0) {
    waitpid(p->pid, NULL, 0);
    *what = failure.step == STEP_SECCOMP ? "install the seccomp filter" : "exec";
    errno = failure.errnum;
    goto out;
  }
  *what = "pidfd_open";
  p->pidfd = pidfd_open_(p->pid);
  /* ENOSYS (kernel < 5.3, valgrind): supervise() falls back to polling. */
  if (p->pidfd < 0 && errno != ENOSYS) {
    saved = errno;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    errno = saved;
    goto out;
  }
  p->in_w = take_fd(&in[1]);
  p->out_r = take_fd(&out[0]);
  p->err_r = take_fd(&errp[0]);
  ret = 0;
out:
  saved = errno;
  for (int i = 0; i < 2; i++) {
    close_fd(&in[i]);
    close_fd(&out[i]);
    close_fd(&errp[i]);
    close_fd(&ex[i]);
  }
  free(argv);
  if (h->env_len > 0 || sb != NULL)
    free(envp);
  errno = saved;
  return ret;
}

/* Without a pidfd: is the child a zombie?  WNOWAIT leaves it for the
 * waitpid() that collects its status. */
static bool has_exited(pid_t pid)
{
  siginfo_t si;

  memset(&si, 0, sizeof(si));
  return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static long long now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what *fd has now into c, keeping at most CAPTURE_MAX bytes (the rest
 * is read and dropped so the hook never blocks on a full pipe).  Closes *fd
 * at EOF. */
static void drain(int *fd, struct capture *c)
{
  char buf[4096];

  while (*fd >= 0) {
    ssize_t n = read(*fd, buf, sizeof(buf));

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close_fd(fd);
      return;
    }
    if (c->len < CAPTURE_MAX) {
      size_t keep = (size_t)n < CAPTURE_MAX - c->len ? (size_t)n : CAPTURE_MAX - c->len;
      char *grown = realloc(c->data, c->len + keep + 1);

      if (grown != NULL) {
        memcpy(grown + c->len, buf, keep);
        c->len += keep;
        grown[c->len] = '\0';
        c->data = grown;
      }
    }
  }
}

/* Write more of the state; close the hook's stdin once all of it is
 * written, or when the hook stopped reading (EPIPE), which is not an
 * error: a hook may ignore its input. */
static void feed(int *fd, const char *data, size_t len, size_t *off)
{
  while (*off < len) {
    ssize_t n = write(*fd, data + *off, len - *off);

    if (n > 0) {
      *off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    break;
  }
  close_fd(fd);
}

/* Serve the hook's pipes until it exits or its time is up.  Returns 0 when
 * it exited (*status from waitpid), 1 when it was killed for running past
 * timeout_s, -1 with errno on a poll failure (the hook is killed). */
static int supervise(struct hook_proc *p, const char *state, int timeout_s,
                     struct capture *out, struct capture *errc, int *status)
{
  long long deadline = timeout_s > 0 ? now_ms() + (long long)timeout_s * 1000 : -1;
  size_t off = 0, len = state != NULL ? strlen(state) : 0;
  bool exited = false, timed_out = false;

  if (len == 0)
    close_fd(&p->in_w);
  while (!exited && !timed_out) {
    struct pollfd fds[4] = { { p->pidfd, POLLIN, 0 },
                             { p->in_w, POLLOUT, 0 },   /* poll skips fd -1 */
                             { p->out_r, POLLIN, 0 },
                             { p->err_r, POLLIN, 0 } };
    int wait_ms = -1, r;

    if (deadline >= 0) {
      long long left = deadline - now_ms();

      wait_ms = left > 0 ? (left > INT_MAX ? INT_MAX : (int)left) : 0;
    }
    if (p->pidfd < 0 && (wait_ms < 0 || wait_ms > NO_PIDFD_POLL_MS))
      wait_ms = NO_PIDFD_POLL_MS;
    r = poll(fds, 4, wait_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int saved = errno;

      kill_hook(p);
      waitpid(p->pid, status, 0);
      errno = saved;
      return -1;
    }
    if (r == 0 && deadline >= 0 && now_ms() >= deadline)
      timed_out = true;
    if (fds[1].revents)
      feed(&p->in_w, state, len, &off);
    if (fds[2].revents)
      drain(&p->out_r, out);
    if (fds[3].revents)
      drain(&p->err_r, errc);
    if (fds[0].revents)
      exited = true;
    else if (p->pidfd < 0)
      exited = has_exited(p->pid);
  }
  if (timed_out)
    kill_hook(p);
  else {
    /* What the hook wrote before exiting is in the pipes; take it, but do
     * not wait for EOF: a daemon it left behind may hold them open. */
    drain(&p->out_r, out);
    drain(&p->err_r, errc);
  }
  while (waitpid(p->pid, status, 0) < 0 && errno == EINTR)
    ;
  return timed_out ? 1 : 0;
}

static void strip_newline(struct capture *c)
{
  if (c->len > 0 && c->data[c->len - 1] == '\n')
    c->data[--c->len] = '\0';
}

/* ", stdout: ..., stderr: ..." for the parts that are not empty. */
static int wrap_output(struct sbx_error *err, struct capture *out, struct capture *errc)
{
  char *msg = NULL;

  if (err == NULL)
    return -1;
  strip_newline(out);
  strip_newline(errc);
  if (out->len == 0 && errc->len == 0)
    return -1;
  if (asprintf(&msg, "%s%s%s%s%s", err->msg ? err->msg : "",
               out->len ? ", stdout: " : "", out->len ? out->data : "",
               errc->len ? ", stderr: " : "", errc->len ? errc->data : "") < 0)
    return -1;
  free(err->msg);
  err->msg = msg;
  return -1;
}

static int report_status(struct sbx_error *err, const char *phase, size_t i, const char *path,
                         int status)
{
  if (WIFEXITED(status))
    return sbx_fail(err, 0, "%s hook #%zu %s: exited with status %d", phase, i, path,
                    WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char *name = sigabbrev_np(WTERMSIG(status));

    if (name != NULL)
      return sbx_fail(err, 0, "%s hook #%zu %s: killed by signal SIG%s", phase, i, path, name);
    return sbx_fail(err, 0, "%s hook #%zu %s: killed by signal %d", phase, i, path,
                    WTERMSIG(status));
  }
  return sbx_fail(err, 0, "%s hook #%zu %s: ended with wait status %#x", phase, i, path, status);
}

static int run_one(const struct oci_hook *h, size_t i, const char *state, const char *phase,
                   const struct sbx_hook_sandbox *sb, struct sbx_error *err)
{
  struct capture out = { NULL, 0 }, errc = { NULL, 0 };
  struct hook_proc p;
  const char *what = "";
  int status = 0, r, ret = -1;

  if (spawn(h, sb, &p, &what) < 0)
    return sbx_fail(err, errno, "%s hook #%zu %s: %s", phase, i, h->path, what);
  r = supervise(&p, state, h->has_timeout ? h->timeout : 0, &out, &errc, &status);
  if (r < 0)
    sbx_fail(err, errno, "%s hook #%zu %s: poll", phase, i, h->path);
  else if (r == 1)
    sbx_fail(err, 0, "%s hook #%zu %s: timed out after %d seconds", phase, i, h->path,
             h->timeout);
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    report_status(err, phase, i, h->path, status);
  else
    ret = 0;
  if (ret < 0 && r >= 0)
    wrap_output(err, &out, &errc);
  close_fd(&p.pidfd);
  close_fd(&p.in_w);
  close_fd(&p.out_r);
  close_fd(&p.err_r);
  free(out.data);
  free(errc.data);
  return ret;
}

/* Writing to a hook that exited raises SIGPIPE: block it while hooks run,
 * and swallow one we caused, so that the caller's disposition is kept. */
static void block_sigpipe(sigset_t *old, bool *was_pending)
{
  sigset_t set, pending;

  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, old);
  sigpending(&pending);
  *was_pending = sigismember(&pending, SIGPIPE);
}

static void restore_sigpipe(const sigset_t *old, bool was_pending)
{
  sigset_t set, pending;
  struct timespec zero = { 0, 0 };

  sigpending(&pending);
  if (!was_pending && sigismember(&pending, SIGPIPE)) {
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigtimedwait(&set, NULL, &zero);
  }
  sigprocmask(SIG_SETMASK, old, NULL);
}

int sbx_hooks_run(const struct oci_hook_list *hooks, const char *state_json,
                  const char *phase_name, const struct sbx_hook_sandbox *sb,
                  struct sbx_error *err)
{
  sigset_t old;
  bool was_pending;
  int ret = 0;

  if (hooks == NULL || hooks->len == 0)
    return 0;
  block_sigpipe(&old, &was_pending);
  for (size_t i = 0; i < hooks->len && ret == 0; i++)
    ret = run_one(&hooks->hooks[i], i, state_json, phase_name, sb, err);
  restore_sigpipe(&old, was_pending);
  return ret;
}
