/* nftables.h: the kernel side of the network policy: one nftables table per
 * container, `inet agentsbx_HASH`, in the network namespace the calling
 * thread is in (the caller setns()es there: see network.c).
 *
 * libnftables is loaded with dlopen() on first use, never linked: linking
 * it costs every agentsbx invocation ~2.7 ms of dynamic loading (measured,
 * 13.4 vs 10.7 ms per exec of a trivial program here), and containers
 * without network rules must pay nothing.
 *
 * The rules sit on the output hook, for every interface including one added
 * after create: mode none rejects everything but `oif lo`; allowlist
 * accepts lo, established traffic and what the policy's entries (static
 * sets) and the resolver (sets with timeouts) allow, in this order:
 *   resolver mark, lo, established/related, IPv6 neighbour discovery ->
 *   DNS (53 redirected to the resolver by a nat chain before Docker's;
 *   53 and 853 otherwise refused) -> blockedPorts -> deny (static, and the
 *   resolver's deny NAME:PORT) -> maxConnections (ct count) -> static
 *   allow -> blockPrivate ranges -> resolver-learned allow -> refused.  Refusals are
 * fast (TCP reset, ICMP admin-prohibited: ECONNREFUSED / EHOSTUNREACH), go
 * through a counter and a rate-limited NFLOG (group SBX_NFT_LOG_GROUP,
 * prefix "agentsbx <reason> ") for the audit. */
#ifndef SBX_NFTABLES_H
#define SBX_NFTABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"

#define SBX_NFT_LOG_GROUP 16723       /* NFLOG group of refused packets */

struct sbx_nft;

/* dlopen libnftables (once per process) and make a context whose output
 * and errors are buffered (errors come back in err). */
int sbx_nft_open(struct sbx_nft **out, struct sbx_error *err);
void sbx_nft_close(struct sbx_nft *nft);
#define cleanup_nft __attribute__((cleanup(sbx_nft_closep)))
static inline void sbx_nft_closep(struct sbx_nft **n) { sbx_nft_close(*n); }

/* Run nft commands (the nft(8) language) as one transaction. */
int sbx_nft_run(struct sbx_nft *nft, const char *commands, struct sbx_error *err);

/* The table of container id: "agentsbx_" and 16 hex digits of the id's
 * SHA-256 (nft 1.0.6 takes no quoted table names, and ids may hold '+'
 * and '.').  malloc'd. */
char *sbx_nft_table_name(const char *id);

/* What to install. */
struct sbx_nft_plan {
  const char *table;                  /* sbx_nft_table_name() */
  enum sbx_net_mode mode;             /* SBX_NET_NONE or SBX_NET_ALLOWLIST */
  const struct sbx_policy *policy;    /* allowlist: its entries (address entries become
                                       * static sets; names are the resolver's) */
  uint16_t dns_port;                  /* allowlist: tcp/udp port 53 is redirected to this
                                       * port on the container's loopback (the resolver);
                                       * 0: DNS is refused like any other port */
};

/* Packets carrying this mark (SO_MARK, which needs CAP_NET_ADMIN: only the
 * runtime's resolver sets it) pass the allowlist and are not redirected:
 * the resolver's upstream queries. */
#define SBX_NFT_RESOLVER_MARK 0x41530001u

/* The whole transaction that creates the table (pure: text only).  It
 * first deletes a table of the same name, so a retry replaces it. */
char *sbx_nft_ruleset(const struct sbx_nft_plan *plan, struct sbx_error *err);

/* ---- for the resolver (in the container's network namespace) ----
 *
 * The allowlist table holds sets the resolver fills with the addresses of
 * allowed answers, each with a timeout (the kernel drops it then;
 * connections already established keep working: the rules accept
 * established traffic first):
 *   dns4 / dns6            ipv4_addr / ipv6_addr            every port
 *   dns4p / dns6p          addr . inet_service              one port
 *   dnsdeny4p / dnsdeny6p  addr . inet_service              refused (deny NAME:PORT)
 * blockedPorts, deny entries and maxConnections still apply to them. */
struct sbx_nft_learned {
  int family;              /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  uint16_t port;           /* 0: every port */
  bool deny;               /* a refusal (port required) instead of an allow */
};

/* Add (or refresh the timeout of) these elements in one transaction;
 * timeout_s is used as given (1 .. 86400). */
int sbx_nft_learn(struct sbx_nft *nft, const char *table, const struct sbx_nft_learned *l,
                  size_t n, unsigned timeout_s, struct sbx_error *err);

/* Remove the table (no error when it is not there). */
int sbx_nft_remove(struct sbx_nft *nft, const char *table, struct sbx_error *err);

/* Does the table exist in the current namespace? */
int sbx_nft_exists(struct sbx_nft *nft, const char *table, bool *exists, struct sbx_error *err);

#endif
