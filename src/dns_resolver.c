/* dns_resolver.c: the resolver's loop (see dns_resolver.h).
 *
 * One epoll set holds the caller's listening sockets, the TCP connections
 * from the container and one socket per query in flight (a connected UDP
 * socket, so the kernel picks a fresh source port and drops datagrams from
 * anyone but that upstream; a TCP socket after a truncated answer).  Each
 * epoll entry carries its kind, slot and a generation, so an event for a
 * slot that was reused since is ignored.  Deadlines are kept per slot and
 * scanned linearly: there are at most max_inflight + max_tcp_clients. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dns_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

#define MSG_MAX 65535
#define CLIENT_QUERY_MAX 4096      /* a TCP query longer than this closes the connection */
#define CLIENT_OUT_MAX (256 * 1024) /* answers a TCP client does not read */
#define UDP_BATCH 32               /* datagrams read per wakeup and socket */
#define EVENTS 64

enum kind { K_UDP_LISTEN = 1, K_TCP_LISTEN, K_CLIENT, K_UPSTREAM };

struct bucket {
  unsigned rate;          /* tokens per second, also the burst */
  uint64_t milli;         /* thousandths of a token */
  uint64_t last_ms;
};

struct client {
  int fd;                 /* -1: free slot */
  uint32_t gen;
  uint8_t in[2 + CLIENT_QUERY_MAX];
  size_t in_len;
  uint8_t *out;
  size_t out_len, out_cap;
  uint64_t last_ms;
  unsigned pending;       /* its queries in flight */
};

struct origin {
  bool tcp;
  int udp_fd;             /* UDP: the listening socket it came in on */
  struct sockaddr_storage addr;
  socklen_t addr_len;
  size_t client;          /* TCP: slot and generation */
  uint32_t gen;
};

enum up_state { UP_UDP, UP_TCP_CONNECT, UP_TCP_READ };

struct pending {
  bool used;
  uint32_t gen;
  struct sbx_dns_query q;
  struct origin from;
  int fd;
  enum up_state state;
  uint16_t id;
  unsigned attempt;
  size_t upstream;
  uint64_t deadline;
  uint8_t *tcp_buf;       /* UP_TCP_READ: 2-byte length + message */
  size_t tcp_len;
};

struct sbx_dns_resolver {
  struct sbx_dns_resolver_config cfg;   /* defaults filled in */
  struct sbx_dns_callbacks cb;
  struct sockaddr_storage *upstreams;   /* copies: cfg's arrays need not outlive new() */
  int *listen;                          /* UDP ones, then TCP ones */
  int epfd;
  struct client *clients;
  struct pending *pending;
  struct bucket queries, denials;
  uint64_t suppressed;
  struct sbx_dns_resolver_stats stats;
  uint8_t buf[MSG_MAX + 1];             /* one message in, one out */
  uint8_t out[MSG_MAX + 2];
};

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t tag(enum kind k, uint32_t gen, size_t slot)
{
  return (uint64_t)k << 56 | (uint64_t)(gen & 0xffffff) << 32 | (uint32_t)slot;
}

static void bucket_init(struct bucket *b, unsigned rate)
{
  b->rate = rate;
  b->milli = (uint64_t)rate * 1000;
  b->last_ms = now_ms();
}

static void bucket_refill(struct bucket *b, uint64_t now)
{
  uint64_t full = (uint64_t)b->rate * 1000;
  b->milli += (now - b->last_ms) * b->rate;
  if (b->milli > full)
    b->milli = full;
  b->last_ms = now;
}

static bool bucket_take(struct bucket *b, uint64_t now)
{
  bucket_refill(b, now);
  if (b->milli < 1000)
    return false;
  b->milli -= 1000;
  return true;
}

/* ---- the audit of refusals ---- */

static void report_denial(struct sbx_dns_resolver *r, const char *name, uint16_t qtype,
                          const char *reason)
{
  r->stats.denied++;
  if (r->cb.denied == NULL)
    return;
  if (!bucket_take(&r->denials, now_ms())) {
    r->suppressed++;
    return;
  }
  uint64_t suppressed = r->suppressed;
  r->suppressed = 0;
  r->cb.denied(r->cb.ctx, name, qtype, reason, suppressed);
}

static void flush_suppressed(struct sbx_dns_resolver *r, bool force)
{
  if (r->suppressed == 0 || r->cb.denied == NULL)
    return;
  if (!force && !bucket_take(&r->denials, now_ms()))
    return;
  uint64_t suppressed = r->suppressed;
  r->suppressed = 0;
  r->cb.denied(r->cb.ctx, NULL, 0, NULL, suppressed);
}

/* ---- answering clients ---- */

static void client_close(struct sbx_dns_resolver *r, size_t i)
{
  struct client *c = &r->clients[i];
  if (c->fd < 0)
    return;
  epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_cap = c->in_len = 0;
  c->fd = -1;
  c->pending = 0;
  c->gen++;
}

static void client_watch(struct sbx_dns_resolver *r, size_t i)
{
  struct client *c = &r->clients[i];
  struct epoll_event ev = { .events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
                            .data.u64 = tag(K_CLIENT, c->gen, i) };
  epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void client_flush(struct sbx_dns_resolver *r, size_t i)
{
  struct client *c = &r->clients[i];
  size_t had = c->out_len;

  while (c->out_len > 0) {
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        client_close(r, i);
      break;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  if (c->fd >= 0 && (had == 0) != (c->out_len == 0))
    client_watch(r, i);
}

static bool origin_alive(struct sbx_dns_resolver *r, const struct origin *o)
{
  return !o->tcp || (r->clients[o->client].fd >= 0 && r->clients[o->client].gen == o->gen);
}

static void send_answer(struct sbx_dns_resolver *r, const struct origin *o, const uint8_t *msg,
                        size_t n)
{
  if (n == 0)
    return;
  if (!o->tcp) {
    sendto(o->udp_fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&o->addr,
           o->addr_len);
    return;
  }
  if (!origin_alive(r, o))
    return;
  struct client *c = &r->clients[o->client];
  if (c->out_len + 2 + n > CLIENT_OUT_MAX) {
    client_close(r, o->client);    /* it does not read its answers */
    return;
  }
  if (c->out_len + 2 + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + 2 + n)
      cap *= 2;
    uint8_t *p = realloc(c->out, cap);
    if (p == NULL) {
      client_close(r, o->client);
      return;
    }
    c->out = p;
    c->out_cap = cap;
  }
  c->out[c->out_len++] = (uint8_t)(n >> 8);
  c->out[c->out_len++] = (uint8_t)n;
  memcpy(c->out + c->out_len, msg, n);
  c->out_len += n;
  c->last_ms = now_ms();
  client_flush(r, o->client);
}

static void answer_local(struct sbx_dns_resolver *r, const struct origin *o,
                         const struct sbx_dns_query *q, uint8_t rcode)
{
  if (rcode == SBX_DNS_SERVFAIL)
    r->stats.servfail++;
  send_answer(r, o, r->out, sbx_dns_build_local(q, rcode, r->out, sizeof r->out));
}

/* ---- queries in flight ---- */

static void pending_close_fd(struct sbx_dns_resolver *r, struct pending *p)
{
  if (p->fd >= 0) {
    epoll_ctl(r->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
  }
  free(p->tcp_buf);
  p->tcp_buf = NULL;
  p->tcp_len = 0;
  p->gen++;
}

static void pending_release(struct sbx_dns_resolver *r, struct pending *p)
{
  pending_close_fd(r, p);
  if (p->from.tcp && origin_alive(r, &p->from)) {
    struct client *c = &r->clients[p->from.client];
    c->pending--;
    c->last_ms = now_ms();
  }
  p->used = false;
}

static void pending_fail(struct sbx_dns_resolver *r, struct pending *p)
{
  answer_local(r, &p->from, &p->q, SBX_DNS_SERVFAIL);
  pending_release(r, p);
}

static int upstream_socket(struct sbx_dns_resolver *r, int family, int type)
{
  if (r->cb.upstream_socket != NULL)
    return r->cb.upstream_socket(r->cb.ctx, family, type);
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && r->cfg.upstream_mark != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_MARK, &r->cfg.upstream_mark, sizeof r->cfg.upstream_mark) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static socklen_t addr_len(const struct sockaddr_storage *a)
{
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Open a socket to the current upstream and send (UDP) or start connecting
 * (TCP); false when any step failed. */
static bool attempt_start(struct sbx_dns_resolver *r, struct pending *p, size_t slot, bool tcp)
{
  const struct sockaddr_storage *up = &r->upstreams[p->upstream];
  uint16_t id;

  pending_close_fd(r, p);
  if (getrandom(&id, sizeof id, 0) != sizeof id)
    return false;
  p->id = id;
  p->fd = upstream_socket(r, up->ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM);
  if (p->fd < 0)
    return false;
  if (connect(p->fd, (const struct sockaddr *)up, addr_len(up)) < 0 && errno != EINPROGRESS)
    return false;
  p->state = tcp ? UP_TCP_CONNECT : UP_UDP;
  if (!tcp) {
    size_t n = sbx_dns_build_upstream_query(&p->q, p->id, r->out, sizeof r->out);
    if (n == 0 || send(p->fd, r->out, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n)
      return false;
  }
  struct epoll_event ev = { .events = tcp ? EPOLLOUT : EPOLLIN,
                            .data.u64 = tag(K_UPSTREAM, p->gen, slot) };
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
    return false;
  p->deadline = now_ms() + r->cfg.upstream_timeout_ms;
  return true;
}

/* The next attempt, on the next upstream; SERVFAIL once they are used up. */
static void attempt_next(struct sbx_dns_resolver *r, struct pending *p, size_t slot)
{
  for (;;) {
    if (++p->attempt >= r->cfg.attempts) {
      pending_fail(r, p);
      return;
    }
    p->upstream = (p->upstream + 1) % r->cfg.n_upstreams;
    if (attempt_start(r, p, slot, false))
      return;
  }
}

static void deny_addresses(struct sbx_dns_resolver *r, const struct pending *p, size_t n_blocked,
                           const struct sbx_dns_addr *first)
{
  char text[INET6_ADDRSTRLEN] = "?", reason[128];

  inet_ntop(first->family, first->bytes, text, sizeof text);
  snprintf(reason, sizeof reason, "answer address %s in a blocked range (%zu dropped)", text,
           n_blocked);
  report_denial(r, p->q.name, p->q.qtype, reason);
}

static uint32_t clamp_ttl(const struct sbx_dns_resolver *r, uint32_t ttl)
{
  return ttl < r->cfg.ttl_min ? r->cfg.ttl_min : ttl > r->cfg.ttl_max ? r->cfg.ttl_max : ttl;
}

static size_t udp_limit(const struct sbx_dns_query *q)
{
  if (!q->edns)
    return 512;
  return q->edns_udp_size < SBX_DNS_UDP_PAYLOAD ? q->edns_udp_size : SBX_DNS_UDP_PAYLOAD;
}

/* Upstream answered NOERROR or NXDOMAIN: filter, allow, then answer. */
static void finish(struct sbx_dns_resolver *r, struct pending *p, struct sbx_dns_answer *a)
{
  struct sbx_dns_addr first;
  size_t blocked, capped;

  sbx_dns_filter_addrs(a, r->cb.address_blocked, r->cb.ctx, r->cfg.max_addresses, &blocked,
                       &capped, &first);
  if (blocked > 0) {
    r->stats.blocked_addresses += blocked;
    deny_addresses(r, p, blocked, &first);
  }
  if (!origin_alive(r, &p->from)) {
    pending_release(r, p);
    return;
  }
  uint32_t ttl = sbx_dns_answer_ttl(a);
  size_t limit = p->from.tcp ? MSG_MAX : udp_limit(&p->q);
  size_t n = sbx_dns_build_response(&p->q, a, ttl < r->cfg.ttl_max ? ttl : r->cfg.ttl_max,
                                    r->out, limit);
  if (n == 0) {
    /* Too big for the client's UDP: it asks again over TCP.  Nothing is
     * allowed for an answer that carries no address. */
    if (p->from.tcp)
      answer_local(r, &p->from, &p->q, SBX_DNS_SERVFAIL);
    else
      send_answer(r, &p->from, r->out, sbx_dns_build_truncated(&p->q, r->out, sizeof r->out));
    pending_release(r, p);
    return;
  }
  if (a->n_addrs > 0 &&
      r->cb.allow_addresses(r->cb.ctx, p->q.name, a->addrs, a->n_addrs, clamp_ttl(r, ttl)) != 0) {
    report_denial(r, p->q.name, p->q.qtype, "allowing the answer's addresses failed");
    pending_fail(r, p);
    return;
  }
  send_answer(r, &p->from, r->out, n);
  pending_release(r, p);
}

static void upstream_message(struct sbx_dns_resolver *r, struct pending *p, size_t slot,
                             const uint8_t *msg, size_t len)
{
  struct sbx_dns_answer a;

  switch (sbx_dns_parse_response(msg, len, p->id, p->q.name, p->q.qtype, &a)) {
  case SBX_DNS_E_MISMATCH:
    return;     /* not ours: keep waiting */
  case SBX_DNS_OK:
    break;
  default:
    attempt_next(r, p, slot);
    return;
  }
  if (a.truncated) {
    if (p->state != UP_UDP || !attempt_start(r, p, slot, true)) {
      attempt_next(r, p, slot);
      return;
    }
    r->stats.tcp_fallbacks++;
    return;
  }
  if (a.rcode != SBX_DNS_NOERROR && a.rcode != SBX_DNS_NXDOMAIN) {
    attempt_next(r, p, slot);
    return;
  }
  finish(r, p, &a);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return false;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void upstream_udp_ready(struct sbx_dns_resolver *r, struct pending *p, size_t slot)
{
  uint32_t gen = p->gen;

  for (int i = 0; i < UDP_BATCH && p->used && p->gen == gen; i++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(p->fd, r->buf, sizeof r->buf, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&from, &from_len);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR)
        attempt_next(r, p, slot);    /* ECONNREFUSED: next upstream at once */
      return;
    }
    if ((size_t)n > sizeof r->buf || !same_addr(&from, &r->upstreams[p->upstream]))
      continue;
    upstream_message(r, p, slot, r->buf, (size_t)n);
  }
}

static size_t tcp_message_len(const struct pending *p)
{
  return (size_t)(p->tcp_buf[0] << 8 | p->tcp_buf[1]);
}

static void upstream_tcp_ready(struct sbx_dns_resolver *r, struct pending *p, size_t slot)
{
  if (p->state == UP_TCP_CONNECT) {
    int soerr = 0;
    socklen_t len = sizeof soerr;
    size_t n = sbx_dns_build_upstream_query(&p->q, p->id, r->out + 2, sizeof r->out - 2);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0 || n == 0) {
      attempt_next(r, p, slot);
      return;
    }
    r->out[0] = (uint8_t)(n >> 8);
    r->out[1] = (uint8_t)n;
    /* A fresh connection takes a few hundred bytes without blocking. */
    if (send(p->fd, r->out, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(n + 2) ||
        (p->tcp_buf = malloc(2 + MSG_MAX)) == NULL) {
      attempt_next(r, p, slot);
      return;
    }
    p->state = UP_TCP_READ;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(K_UPSTREAM, p->gen, slot) };
    epoll_ctl(r->epfd, EPOLL_CTL_MOD, p->fd, &ev);
    return;
  }
  size_t want = p->tcp_len < 2 ? 2 : 2 + tcp_message_len(p);
  ssize_t n = recv(p->fd, p->tcp_buf + p->tcp_len, want - p->tcp_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    attempt_next(r, p, slot);
    return;
  }
  p->tcp_len += (size_t)n;
  if (p->tcp_len < 2 || p->tcp_len < 2 + tcp_message_len(p))
    return;     /* more to come */
  size_t len = p->tcp_len - 2;
  memcpy(r->buf, p->tcp_buf + 2, len);
  p->tcp_len = 0;   /* a message that is not the answer is skipped */
  upstream_message(r, p, slot, r->buf, len);
}

/* ---- queries from clients ---- */

static bool meta_type(uint16_t t)
{
  return t == 0 || t == SBX_DNS_OPT || (t >= 128 && t <= 255);
}

static struct pending *pending_slot(struct sbx_dns_resolver *r, size_t *slot)
{
  for (size_t i = 0; i < r->cfg.max_inflight; i++)
    if (!r->pending[i].used) {
      *slot = i;
      return &r->pending[i];
    }
  return NULL;
}

static void forward(struct sbx_dns_resolver *r, const struct origin *o,
                    const struct sbx_dns_query *q)
{
  size_t slot;
  struct pending *p = pending_slot(r, &slot);

  if (p == NULL) {
    report_denial(r, q->name, q->qtype, "too many queries in flight");
    answer_local(r, o, q, SBX_DNS_SERVFAIL);
    return;
  }
  p->used = true;
  p->q = *q;
  p->from = *o;
  p->attempt = 0;
  p->upstream = 0;
  p->fd = -1;
  if (o->tcp)
    r->clients[o->client].pending++;
  r->stats.forwarded++;
  if (!attempt_start(r, p, slot, false))
    attempt_next(r, p, slot);
}

static void client_query(struct sbx_dns_resolver *r, const struct origin *o, const uint8_t *msg,
                         size_t len)
{
  struct sbx_dns_query q;
  char reason[160], type[16];
  const char *rule = NULL;

  r->stats.queries++;
  switch (sbx_dns_parse_query(msg, len, &q)) {
  case SBX_DNS_E_SHORT:
  case SBX_DNS_E_NOT_QUERY:
    return;
  case SBX_DNS_E_OPCODE:
    answer_local(r, o, &q, SBX_DNS_NOTIMP);
    return;
  case SBX_DNS_E_NAME:
    report_denial(r, q.name, q.qtype, "not a host name");
    answer_local(r, o, &q, SBX_DNS_NXDOMAIN);
    return;
  case SBX_DNS_OK:
    break;
  default:
    answer_local(r, o, &q, SBX_DNS_FORMERR);
    return;
  }
  if (q.qclass != SBX_DNS_CLASS_IN || meta_type(q.qtype)) {
    if (q.qclass != SBX_DNS_CLASS_IN)
      snprintf(reason, sizeof reason, "class %u not answered", q.qclass);
    else
      snprintf(reason, sizeof reason, "type %s not answered",
               sbx_dns_type_name(q.qtype, type, sizeof type));
    report_denial(r, q.name, q.qtype, reason);
    answer_local(r, o, &q, SBX_DNS_NOTIMP);
    return;
  }
  if (!r->cb.name_allowed(r->cb.ctx, q.name, &rule)) {
    snprintf(reason, sizeof reason, "name not allowed%s%s", rule ? ": " : "", rule ? rule : "");
    report_denial(r, q.name, q.qtype, reason);
    answer_local(r, o, &q, SBX_DNS_NXDOMAIN);
    return;
  }
  if (q.qtype != SBX_DNS_A && q.qtype != SBX_DNS_AAAA) {
    snprintf(reason, sizeof reason, "type %s not forwarded",
             sbx_dns_type_name(q.qtype, type, sizeof type));
    report_denial(r, q.name, q.qtype, reason);
    answer_local(r, o, &q, SBX_DNS_NOERROR);
    return;
  }
  if (!bucket_take(&r->queries, now_ms())) {
    r->stats.rate_limited++;
    snprintf(reason, sizeof reason, "query rate limit (%u/s)", r->cfg.queries_per_second);
    report_denial(r, q.name, q.qtype, reason);
    answer_local(r, o, &q, SBX_DNS_REFUSED);
    return;
  }
  forward(r, o, &q);
}

static void udp_listen_ready(struct sbx_dns_resolver *r, int fd)
{
  for (int i = 0; i < UDP_BATCH; i++) {
    struct origin o = { .tcp = false, .udp_fd = fd, .addr_len = sizeof o.addr };
    ssize_t n = recvfrom(fd, r->buf, sizeof r->buf, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&o.addr, &o.addr_len);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED)
        continue;
      return;
    }
    if ((size_t)n > sizeof r->buf)
      continue;   /* larger than any DNS message: not one */
    client_query(r, &o, r->buf, (size_t)n);
  }
}

static void tcp_listen_ready(struct sbx_dns_resolver *r, int fd)
{
  for (;;) {
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
      return;
    size_t i;
    for (i = 0; i < r->cfg.max_tcp_clients && r->clients[i].fd >= 0; i++)
      ;
    if (i == r->cfg.max_tcp_clients) {
      close(c);   /* full: the client retries or uses UDP */
      continue;
    }
    struct client *cl = &r->clients[i];
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(K_CLIENT, cl->gen, i) };
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c, &ev) < 0) {
      close(c);
      continue;
    }
    cl->fd = c;
    cl->in_len = cl->out_len = 0;
    cl->pending = 0;
    cl->last_ms = now_ms();
  }
}

static void client_ready(struct sbx_dns_resolver *r, size_t i, uint32_t events)
{
  struct client *c = &r->clients[i];
  uint32_t gen = c->gen;

  if (events & EPOLLOUT)
    client_flush(r, i);
  if (c->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    client_close(r, i);
    return;
  }
  c->in_len += (size_t)n;
  c->last_ms = now_ms();
  while (c->fd >= 0 && c->gen == gen && c->in_len >= 2) {
    size_t len = (size_t)(c->in[0] << 8 | c->in[1]);
    if (len > CLIENT_QUERY_MAX) {
      client_close(r, i);
      return;
    }
    if (c->in_len < 2 + len)
      return;
    struct origin o = { .tcp = true, .client = i, .gen = gen };
    memcpy(r->buf, c->in + 2, len);
    memmove(c->in, c->in + 2 + len, c->in_len - 2 - len);
    c->in_len -= 2 + len;
    client_query(r, &o, r->buf, len);
  }
}

/* ---- the loop ---- */

static void serve_deadlines(struct sbx_dns_resolver *r)
{
  uint64_t now = now_ms();

  for (size_t i = 0; i < r->cfg.max_inflight; i++) {
    struct pending *p = &r->pending[i];
    if (p->used && p->deadline <= now) {
      r->stats.timeouts++;
      attempt_next(r, p, i);
    }
  }
  for (size_t i = 0; i < r->cfg.max_tcp_clients; i++) {
    struct client *c = &r->clients[i];
    if (c->fd >= 0 && c->pending == 0 && c->last_ms + r->cfg.tcp_idle_ms <= now)
      client_close(r, i);
  }
  flush_suppressed(r, false);
}

int sbx_dns_resolver_timeout_ms(const struct sbx_dns_resolver *r)
{
  uint64_t now = now_ms(), next = UINT64_MAX;

  for (size_t i = 0; i < r->cfg.max_inflight; i++)
    if (r->pending[i].used && r->pending[i].deadline < next)
      next = r->pending[i].deadline;
  for (size_t i = 0; i < r->cfg.max_tcp_clients; i++) {
    const struct client *c = &r->clients[i];
    if (c->fd >= 0 && c->pending == 0 && c->last_ms + r->cfg.tcp_idle_ms < next)
      next = c->last_ms + r->cfg.tcp_idle_ms;
  }
  if (r->suppressed > 0 && r->cb.denied != NULL) {
    uint64_t token = now + 1000 / r->denials.rate + 1;
    if (token < next)
      next = token;
  }
  if (next == UINT64_MAX)
    return -1;
  return next <= now ? 0 : next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

int sbx_dns_resolver_dispatch(struct sbx_dns_resolver *r, struct sbx_error *err)
{
  struct epoll_event ev[EVENTS];
  int n = epoll_wait(r->epfd, ev, EVENTS, 0);

  if (n < 0 && errno != EINTR)
    return sbx_fail(err, errno, "dns resolver: epoll_wait");
  for (int i = 0; i < n; i++) {
    enum kind k = (enum kind)(ev[i].data.u64 >> 56);
    uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32) & 0xffffff;
    size_t slot = (uint32_t)ev[i].data.u64;
    switch (k) {
    case K_UDP_LISTEN:
      udp_listen_ready(r, r->cfg.listen_udp[slot]);
      break;
    case K_TCP_LISTEN:
      tcp_listen_ready(r, r->cfg.listen_tcp[slot]);
      break;
    case K_CLIENT:
      if ((r->clients[slot].gen & 0xffffff) == gen && r->clients[slot].fd >= 0)
        client_ready(r, slot, ev[i].events);
      break;
    case K_UPSTREAM: {
      struct pending *p = &r->pending[slot];
      if (!p->used || (p->gen & 0xffffff) != gen || p->fd < 0)
        break;
      if (p->state == UP_UDP)
        upstream_udp_ready(r, p, slot);
      else
        upstream_tcp_ready(r, p, slot);
      break;
    }
    }
  }
  serve_deadlines(r);
  return 0;
}

int sbx_dns_resolver_run(struct sbx_dns_resolver *r, const int *stop_fds, size_t n_stop,
                         struct sbx_error *err)
{
  cleanup_free struct pollfd *pfd = calloc(n_stop + 1, sizeof *pfd);

  if (pfd == NULL)
    return sbx_fail(err, ENOMEM, "dns resolver");
  pfd[0] = (struct pollfd){ .fd = r->epfd, .events = POLLIN };
  for (size_t i = 0; i < n_stop; i++)
    pfd[i + 1] = (struct pollfd){ .fd = stop_fds[i], .events = POLLIN };
  for (;;) {
    if (poll(pfd, n_stop + 1, sbx_dns_resolver_timeout_ms(r)) < 0) {
      if (errno == EINTR)
        continue;
      return sbx_fail(err, errno, "dns resolver: poll");
    }
    for (size_t i = 0; i < n_stop; i++)
      if (pfd[i + 1].revents)
        return (int)i;
    if (sbx_dns_resolver_dispatch(r, err) < 0)
      return -1;
  }
}

/* ---- setup ---- */

static int check_config(const struct sbx_dns_resolver_config *c, const struct sbx_dns_callbacks *cb,
                        struct sbx_error *err)
{
  if (cb == NULL || cb->name_allowed == NULL || cb->allow_addresses == NULL)
    return sbx_invalid(err, "dns resolver: the name_allowed and allow_addresses callbacks "
                            "are required");
  if (c->n_listen_udp + c->n_listen_tcp == 0)
    return sbx_invalid(err, "dns resolver: no listening socket");
  if (c->n_upstreams == 0)
    return sbx_invalid(err, "dns resolver: no upstream server");
  for (size_t i = 0; i < c->n_upstreams; i++)
    if (c->upstreams[i].ss_family != AF_INET && c->upstreams[i].ss_family != AF_INET6)
      return sbx_invalid(err, "dns resolver: upstream %zu: not an IPv4 or IPv6 address", i);
  if (c->ttl_min > c->ttl_max && c->ttl_max != 0)
    return sbx_invalid(err, "dns resolver: ttl_min %u above ttl_max %u", c->ttl_min, c->ttl_max);
  if (c->max_addresses > SBX_DNS_MAX_ADDRS)
    return sbx_invalid(err, "dns resolver: max_addresses %u above %d", c->max_addresses,
                       SBX_DNS_MAX_ADDRS);
  return 0;
}

static void fill_defaults(struct sbx_dns_resolver_config *c)
{
#define DEFAULT(field, value) \
  if (c->field == 0)          \
    c->field = (value)
  DEFAULT(ttl_min, 60);
  DEFAULT(ttl_max, 3600);
  if (c->ttl_min > c->ttl_max)
    c->ttl_min = c->ttl_max;
  DEFAULT(max_addresses, 16);
  DEFAULT(max_inflight, 64);
  DEFAULT(queries_per_second, 100);
  DEFAULT(denials_per_second, 20);
  DEFAULT(upstream_timeout_ms, 1000);
  DEFAULT(attempts, c->n_upstreams * 2 > 4 ? 4 : (unsigned)c->n_upstreams * 2);
  DEFAULT(max_tcp_clients, 16);
  DEFAULT(tcp_idle_ms, 10000);
#undef DEFAULT
}

static int watch_listener(struct sbx_dns_resolver *r, int fd, enum kind k, size_t slot,
                          struct sbx_error *err)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(k, 0, slot) };
  int flags = fcntl(fd, F_GETFL);

  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return sbx_fail(err, errno, "dns resolver: listening socket %d", fd);
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return sbx_fail(err, errno, "dns resolver: epoll_ctl of listening socket %d", fd);
  return 0;
}

/* SO_MARK needs CAP_NET_ADMIN or CAP_NET_RAW: find out now rather than
 * with every query failing (SERVFAIL for all: closed, but unexplained). */
static int check_mark(const struct sbx_dns_resolver_config *c, const struct sbx_dns_callbacks *cb,
                      struct sbx_error *err)
{
  if (c->upstream_mark == 0 || cb->upstream_socket != NULL)
    return 0;
  cleanup_close int fd = socket(c->upstreams[0].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sbx_fail(err, errno, "dns resolver: upstream socket");
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &c->upstream_mark, sizeof c->upstream_mark) < 0)
    return sbx_fail(err, errno, "dns resolver: upstream_mark 0x%x (SO_MARK)", c->upstream_mark);
  return 0;
}

struct sbx_dns_resolver *sbx_dns_resolver_new(const struct sbx_dns_resolver_config *cfg,
                                              const struct sbx_dns_callbacks *cb,
                                              struct sbx_error *err)
{
  if (check_config(cfg, cb, err) < 0 || check_mark(cfg, cb, err) < 0)
    return NULL;
  struct sbx_dns_resolver *r = calloc(1, sizeof *r);
  if (r == NULL) {
    sbx_fail(err, ENOMEM, "dns resolver");
    return NULL;
  }
  r->cfg = *cfg;
  r->cb = *cb;
  r->epfd = -1;
  fill_defaults(&r->cfg);
  r->upstreams = calloc(cfg->n_upstreams, sizeof *r->upstreams);
  r->listen = calloc(cfg->n_listen_udp + cfg->n_listen_tcp, sizeof *r->listen);
  r->clients = calloc(r->cfg.max_tcp_clients, sizeof *r->clients);
  r->pending = calloc(r->cfg.max_inflight, sizeof *r->pending);
  if (r->upstreams == NULL || r->listen == NULL || r->clients == NULL || r->pending == NULL) {
    sbx_fail(err, ENOMEM, "dns resolver");
    goto fail;
  }
  memcpy(r->upstreams, cfg->upstreams, cfg->n_upstreams * sizeof *r->upstreams);
  r->cfg.upstreams = r->upstreams;
  for (size_t i = 0; i < cfg->n_listen_udp; i++)
    r->listen[i] = cfg->listen_udp[i];
  for (size_t i = 0; i < cfg->n_listen_tcp; i++)
    r->listen[cfg->n_listen_udp + i] = cfg->listen_tcp[i];
  r->cfg.listen_udp = r->listen;
  r->cfg.listen_tcp = r->listen + cfg->n_listen_udp;
  for (size_t i = 0; i < r->cfg.max_tcp_clients; i++)
    r->clients[i].fd = -1;
  for (size_t i = 0; i < r->cfg.max_inflight; i++)
    r->pending[i].fd = -1;
  bucket_init(&r->queries, r->cfg.queries_per_second);
  bucket_init(&r->denials, r->cfg.denials_per_second);
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->epfd < 0) {
    sbx_fail(err, errno, "dns resolver: epoll_create1");
    goto fail;
  }
  for (size_t i = 0; i < cfg->n_listen_udp; i++)
    if (watch_listener(r, cfg->listen_udp[i], K_UDP_LISTEN, i, err) < 0)
      goto fail;
  for (size_t i = 0; i < cfg->n_listen_tcp; i++)
    if (watch_listener(r, cfg->listen_tcp[i], K_TCP_LISTEN, i, err) < 0)
      goto fail;
  return r;
fail:
  sbx_dns_resolver_free(r);
  return NULL;
}

int sbx_dns_resolver_fd(const struct sbx_dns_resolver *r)
{
  return r->epfd;
}

void sbx_dns_resolver_get_stats(const struct sbx_dns_resolver *r,
                                struct sbx_dns_resolver_stats *out)
{
  *out = r->stats;
}

void sbx_dns_resolver_free(struct sbx_dns_resolver *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; r->pending && i < r->cfg.max_inflight; i++)
    if (r->pending[i].used)
      pending_release(r, &r->pending[i]);
  for (size_t i = 0; r->clients && i < r->cfg.max_tcp_clients; i++)
    client_close(r, i);
  flush_suppressed(r, true);
  if (r->epfd >= 0)
    close(r->epfd);
  free(r->pending);
  free(r->clients);
  free(r->upstreams);
  free(r->listen);
  free(r);
}
