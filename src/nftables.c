/* nftables.c: the network policy's nftables table in the current network
 * namespace, through libnftables loaded on first use (see nftables.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nftables.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_policy.h"
#include "sha256.h"
#include "utils.h"

#ifndef SBX_NFTABLES_SONAME
#define SBX_NFTABLES_SONAME "libnftables.so.1"
#endif

/* The few entry points we use, resolved from the dlopen'd library. */
struct nft_api {
  __typeof__(nft_ctx_new) *ctx_new;
  __typeof__(nft_ctx_free) *ctx_free;
  __typeof__(nft_ctx_buffer_output) *buffer_output;
  __typeof__(nft_ctx_buffer_error) *buffer_error;
  __typeof__(nft_ctx_get_output_buffer) *get_output;
  __typeof__(nft_ctx_get_error_buffer) *get_error;
  __typeof__(nft_run_cmd_from_buffer) *run;
};

struct sbx_nft {
  struct nft_api api;
  struct nft_ctx *ctx;
};

static int load_api(struct nft_api *api, struct sbx_error *err)
{
  /* RTLD_NODELETE: loaded once per process, kept for later contexts. */
  void *lib = dlopen(SBX_NFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  struct { void **slot; const char *name; } syms[] = {
    { (void **)&api->ctx_new, "nft_ctx_new" },
    { (void **)&api->ctx_free, "nft_ctx_free" },
    { (void **)&api->buffer_output, "nft_ctx_buffer_output" },
    { (void **)&api->buffer_error, "nft_ctx_buffer_error" },
    { (void **)&api->get_output, "nft_ctx_get_output_buffer" },
    { (void **)&api->get_error, "nft_ctx_get_error_buffer" },
    { (void **)&api->run, "nft_run_cmd_from_buffer" },
  };

  if (lib == NULL)
    return sbx_fail(err, ENOENT, "network policy: load %s (apt-get install libnftables1): %s",
                    SBX_NFTABLES_SONAME, dlerror());
  for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
    if ((*syms[i].slot = dlsym(lib, syms[i].name)) == NULL)
      return sbx_fail(err, ENOENT, "network policy: %s lacks %s", SBX_NFTABLES_SONAME,
                      syms[i].name);
  return 0;
}

int sbx_nft_open(struct sbx_nft **out, struct sbx_error *err)
{
  struct sbx_nft *n = calloc(1, sizeof *n);

  *out = NULL;
  if (n == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (load_api(&n->api, err) < 0) {
    free(n);
    return -1;
  }
  n->ctx = n->api.ctx_new(NFT_CTX_DEFAULT);
  if (n->ctx == NULL || n->api.buffer_output(n->ctx) < 0 || n->api.buffer_error(n->ctx) < 0) {
    sbx_nft_close(n);
    return sbx_fail(err, ENOMEM, "nftables context");
  }
  *out = n;
  return 0;
}

void sbx_nft_close(struct sbx_nft *nft)
{
  if (nft == NULL)
    return;
  if (nft->ctx)
    nft->api.ctx_free(nft->ctx);
  free(nft);
}

/* nft's error text: its first line is enough to name the problem. */
static int nft_failed(struct sbx_nft *nft, const char *what, struct sbx_error *err)
{
  const char *e = nft->api.get_error(nft->ctx);
  size_t len = e ? strcspn(e, "\n") : 0;

  return sbx_fail(err, 0, "nftables: %s: %.*s", what, (int)len, len ? e : "failed");
}

int sbx_nft_run(struct sbx_nft *nft, const char *commands, struct sbx_error *err)
{
  if (nft->api.run(nft->ctx, commands) != 0)
    return nft_failed(nft, "install rules", err);
  return 0;
}

int sbx_nft_exists(struct sbx_nft *nft, const char *table, bool *exists, struct sbx_error *err)
{
  cleanup_free char *cmd = sbx_strdup_printf("list tables inet");
  const char *out;
  size_t len = strlen(table);

  *exists = false;
  if (cmd == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (nft->api.run(nft->ctx, cmd) != 0)
    return nft_failed(nft, "list tables", err);
  out = nft->api.get_output(nft->ctx);
  /* lines read "table inet NAME" */
  for (const char *p = out ? strstr(out, table) : NULL; p; p = strstr(p + 1, table))
    if (p >= out + 11 && strncmp(p - 11, "table inet ", 11) == 0 && (p[len] == '\n' || !p[len]))
      *exists = true;
  return 0;
}

int sbx_nft_remove(struct sbx_nft *nft, const char *table, struct sbx_error *err)
{
  /* add is a no-op on an existing table: delete then never fails on a
   * missing one (nft 1.0.6 has no `destroy`). */
  cleanup_free char *cmd = sbx_strdup_printf("add table inet %s\ndelete table inet %s\n", table,
                                             table);

  if (cmd == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (nft->api.run(nft->ctx, cmd) != 0)
    return nft_failed(nft, "remove table", err);
  return 0;
}

char *sbx_nft_table_name(const char *id)
{
  char hex[65];

  sbx_sha256_hex(id, strlen(id), hex);
  return sbx_strdup_printf("agentsbx_%.16s", hex);
}

/* ---- the resolver's elements ---- */

int sbx_nft_learn(struct sbx_nft *nft, const char *table, const struct sbx_nft_learned *l,
                  size_t n, unsigned timeout_s, struct sbx_error *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  FILE *f;

  if (n == 0)
    return 0;
  if (timeout_s < 1 || timeout_s > 86400)
    return sbx_invalid(err, "nftables: timeout %u s out of range (1 to 86400)", timeout_s);
  f = open_memstream(&text, &len);
  if (f == NULL)
    return sbx_fail(err, errno, "nftables elements");
  for (size_t i = 0; i < n; i++) {
    char addr[INET6_ADDRSTRLEN];
    bool v6 = l[i].family == AF_INET6;
    if ((l[i].family != AF_INET && !v6) || (l[i].deny && l[i].port == 0)) {
      fclose(f);
      return sbx_invalid(err, "nftables: element %zu: bad family or a deny without port", i);
    }
    inet_ntop(l[i].family, l[i].addr, addr, sizeof addr);
    /* re-adding an element with a timeout refreshes it (kernel 6.x) */
    if (l[i].port)
      fprintf(f, "add element inet %s %s%dp { %s . %u timeout %us }\n", table,
              l[i].deny ? "dnsdeny" : "dns", v6 ? 6 : 4, addr, l[i].port, timeout_s);
    else
      fprintf(f, "add element inet %s dns%d { %s timeout %us }\n", table, v6 ? 6 : 4, addr,
              timeout_s);
  }
  if (fclose(f) != 0)
    return sbx_fail(err, ENOMEM, "nftables elements");
  if (nft->api.run(nft->ctx, text) != 0)
    return nft_failed(nft, "add resolved addresses", err);
  return 0;
}

/* ---- the ruleset text ---- */

/* A refusal: counted, logged at a bounded rate for the audit, and answered
 * at once so nothing waits for a timeout. */
static void refuse_chain(FILE *f, const char *reason)
{
  fprintf(f,
          "  chain refuse_%s {\n"
          "    counter\n"
          "    limit rate 20/second burst 40 packets log prefix \"agentsbx %s \" group %d\n"
          "    meta l4proto tcp reject with tcp reset\n"
          "    reject with icmpx admin-prohibited\n"
          "  }\n",
          reason, reason, SBX_NFT_LOG_GROUP);
}

static void none_rules(FILE *f)
{
  refuse_chain(f, "none");
  fprintf(f,
          "  chain output {\n"
          "    type filter hook output priority 0; policy drop;\n"
          "    oif \"lo\" accept\n"
          "    goto refuse_none\n"
          "  }\n");
}

/* ---- allowlist ---- */

/* The CIDR entries of one list (allow or deny), parsed. */
struct cidrs {
  struct sbx_net_entry *e;
  size_t n;
};

static bool collect_cidrs(char *const *list, size_t n, struct cidrs *out)
{
  out->n = 0;
  out->e = calloc(n + 1, sizeof *out->e);
  if (out->e == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    const char *why;
    if (sbx_net_entry_parse(list[i], &out->e[out->n], &why) &&
        out->e[out->n].kind == SBX_NET_ENTRY_CIDR)
      out->n++;
  }
  return true;
}

/* An entry another one of the same port already holds (nested CIDRs, or
 * the same twice) would make the interval set refuse the transaction. */
static bool redundant(const struct cidrs *c, size_t i)
{
  const struct sbx_net_entry *a = &c->e[i];

  for (size_t j = 0; j < c->n; j++) {
    const struct sbx_net_entry *b = &c->e[j];
    if (j == i || b->port != a->port || b->family != a->family || b->prefix > a->prefix ||
        !sbx_net_in_cidr(a->family, a->addr, b->family, b->addr, b->prefix))
      continue;
    if (b->prefix < a->prefix || j < i)
      return true;
  }
  return false;
}

/* "set NAME { type ...; flags interval; elements = { ... } }" of the
 * entries of one family, with or without ports. */
static void cidr_set(FILE *f, const char *name, const struct cidrs *c, int family, bool ports)
{
  const char *type = family == AF_INET ? "ipv4_addr" : "ipv6_addr";
  bool first = true;

  fprintf(f, "  set %s {\n    type %s%s; flags interval;\n", name, type,
          ports ? " . inet_service" : "");
  for (size_t i = 0; i < c->n; i++) {
    const struct sbx_net_entry *e = &c->e[i];
    char addr[INET6_ADDRSTRLEN];
    if (e->family != family || (e->port != 0) != ports || redundant(c, i))
      continue;
    inet_ntop(family, e->addr, addr, sizeof addr);
    fprintf(f, "%s%s/%u", first ? "    elements = { " : ", ", addr, e->prefix);
    if (ports)
      fprintf(f, " . %u", e->port);
    first = false;
  }
  fprintf(f, "%s  }\n", first ? "" : " }\n");
}

static void private_sets(FILE *f)
{
  size_t n;
  const struct sbx_net_range *r = sbx_net_private_ranges(&n);

  for (int v6 = 0; v6 < 2; v6++) {
    bool first = true;
    fprintf(f, "  set private%d {\n    type %s; flags interval;\n", v6 ? 6 : 4,
            v6 ? "ipv6_addr" : "ipv4_addr");
    for (size_t i = 0; i < n; i++)
      if ((r[i].family == AF_INET6) == v6) {
        fprintf(f, "%s%s", first ? "    elements = { " : ", ", r[i].text);
        first = false;
      }
    fprintf(f, " }\n  }\n");
  }
}

/* The resolver's sets: addresses with a timeout each. */
static void learned_sets(FILE *f)
{
  static const char *const sets[][2] = {
    { "dns4", "ipv4_addr" }, { "dns6", "ipv6_addr" },
    { "dns4p", "ipv4_addr . inet_service" }, { "dns6p", "ipv6_addr . inet_service" },
    { "dnsdeny4p", "ipv4_addr . inet_service" }, { "dnsdeny6p", "ipv6_addr . inet_service" },
  };

  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    fprintf(f, "  set %s {\n    type %s; flags timeout;\n  }\n", sets[i][0], sets[i][1]);
}

/* One rule per family: "ip daddr @S4 VERDICT" and "ip6 daddr @S6 VERDICT";
 * with ports, only TCP and UDP (ICMP has none). */
static void both_families(FILE *f, const char *set, bool ports, const char *verdict)
{
  for (int v6 = 0; v6 < 2; v6++)
    fprintf(f, "    %s%s daddr%s @%s%d%s %s\n", ports ? "meta l4proto { tcp, udp } " : "",
            v6 ? "ip6" : "ip", ports ? " . th dport" : "", set, v6 ? 6 : 4, ports ? "p" : "",
            verdict);
}

static int allowlist_rules(FILE *f, const struct sbx_nft_plan *plan)
{
  const struct sbx_policy *p = plan->policy;
  struct cidrs allow = { 0 }, deny = { 0 };
  static const char *const reasons[] = { "dns", "blockedport", "deny", "maxconn", "private",
                                         "default" };

  if (!collect_cidrs(p->network_allow, p->network_allow_len, &allow) ||
      !collect_cidrs(p->network_deny, p->network_deny_len, &deny)) {
    free(allow.e);
    return -1;
  }
  cidr_set(f, "allow4", &allow, AF_INET, false);
  cidr_set(f, "allow6", &allow, AF_INET6, false);
  cidr_set(f, "allow4p", &allow, AF_INET, true);
  cidr_set(f, "allow6p", &allow, AF_INET6, true);
  cidr_set(f, "deny4", &deny, AF_INET, false);
  cidr_set(f, "deny6", &deny, AF_INET6, false);
  cidr_set(f, "deny4p", &deny, AF_INET, true);
  cidr_set(f, "deny6p", &deny, AF_INET6, true);
  free(allow.e);
  free(deny.e);
  if (p->network_block_private)
    private_sets(f);
  learned_sets(f);
  for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
    refuse_chain(f, reasons[i]);

  /* DNS goes to the resolver, before Docker's own DNAT (dstnat, -100) */
  if (plan->dns_port)
    fprintf(f,
            "  chain dns_redirect {\n"
            "    type nat hook output priority -110; policy accept;\n"
            "    meta mark 0x%08x return\n"
            "    meta l4proto { tcp, udp } th dport 53 redirect to :%u\n"
            "  }\n",
            SBX_NFT_RESOLVER_MARK, plan->dns_port);

  fprintf(f,
          "  chain output {\n"
          "    type filter hook output priority 0; policy drop;\n"
          "    meta mark 0x%08x accept\n"
          "    oif \"lo\" accept\n"
          "    ct state established,related accept\n"
          "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n",
          SBX_NFT_RESOLVER_MARK);
  /* a redirected query keeps its first route's oif here (the hook's
   * device is not updated by the reroute): let it through by its new
   * destination, the resolver on loopback */
  if (plan->dns_port)
    fprintf(f,
            "    meta l4proto { tcp, udp } ip daddr 127.0.0.1 th dport %u accept\n"
            "    meta l4proto { tcp, udp } ip6 daddr ::1 th dport %u accept\n",
            plan->dns_port, plan->dns_port);
  fprintf(f, "    meta l4proto { tcp, udp } th dport { 53, 853 } goto refuse_dns\n");
  if (p->network_blocked_ports_len) {
    fprintf(f, "    meta l4proto { tcp, udp } th dport { ");
    for (size_t i = 0; i < p->network_blocked_ports_len; i++)
      fprintf(f, "%s%d", i ? ", " : "", p->network_blocked_ports[i]);
    fprintf(f, " } goto refuse_blockedport\n");
  }
  both_families(f, "deny", false, "goto refuse_deny");
  both_families(f, "deny", true, "goto refuse_deny");
  both_families(f, "dnsdeny", true, "goto refuse_deny");
  if (p->network_max_connections > 0)
    fprintf(f, "    ct state new ct count over %lld goto refuse_maxconn\n",
            (long long)p->network_max_connections);
  both_families(f, "allow", false, "accept");
  both_families(f, "allow", true, "accept");
  if (p->network_block_private) {
    fprintf(f, "    ip daddr @private4 goto refuse_private\n");
    fprintf(f, "    ip6 daddr @private6 goto refuse_private\n");
  }
  both_families(f, "dns", false, "accept");
  both_families(f, "dns", true, "accept");
  fprintf(f, "    goto refuse_default\n  }\n");
  return 0;
}

char *sbx_nft_ruleset(const struct sbx_nft_plan *plan, struct sbx_error *err)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (f == NULL) {
    sbx_fail(err, errno, "nftables ruleset");
    return NULL;
  }
  fprintf(f, "add table inet %s\ndelete table inet %s\ntable inet %s {\n", plan->table,
          plan->table, plan->table);
  switch (plan->mode) {
  case SBX_NET_NONE:
    none_rules(f);
    break;
  case SBX_NET_ALLOWLIST:
    if (plan->policy == NULL || allowlist_rules(f, plan) < 0) {
      fclose(f);
      free(text);
      sbx_fail(err, ENOMEM, "nftables ruleset");
      return NULL;
    }
    break;
  default:
    fclose(f);
    free(text);
    sbx_invalid(err, "nftables: no ruleset for network mode %s", sbx_net_mode_name(plan->mode));
    return NULL;
  }
  fprintf(f, "}\n");
  if (fclose(f) != 0) {
    free(text);
    sbx_fail(err, ENOMEM, "nftables ruleset");
    return NULL;
  }
  return text;
}
