/* net_policy.c: network.allow / deny entries, blockPrivate's ranges and the
 * matcher (see net_policy.h).  Pure: no kernel, no I/O. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "net_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "utils.h"

/* ---- syntax ---- */

static bool parse_port(const char *s, uint16_t *port)
{
  long v = 0;

  if (*s == '\0' || strlen(s) > 5)
    return false;
  for (const char *p = s; *p; p++) {
    if (!isdigit((unsigned char)*p))
      return false;
    v = v * 10 + (*p - '0');
  }
  if (v < 1 || v > 65535 || (s[0] == '0'))
    return false;
  *port = (uint16_t)v;
  return true;
}

/* A host name: labels of letters, digits, '-' and '_' (1..63), not
 * starting or ending with '-', at most 253 characters; the last label not
 * all digits (that would be a mistyped address). */
static bool valid_name(const char *s)
{
  size_t len = strlen(s), label = 0;
  bool digits_only = true;

  if (len == 0 || len > 253)
    return false;
  for (size_t i = 0; i <= len; i++) {
    char c = s[i];
    if (c == '.' || c == '\0') {
      if (label == 0 || label > 63 || s[i - 1] == '-')
        return false;
      if (c == '\0' && digits_only)
        return false;
      label = 0;
      digits_only = true;
      continue;
    }
    if (!isalnum((unsigned char)c) && c != '-' && c != '_')
      return false;
    if (c == '-' && label == 0)
      return false;
    if (!isdigit((unsigned char)c))
      digits_only = false;
    label++;
  }
  return true;
}

bool sbx_net_name_normalize(const char *name, char out[254])
{
  size_t len = strlen(name);

  if (len && name[len - 1] == '.')
    len--;
  if (len == 0 || len > 253)
    return false;
  for (size_t i = 0; i < len; i++)
    out[i] = (char)tolower((unsigned char)name[i]);
  out[len] = '\0';
  return valid_name(out);
}

/* "ADDR" or "ADDR/PREFIX" of one family into e. */
static bool parse_cidr(const char *s, struct sbx_net_entry *e, const char **why)
{
  char buf[64];
  const char *slash = strchr(s, '/');
  size_t alen = slash ? (size_t)(slash - s) : strlen(s);
  unsigned max;

  if (alen == 0 || alen >= sizeof buf) {
    *why = "not an address";
    return false;
  }
  memcpy(buf, s, alen);
  buf[alen] = '\0';
  memset(e->addr, 0, sizeof e->addr);
  if (inet_pton(AF_INET, buf, e->addr) == 1)
    e->family = AF_INET, max = 32;
  else if (inet_pton(AF_INET6, buf, e->addr) == 1)
    e->family = AF_INET6, max = 128;
  else {
    *why = "not an IPv4 or IPv6 address";
    return false;
  }
  e->prefix = max;
  if (slash) {
    char *end;
    unsigned long n;
    if (!isdigit((unsigned char)slash[1]) || (n = strtoul(slash + 1, &end, 10), *end) || n > max) {
      *why = max == 32 ? "bad prefix length (0 to 32)" : "bad prefix length (0 to 128)";
      return false;
    }
    e->prefix = (unsigned)n;
  }
  for (unsigned bit = e->prefix; bit < max; bit++)
    if (e->addr[bit / 8] & (0x80 >> (bit % 8))) {
      *why = "address bits set beyond the prefix length (write the network address)";
      return false;
    }
  e->kind = SBX_NET_ENTRY_CIDR;
  return true;
}

bool sbx_net_entry_parse(const char *s, struct sbx_net_entry *e, const char **why)
{
  char host[300];
  const char *colon;
  size_t hlen;

  memset(e, 0, sizeof *e);
  if (s == NULL || *s == '\0') {
    *why = "empty entry";
    return false;
  }
  if (strlen(s) >= sizeof host) {
    *why = "too long";
    return false;
  }
  if (s[0] == '[') {
    /* [v6] or [v6]:PORT or [v6/len]:PORT */
    const char *close = strchr(s, ']');
    if (close == NULL) {
      *why = "missing `]`";
      return false;
    }
    hlen = (size_t)(close - s - 1);
    memcpy(host, s + 1, hlen);
    host[hlen] = '\0';
    if (close[1] == ':') {
      if (!parse_port(close + 2, &e->port)) {
        *why = "bad port (1 to 65535)";
        return false;
      }
    } else if (close[1] != '\0') {
      *why = "expected `:PORT` after `]`";
      return false;
    }
    if (!parse_cidr(host, e, why))
      return false;
    if (e->family != AF_INET6) {
      *why = "brackets are for IPv6 addresses";
      return false;
    }
    return true;
  }
  colon = strchr(s, ':');
  if (colon && strchr(colon + 1, ':'))
    /* more than one ':' without brackets: an IPv6 address or CIDR, no port */
    return parse_cidr(s, e, why);
  hlen = colon ? (size_t)(colon - s) : strlen(s);
  memcpy(host, s, hlen);
  host[hlen] = '\0';
  if (colon && !parse_port(colon + 1, &e->port)) {
    *why = "bad port (1 to 65535)";
    return false;
  }
  if (isdigit((unsigned char)host[0]) && (strchr(host, '/') || inet_pton(AF_INET, host, e->addr) == 1 ||
                                          strspn(host, "0123456789./") == strlen(host)))
    return parse_cidr(host, e, why);
  if (strchr(host, '/')) {
    *why = "a CIDR needs an address";
    return false;
  }
  if (host[0] == '*') {
    if (host[1] != '.' || host[2] == '\0') {
      *why = "a wildcard is `*.domain` (every subdomain of domain)";
      return false;
    }
    if (!sbx_net_name_normalize(host + 2, e->name) || strchr(host + 2, '*')) {
      *why = "bad domain after `*.`";
      return false;
    }
    e->kind = SBX_NET_ENTRY_DOMAIN;
    return true;
  }
  if (!sbx_net_name_normalize(host, e->name)) {
    *why = strchr(host, '*') ? "a wildcard is `*.domain` at the start only" : "not a host name, address or CIDR";
    return false;
  }
  e->kind = SBX_NET_ENTRY_HOST;
  return true;
}

bool sbx_net_upstream_parse(const char *s, int *family, uint8_t addr[16], uint16_t *port,
                            const char **why)
{
  struct sbx_net_entry e;

  if (!sbx_net_entry_parse(s, &e, why))
    return false;
  if (e.kind != SBX_NET_ENTRY_CIDR || e.prefix != (e.family == AF_INET ? 32u : 128u) ||
      strchr(s, '/')) {
    *why = "a DNS server is an IPv4 or IPv6 address, with an optional :PORT";
    return false;
  }
  *family = e.family;
  memcpy(addr, e.addr, 16);
  *port = e.port ? e.port : 53;
  return true;
}

/* ---- matching ---- */

bool sbx_net_in_cidr(int family, const uint8_t addr[16], int cfamily, const uint8_t caddr[16],
                     unsigned prefix)
{
  if (family != cfamily)
    return false;
  for (unsigned bit = 0; bit < prefix; bit++) {
    uint8_t m = (uint8_t)(0x80 >> (bit % 8));
    if ((addr[bit / 8] & m) != (caddr[bit / 8] & m))
      return false;
  }
  return true;
}

/* Does a name entry match a normalised name? */
static bool name_matches(const struct sbx_net_entry *e, const char *name)
{
  size_t n = strlen(name), d = strlen(e->name);

  if (e->kind == SBX_NET_ENTRY_HOST)
    return strcmp(e->name, name) == 0;
  if (e->kind == SBX_NET_ENTRY_DOMAIN)
    return n > d + 1 && name[n - d - 1] == '.' && strcmp(name + n - d, e->name) == 0;
  return false;
}

/* An entry's port matches the query's: an entry without port matches any;
 * a query on "any port" (0) only matches an entry without port. */
static bool port_matches(const struct sbx_net_entry *e, uint16_t port)
{
  return e->port == 0 || e->port == port;
}

bool sbx_net_entry_covers(const struct sbx_net_entry *o, const struct sbx_net_entry *i)
{
  if (o->port && o->port != i->port)
    return false;
  switch (o->kind) {
  case SBX_NET_ENTRY_CIDR:
    return i->kind == SBX_NET_ENTRY_CIDR && i->prefix >= o->prefix &&
           sbx_net_in_cidr(i->family, i->addr, o->family, o->addr, o->prefix);
  case SBX_NET_ENTRY_HOST:
    return i->kind == SBX_NET_ENTRY_HOST && strcmp(i->name, o->name) == 0;
  case SBX_NET_ENTRY_DOMAIN:
    if (i->kind == SBX_NET_ENTRY_HOST)
      return name_matches(o, i->name);
    if (i->kind == SBX_NET_ENTRY_DOMAIN) {
      size_t n = strlen(i->name), d = strlen(o->name);
      return strcmp(i->name, o->name) == 0 ||
             (n > d + 1 && i->name[n - d - 1] == '.' && strcmp(i->name + n - d, o->name) == 0);
    }
    return false;
  }
  return false;
}

#define V4(a, b, c, d) { a, b, c, d }
static const struct sbx_net_range private_ranges[] = {
  { AF_INET, V4(0, 0, 0, 0), 8, "0.0.0.0/8", "this network" },
  { AF_INET, V4(10, 0, 0, 0), 8, "10.0.0.0/8", "RFC 1918" },
  { AF_INET, V4(100, 64, 0, 0), 10, "100.64.0.0/10", "CGNAT" },
  { AF_INET, V4(127, 0, 0, 0), 8, "127.0.0.0/8", "loopback" },
  { AF_INET, V4(169, 254, 0, 0), 16, "169.254.0.0/16", "link-local, cloud metadata" },
  { AF_INET, V4(172, 16, 0, 0), 12, "172.16.0.0/12", "RFC 1918" },
  { AF_INET, V4(192, 168, 0, 0), 16, "192.168.0.0/16", "RFC 1918" },
  { AF_INET, V4(224, 0, 0, 0), 4, "224.0.0.0/4", "multicast" },
  { AF_INET, V4(240, 0, 0, 0), 4, "240.0.0.0/4", "reserved, broadcast" },
  { AF_INET6, { 0 }, 96, "::/96", "unspecified, loopback, IPv4-compatible" },
  { AF_INET6, { [10] = 0xff, [11] = 0xff }, 96, "::ffff:0:0/96", "IPv4-mapped" },
  { AF_INET6, { 0x00, 0x64, 0xff, 0x9b }, 96, "64:ff9b::/96", "NAT64" },
  { AF_INET6, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, "64:ff9b:1::/48", "local NAT64" },
  { AF_INET6, { 0x20, 0x02 }, 16, "2002::/16", "6to4" },
  { AF_INET6, { 0xfc }, 7, "fc00::/7", "unique local" },
  { AF_INET6, { 0xfe, 0x80 }, 10, "fe80::/10", "link-local" },
  { AF_INET6, { 0xff }, 8, "ff00::/8", "multicast" },
};

const struct sbx_net_range *sbx_net_private_ranges(size_t *count)
{
  *count = sizeof private_ranges / sizeof *private_ranges;
  return private_ranges;
}

static bool blocked_port(const struct sbx_policy *p, uint16_t port, size_t *index)
{
  for (size_t i = 0; port && i < p->network_blocked_ports_len; i++)
    if (p->network_blocked_ports[i] == port) {
      *index = i;
      return true;
    }
  return false;
}

typedef bool (*entry_match)(const struct sbx_net_entry *e, const void *query);

/* The first entry of list that parses and matches: its index, or -1. */
static long first_match(char *const *list, size_t n, entry_match match, const void *q)
{
  for (size_t i = 0; i < n; i++) {
    struct sbx_net_entry e;
    const char *why;
    if (sbx_net_entry_parse(list[i], &e, &why) && match(&e, q))
      return (long)i;
  }
  return -1;
}

struct name_query {
  const char *name;
  uint16_t port;
};

/* A deny entry refuses the name outright only without a port, or on the
 * very port asked. */
static bool match_name_deny(const struct sbx_net_entry *e, const void *q)
{
  const struct name_query *nq = q;
  return name_matches(e, nq->name) && (e->port == 0 || (nq->port && e->port == nq->port));
}

static bool mode_decides(const struct sbx_policy *p, struct sbx_net_verdict *v)
{
  *v = (struct sbx_net_verdict){ .allowed = p->passthrough || p->network == SBX_NET_UNRESTRICTED,
                                 .reason = SBX_NET_BY_MODE };
  return p->passthrough || p->network != SBX_NET_ALLOWLIST;
}

void sbx_net_decide_name(const struct sbx_policy *p, const char *name, uint16_t port,
                         struct sbx_net_verdict *v)
{
  char norm[254];
  struct name_query q = { norm, port };
  long i;

  if (mode_decides(p, v))
    return;
  *v = (struct sbx_net_verdict){ .allowed = false, .reason = SBX_NET_BY_DEFAULT };
  if (!sbx_net_name_normalize(name, norm))
    return;
  if (blocked_port(p, port, &v->index)) {
    v->reason = SBX_NET_BY_BLOCKED_PORT;
    return;
  }
  if ((i = first_match(p->network_deny, p->network_deny_len, match_name_deny, &q)) >= 0) {
    v->reason = SBX_NET_BY_DENY;
    v->index = (size_t)i;
    return;
  }
  /* "any port": an entry with a port still lets the name resolve */
  for (size_t k = 0; k < p->network_allow_len; k++) {
    struct sbx_net_entry e;
    const char *why;
    if (sbx_net_entry_parse(p->network_allow[k], &e, &why) && name_matches(&e, norm) &&
        (port == 0 || port_matches(&e, port))) {
      *v = (struct sbx_net_verdict){ .allowed = true, .reason = SBX_NET_BY_ALLOW, .index = k };
      return;
    }
  }
}

struct addr_query {
  int family;
  const uint8_t *addr;
  uint16_t port;
};

static bool match_addr(const struct sbx_net_entry *e, const void *q)
{
  const struct addr_query *aq = q;
  return e->kind == SBX_NET_ENTRY_CIDR &&
         sbx_net_in_cidr(aq->family, aq->addr, e->family, e->addr, e->prefix) &&
         port_matches(e, aq->port);
}

static bool match_addr_deny(const struct sbx_net_entry *e, const void *q)
{
  const struct addr_query *aq = q;
  return e->kind == SBX_NET_ENTRY_CIDR &&
         sbx_net_in_cidr(aq->family, aq->addr, e->family, e->addr, e->prefix) &&
         (e->port == 0 || (aq->port && e->port == aq->port));
}

void sbx_net_decide_addr(const struct sbx_policy *p, int family, const uint8_t addr[16],
                         uint16_t port, struct sbx_net_verdict *v)
{
  struct addr_query q = { family, addr, port };
  long i;

  if (mode_decides(p, v))
    return;
  *v = (struct sbx_net_verdict){ .allowed = false, .reason = SBX_NET_BY_DEFAULT };
  if (blocked_port(p, port, &v->index)) {
    v->reason = SBX_NET_BY_BLOCKED_PORT;
    return;
  }
  if ((i = first_match(p->network_deny, p->network_deny_len, match_addr_deny, &q)) >= 0) {
    v->reason = SBX_NET_BY_DENY;
    v->index = (size_t)i;
    return;
  }
  if ((i = first_match(p->network_allow, p->network_allow_len, match_addr, &q)) >= 0) {
    *v = (struct sbx_net_verdict){ .allowed = true, .reason = SBX_NET_BY_ALLOW, .index = (size_t)i };
    return;
  }
  if (p->network_block_private)
    for (size_t k = 0; k < sizeof private_ranges / sizeof *private_ranges; k++)
      if (sbx_net_in_cidr(family, addr, private_ranges[k].family, private_ranges[k].addr,
                          private_ranges[k].prefix)) {
        v->reason = SBX_NET_BY_PRIVATE;
        v->index = k;
        return;
      }
}

char *sbx_net_verdict_text(const struct sbx_policy *p, const struct sbx_net_verdict *v)
{
  switch (v->reason) {
  case SBX_NET_BY_MODE:
    return sbx_strdup_printf("network.mode %s", p->passthrough ? "(policy none)"
                                                               : sbx_net_mode_name(p->network));
  case SBX_NET_BY_BLOCKED_PORT:
    return sbx_strdup_printf("network.blockedPorts[%zu] (%d)", v->index,
                             p->network_blocked_ports[v->index]);
  case SBX_NET_BY_DENY:
    return sbx_strdup_printf("network.deny[%zu] `%s`", v->index, p->network_deny[v->index]);
  case SBX_NET_BY_ALLOW:
    return sbx_strdup_printf("network.allow[%zu] `%s`", v->index, p->network_allow[v->index]);
  case SBX_NET_BY_PRIVATE:
    return sbx_strdup_printf("network.blockPrivate (%s, %s)", private_ranges[v->index].text,
                             private_ranges[v->index].what);
  default:
    return strdup("no network.allow entry");
  }
}

static void add_port(uint16_t *ports, size_t *n, uint16_t port)
{
  for (size_t i = 0; i < *n; i++)
    if (ports[i] == port)
      return;
  if (*n < 32)
    ports[(*n)++] = port;
}

void sbx_net_plan_name(const struct sbx_policy *p, const char *name, struct sbx_net_name_plan *plan)
{
  char norm[254];

  memset(plan, 0, sizeof *plan);
  sbx_net_decide_name(p, name, 0, &plan->why);
  plan->allowed = plan->why.allowed;
  if (!plan->allowed || !sbx_net_name_normalize(name, norm))
    return;
  for (size_t k = 0; k < p->network_allow_len; k++) {
    struct sbx_net_entry e;
    const char *why;
    if (!sbx_net_entry_parse(p->network_allow[k], &e, &why) || !name_matches(&e, norm))
      continue;
    if (e.port == 0)
      plan->any_port = true;
    else
      add_port(plan->ports, &plan->n_ports, e.port);
  }
  for (size_t k = 0; k < p->network_deny_len; k++) {
    struct sbx_net_entry e;
    const char *why;
    if (sbx_net_entry_parse(p->network_deny[k], &e, &why) && name_matches(&e, norm) && e.port)
      add_port(plan->deny_ports, &plan->n_deny_ports, e.port);
  }
}

bool sbx_net_policy_has_names(const struct sbx_policy *p)
{
  for (size_t i = 0; i < p->network_allow_len; i++) {
    struct sbx_net_entry e;
    const char *why;
    if (sbx_net_entry_parse(p->network_allow[i], &e, &why) && e.kind != SBX_NET_ENTRY_CIDR)
      return true;
  }
  return false;
}
