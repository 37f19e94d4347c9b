/* test-dns-resolver.c: the resolver loop (src/dns_resolver.c) on loopback
 * only.  The test first moves into a network namespace of its own (lo up,
 * nothing else) when it may, so no packet can leave even through a bug;
 * without that privilege it uses the host's loopback, still only 127.0.0.1
 * and ::1 on ports it bound.
 *
 * A fake upstream (a thread, UDP and TCP on 127.0.0.1) logs every query it
 * receives and answers by name; the resolver runs in another thread with
 * callbacks that log what they are given; the test is the client.  It
 * checks: a denied name is NXDOMAIN and never reaches the upstream;
 * addresses of an allowed name reach allow_addresses (clamped TTL) before
 * the client has its answer, blocked ones are dropped and audited; TXT,
 * HTTPS, ANY, class CH and malformed queries are answered locally; TCP from
 * the client (pipelined queries, a hang-up mid-query, an oversized length); TCP to upstream after a truncated answer; TC to a client
 * whose UDP answer is too big, with nothing allowed; allow_addresses
 * failing gives SERVFAIL; a silent upstream gives SERVFAIL in bounded time;
 * failover to the next upstream; SO_MARK on upstream queries; the query
 * rate limit; the audit rate limit
 * with its suppressed count; the in-flight bound; exit on a pidfd or a
 * signalfd.  `--bench N` measures instead (bench/dns_resolver.sh). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dns_message.h"
#include "dns_resolver.h"
#include "dns_wire.h"
#include "unit.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t ms_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
  nanosleep(&ts, NULL);
}

/* ---- sockets on loopback ---- */

static struct sockaddr_storage loopback(int family, uint16_t port)
{
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
  }
  return ss;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
  return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* A socket bound to loopback on a free port; *addr gets where. */
static int bound(int family, int type, struct sockaddr_storage *addr)
{
  int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;
  *addr = loopback(family, 0);
  socklen_t len = ss_len(addr);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)addr, len) < 0 ||
      getsockname(fd, (struct sockaddr *)addr, &len) < 0 ||
      (type == SOCK_STREAM && listen(fd, 16) < 0)) {
    perror("test-dns-resolver: bind on loopback");
    exit(1);
  }
  return fd;
}

/* A network namespace with only lo, when we may make one. */
static void private_loopback(void)
{
  if (unshare(CLONE_NEWNET) < 0) {
    printf("test-dns-resolver: no network namespace of its own (%s): host loopback only\n",
           strerror(errno));
    return;
  }
  struct ifreq ifr = { 0 };
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP, 0) ||
      ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
    perror("test-dns-resolver: lo up");
    exit(1);
  }
  close(fd);
}

/* ---- the fake upstream ---- */

#define LOG_MAX 512

struct upstream {
  int udp, tcp, stop;
  struct sockaddr_storage addr;   /* the same port for UDP and TCP */
  pthread_t thread;
  size_t n_log;
  struct { char name[SBX_DNS_NAME_BUF]; uint16_t qtype; bool tcp; uint32_t mark; } log[LOG_MAX];
};

static void add_addrs(struct buf *m, const char *owner, int count, uint32_t ttl)
{
  for (int i = 0; i < count; i++) {
    char a[32];
    snprintf(a, sizeof a, "198.51.100.%d", i + 1);
    brr_a(m, owner, ttl, a);
  }
}

/* The answer the fake gives; false: stay silent. */
static bool fake_answer(const struct sbx_dns_query *q, bool tcp, struct buf *m)
{
  const char *n = q->name;
  bool a = q->qtype == SBX_DNS_A;

  if (strcmp(n, "slow.test") == 0)
    return false;
  if (strcmp(n, "servfail.test") == 0) {
    bresponse(m, q->id, SBX_DNS_SERVFAIL, 0, n, q->qtype);
    return true;
  }
  if (strcmp(n, "big.test") == 0 && !tcp) {
    bresponse(m, q->id, SBX_DNS_F_TC, 0, n, q->qtype);
    return true;
  }
  if (strcmp(n, "big.test") == 0) {
    bresponse(m, q->id, 0, 20, n, q->qtype);
    add_addrs(m, n, 20, 300);
    return true;
  }
  if (strcmp(n, "huge.test") == 0) {
    /* Two CNAMEs to long names and 16 addresses: over 512 bytes. */
    char l1[200], l2[200];
    snprintf(l1, sizeof l1, "%s.%s.one.test", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    snprintf(l2, sizeof l2, "%s.%s.two.test", "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
             "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
    bresponse(m, q->id, 0, 18, n, q->qtype);
    brr_cname(m, n, 300, l1);
    brr_cname(m, l1, 300, l2);
    add_addrs(m, l2, 16, 300);
    return true;
  }
  if (strcmp(n, "chain.test") == 0) {
    bresponse(m, q->id, 0, 2, n, q->qtype);
    brr_cname(m, n, 5000, "edge.cdn.test");
    brr_a(m, "edge.cdn.test", 7200, "198.51.100.7");
    return true;
  }
  if (strcmp(n, "short.test") == 0) {
    bresponse(m, q->id, 0, 1, n, q->qtype);
    brr_a(m, n, 5, "192.0.2.9");
    return true;
  }
  /* allowed.test, order.test, fail.test, anything else: mixed addresses. */
  bresponse(m, q->id, 0, 3, n, q->qtype);
  if (a) {
    brr_a(m, n, 30, "192.0.2.1");
    brr_a(m, n, 30, "10.0.0.5");
    brr_a(m, n, 30, "192.0.2.2");
  } else {
    brr_aaaa(m, n, 30, "2001:db8::1");
    brr_aaaa(m, n, 30, "fd00::1");
    brr_aaaa(m, n, 30, "2001:db8::2");
  }
  return true;
}

static void fake_log(struct upstream *u, const struct sbx_dns_query *q, bool tcp, uint32_t mark)
{
  pthread_mutex_lock(&lock);
  if (u->n_log < LOG_MAX) {
    u->log[u->n_log].mark = mark;
    snprintf(u->log[u->n_log].name, sizeof u->log[0].name, "%s", q->name);
    u->log[u->n_log].qtype = q->qtype;
    u->log[u->n_log].tcp = tcp;
    u->n_log++;
  }
  pthread_mutex_unlock(&lock);
}

static void fake_tcp(struct upstream *u)
{
  static struct buf m;
  uint8_t in[4096];
  int c = accept4(u->tcp, NULL, NULL, SOCK_CLOEXEC);
  struct timeval tv = { 2, 0 };
  struct sbx_dns_query q;

  if (c < 0)
    return;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t got = 0;
  while (got < 2 || got < 2 + (size_t)(in[0] << 8 | in[1])) {
    ssize_t n = recv(c, in + got, sizeof in - got, 0);
    if (n <= 0)
      goto out;
    got += (size_t)n;
  }
  if (sbx_dns_parse_query(in + 2, got - 2, &q) != SBX_DNS_OK)
    goto out;
  fake_log(u, &q, true, 0);
  if (fake_answer(&q, true, &m)) {
    uint8_t len[2] = { (uint8_t)(m.n >> 8), (uint8_t)m.n };
    send(c, len, 2, MSG_NOSIGNAL);
    send(c, m.b, m.n, MSG_NOSIGNAL);
  }
out:
  close(c);
}

static void *fake_upstream(void *arg)
{
  struct upstream *u = arg;
  static struct buf m;
  uint8_t in[4096];

  for (;;) {
    struct pollfd p[3] = { { u->udp, POLLIN, 0 }, { u->tcp, POLLIN, 0 }, { u->stop, POLLIN, 0 } };
    if (poll(p, 3, -1) < 0)
      continue;
    if (p[2].revents)
      return NULL;
    if (p[1].revents)
      fake_tcp(u);
    if (!p[0].revents)
      continue;
    struct sockaddr_storage from;
    struct sbx_dns_query q;
    union { char buf[CMSG_SPACE(sizeof(uint32_t))]; struct cmsghdr align; } control;
    struct iovec iov = { in, sizeof in };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg(u->udp, &mh, 0);
    if (n < 0 || sbx_dns_parse_query(in, (size_t)n, &q) != SBX_DNS_OK)
      continue;
    uint32_t mark = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_MARK)
        memcpy(&mark, CMSG_DATA(c), sizeof mark);
    socklen_t from_len = mh.msg_namelen;
    fake_log(u, &q, false, mark);
    if (fake_answer(&q, false, &m))
      sendto(u->udp, m.b, m.n, 0, (struct sockaddr *)&from, from_len);
  }
}

static void upstream_start(struct upstream *u)
{
  memset(u, 0, sizeof *u);
  u->tcp = bound(AF_INET, SOCK_STREAM, &u->addr);
  /* UDP on the port TCP got. */
  u->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (bind(u->udp, (struct sockaddr *)&u->addr, ss_len(&u->addr)) < 0) {
    perror("test-dns-resolver: fake upstream UDP");
    exit(1);
  }
  /* The mark each query was sent with (the resolver's SO_MARK). */
  int one = 1;
  setsockopt(u->udp, SOL_SOCKET, SO_RCVMARK, &one, sizeof one);
  u->stop = eventfd(0, EFD_CLOEXEC);
  pthread_create(&u->thread, NULL, fake_upstream, u);
}

static void upstream_stop(struct upstream *u)
{
  uint64_t one = 1;
  if (write(u->stop, &one, sizeof one) < 0)
    perror("eventfd");
  pthread_join(u->thread, NULL);
  close(u->udp);
  close(u->tcp);
  close(u->stop);
}

/* How many queries for name reached the upstream. */
static int upstream_saw(struct upstream *u, const char *name, bool *tcp)
{
  int n = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < u->n_log; i++)
    if (strcmp(u->log[i].name, name) == 0) {
      n++;
      if (tcp && u->log[i].tcp)
        *tcp = true;
    }
  pthread_mutex_unlock(&lock);
  return n;
}

/* The mark of the last query for name the upstream received over UDP. */
static uint32_t upstream_mark_of(struct upstream *u, const char *name)
{
  uint32_t mark = UINT32_MAX;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < u->n_log; i++)
    if (strcmp(u->log[i].name, name) == 0 && !u->log[i].tcp)
      mark = u->log[i].mark;
  pthread_mutex_unlock(&lock);
  return mark;
}

/* ---- the policy side: callbacks that log ---- */

struct allowed_call {
  char name[SBX_DNS_MAX_NAME + 1];
  size_t n;
  struct sbx_dns_addr addrs[SBX_DNS_MAX_ADDRS];
  uint32_t ttl;
};

struct denial {
  char name[SBX_DNS_NAME_BUF];
  bool has_name;
  uint16_t qtype;
  char reason[200];
  uint64_t suppressed;
};

struct policy {
  size_t n_allowed;
  struct allowed_call allowed[64];
  size_t n_denials;
  struct denial denials[256];
  volatile bool client_has_answer;  /* set by the client once it read one */
  bool order_ok, order_checked;
  unsigned socket_calls;
};

static bool test_name_allowed(void *ctx, const char *name, const char **rule)
{
  static const char *allow[] = { "allowed.test", "order.test", "fail.test", "chain.test",
                                 "short.test", "slow.test", "servfail.test", "big.test",
                                 "huge.test" };
  for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++)
    if (strcmp(name, allow[i]) == 0) {
      *rule = allow[i];
      return true;
    }
  *rule = "network.allow: no entry matches";
  return false;
}

static bool test_address_blocked(void *ctx, int family, const uint8_t *a)
{
  return family == AF_INET ? a[0] == 10 : a[0] == 0xfd;
}

static int test_allow_addresses(void *ctx, const char *name, const struct sbx_dns_addr *addrs,
                                size_t n, uint32_t ttl)
{
  struct policy *p = ctx;
  if (strcmp(name, "order.test") == 0) {
    /* The client must not have its answer while this runs. */
    sleep_ms(150);
    pthread_mutex_lock(&lock);
    p->order_checked = true;
    p->order_ok = !p->client_has_answer;
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_lock(&lock);
  if (p->n_allowed < 64) {
    struct allowed_call *c = &p->allowed[p->n_allowed++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->n = n;
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    c->ttl = ttl;
  }
  pthread_mutex_unlock(&lock);
  return strcmp(name, "fail.test") == 0 ? -1 : 0;
}

static void test_denied(void *ctx, const char *name, uint16_t qtype, const char *reason,
                        uint64_t suppressed)
{
  struct policy *p = ctx;
  pthread_mutex_lock(&lock);
  if (p->n_denials < 256) {
    struct denial *d = &p->denials[p->n_denials++];
    d->has_name = name != NULL;
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    d->qtype = qtype;
    snprintf(d->reason, sizeof d->reason, "%s", reason ? reason : "");
    d->suppressed = suppressed;
  }
  pthread_mutex_unlock(&lock);
}

static int test_upstream_socket(void *ctx, int family, int type)
{
  struct policy *p = ctx;
  pthread_mutex_lock(&lock);
  p->socket_calls++;
  pthread_mutex_unlock(&lock);
  return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static const struct allowed_call *allowed_for(struct policy *p, const char *name)
{
  const struct allowed_call *c = NULL;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < p->n_allowed; i++)
    if (strcmp(p->allowed[i].name, name) == 0)
      c = &p->allowed[i];
  pthread_mutex_unlock(&lock);
  return c;
}

static const struct denial *denial_for(struct policy *p, const char *name)
{
  const struct denial *d = NULL;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < p->n_denials; i++)
    if (p->denials[i].has_name && strcmp(p->denials[i].name, name) == 0)
      d = &p->denials[i];
  pthread_mutex_unlock(&lock);
  return d;
}

/* ---- the resolver under test ---- */

struct resolver {
  int udp4, tcp4, udp6, tcp6, stop;
  struct sockaddr_storage addr4, addr6;   /* UDP and TCP share a port per family */
  struct sbx_dns_resolver *r;
  pthread_t thread;
  int stopped_by;
};

static void *resolver_thread(void *arg)
{
  struct resolver *t = arg;
  struct sbx_error err = { 0 };
  t->stopped_by = sbx_dns_resolver_run(t->r, &t->stop, 1, &err);
  if (t->stopped_by < 0)
    fprintf(stderr, "resolver: %s\n", err.msg);
  sbx_error_clear(&err);
  return NULL;
}

static int bound_same_port(int family, int type, struct sockaddr_storage *addr)
{
  int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;
  if (family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)addr, ss_len(addr)) < 0 ||
      (type == SOCK_STREAM && listen(fd, 16) < 0)) {
    perror("test-dns-resolver: resolver socket");
    exit(1);
  }
  return fd;
}

/* cfg without sockets: those are filled here. */
static void resolver_start(struct resolver *t, struct sbx_dns_resolver_config cfg, struct policy *p,
                           bool own_sockets)
{
  struct sbx_dns_callbacks cb = {
    .ctx = p,
    .name_allowed = test_name_allowed,
    .address_blocked = test_address_blocked,
    .allow_addresses = test_allow_addresses,
    .denied = test_denied,
    .upstream_socket = own_sockets ? test_upstream_socket : NULL,
  };
  struct sbx_error err = { 0 };

  memset(t, 0, sizeof *t);
  t->tcp4 = bound(AF_INET, SOCK_STREAM, &t->addr4);
  t->udp4 = bound_same_port(AF_INET, SOCK_DGRAM, &t->addr4);
  t->tcp6 = bound(AF_INET6, SOCK_STREAM, &t->addr6);
  t->udp6 = bound_same_port(AF_INET6, SOCK_DGRAM, &t->addr6);
  int udp[] = { t->udp4, t->udp6 }, tcp[] = { t->tcp4, t->tcp6 };
  cfg.listen_udp = udp;
  cfg.n_listen_udp = 2;
  cfg.listen_tcp = tcp;
  cfg.n_listen_tcp = 2;
  t->r = sbx_dns_resolver_new(&cfg, &cb, &err);
  if (t->r == NULL) {
    fprintf(stderr, "sbx_dns_resolver_new: %s\n", err.msg);
    exit(1);
  }
  t->stop = eventfd(0, EFD_CLOEXEC);
  pthread_create(&t->thread, NULL, resolver_thread, t);
}

static void resolver_stop(struct resolver *t, struct sbx_dns_resolver_stats *stats)
{
  uint64_t one = 1;
  if (write(t->stop, &one, sizeof one) < 0)
    perror("eventfd");
  pthread_join(t->thread, NULL);
  CHECK_INT(t->stopped_by, 0);
  if (stats)
    sbx_dns_resolver_get_stats(t->r, stats);
  sbx_dns_resolver_free(t->r);
  close(t->udp4);
  close(t->tcp4);
  close(t->udp6);
  close(t->tcp6);
  close(t->stop);
}

/* ---- the client ---- */

struct reply {
  size_t len;
  uint8_t msg[65536];
  enum sbx_dns_status status;
  struct sbx_dns_answer a;
  uint64_t ms;            /* how long it took */
};

static void query_bytes(struct buf *m, uint16_t id, const char *name, uint16_t qtype,
                        uint16_t qclass, bool edns)
{
  bheader(m, id, 0x0100, 1, 0, 0, edns ? 1 : 0);
  bname(m, name);
  b16(m, qtype);
  b16(m, qclass);
  if (edns) {
    b8(m, 0);
    brr_head(m, SBX_DNS_OPT, 0, 0);
    m->b[m->n - 8] = 0x10;   /* class field: payload 4096 */
    m->b[m->n - 7] = 0x00;
  }
}

/* Read the reply with the library's reader (the name lowercased as it
 * compares). */
static void read_reply(struct reply *r, uint16_t id, const char *name, uint16_t qtype)
{
  char lower[SBX_DNS_MAX_NAME + 1];
  size_t i;
  for (i = 0; name[i] && i < SBX_DNS_MAX_NAME; i++)
    lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
  lower[i] = '\0';
  r->status = sbx_dns_parse_response(r->msg, r->len, id, lower, qtype, &r->a);
}

/* Send raw bytes over UDP; the reply, or len 0 after timeout_ms. */
static void udp_raw(const struct sockaddr_storage *to, const struct buf *m, struct reply *r,
                    int timeout_ms)
{
  int fd = socket(to->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct pollfd p = { fd, POLLIN, 0 };
  uint64_t start = ms_now();

  r->len = 0;
  sendto(fd, m->b, m->n, 0, (const struct sockaddr *)to, ss_len(to));
  if (poll(&p, 1, timeout_ms) == 1) {
    ssize_t n = recv(fd, r->msg, sizeof r->msg, 0);
    r->len = n > 0 ? (size_t)n : 0;
  }
  r->ms = ms_now() - start;
  close(fd);
}

static void udp_query(struct policy *p, const struct sockaddr_storage *to, const char *name,
                      uint16_t qtype, bool edns, struct reply *r)
{
  struct buf m;
  uint16_t id = (uint16_t)(rand() & 0xffff);
  query_bytes(&m, id, name, qtype, SBX_DNS_CLASS_IN, edns);
  udp_raw(to, &m, r, 5000);
  if (p) {
    pthread_mutex_lock(&lock);
    p->client_has_answer = r->len > 0;
    pthread_mutex_unlock(&lock);
  }
  read_reply(r, id, name, qtype);
}

static void tcp_query(const struct sockaddr_storage *to, const char *name, uint16_t qtype,
                      struct reply *r)
{
  struct buf m;
  uint16_t id = (uint16_t)(rand() & 0xffff);
  int fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval tv = { 5, 0 };
  uint8_t len[2];

  r->len = 0;
  query_bytes(&m, id, name, qtype, SBX_DNS_CLASS_IN, false);
  len[0] = (uint8_t)(m.n >> 8);
  len[1] = (uint8_t)m.n;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  /* Length and message in two writes: the resolver must reassemble. */
  if (connect(fd, (const struct sockaddr *)to, ss_len(to)) == 0 &&
      send(fd, len, 2, MSG_NOSIGNAL) == 2 && (sleep_ms(20), 1) &&
      send(fd, m.b, m.n, MSG_NOSIGNAL) == (ssize_t)m.n) {
    size_t got = 0;
    while (got < 2 || got < 2 + (size_t)(r->msg[0] << 8 | r->msg[1])) {
      ssize_t n = recv(fd, r->msg + got, sizeof r->msg - got, 0);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
    if (got >= 2) {
      r->len = got - 2;
      memmove(r->msg, r->msg + 2, r->len);
    }
  }
  close(fd);
  read_reply(r, id, name, qtype);
}

static int rcode(const struct reply *r)
{
  return r->len >= 4 ? r->msg[3] & 0x0f : -1;
}

static bool has_addr(const struct sbx_dns_answer *a, const char *text)
{
  uint8_t b[16];
  int family = strchr(text, ':') ? AF_INET6 : AF_INET;
  inet_pton(family, text, b);
  for (size_t i = 0; i < a->n_addrs; i++)
    if (a->addrs[i].family == family && memcmp(a->addrs[i].bytes, b, family == AF_INET ? 4 : 16) == 0)
      return true;
  return false;
}

/* ---- the tests (one resolver and upstream for most) ---- */

static struct upstream up;
static struct policy pol;
static struct resolver res;

static void test_denied_name_never_forwarded(void)
{
  struct reply r;
  udp_query(NULL, &res.addr4, "Exfil-AAAA.evil.test", SBX_DNS_A, true, &r);
  CHECK_INT(r.status, SBX_DNS_OK);
  CHECK_INT(rcode(&r), SBX_DNS_NXDOMAIN);
  CHECK_INT(r.a.n_addrs, 0);
  udp_query(NULL, &res.addr6, "exfil-bbbb.evil.test", SBX_DNS_AAAA, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NXDOMAIN);
  tcp_query(&res.addr4, "exfil-cccc.evil.test", SBX_DNS_A, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NXDOMAIN);
  CHECK_INT(upstream_saw(&up, "exfil-aaaa.evil.test", NULL), 0);
  CHECK_INT(upstream_saw(&up, "exfil-bbbb.evil.test", NULL), 0);
  CHECK_INT(upstream_saw(&up, "exfil-cccc.evil.test", NULL), 0);
  const struct denial *d = denial_for(&pol, "exfil-aaaa.evil.test");
  if (CHECK(d != NULL)) {
    CHECK_STR(d->reason, "name not allowed: network.allow: no entry matches");
    CHECK_INT(d->qtype, SBX_DNS_A);
  }
  CHECK(allowed_for(&pol, "exfil-aaaa.evil.test") == NULL);
}

static void test_allowed_name(void)
{
  struct reply r;
  udp_query(NULL, &res.addr4, "Allowed.TEST", SBX_DNS_A, false, &r);
  CHECK_INT(r.status, SBX_DNS_OK);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 2);
  CHECK(has_addr(&r.a, "192.0.2.1"));
  CHECK(has_addr(&r.a, "192.0.2.2"));
  CHECK(!has_addr(&r.a, "10.0.0.5"));
  CHECK_INT(sbx_dns_answer_ttl(&r.a), 30);        /* the client sees the real TTL */
  /* The question comes back as the client cased it. */
  CHECK(r.len > 20 && memcmp(r.msg + 13, "Allowed", 7) == 0);
  const struct allowed_call *c = allowed_for(&pol, "allowed.test");
  if (CHECK(c != NULL)) {
    CHECK_INT(c->n, 2);
    CHECK_INT(c->ttl, 60);                         /* 30 s clamped up to ttl_min */
  }
  CHECK_INT(upstream_saw(&up, "allowed.test", NULL), 1);
  const struct denial *d = denial_for(&pol, "allowed.test");
  if (CHECK(d != NULL))
    CHECK_STR(d->reason, "answer address 10.0.0.5 in a blocked range (1 dropped)");

  /* AAAA over IPv6 with EDNS: fd00::1 dropped. */
  udp_query(NULL, &res.addr6, "allowed.test", SBX_DNS_AAAA, true, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 2);
  CHECK(has_addr(&r.a, "2001:db8::1"));
  CHECK(!has_addr(&r.a, "fd00::1"));
  /* The answer carries a plain OPT (the client sent one). */
  CHECK(r.len > 11 && r.msg[11] == 1 && r.msg[r.len - 9] == SBX_DNS_OPT);
}

static void test_allow_before_answer(void)
{
  struct reply r;
  udp_query(&pol, &res.addr4, "order.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 2);
  pthread_mutex_lock(&lock);
  bool checked = pol.order_checked, ok = pol.order_ok;
  pol.client_has_answer = false;
  pthread_mutex_unlock(&lock);
  CHECK(checked);
  CHECK(ok);
  CHECK(r.ms >= 150);
}

static void test_allow_failure_servfail(void)
{
  struct reply r;
  udp_query(NULL, &res.addr4, "fail.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_SERVFAIL);
  CHECK_INT(r.a.n_addrs, 0);
  CHECK(allowed_for(&pol, "fail.test") != NULL);
}

static void test_chain_and_ttls(void)
{
  struct reply r;
  udp_query(NULL, &res.addr4, "chain.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_chain, 1);
  CHECK_STR(r.a.chain[0], "edge.cdn.test");
  CHECK(has_addr(&r.a, "198.51.100.7"));
  CHECK_INT(sbx_dns_answer_ttl(&r.a), 3600);      /* 5000 capped at ttl_max */
  const struct allowed_call *c = allowed_for(&pol, "chain.test");
  if (CHECK(c != NULL))
    CHECK_INT(c->ttl, 3600);
  udp_query(NULL, &res.addr4, "short.test", SBX_DNS_A, false, &r);
  CHECK_INT(sbx_dns_answer_ttl(&r.a), 5);
  c = allowed_for(&pol, "short.test");
  if (CHECK(c != NULL))
    CHECK_INT(c->ttl, 60);
}

static void test_types_answered_locally(void)
{
  struct reply r;
  const struct { uint16_t type; int rcode; } cases[] = {
    { SBX_DNS_TXT, SBX_DNS_NOERROR }, { SBX_DNS_HTTPS, SBX_DNS_NOERROR },
    { SBX_DNS_SVCB, SBX_DNS_NOERROR }, { SBX_DNS_MX, SBX_DNS_NOERROR },
    { SBX_DNS_ANY, SBX_DNS_NOTIMP }, { 252 /* AXFR */, SBX_DNS_NOTIMP },
  };
  int before = upstream_saw(&up, "allowed.test", NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    udp_query(NULL, &res.addr4, "allowed.test", cases[i].type, false, &r);
    unit_report(rcode(&r) == cases[i].rcode && r.status == SBX_DNS_OK && r.a.n_addrs == 0 &&
                r.msg[7] == 0, __FILE__, __LINE__, "type %u: rcode %d", cases[i].type, rcode(&r));
  }
  CHECK_INT(upstream_saw(&up, "allowed.test", NULL), before);
  /* A denied name stays NXDOMAIN whatever the type. */
  udp_query(NULL, &res.addr4, "txt-exfil.evil.test", SBX_DNS_TXT, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NXDOMAIN);
  CHECK_INT(upstream_saw(&up, "txt-exfil.evil.test", NULL), 0);

  /* Class CH, two questions, a bad label: answered here. */
  struct buf m;
  query_bytes(&m, 0x4444, "allowed.test", SBX_DNS_TXT, 3, false);
  udp_raw(&res.addr4, &m, &r, 2000);
  CHECK_INT(rcode(&r), SBX_DNS_NOTIMP);
  query_bytes(&m, 0x4545, "allowed.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  m.b[5] = 2;
  bname(&m, "allowed.test");
  b16(&m, 1);
  b16(&m, 1);
  udp_raw(&res.addr4, &m, &r, 2000);
  CHECK_INT(rcode(&r), SBX_DNS_FORMERR);
  CHECK(r.len == 12 && r.msg[0] == 0x45 && r.msg[1] == 0x45);
  query_bytes(&m, 0x4646, "bad name.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  udp_raw(&res.addr4, &m, &r, 2000);
  CHECK_INT(rcode(&r), SBX_DNS_NXDOMAIN);
  CHECK(denial_for(&pol, "bad\\032name.test") != NULL);
  CHECK_INT(upstream_saw(&up, "allowed.test", NULL), before);
  /* A response sent to the resolver gets nothing back. */
  bresponse(&m, 0x4747, 0, 0, "allowed.test", SBX_DNS_A);
  udp_raw(&res.addr4, &m, &r, 300);
  CHECK_INT(r.len, 0);
}

static void test_tcp(void)
{
  struct reply r;
  tcp_query(&res.addr4, "allowed.test", SBX_DNS_A, &r);
  CHECK_INT(r.status, SBX_DNS_OK);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 2);
  tcp_query(&res.addr6, "allowed.test", SBX_DNS_AAAA, &r);
  CHECK_INT(r.a.n_addrs, 2);
  CHECK(has_addr(&r.a, "2001:db8::2"));
}

/* Read one length-prefixed message from a TCP socket; its length, or 0. */
static size_t tcp_read_message(int fd, uint8_t *msg, size_t cap)
{
  uint8_t len[2];
  size_t got = 0, want;
  if (recv(fd, len, 2, MSG_WAITALL) != 2)
    return 0;
  want = (size_t)(len[0] << 8 | len[1]);
  while (got < want && want <= cap) {
    ssize_t n = recv(fd, msg + got, want - got, 0);
    if (n <= 0)
      return 0;
    got += (size_t)n;
  }
  return got == want ? want : 0;
}

/* Two queries in one write get two answers on the connection; a client
 * that hangs up with a query in flight harms nothing; a message longer
 * than any query closes the connection. */
static void test_tcp_pipelined_and_abuse(void)
{
  struct buf m, two;
  struct reply *r = malloc(sizeof *r);
  struct timeval tv = { 5, 0 };
  int ids_seen = 0;

  two.n = 0;
  query_bytes(&m, 0x1111, "allowed.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  b16(&two, (uint16_t)m.n);
  bbytes(&two, m.b, m.n);
  query_bytes(&m, 0x2222, "exfil-pipelined.evil.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  b16(&two, (uint16_t)m.n);
  bbytes(&two, m.b, m.n);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  CHECK(connect(fd, (struct sockaddr *)&res.addr4, ss_len(&res.addr4)) == 0);
  CHECK(send(fd, two.b, two.n, MSG_NOSIGNAL) == (ssize_t)two.n);
  for (int i = 0; i < 2; i++) {
    r->len = tcp_read_message(fd, r->msg, sizeof r->msg);
    if (!CHECK(r->len >= 12))
      break;
    /* Both answers, in either order (IDs tell them apart). */
    if (r->msg[0] == 0x22 && r->msg[1] == 0x22 && rcode(r) == SBX_DNS_NXDOMAIN)
      ids_seen |= 2;
    if (r->msg[0] == 0x11 && r->msg[1] == 0x11 && rcode(r) == SBX_DNS_NOERROR)
      ids_seen |= 1;
  }
  CHECK_INT(ids_seen, 3);
  close(fd);

  /* Hang up while slow.test is in flight, then a new connection works. */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  query_bytes(&m, 0x3333, "slow.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  two.n = 0;
  b16(&two, (uint16_t)m.n);
  bbytes(&two, m.b, m.n);
  CHECK(connect(fd, (struct sockaddr *)&res.addr4, ss_len(&res.addr4)) == 0);
  CHECK(send(fd, two.b, two.n, MSG_NOSIGNAL) == (ssize_t)two.n);
  sleep_ms(50);
  close(fd);
  sleep_ms(500);    /* slow.test's attempts run out with no client left */
  tcp_query(&res.addr4, "allowed.test", SBX_DNS_A, r);
  CHECK_INT(rcode(r), SBX_DNS_NOERROR);

  /* A length over 4096: closed without an answer. */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  CHECK(connect(fd, (struct sockaddr *)&res.addr4, ss_len(&res.addr4)) == 0);
  CHECK(send(fd, "\x20\x00", 2, MSG_NOSIGNAL) == 2);
  uint8_t byte;
  CHECK(recv(fd, &byte, 1, 0) == 0);
  close(fd);
  free(r);
}

static void test_truncation(void)
{
  struct reply r;
  bool tcp = false;

  /* Upstream truncates over UDP: the resolver asks it again over TCP. */
  udp_query(NULL, &res.addr4, "big.test", SBX_DNS_A, true, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 16);                      /* 20 capped at max_addresses */
  CHECK_INT(upstream_saw(&up, "big.test", &tcp), 2);
  CHECK(tcp);
  /* Our answer is too big for a client without EDNS: TC, nothing allowed;
   * over TCP the whole answer. */
  udp_query(NULL, &res.addr4, "huge.test", SBX_DNS_A, false, &r);
  CHECK_INT(r.status, SBX_DNS_OK);
  CHECK(r.a.truncated);
  CHECK(r.len <= 512);
  CHECK(allowed_for(&pol, "huge.test") == NULL);
  tcp_query(&res.addr4, "huge.test", SBX_DNS_A, &r);
  CHECK_INT(r.status, SBX_DNS_OK);
  CHECK(!r.a.truncated);
  CHECK_INT(r.a.n_chain, 2);
  CHECK_INT(r.a.n_addrs, 16);
  CHECK(r.len > 512);
  const struct allowed_call *c = allowed_for(&pol, "huge.test");
  if (CHECK(c != NULL))
    CHECK_INT(c->n, 16);
}

static void test_silent_upstream_servfail(void)
{
  struct reply r;
  int before = upstream_saw(&up, "slow.test", NULL);
  udp_query(NULL, &res.addr4, "slow.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_SERVFAIL);
  /* 2 attempts of 200 ms. */
  CHECK(r.ms >= 350);
  CHECK(r.ms < 1500);
  CHECK_INT(upstream_saw(&up, "slow.test", NULL) - before, 2);
  udp_query(NULL, &res.addr4, "servfail.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_SERVFAIL);
  CHECK_INT(upstream_saw(&up, "servfail.test", NULL), 2);
}

/* The first upstream silent, or refusing: the second answers. */
static void test_failover(void)
{
  struct sockaddr_storage silent_addr, closed_addr;
  int silent = bound(AF_INET, SOCK_DGRAM, &silent_addr);
  int closed = bound(AF_INET, SOCK_DGRAM, &closed_addr);
  close(closed);   /* nothing listens there: ICMP port unreachable */
  struct policy p = { 0 };
  struct resolver t;
  struct reply r;
  struct sbx_dns_resolver_stats st;

  struct sockaddr_storage ups[] = { silent_addr, up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 2,
                                         .upstream_timeout_ms = 300 };
  resolver_start(&t, cfg, &p, true);
  udp_query(NULL, &t.addr4, "allowed.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_INT(r.a.n_addrs, 2);
  CHECK(r.ms >= 250);
  CHECK(p.socket_calls >= 2);                     /* upstream_socket callback used */
  resolver_stop(&t, &st);
  CHECK_INT(st.timeouts, 1);

  ups[0] = closed_addr;
  resolver_start(&t, cfg, &p, false);
  udp_query(NULL, &t.addr4, "allowed.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK(r.ms < 250);                               /* refused: no wait */
  resolver_stop(&t, &st);
  CHECK_INT(st.timeouts, 0);
  close(silent);
}

/* Upstream queries carry upstream_mark (the rules let marked packets out
 * and never redirect them back to the resolver). */
static void test_upstream_mark(void)
{
  struct policy p = { 0 };
  struct resolver t;
  struct reply r;
  struct sockaddr_storage ups[] = { up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1,
                                         .upstream_mark = 0x5b5 };
  resolver_start(&t, cfg, &p, false);
  udp_query(NULL, &t.addr4, "short.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  CHECK_U64(upstream_mark_of(&up, "short.test"), 0x5b5);
  resolver_stop(&t, NULL);
  /* Without CAP_NET_ADMIN and CAP_NET_RAW the mark cannot be set: new()
   * says so. */
  pid_t child = fork();
  if (child == 0) {
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    struct sbx_error err = { 0 };
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_NET_ADMIN | 1u << CAP_NET_RAW);   /* either allows SO_MARK */
    if (syscall(SYS_capset, &h, d) < 0)
      _exit(2);
    struct sbx_dns_callbacks cb = { .name_allowed = test_name_allowed,
                                    .allow_addresses = test_allow_addresses };
    int udp = t.udp4;   /* closed: new() fails before using it */
    cfg.listen_udp = &udp;
    cfg.n_listen_udp = 1;
    struct sbx_dns_resolver *nr = sbx_dns_resolver_new(&cfg, &cb, &err);
    _exit(nr == NULL && err.msg &&
          strcmp(err.msg, "dns resolver: upstream_mark 0x5b5 (SO_MARK): Operation not permitted") == 0
          ? 0 : 1);
  }
  int status = -1;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* Without a mark: 0 (so the check above can see one). */
  udp_query(NULL, &res.addr4, "short.test", SBX_DNS_A, false, &r);
  CHECK_U64(upstream_mark_of(&up, "short.test"), 0);
}

static void test_rate_limits(void)
{
  struct policy p = { 0 };
  struct resolver t;
  struct reply r;
  struct sbx_dns_resolver_stats st;
  struct sockaddr_storage ups[] = { up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1,
                                         .queries_per_second = 3, .denials_per_second = 2 };
  int refused = 0, answered = 0;

  resolver_start(&t, cfg, &p, false);
  for (int i = 0; i < 6; i++) {
    udp_query(NULL, &t.addr4, "allowed.test", SBX_DNS_A, false, &r);
    if (rcode(&r) == SBX_DNS_REFUSED)
      refused++;
    else if (rcode(&r) == SBX_DNS_NOERROR)
      answered++;
  }
  CHECK(answered >= 3 && answered <= 4);
  CHECK_INT(refused + answered, 6);
  for (int i = 0; i < 8; i++)
    udp_query(NULL, &t.addr4, "denied.test", SBX_DNS_A, false, &r);
  sleep_ms(1200);     /* the suppressed count is reported once the rate allows */
  resolver_stop(&t, &st);
  /* 6 blocked-address denials and refusals plus 8 names, 2 a second. */
  pthread_mutex_lock(&lock);
  uint64_t reported = 0, suppressed = 0;
  bool count_only = false;
  for (size_t i = 0; i < p.n_denials; i++) {
    reported += p.denials[i].has_name;
    suppressed += p.denials[i].suppressed;
    count_only |= !p.denials[i].has_name;
  }
  pthread_mutex_unlock(&lock);
  CHECK_U64(reported + suppressed, st.denied);
  CHECK(reported <= 4);
  CHECK(count_only);
  CHECK_U64(st.rate_limited, (uint64_t)refused);
  CHECK_U64(st.denied, (uint64_t)(refused + answered + 8));
}

static void test_inflight_bound(void)
{
  struct policy p = { 0 };
  struct resolver t;
  struct reply r;
  struct buf m;
  struct sockaddr_storage ups[] = { up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1, .max_inflight = 1,
                                         .upstream_timeout_ms = 500, .attempts = 1 };
  resolver_start(&t, cfg, &p, false);
  /* slow.test holds the one slot; the next query is refused at once. */
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  query_bytes(&m, 1, "slow.test", SBX_DNS_A, SBX_DNS_CLASS_IN, false);
  sendto(fd, m.b, m.n, 0, (struct sockaddr *)&t.addr4, ss_len(&t.addr4));
  sleep_ms(50);
  udp_query(NULL, &t.addr4, "allowed.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_SERVFAIL);
  CHECK(r.ms < 300);
  const struct denial *d = denial_for(&p, "allowed.test");
  if (CHECK(d != NULL))
    CHECK_STR(d->reason, "too many queries in flight");
  struct pollfd pf = { fd, POLLIN, 0 };
  CHECK(poll(&pf, 1, 2000) == 1);     /* slow.test: SERVFAIL after its one attempt */
  close(fd);
  udp_query(NULL, &t.addr4, "allowed.test", SBX_DNS_A, false, &r);
  CHECK_INT(rcode(&r), SBX_DNS_NOERROR);
  resolver_stop(&t, NULL);
}

static void test_stops_on_pidfd_or_signalfd(void)
{
  struct sockaddr_storage ups[] = { up.addr }, a;
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1 };
  struct sbx_dns_callbacks cb = { .name_allowed = test_name_allowed,
                                  .allow_addresses = test_allow_addresses, .ctx = &pol };
  struct sbx_error err = { 0 };
  int udp = bound(AF_INET, SOCK_DGRAM, &a);
  cfg.listen_udp = &udp;
  cfg.n_listen_udp = 1;

  pid_t child = fork();
  if (child == 0) {
    sleep_ms(100);
    _exit(0);
  }
  int fds[2] = { eventfd(0, EFD_CLOEXEC), (int)syscall(SYS_pidfd_open, child, 0) };
  struct sbx_dns_resolver *r = sbx_dns_resolver_new(&cfg, &cb, &err);
  uint64_t start = ms_now();
  CHECK(r != NULL);
  if (!CHECK(fds[1] >= 0))
    kill(child, SIGKILL);     /* no pidfd_open (valgrind): fails, never hangs */
  else if (r)
    CHECK_INT(sbx_dns_resolver_run(r, fds, 2, &err), 1);
  CHECK(ms_now() - start < 2000);
  sbx_dns_resolver_free(r);
  waitpid(child, NULL, 0);
  close(fds[0]);
  close(fds[1]);
  close(udp);

  /* A signalfd stops it too. */
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  int sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
  udp = bound(AF_INET, SOCK_DGRAM, &a);
  r = sbx_dns_resolver_new(&cfg, &cb, &err);
  raise(SIGUSR1);
  if (CHECK(r != NULL && sfd >= 0))
    CHECK_INT(sbx_dns_resolver_run(r, &sfd, 1, &err), 0);
  sbx_dns_resolver_free(r);
  close(sfd);
  close(udp);
  sigtimedwait(&usr1, NULL, &(struct timespec){ 0, 0 });
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

  /* Bad configurations name what is wrong. */
  cfg.n_upstreams = 0;
  CHECK(sbx_dns_resolver_new(&cfg, &cb, &err) == NULL);
  CHECK_STR(err.msg, "dns resolver: no upstream server");
  cfg.n_upstreams = 1;
  cb.allow_addresses = NULL;
  CHECK(sbx_dns_resolver_new(&cfg, &cb, &err) == NULL);
  sbx_error_clear(&err);
}

static uint64_t us_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Microseconds per UDP lookup of short.test, n times, to server. */
static void lookups(const struct sockaddr_storage *server, int n, uint64_t *us)
{
  struct reply *r = malloc(sizeof *r);
  for (int i = 0; i < n; i++) {
    uint64_t start = us_now();
    udp_query(NULL, server, "short.test", SBX_DNS_A, true, r);
    us[i] = us_now() - start;
    if (rcode(r) != SBX_DNS_NOERROR || r->a.n_addrs != 1) {
      fprintf(stderr, "bench: lookup %d failed (rcode %d)\n", i, rcode(r));
      exit(1);
    }
  }
  free(r);
  qsort(us, (size_t)n, sizeof *us, cmp_u64);
}

/* `test-dns-resolver --bench N`: what the resolver adds to a lookup, on
 * loopback: N lookups straight to the fake upstream, N through the
 * resolver (allow_addresses a no-op that logs), interleaved in rounds. */
static int bench(int n)
{
  uint64_t *direct = calloc((size_t)n, sizeof *direct), *via = calloc((size_t)n, sizeof *via);
  private_loopback();
  upstream_start(&up);
  struct sockaddr_storage ups[] = { up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1,
                                         .queries_per_second = 1000000 };
  resolver_start(&res, cfg, &pol, false);
  lookups(&up.addr, 50, direct);      /* warm up */
  lookups(&res.addr4, 50, via);
  lookups(&up.addr, n, direct);
  lookups(&res.addr4, n, via);
  resolver_stop(&res, NULL);
  upstream_stop(&up);
  printf("dns lookup on loopback, %d each (us): direct median %llu p99 %llu; "
         "through the resolver median %llu p99 %llu; added median %lld us, ratio %.2f\n",
         n, (unsigned long long)direct[n / 2], (unsigned long long)direct[n * 99 / 100],
         (unsigned long long)via[n / 2], (unsigned long long)via[n * 99 / 100],
         (long long)via[n / 2] - (long long)direct[n / 2], (double)via[n / 2] / (double)direct[n / 2]);
  free(direct);
  free(via);
  return 0;
}

int main(int argc, char **argv)
{
  struct sbx_dns_resolver_stats st;

  if (argc == 3 && strcmp(argv[1], "--bench") == 0)
    return bench(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1000);

  signal(SIGPIPE, SIG_IGN);
  private_loopback();
  upstream_start(&up);
  struct sockaddr_storage ups[] = { up.addr };
  struct sbx_dns_resolver_config cfg = { .upstreams = ups, .n_upstreams = 1,
                                         .upstream_timeout_ms = 200, .attempts = 2,
                                         .denials_per_second = 1000 };
  resolver_start(&res, cfg, &pol, false);

  RUN(test_denied_name_never_forwarded);
  RUN(test_allowed_name);
  RUN(test_allow_before_answer);
  RUN(test_allow_failure_servfail);
  RUN(test_chain_and_ttls);
  RUN(test_types_answered_locally);
  RUN(test_tcp);
  RUN(test_tcp_pipelined_and_abuse);
  RUN(test_truncation);
  RUN(test_silent_upstream_servfail);
  RUN(test_failover);
  RUN(test_upstream_mark);
  RUN(test_rate_limits);
  RUN(test_inflight_bound);
  RUN(test_stops_on_pidfd_or_signalfd);

  resolver_stop(&res, &st);
  upstream_stop(&up);
  printf("test-dns-resolver: %llu queries, %llu forwarded, %llu denied, %llu SERVFAIL, "
         "%llu timeouts, %llu TCP fallbacks\n",
         (unsigned long long)st.queries, (unsigned long long)st.forwarded,
         (unsigned long long)st.denied, (unsigned long long)st.servfail,
         (unsigned long long)st.timeouts, (unsigned long long)st.tcp_fallbacks);
  return unit_finish("test-dns-resolver");
}
