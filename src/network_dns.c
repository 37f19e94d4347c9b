/* network_dns.c: the resolver's callbacks over the policy and the
 * container's nftables table, and its upstream servers (see
 * network_dns.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "network_dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_policy.h"
#include "utils.h"

int sbx_network_dns_open(struct sbx_network_dns *d, const char *id, const struct sbx_policy *policy,
                         struct sbx_error *err)
{
  memset(d, 0, sizeof *d);
  d->policy = policy;
  d->table = sbx_nft_table_name(id);
  if (d->table == NULL)
    return sbx_fail(err, ENOMEM, "resolver");
  if (sbx_nft_open(&d->nft, err) < 0) {
    free(d->table);
    d->table = NULL;
    return -1;
  }
  return 0;
}

void sbx_network_dns_close(struct sbx_network_dns *d)
{
  sbx_nft_close(d->nft);
  free(d->table);
  memset(d, 0, sizeof *d);
}

static void keep_rule(struct sbx_network_dns *d, const struct sbx_net_verdict *v)
{
  cleanup_free char *text = sbx_net_verdict_text(d->policy, v);

  snprintf(d->rule, sizeof d->rule, "%s", text ? text : "?");
}

bool sbx_network_dns_name_allowed(void *ctx, const char *name, const char **rule)
{
  struct sbx_network_dns *d = ctx;
  struct sbx_net_verdict v;

  sbx_net_decide_name(d->policy, name, 0, &v);
  keep_rule(d, &v);
  if (rule)
    *rule = d->rule;
  return v.allowed;
}

bool sbx_network_dns_address_blocked(void *ctx, int family, const uint8_t *addr)
{
  struct sbx_network_dns *d = ctx;
  struct sbx_net_verdict v;
  uint8_t a[16] = { 0 };

  memcpy(a, addr, family == AF_INET ? 4 : 16);
  /* port 0: only what refuses the address on every port */
  sbx_net_decide_addr(d->policy, family, a, 0, &v);
  return !v.allowed && (v.reason == SBX_NET_BY_PRIVATE || v.reason == SBX_NET_BY_DENY);
}

int sbx_network_dns_allow(struct sbx_network_dns *d, const char *name,
                          const struct sbx_network_addr *addrs, size_t n, uint32_t ttl,
                          struct sbx_error *err)
{
  struct sbx_net_name_plan plan;
  size_t per, count = 0;
  cleanup_free struct sbx_nft_learned *l = NULL;

  sbx_net_plan_name(d->policy, name, &plan);
  if (!plan.allowed)
    return sbx_invalid(err, "resolver: `%s` is not allowed", name);
  per = (plan.any_port ? 1 : plan.n_ports) + plan.n_deny_ports;
  if (n == 0 || per == 0)
    return 0;
  l = calloc(n * per, sizeof *l);
  if (l == NULL)
    return sbx_fail(err, ENOMEM, "resolver");
  for (size_t i = 0; i < n; i++) {
    struct sbx_nft_learned base = { .family = addrs[i].family };
    memcpy(base.addr, addrs[i].bytes, sizeof base.addr);
    if (plan.any_port)
      l[count++] = base;
    for (size_t k = 0; !plan.any_port && k < plan.n_ports; k++)
      l[count] = base, l[count++].port = plan.ports[k];
    for (size_t k = 0; k < plan.n_deny_ports; k++)
      l[count] = base, l[count].port = plan.deny_ports[k], l[count++].deny = true;
  }
  return sbx_nft_learn(d->nft, d->table, l, count, ttl ? ttl : 1, err);
}

/* ---- upstreams ---- */

static int add_upstream(struct sockaddr_storage **out, size_t *n, int family, const uint8_t *addr,
                        uint16_t port)
{
  struct sockaddr_storage *grown = realloc(*out, (*n + 1) * sizeof *grown);

  if (grown == NULL)
    return -1;
  *out = grown;
  memset(&grown[*n], 0, sizeof grown[*n]);
  if (family == AF_INET) {
    struct sockaddr_in *s = (struct sockaddr_in *)&grown[*n];
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    memcpy(&s->sin_addr, addr, 4);
  } else {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&grown[*n];
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    memcpy(&s->sin6_addr, addr, 16);
  }
  (*n)++;
  return 0;
}

/* The resolv.conf the container sees: a bind mount's source, else the rootfs's. */
static char *resolv_conf_of(const struct oci_config *c, const char *rootfs)
{
  for (size_t i = c ? c->mounts_len : 0; i-- > 0;)
    if (c->mounts[i].destination && strcmp(c->mounts[i].destination, "/etc/resolv.conf") == 0 &&
        c->mounts[i].source)
      return strdup(c->mounts[i].source);
  return sbx_strdup_printf("%s/etc/resolv.conf", rootfs);
}

int sbx_network_dns_upstreams(const struct sbx_policy *p, const struct oci_config *c,
                              const char *rootfs, struct sockaddr_storage **out, size_t *n,
                              struct sbx_error *err)
{
  cleanup_free char *path = NULL, *text = NULL;
  size_t len;

  *out = NULL;
  *n = 0;
  for (size_t i = 0; i < p->network_dns_upstream_len; i++) {
    uint8_t addr[16];
    uint16_t port;
    const char *why;
    int family;
    if (!sbx_net_upstream_parse(p->network_dns_upstream[i], &family, addr, &port, &why))
      return sbx_invalid(err, "network.dns.upstream[%zu]: %s", i, why);
    if (add_upstream(out, n, family, addr, port) < 0)
      return sbx_fail(err, ENOMEM, "resolver upstreams");
  }
  if (*n)
    return 0;
  path = resolv_conf_of(c, rootfs);
  if (path == NULL)
    return sbx_fail(err, ENOMEM, "resolver upstreams");
  if (sbx_read_file(path, &text, &len, err) < 0)
    return sbx_wrap(err, "network.dns.upstream is empty and the container's resolv.conf");
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char word[16], server[64];
    uint8_t addr[16];
    if (sscanf(line, " %15s %63s", word, server) != 2 || strcmp(word, "nameserver") != 0)
      continue;
    server[strcspn(server, "%")] = '\0';   /* a scope id: not for us */
    if (inet_pton(AF_INET, server, addr) == 1) {
      if (add_upstream(out, n, AF_INET, addr, 53) < 0)
        return sbx_fail(err, ENOMEM, "resolver upstreams");
    } else if (inet_pton(AF_INET6, server, addr) == 1) {
      if (add_upstream(out, n, AF_INET6, addr, 53) < 0)
        return sbx_fail(err, ENOMEM, "resolver upstreams");
    }
  }
  if (*n == 0)
    return sbx_invalid(err, "network.dns.upstream is empty and `%s` names no nameserver", path);
  return 0;
}
