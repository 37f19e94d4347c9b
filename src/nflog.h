/* nflog.h: the packets the network rules refuse, as the kernel logs them
 * (nftables `log group N`, see nftables.h), read from an NFLOG netlink
 * socket opened in the container's network namespace, by hand (a few
 * netlink messages: no library for every invocation to load).  Only the
 * rule's prefix and the packet's headers are copied (128 bytes). */
#ifndef SBX_NFLOG_H
#define SBX_NFLOG_H

#include <stdint.h>

#include "error.h"

struct sbx_nflog_packet {
  char prefix[64];           /* the log rule's prefix, "agentsbx deny " */
  int family;                /* AF_INET or AF_INET6 */
  uint8_t daddr[16];
  uint8_t protocol;          /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6), ... */
  uint16_t dport;            /* TCP and UDP; 0 otherwise */
};

/* A non-blocking socket bound to group (in the current network namespace),
 * each packet delivered at once; -1 with err. */
int sbx_nflog_open(uint16_t group, struct sbx_error *err);
/* Read what is ready, calling fn for each packet; 0 (also when nothing was
 * ready), -1 with err on a socket error. */
int sbx_nflog_read(int fd, void (*fn)(void *ctx, const struct sbx_nflog_packet *p), void *ctx,
                   struct sbx_error *err);

#endif
