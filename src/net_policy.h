/* net_policy.h: the network allowlist of the policy, pure (no kernel, no
 * I/O): the syntax of network.allow / network.deny entries and of
 * dns.upstream servers, the private ranges of blockPrivate, and the
 * matcher that says whether a name, or an address and port, is allowed and
 * which entry (or rule) decided.  `policy explain`, the nft ruleset
 * (nftables.c), tighten and the resolver (names, through
 * sbx_net_decide_name) all use this one matcher.
 *
 * Entries (docs/policy.md):
 *   api.github.com         a host name: exact, case-insensitive, trailing dot ignored
 *   *.pythonhosted.org     every subdomain at any depth, not the apex
 *   10.20.0.0/16, 192.0.2.7, 2001:db8::/32, 2001:db8::1   addresses and CIDRs
 *   any of them with :PORT (IPv6 in brackets: [2001:db8::1]:443); without a
 *   port, every port.
 * Order of decision: blockedPorts, then deny, then allow; for addresses,
 * static allow entries, then the private ranges (when blockPrivate), then
 * "only if an allowed name resolved to it" (the resolver's sets).
 */
#ifndef SBX_NET_POLICY_H
#define SBX_NET_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

enum sbx_net_entry_kind {
  SBX_NET_ENTRY_HOST,      /* exact name */
  SBX_NET_ENTRY_DOMAIN,    /* *.name: strict subdomains */
  SBX_NET_ENTRY_CIDR,      /* address or CIDR */
};

struct sbx_net_entry {
  enum sbx_net_entry_kind kind;
  char name[254];          /* HOST/DOMAIN: lowercased, no trailing dot, no "*." */
  int family;              /* CIDR: AF_INET or AF_INET6 */
  uint8_t addr[16];        /* CIDR: network address (host bits zero) */
  unsigned prefix;         /* CIDR: 0..32 or 0..128 */
  uint16_t port;           /* 0: every port */
};

/* Parse one entry; false with *why (static text) when bad. */
bool sbx_net_entry_parse(const char *s, struct sbx_net_entry *e, const char **why);
/* A dns.upstream server: an IPv4 or IPv6 address, optional :PORT
 * ([v6]:PORT); port 53 when absent. */
bool sbx_net_upstream_parse(const char *s, int *family, uint8_t addr[16], uint16_t *port,
                            const char **why);
/* Does entry `outer` allow everything `inner` does (tighten)? */
bool sbx_net_entry_covers(const struct sbx_net_entry *outer, const struct sbx_net_entry *inner);
/* Normalise a queried name (lowercase, trailing dot dropped) into out;
 * false when it is not a valid host name. */
bool sbx_net_name_normalize(const char *name, char out[254]);

/* Does network.allow hold a host name or *.domain (something only DNS can
 * turn into addresses)? */
bool sbx_net_policy_has_names(const struct sbx_policy *p);

/* The ranges blockPrivate makes unreachable. */
struct sbx_net_range {
  int family;
  uint8_t addr[16];
  unsigned prefix;
  const char *text;        /* "10.0.0.0/8" */
  const char *what;        /* "RFC 1918" */
};
const struct sbx_net_range *sbx_net_private_ranges(size_t *count);
/* Is addr within the CIDR? */
bool sbx_net_in_cidr(int family, const uint8_t addr[16], int cfamily, const uint8_t caddr[16],
                     unsigned prefix);

enum sbx_net_reason {
  SBX_NET_BY_MODE,          /* mode none / unrestricted decided */
  SBX_NET_BY_BLOCKED_PORT,  /* network.blockedPorts[index] */
  SBX_NET_BY_DENY,          /* network.deny[index] */
  SBX_NET_BY_ALLOW,         /* network.allow[index] */
  SBX_NET_BY_PRIVATE,       /* blockPrivate: private ranges[index] */
  SBX_NET_BY_DEFAULT,       /* no entry: refused */
};

struct sbx_net_verdict {
  bool allowed;
  enum sbx_net_reason reason;
  size_t index;
};

/* May NAME be reached on PORT (0: on some port, i.e. may it be resolved
 * at all)?  An invalid name is refused (BY_DEFAULT). */
void sbx_net_decide_name(const struct sbx_policy *p, const char *name, uint16_t port,
                         struct sbx_net_verdict *v);
/* May this address be reached on PORT (0: any port) without a name?
 * Under allowlist, an address no static entry allows is refused
 * BY_DEFAULT (or BY_PRIVATE): only the resolver can allow it later. */
void sbx_net_decide_addr(const struct sbx_policy *p, int family, const uint8_t addr[16],
                         uint16_t port, struct sbx_net_verdict *v);

/* "network.allow[2] `pypi.org:443`", "network.blockedPorts[0] (22)",
 * "blockPrivate (10.0.0.0/8, RFC 1918)", "no allow entry", "network.mode
 * none": what decided, for explain and the audit.  malloc'd. */
char *sbx_net_verdict_text(const struct sbx_policy *p, const struct sbx_net_verdict *v);

/* The ports and addresses a name's answers may be reached on, for the
 * resolver: *any_port when an allow entry without port names it, else the
 * ports of the allow entries naming it (up to max; *n of them), minus
 * deny entries with a port (deny_ports/deny_n: installed as refusals). */
struct sbx_net_name_plan {
  bool allowed;            /* false: answer NXDOMAIN, never forward */
  struct sbx_net_verdict why;
  bool any_port;
  uint16_t ports[32];
  size_t n_ports;
  uint16_t deny_ports[32];
  size_t n_deny_ports;
};
void sbx_net_plan_name(const struct sbx_policy *p, const char *name, struct sbx_net_name_plan *plan);

#endif
