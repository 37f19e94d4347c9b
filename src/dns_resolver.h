/* dns_resolver.h: the per-container DNS resolver of network.mode
 * "allowlist": one single-threaded epoll loop over sockets the caller has
 * already opened (UDP and TCP, IPv4 and IPv6, in the container's network
 * namespace).  It knows nothing of the policy or of nftables: it asks the
 * caller through callbacks.
 *
 * What it answers (docs/policy.md, "DNS under an allowlist"):
 *   - not a standard query: NOTIMP; malformed: FORMERR (dns_message.h says
 *     what is malformed); a response or less than a header: no answer;
 *   - a name that is not a host name: NXDOMAIN;
 *   - class other than IN, or a meta type (ANY, AXFR, IXFR, OPT, 128-255):
 *     NOTIMP;
 *   - a name name_allowed refuses: NXDOMAIN (whatever the type);
 *   - an allowed name, type other than A/AAAA (TXT, HTTPS, SVCB, MX...):
 *     NOERROR with no records;
 *   - beyond queries_per_second forwarded queries: REFUSED; beyond
 *     max_inflight waiting ones: SERVFAIL;
 *   - all of the above are answered here and never forwarded, and every
 *     one but FORMERR/NOTIMP of opcode and dropped messages is a denial;
 *   - else the query goes upstream (own random ID, lowercase name, plain
 *     OPT), with a timeout per attempt, over the upstream list in order,
 *     again over TCP when the UDP answer is truncated.  Upstream's NOERROR
 *     or NXDOMAIN is rewritten: the client's question, the CNAME chain,
 *     the addresses address_blocked does not refuse (at most max_addresses),
 *     every TTL min(answer's smallest TTL, ttl_max), a plain OPT when the
 *     client sent one.  The addresses go to allow_addresses with
 *     clamp(smallest TTL, ttl_min, ttl_max) and the answer is sent only
 *     when it returned 0 (else SERVFAIL).  Anything else from upstream, or
 *     no answer in time from any attempt: SERVFAIL.
 * The loop never blocks on a socket; callbacks run in it and should be
 * quick (allow_addresses is on the answer's path by design).
 *
 * Wiring, in the resolver process (already in the container's netns):
 *   int udp[2], tcp[2];   bound to 127.0.0.1:PORT and [::1]:PORT
 *   struct sbx_dns_resolver_config cfg = { .listen_udp = udp, .n_listen_udp = 2,
 *     .listen_tcp = tcp, .n_listen_tcp = 2, .upstreams = ups, .n_upstreams = n,
 *     .upstream_mark = MARK };
 *   struct sbx_dns_callbacks cb = { ctx, name_allowed (the policy's name
 *     matcher), address_blocked (blockPrivate and deny CIDRs),
 *     allow_addresses ("add element ... timeout Ns" to the learned sets),
 *     denied (a network_denied audit line) };
 *   r = sbx_dns_resolver_new(&cfg, &cb, &err);
 *   int stop[2] = { signalfd, pidfd of the container's init };
 *   sbx_dns_resolver_run(r, stop, 2, &err); sbx_dns_resolver_free(r);
 * or poll sbx_dns_resolver_fd() beside other fds (NFLOG) with
 * sbx_dns_resolver_timeout_ms() and call sbx_dns_resolver_dispatch(). */
#ifndef SBX_DNS_RESOLVER_H
#define SBX_DNS_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns_message.h"
#include "error.h"

struct sbx_dns_callbacks {
  void *ctx;
  /* Required.  Whether name (lowercase, no trailing dot, a host name) may
   * be resolved.  *rule may be set to the policy entry that decided (a
   * string that lives until the callback is called again), for the audit. */
  bool (*name_allowed)(void *ctx, const char *name, const char **rule);
  /* Optional.  True when addr (4 or 16 bytes, network order) is in a range
   * the policy blocks: it is dropped from the answer and never allowed. */
  bool (*address_blocked)(void *ctx, int family, const uint8_t *addr);
  /* Required.  Allow these addresses, learned for name, for ttl_seconds
   * (already clamped to [ttl_min, ttl_max]); return 0 once they are in
   * place, -1 when not (the client then gets SERVFAIL, never them).  The
   * answer is sent only after this returned.  n >= 1. */
  int (*allow_addresses)(void *ctx, const char *name, const struct sbx_dns_addr *addrs,
                         size_t n, uint32_t ttl_seconds);
  /* Optional.  A refused query, for the audit: the name (escaped text when
   * it is not a host name), its type and why (text).  The resolver calls it
   * at most denials_per_second times a second; suppressed counts the
   * denials it did not report since the previous call.  A call with name
   * NULL (qtype 0, reason NULL) only carries a suppressed count: made once
   * the rate allows again, and when the resolver is freed. */
  void (*denied)(void *ctx, const char *name, uint16_t qtype, const char *reason,
                 uint64_t suppressed);
  /* Optional.  A socket of this family and type (SOCK_DGRAM, SOCK_STREAM)
   * for a query to upstream, non-blocking and close-on-exec, or -1 with
   * errno; the resolver connects and closes it.  NULL: the resolver makes
   * it and sets SO_MARK upstream_mark on it. */
  int (*upstream_socket)(void *ctx, int family, int type);
};

struct sbx_dns_resolver_config {
  /* Bound UDP and listening TCP sockets; the resolver neither closes nor
   * owns them, and makes them non-blocking. */
  const int *listen_udp;
  size_t n_listen_udp;
  const int *listen_tcp;
  size_t n_listen_tcp;
  /* Upstream servers (sockaddr_in / sockaddr_in6 with their port), tried in
   * this order. */
  const struct sockaddr_storage *upstreams;
  size_t n_upstreams;
  /* SO_MARK on the upstream sockets the resolver makes (0: none): the mark
   * the rules let out and do not redirect back here. */
  uint32_t upstream_mark;
  /* Every knob below: 0 means the default in brackets. */
  uint32_t ttl_min, ttl_max;        /* [60, 3600] seconds */
  unsigned max_addresses;           /* per answer [16], at most SBX_DNS_MAX_ADDRS */
  unsigned max_inflight;            /* queries waiting for upstream [64] */
  unsigned queries_per_second;      /* forwarded queries, burst the same [100] */
  unsigned denials_per_second;      /* denied() calls [20] */
  unsigned upstream_timeout_ms;     /* per attempt [1000] */
  unsigned attempts;                /* per query, over the list in turn
                                       [2 per upstream, at most 4] */
  unsigned max_tcp_clients;         /* TCP connections from the container [16] */
  unsigned tcp_idle_ms;             /* a TCP connection without queries [10000] */
};

struct sbx_dns_resolver_stats {
  uint64_t queries;        /* messages from clients */
  uint64_t forwarded;      /* queries sent upstream (first attempts) */
  uint64_t denied;         /* refusals (reported or suppressed) */
  uint64_t rate_limited;   /* REFUSED by queries_per_second */
  uint64_t servfail;       /* SERVFAIL answers */
  uint64_t timeouts;       /* upstream attempts that timed out */
  uint64_t tcp_fallbacks;  /* truncated UDP answers asked again over TCP */
  uint64_t blocked_addresses; /* addresses dropped by address_blocked */
};

struct sbx_dns_resolver;

/* Check cfg and cb, register the sockets; nothing is read yet.  cfg, its
 * arrays and cb are copied.  NULL with err set on a bad configuration
 * (naming the field) or a failed syscall, an upstream_mark that cannot be
 * set (neither CAP_NET_ADMIN nor CAP_NET_RAW) included. */
struct sbx_dns_resolver *sbx_dns_resolver_new(const struct sbx_dns_resolver_config *cfg,
                                              const struct sbx_dns_callbacks *cb,
                                              struct sbx_error *err);
/* An epoll fd, readable when dispatch has sockets to serve: the caller can
 * poll it beside its own (an NFLOG socket, say). */
int sbx_dns_resolver_fd(const struct sbx_dns_resolver *r);
/* Milliseconds until dispatch has a deadline to serve (timeouts, idle TCP,
 * a suppressed count to report); -1 when none. */
int sbx_dns_resolver_timeout_ms(const struct sbx_dns_resolver *r);
/* Serve what is ready and what is due; never blocks.  -1 only when the
 * loop cannot go on (epoll failed). */
int sbx_dns_resolver_dispatch(struct sbx_dns_resolver *r, struct sbx_error *err);
/* The loop: dispatch until one of stop_fds is readable (a signalfd, the
 * pidfd of the container's init), and return its index; -1 on error. */
int sbx_dns_resolver_run(struct sbx_dns_resolver *r, const int *stop_fds, size_t n_stop,
                         struct sbx_error *err);
void sbx_dns_resolver_get_stats(const struct sbx_dns_resolver *r,
                                struct sbx_dns_resolver_stats *out);
/* Close what the resolver opened (upstream sockets, TCP clients), drop the
 * queries in flight, report a suppressed count still held.  NULL is fine. */
void sbx_dns_resolver_free(struct sbx_dns_resolver *r);

#endif
