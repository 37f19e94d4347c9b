/* netprobe: a small static probe for the network policy tests, run inside
 * containers.  Prints one word per probe: "ok" (or "sent" for UDP without
 * an answer) or the errno's name (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT,
 * EPERM...), so tests can tell a fast refusal from a timeout.
 *
 *   netprobe tcp ADDR PORT        connect (3 s timeout), print "ok" or the error
 *   netprobe udp ADDR PORT        connected send, then 1 s for an ICMP error
 *   netprobe icmp ADDR            one echo through an ICMP datagram socket
 *   netprobe conns N ADDR PORT    hold N TCP connections open at once; prints
 *                                 how many succeeded and the first error
 *   netprobe raw | packet | uring socket(SOCK_RAW), socket(AF_PACKET), io_uring_setup
 *   netprobe listen PORT          TCP listener on 127.0.0.1 answering "loopback"
 *                                 (in the background for 60 s)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int addr_of(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *len = sizeof *a6;
    return AF_INET6;
  }
  fprintf(stderr, "bad address %s\n", s);
  exit(2);
}

static int fail(int e)
{
  const char *n = strerrorname_np(e);
  printf("%s\n", n ? n : "E?");
  return 1;
}

/* A connected TCP socket, or -errno. */
static int tcp_connect(const char *addr, int port)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fam = addr_of(addr, port, &ss, &len);
  int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0), e = 0;
  socklen_t el = sizeof e;
  struct pollfd p = { .fd = fd, .events = POLLOUT };

  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&ss, len) == 0)
    return fd;
  if (errno != EINPROGRESS) {
    e = errno;
    close(fd);
    return -e;
  }
  if (poll(&p, 1, 3000) == 0) {
    close(fd);
    return -ETIMEDOUT;
  }
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
  if (e) {
    close(fd);
    return -e;
  }
  return fd;
}

static int probe_tcp(const char *addr, int port)
{
  int fd = tcp_connect(addr, port);
  char buf[64] = "";
  struct pollfd p = { .fd = fd, .events = POLLIN };

  if (fd < 0)
    return fail(-fd);
  /* a listener that greets: show its word */
  if (poll(&p, 1, 1000) > 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) {
      buf[n] = '\0';
      buf[strcspn(buf, "\r\n")] = '\0';
    }
  }
  printf(*buf ? "ok %s\n" : "ok\n", buf);
  return 0;
}

static int probe_udp(const char *addr, int port)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fam = addr_of(addr, port, &ss, &len);
  int fd = socket(fam, SOCK_DGRAM, 0);
  struct pollfd p = { .fd = fd, .events = POLLIN };
  char buf[64];

  if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, "probe\n", 6, 0) < 0)
    return fail(errno);
  /* an ICMP error comes back as the socket's error */
  if (poll(&p, 1, 1000) > 0 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno != EAGAIN)
    return fail(errno);
  printf("sent\n");
  return 0;
}

static int probe_icmp(const char *addr)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fam = addr_of(addr, 0, &ss, &len);
  int fd = socket(fam, SOCK_DGRAM, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  unsigned char pkt[16] = { fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST };
  struct pollfd p = { .fd = fd, .events = POLLIN };
  char buf[256];

  if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, pkt, sizeof pkt, 0) < 0)
    return fail(errno);
  if (poll(&p, 1, 2000) == 0)
    return fail(ETIMEDOUT);
  if (recv(fd, buf, sizeof buf, 0) < 0)
    return fail(errno);
  printf("ok\n");
  return 0;
}

static int probe_conns(int n, const char *addr, int port)
{
  int ok = 0, first = 0;

  for (int i = 0; i < n; i++) {
    int fd = tcp_connect(addr, port);
    if (fd >= 0)
      ok++;          /* kept open until we exit */
    else if (!first)
      first = -fd;
  }
  printf("%d %s\n", ok, first ? strerrorname_np(first) : "none");
  return 0;
}

static int probe_listen(int port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0)
    return fail(errno);
  if (fork() > 0)
    return 0;
  /* in the background: let go of the caller's output, and end in 60 s */
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0), dup2(null, 1), dup2(null, 2);
  alarm(60);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
      (void)!write(c, "loopback\n", 9);
      close(c);
    }
  }
}

int main(int argc, char **argv)
{
  const char *what = argc > 1 ? argv[1] : "";

  setvbuf(stdout, NULL, _IONBF, 0);
  if (strcmp(what, "tcp") == 0 && argc == 4)
    return probe_tcp(argv[2], atoi(argv[3]));
  if (strcmp(what, "udp") == 0 && argc == 4)
    return probe_udp(argv[2], atoi(argv[3]));
  if (strcmp(what, "icmp") == 0 && argc == 3)
    return probe_icmp(argv[2]);
  if (strcmp(what, "conns") == 0 && argc == 5)
    return probe_conns(atoi(argv[2]), argv[3], atoi(argv[4]));
  if (strcmp(what, "listen") == 0 && argc == 3)
    return probe_listen(atoi(argv[2]));
  if (strcmp(what, "raw") == 0)
    return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 ? fail(errno) : (printf("ok\n"), 0);
  if (strcmp(what, "packet") == 0)
    return socket(AF_PACKET, SOCK_RAW, 0) < 0 ? fail(errno) : (printf("ok\n"), 0);
  if (strcmp(what, "uring") == 0) {
    unsigned char params[120] = { 0 };
    long fd = syscall(425 /* io_uring_setup */, 1, params);
    return fd < 0 ? fail(errno) : (printf("ok\n"), 0);
  }
  fprintf(stderr, "usage: netprobe tcp|udp|icmp|conns|listen|raw|packet|uring ...\n");
  return 2;
}
