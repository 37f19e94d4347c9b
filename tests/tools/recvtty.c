/* recvtty.c: test tool, the other end of --console-socket.
 *
 *   recvtty [--mode single|null] [--no-stdin] [--pid-file F] SOCKET_PATH
 *
 * Listens on SOCKET_PATH and receives pty masters sent with SCM_RIGHTS.
 *   single (default): one connection; then copies master -> stdout and
 *     (unless --no-stdin) stdin -> master until the master hangs up, and
 *     exits 0.
 *   null: accepts connections for ever and reads every master it gets into
 *     the void, keeping it open so that the container does not get SIGHUP.
 * --pid-file is written once the socket listens, so a test can wait for it.
 * Built with src/console.c and src/error.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "console.h"
#include "error.h"

#define MAX_MASTERS 256

static int die(const char *what, struct sbx_error *err)
{
  fprintf(stderr, "recvtty: %s: %s\n", what, err && err->msg ? err->msg : strerror(errno));
  return 1;
}

static void usage(void)
{
  fprintf(stderr, "usage: recvtty [--mode single|null] [--no-stdin] [--pid-file FILE] SOCKET_PATH\n");
}

static int listen_on(const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen(path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 128) < 0) {
    int saved = errno;

    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

static int write_pid_file(const char *path)
{
  FILE *f = fopen(path, "we");

  if (f == NULL)
    return -1;
  fprintf(f, "%d", (int)getpid());
  return fclose(f);
}

/* Accept one connection and take the fd it carries. */
static int accept_master(int listener, struct sbx_error *err)
{
  int conn, master = -1;

  conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return sbx_fail(err, errno, "accept");
  if (sbx_console_recv_fd(conn, &master, NULL, err) < 0)
    master = -1;
  close(conn);
  return master;
}

static int run_single(int listener, const char *path, bool no_stdin)
{
  struct sbx_error err = { 0, NULL };
  int master, r;

  master = accept_master(listener, &err);
  close(listener);
  unlink(path);   /* let another instance take the path */
  if (master < 0) {
    r = die("receive the pty master", &err);
    sbx_error_clear(&err);
    return r;
  }
  /* As runc's recvtty does: the container's \n arrives as \n. */
  sbx_console_clear_onlcr(master, NULL);
  struct sbx_console_proxy p = {
    .master = master, .in_fd = no_stdin ? -1 : 0, .out_fd = 1,
    .child = 0, .wake_fd = -1,
  };
  r = sbx_console_proxy(&p, &err) < 0 ? die("copy", &err) : 0;
  close(master);
  sbx_error_clear(&err);
  return r;
}

/* null mode: fds[0] is the listener, the rest are masters being drained. */
static int run_null(int listener)
{
  struct pollfd fds[MAX_MASTERS + 1];
  nfds_t n = 1;
  char buf[4096];

  fds[0] = (struct pollfd){ listener, POLLIN, 0 };
  for (;;) {
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      return die("poll", NULL);
    }
    for (nfds_t i = n; i-- > 1;) {
      if (fds[i].revents == 0)
        continue;
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));

      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        close(fds[i].fd);             /* hung up: forget it */
        fds[i] = fds[--n];
      }
    }
    if (fds[0].revents) {
      struct sbx_error err = { 0, NULL };
      int master = accept_master(listener, &err);

      if (master < 0)
        fprintf(stderr, "recvtty: %s\n", err.msg ? err.msg : "receive failed");
      else if (n > MAX_MASTERS)
        close(master);
      else
        fds[n++] = (struct pollfd){ master, POLLIN, 0 };
      sbx_error_clear(&err);
    }
  }
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "mode", required_argument, NULL, 'm' },
    { "no-stdin", no_argument, NULL, 'n' },
    { "pid-file", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *mode = "single", *pid_file = NULL, *path;
  bool no_stdin = false;
  int c, listener;

  while ((c = getopt_long(argc, argv, "m:np:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': mode = optarg; break;
    case 'n': no_stdin = true; break;
    case 'p': pid_file = optarg; break;
    case 'h': usage(); return 0;
    default: usage(); return 2;
    }
  }
  if (optind != argc - 1 || (strcmp(mode, "single") != 0 && strcmp(mode, "null") != 0)) {
    usage();
    return 2;
  }
  path = argv[optind];
  listener = listen_on(path);
  if (listener < 0)
    return die(path, NULL);
  if (pid_file != NULL && write_pid_file(pid_file) < 0)
    return die(pid_file, NULL);
  if (strcmp(mode, "null") == 0)
    return run_null(listener);
  return run_single(listener, path, no_stdin);
}
