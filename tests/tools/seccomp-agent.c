/* seccomp-agent.c: test tool, the other end of linux.seccomp.listenerPath.
 *
 *   seccomp-agent SOCKET_PATH OUTDIR
 *
 * Listens on SOCKET_PATH (a SOCK_STREAM unix socket), writes OUTDIR/ready
 * once it does, accepts one connection and reads what the runtime sends
 * there until it closes it: the seccomp listener fd (SCM_RIGHTS) and the
 * container process state JSON, which goes to OUTDIR/state.json.  Then it
 * serves the notifications until the listener hangs up (every process of
 * the filter is gone): each notified syscall is logged to OUTDIR/log as
 * "NAME NR" and answered
 *   - with success (the syscall goes on: SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 *     when NAME is in $SECCOMP_AGENT_CONTINUE (comma-separated names),
 *   - else with the error $SECCOMP_AGENT_ERRNO (a number; default EPERM).
 * Exits 0 after a hang-up, 1 on errors.  Uses only libc and libseccomp.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *outdir;

static int fail(const char *what)
{
  fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
  return 1;
}

static char *out_path(const char *name)
{
  static char path[PATH_MAX];

  snprintf(path, sizeof(path), "%s/%s", outdir, name);
  return path;
}

static int write_file(const char *name, const char *data, size_t len)
{
  int fd = open(out_path(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;

  if (fd >= 0)
    close(fd);
  return ok ? 0 : -1;
}

/* Has buf[0..len) a whole JSON object (braces balanced outside strings)? */
static bool json_complete(const char *buf, size_t len)
{
  int depth = 0;
  bool in_str = false, esc = false, started = false;

  for (size_t i = 0; i < len; i++) {
    char ch = buf[i];

    if (in_str) {
      if (esc)
        esc = false;
      else if (ch == '\\')
        esc = true;
      else if (ch == '"')
        in_str = false;
    } else if (ch == '"') {
      in_str = true;
    } else if (ch == '{') {
      depth++;
      started = true;
    } else if (ch == '}' && --depth == 0 && started) {
      return true;
    }
  }
  return false;
}

/* Read the state document (up to EOF or its end: runc does not close the
 * connection until it exits); the first fd passed is the listener. */
static int receive(int conn, int *listener, char **json, size_t *json_len)
{
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);

  *listener = -1;
  if (buf == NULL)
    return -1;
  for (;;) {
    union {
      char b[CMSG_SPACE(4 * sizeof(int))];
      struct cmsghdr align;
    } ctl;
    struct iovec iov;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                          .msg_controllen = sizeof(ctl.b) };
    ssize_t n;

    if (cap - len < 4096) {
      char *b = realloc(buf, cap * 2);
      if (b == NULL)
        return -1;
      buf = b;
      cap *= 2;
    }
    iov.iov_base = buf + len;
    iov.iov_len = cap - len - 1;
    n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
        int fd;

        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (*listener < 0)
          *listener = fd;
        else
          close(fd);
      }
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (json_complete(buf, len))
      break;
  }
  buf[len] = '\0';
  *json = buf;
  *json_len = len;
  return 0;
}

static bool in_list(const char *list, const char *name)
{
  size_t n = strlen(name);

  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t l = end ? (size_t)(end - p) : strlen(p);

    if (l == n && strncmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

static int serve(int listener)
{
  const char *errno_env = getenv("SECCOMP_AGENT_ERRNO");
  const char *cont = getenv("SECCOMP_AGENT_CONTINUE");
  int answer = errno_env && *errno_env ? atoi(errno_env) : EPERM;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  FILE *log = fopen(out_path("log"), "a");

  if (log == NULL)
    return fail("open the log");
  if (seccomp_notify_alloc(&req, &resp) != 0)
    return fail("seccomp_notify_alloc");
  for (;;) {
    struct pollfd pfd = { .fd = listener, .events = POLLIN };
    char *name;
    int r;

    if (poll(&pfd, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      return fail("poll");
    }
    if (pfd.revents & POLLIN) {
      memset(req, 0, sizeof(*req));
      r = seccomp_notify_receive(listener, req);
      if (r != 0) {
        /* the caller died meanwhile (ENOENT) or a signal: go on */
        if (r == -ENOENT || r == -EINTR)
          continue;
        errno = -r;
        return fail("seccomp_notify_receive");
      }
      name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
      fprintf(log, "%s %d\n", name ? name : "?", req->data.nr);
      fflush(log);
      memset(resp, 0, sizeof(*resp));
      resp->id = req->id;
      if (name && in_list(cont, name))
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      else
        resp->error = -answer;
      free(name);
      r = seccomp_notify_respond(listener, resp);
      if (r != 0 && r != -ENOENT) {
        errno = -r;
        return fail("seccomp_notify_respond");
      }
      continue;
    }
    if (pfd.revents & (POLLHUP | POLLERR))
      break;
  }
  seccomp_notify_free(req, resp);
  fclose(log);
  return 0;
}

int main(int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock, conn, listener;
  char *json;
  size_t json_len;

  if (argc != 3) {
    fprintf(stderr, "usage: seccomp-agent SOCKET_PATH OUTDIR\n");
    return 2;
  }
  outdir = argv[2];
  if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return fail(argv[1]);
  }
  strcpy(addr.sun_path, argv[1]);
  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return fail("socket");
  unlink(argv[1]);
  if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 1) < 0)
    return fail(argv[1]);
  if (write_file("ready", "", 0) < 0)
    return fail("write ready");
  do
    conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    return fail("accept");
  close(sock);
  unlink(argv[1]);
  if (receive(conn, &listener, &json, &json_len) < 0)
    return fail("receive");
  close(conn);
  if (write_file("state.json", json, json_len) < 0)
    return fail("write state.json");
  free(json);
  if (listener < 0) {
    fprintf(stderr, "seccomp-agent: no file descriptor received\n");
    return 1;
  }
  return serve(listener);
}
