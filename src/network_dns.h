/* network_dns.h: the policy's and the kernel's side of agentsbx's DNS
 * resolver (network.mode allowlist).  The resolver loop (dns_resolver.c)
 * knows neither: it asks through callbacks, which these functions
 * implement over the effective policy (net_policy.c) and the container's
 * nftables table (nftables.c).
 *
 * How the runtime runs the resolver (network_resolver.c; per container,
 * outside its mount and pid namespaces, inside its network namespace):
 *   1. after the createRuntime hooks, before the rules: a child of create
 *      (like the limits watcher) setns()es into /proc/PID/ns/net, binds UDP
 *      and TCP on 127.0.0.1:SBX_NETWORK_DNS_PORT and [::1]:SBX_NETWORK_DNS_PORT,
 *      calls sbx_network_dns_open (which opens nftables there), reports
 *      ready, and runs the loop until the container's init exits (its pidfd)
 *      or delete stops it (its pid noted in the state directory);
 *   2. create then installs the table with dns_port = SBX_NETWORK_DNS_PORT:
 *      every tcp/udp port 53 of the container goes to the resolver; the
 *      resolver's upstream sockets carry SO_MARK SBX_NFT_RESOLVER_MARK
 *      (its upstream_mark), which the table lets out unredirected;
 *   3. upstreams: sbx_network_dns_upstreams (dns.upstream, else the
 *      nameservers of the resolv.conf the config gives the container).
 */
#ifndef SBX_NETWORK_DNS_H
#define SBX_NETWORK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"
#include "nftables.h"
#include "oci_spec.h"
#include "policy.h"

#define SBX_NETWORK_DNS_PORT 15353   /* the resolver's port on the container's lo */

struct sbx_network_dns {
  const struct sbx_policy *policy;   /* the effective policy (allowlist), not owned */
  struct sbx_nft *nft;               /* opened in the container's network namespace */
  char *table;                       /* the container's table */
  char rule[512];                    /* the last decision's text, for the audit */
};

/* In the container's network namespace: open nftables for the container
 * id's table.  policy must outlive d. */
int sbx_network_dns_open(struct sbx_network_dns *d, const char *id, const struct sbx_policy *policy,
                         struct sbx_error *err);
void sbx_network_dns_close(struct sbx_network_dns *d);

/* name_allowed: may NAME (lowercase, no trailing dot) be resolved at all?
 * *rule: "network.allow[0] `api.github.com`", "network.deny[1] ...", "no
 * network.allow entry" (lives until the next call). */
bool sbx_network_dns_name_allowed(void *d, const char *name, const char **rule);
/* address_blocked: an answer's address the policy never allows (a deny
 * entry without port, or blockPrivate's ranges unless an allow entry names
 * it): it is dropped from the answer. */
bool sbx_network_dns_address_blocked(void *d, int family, const uint8_t *addr);

/* allow_addresses: install an allowed answer's addresses for ttl seconds,
 * on the ports the policy gives NAME (every port when an entry names it
 * without one; else the entries' ports), with its deny NAME:PORT entries
 * as refusals.  0 once they are in the kernel. */
struct sbx_network_addr {
  int family;                        /* AF_INET or AF_INET6 */
  uint8_t bytes[16];                 /* network order */
};
int sbx_network_dns_allow(struct sbx_network_dns *d, const char *name,
                          const struct sbx_network_addr *addrs, size_t n, uint32_t ttl,
                          struct sbx_error *err);

/* Where allowed names are resolved: network.dns.upstream, else every
 * `nameserver` of the resolv.conf the config gives the container (the
 * source of a bind mount at /etc/resolv.conf, as engines do, else
 * ROOTFS/etc/resolv.conf), port 53.  *out is malloc'd; none found is an
 * error naming where it looked. */
int sbx_network_dns_upstreams(const struct sbx_policy *p, const struct oci_config *c,
                              const char *rootfs, struct sockaddr_storage **out, size_t *n,
                              struct sbx_error *err);

#endif
