/* test-net-policy: the network allowlist of the policy (net_policy.c and
 * its parts in policy_parse.c / policy_resolve.c): entry syntax, errors
 * naming JSON paths, the matcher as a table of entries x queries (and
 * which entry decided), tighten and extends, and the nft ruleset text. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net_policy.h"
#include "network_dns.h"
#include "nftables.h"
#include "oci_spec.h"
#include <netinet/in.h>
#include "policy.h"
#include "unit.h"
#include "utils.h"

#define JSON(...) #__VA_ARGS__

static struct sbx_policy *parse(const char *json, char **error)
{
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };

  *error = NULL;
  if (sbx_policy_parse(json, strlen(json), "f.json", &p, NULL, &err) < 0)
    *error = strdup(err.msg ? err.msg : "?");
  sbx_error_clear(&err);
  return p;
}

/* ---- syntax ---- */

static void test_entry_syntax(void)
{
  static const struct {
    const char *text;
    int kind;            /* -1: bad */
    const char *name;    /* or the address as inet_ntop writes it */
    unsigned prefix;
    unsigned port;
  } cases[] = {
    { "api.github.com", SBX_NET_ENTRY_HOST, "api.github.com", 0, 0 },
    { "API.GitHub.com.", SBX_NET_ENTRY_HOST, "api.github.com", 0, 0 },
    { "pypi.org:443", SBX_NET_ENTRY_HOST, "pypi.org", 0, 443 },
    { "*.pythonhosted.org", SBX_NET_ENTRY_DOMAIN, "pythonhosted.org", 0, 0 },
    { "*.example.com:8443", SBX_NET_ENTRY_DOMAIN, "example.com", 0, 8443 },
    { "10.20.0.0/16", SBX_NET_ENTRY_CIDR, "10.20.0.0", 16, 0 },
    { "192.0.2.7:8080", SBX_NET_ENTRY_CIDR, "192.0.2.7", 32, 8080 },
    { "0.0.0.0/0:25", SBX_NET_ENTRY_CIDR, "0.0.0.0", 0, 25 },
    { "2001:db8::/32", SBX_NET_ENTRY_CIDR, "2001:db8::", 32, 0 },
    { "2001:db8::1", SBX_NET_ENTRY_CIDR, "2001:db8::1", 128, 0 },
    { "[2001:db8::1]:443", SBX_NET_ENTRY_CIDR, "2001:db8::1", 128, 443 },
    { "[2001:db8::/48]:22", SBX_NET_ENTRY_CIDR, "2001:db8::", 48, 22 },
    { "under_score.example", SBX_NET_ENTRY_HOST, "under_score.example", 0, 0 },
    { "", -1, NULL, 0, 0 },
    { "*", -1, NULL, 0, 0 },
    { "*.", -1, NULL, 0, 0 },
    { "a.*.com", -1, NULL, 0, 0 },
    { "**.example.com", -1, NULL, 0, 0 },
    { "example.com:0", -1, NULL, 0, 0 },
    { "example.com:65536", -1, NULL, 0, 0 },
    { "example.com:http", -1, NULL, 0, 0 },
    { "-bad.example", -1, NULL, 0, 0 },
    { "bad-.example", -1, NULL, 0, 0 },
    { "a..b", -1, NULL, 0, 0 },
    { "300.1.1.1", -1, NULL, 0, 0 },
    { "10.0.0.1/8", -1, NULL, 0, 0 },
    { "10.0.0.0/33", -1, NULL, 0, 0 },
    { "[192.0.2.1]:80", -1, NULL, 0, 0 },
    { "[2001:db8::1", -1, NULL, 0, 0 },
    { "2001:db8::1:443x", -1, NULL, 0, 0 },
    { "http://example.com", -1, NULL, 0, 0 },
    { "exa mple.com", -1, NULL, 0, 0 },
  };

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct sbx_net_entry e;
    const char *why = NULL;
    bool ok = sbx_net_entry_parse(cases[i].text, &e, &why);
    if (cases[i].kind < 0) {
      if (!CHECK(!ok && why))
        fprintf(stderr, "  `%s` parsed\n", cases[i].text);
      continue;
    }
    if (!CHECK(ok)) {
      fprintf(stderr, "  `%s`: %s\n", cases[i].text, why);
      continue;
    }
    CHECK_INT(e.kind, cases[i].kind);
    CHECK_INT(e.port, cases[i].port);
    if (e.kind == SBX_NET_ENTRY_CIDR) {
      char buf[64];
      inet_ntop(e.family, e.addr, buf, sizeof buf);
      CHECK_STR(buf, cases[i].name);
      CHECK_INT(e.prefix, cases[i].prefix);
    } else {
      CHECK_STR(e.name, cases[i].name);
    }
  }
}

static void test_document_errors(void)
{
  static const struct { const char *json, *error; } cases[] = {
    { JSON({"network": {"mode": "allowlist", "allow": ["ok.example", "a.*.com"]}}),
      "f.json: network.allow[1]: bad entry `a.*.com`: a wildcard is `*.domain` at the start only" },
    { JSON({"network": {"mode": "allowlist", "deny": ["10.0.0.1/8"]}}),
      "f.json: network.deny[0]: bad entry `10.0.0.1/8`: address bits set beyond the prefix length (write the network address)" },
    { JSON({"network": {"mode": "allowlist", "allow": ["x.example:99999"]}}),
      "f.json: network.allow[0]: bad entry `x.example:99999`: bad port (1 to 65535)" },
    { JSON({"network": {"blockedPorts": [22, 0]}}),
      "f.json: network.blockedPorts[1]: port 0 out of range (1 to 65535)" },
    { JSON({"network": {"blockedPorts": ["22"]}}),
      "f.json: network.blockedPorts[0]: expected an integer, got a string" },
    { JSON({"network": {"blockPrivate": "yes"}}),
      "f.json: network.blockPrivate: expected a boolean, got a string" },
    { JSON({"network": {"maxConnections": 0}}),
      "f.json: network.maxConnections: 0 out of range (1 to 1000000, or null for unlimited)" },
    { JSON({"network": {"dns": {"upstream": ["192.0.2.53", "resolver.example"]}}}),
      "f.json: network.dns.upstream[1]: bad DNS server `resolver.example`: a DNS server is an IPv4 or IPv6 address, with an optional :PORT" },
    { JSON({"network": {"dns": {"servers": []}}}), "f.json: network.dns.servers: unknown key" },
    { JSON({"network": {"mode": "none", "deny": ["example.com"]}}),
      "f.json: network.deny: entries are only allowed with mode `allowlist`" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cleanup_free char *error = NULL;
    struct sbx_policy *p = parse(cases[i].json, &error);
    CHECK(p == NULL);
    CHECK_STR(error, cases[i].error);
    sbx_policy_free(p);
  }
}

static void test_document_keys(void)
{
  cleanup_free char *error = NULL, *json = NULL;
  struct sbx_error err = { 0 };
  struct sbx_policy *p = parse(JSON({"name": "t", "network": {
    "mode": "allowlist",
    "allow": ["api.github.com", "*.pythonhosted.org", "pypi.org:443", "10.20.0.0/16",
              "192.0.2.7:8080", "[2001:db8::1]:443"],
    "deny": ["uploads.github.com", "0.0.0.0/0:25"],
    "blockedPorts": [22, 3389], "blockPrivate": true, "maxConnections": 64,
    "dns": {"upstream": ["192.0.2.53", "192.0.2.54:5353"]}}}), &error);

  if (!CHECK(p != NULL)) {
    fprintf(stderr, "  %s\n", error);
    return;
  }
  CHECK_INT(p->network_allow_len, 6);
  CHECK_INT(p->network_deny_len, 2);
  CHECK_INT(p->network_blocked_ports_len, 2);
  CHECK_INT(p->network_max_connections, 64);
  CHECK_INT(p->network_dns_upstream_len, 2);
  json = sbx_policy_to_json(p, false, &err);
  CHECK(json && strstr(json, "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"api.github.com\","));
  CHECK(json && strstr(json, "\"deny\":[\"uploads.github.com\",\"0.0.0.0/0:25\"],\"blockedPorts\":[22,3389],"
                             "\"blockPrivate\":true,\"maxConnections\":64,\"dns\":{\"upstream\":[\"192.0.2.53\",\"192.0.2.54:5353\"]}}"));
  /* the canonical JSON parses back into the same document */
  if (json) {
    cleanup_free char *again = NULL, *e2 = NULL;
    struct sbx_policy *q = parse(json, &e2);
    if (!CHECK(q != NULL))
      fprintf(stderr, "  %s\n", e2);
    if (q)
      again = sbx_policy_to_json(q, false, &err);
    CHECK_STR(again, json);
    sbx_policy_free(q);
  }
  sbx_error_clear(&err);
  sbx_policy_free(p);
}

/* ---- the matcher: entries x queries ---- */

static const char *const POLICY = JSON({"network": {
  "mode": "allowlist",
  "allow": ["api.github.com", "*.pythonhosted.org", "pypi.org:443", "10.20.0.0/16",
            "192.0.2.7:8080", "[2001:db8::1]:443", "198.51.100.0/24", "*.corp.example",
            "git.corp.example:22"],
  "deny": ["uploads.github.com", "0.0.0.0/0:25", "198.51.100.9", "secret.corp.example",
           "*.corp.example:8080"],
  "blockedPorts": [22, 3389],
  "blockPrivate": true}});

static void test_names(void)
{
  static const struct {
    const char *name;
    unsigned port;
    bool allowed;
    const char *why;
  } cases[] = {
    { "api.github.com", 443, true, "network.allow[0] `api.github.com`" },
    { "API.GITHUB.COM.", 0, true, "network.allow[0] `api.github.com`" },
    { "github.com", 443, false, "no network.allow entry" },
    { "x.api.github.com", 443, false, "no network.allow entry" },
    { "files.pythonhosted.org", 443, true, "network.allow[1] `*.pythonhosted.org`" },
    { "a.b.c.pythonhosted.org", 80, true, "network.allow[1] `*.pythonhosted.org`" },
    { "pythonhosted.org", 443, false, "no network.allow entry" },
    { "evilpythonhosted.org", 443, false, "no network.allow entry" },
    { "pypi.org", 443, true, "network.allow[2] `pypi.org:443`" },
    { "pypi.org", 80, false, "no network.allow entry" },
    { "pypi.org", 0, true, "network.allow[2] `pypi.org:443`" },   /* may resolve */
    { "uploads.github.com", 443, false, "network.deny[0] `uploads.github.com`" },
    { "uploads.github.com", 0, false, "network.deny[0] `uploads.github.com`" },
    { "api.github.com", 22, false, "network.blockedPorts[0] (22)" },
    { "git.corp.example", 22, false, "network.blockedPorts[0] (22)" },  /* blockedPorts win */
    { "app.corp.example", 443, true, "network.allow[7] `*.corp.example`" },
    { "app.corp.example", 8080, false, "network.deny[4] `*.corp.example:8080`" },
    { "app.corp.example", 0, true, "network.allow[7] `*.corp.example`" },
    { "secret.corp.example", 443, false, "network.deny[3] `secret.corp.example`" },
    { "bad..name", 443, false, "no network.allow entry" },
  };
  cleanup_free char *error = NULL;
  struct sbx_policy *p = parse(POLICY, &error);

  if (!CHECK(p != NULL)) {
    fprintf(stderr, "  %s\n", error);
    return;
  }
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct sbx_net_verdict v;
    sbx_net_decide_name(p, cases[i].name, (uint16_t)cases[i].port, &v);
    cleanup_free char *why = sbx_net_verdict_text(p, &v);
    if (!CHECK(v.allowed == cases[i].allowed))
      fprintf(stderr, "  %s:%u\n", cases[i].name, cases[i].port);
    CHECK_STR(why, cases[i].why);
  }
  sbx_policy_free(p);
}

static void test_addresses(void)
{
  static const struct {
    const char *addr;
    unsigned port;
    bool allowed;
    const char *why;
  } cases[] = {
    { "10.20.3.4", 443, true, "network.allow[3] `10.20.0.0/16`" },     /* private, but named */
    { "10.21.0.1", 443, false, "network.blockPrivate (10.0.0.0/8, RFC 1918)" },
    { "192.0.2.7", 8080, true, "network.allow[4] `192.0.2.7:8080`" },
    { "192.0.2.7", 8081, false, "no network.allow entry" },
    { "192.0.2.8", 8080, false, "no network.allow entry" },
    { "198.51.100.4", 80, true, "network.allow[6] `198.51.100.0/24`" },
    { "198.51.100.9", 80, false, "network.deny[2] `198.51.100.9`" },   /* deny over allow */
    { "198.51.100.4", 25, false, "network.deny[1] `0.0.0.0/0:25`" },
    { "198.51.100.4", 3389, false, "network.blockedPorts[1] (3389)" },
    { "2001:db8::1", 443, true, "network.allow[5] `[2001:db8::1]:443`" },
    { "2001:db8::1", 80, false, "no network.allow entry" },
    { "2001:db8::2", 443, false, "no network.allow entry" },
    { "169.254.169.254", 80, false, "network.blockPrivate (169.254.0.0/16, link-local, cloud metadata)" },
    { "127.0.0.1", 80, false, "network.blockPrivate (127.0.0.0/8, loopback)" },
    { "100.64.1.1", 80, false, "network.blockPrivate (100.64.0.0/10, CGNAT)" },
    { "172.31.255.255", 80, false, "network.blockPrivate (172.16.0.0/12, RFC 1918)" },
    { "172.32.0.1", 80, false, "no network.allow entry" },
    { "255.255.255.255", 80, false, "network.blockPrivate (240.0.0.0/4, reserved, broadcast)" },
    { "::1", 80, false, "network.blockPrivate (::/96, unspecified, loopback, IPv4-compatible)" },
    { "::ffff:10.20.3.4", 443, false, "network.blockPrivate (::ffff:0:0/96, IPv4-mapped)" },
    { "64:ff9b::a14:304", 443, false, "network.blockPrivate (64:ff9b::/96, NAT64)" },
    { "2002:a14:304::1", 443, false, "network.blockPrivate (2002::/16, 6to4)" },
    { "fd00::1", 443, false, "network.blockPrivate (fc00::/7, unique local)" },
    { "fe80::1", 443, false, "network.blockPrivate (fe80::/10, link-local)" },
    { "ff02::1", 443, false, "network.blockPrivate (ff00::/8, multicast)" },
    { "8.8.8.8", 53, false, "no network.allow entry" },
  };
  cleanup_free char *error = NULL;
  struct sbx_policy *p = parse(POLICY, &error);

  if (!CHECK(p != NULL))
    return;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct sbx_net_verdict v;
    uint8_t a[16] = { 0 };
    int family = strchr(cases[i].addr, ':') ? AF_INET6 : AF_INET;
    inet_pton(family, cases[i].addr, a);
    sbx_net_decide_addr(p, family, a, (uint16_t)cases[i].port, &v);
    cleanup_free char *why = sbx_net_verdict_text(p, &v);
    if (!CHECK(v.allowed == cases[i].allowed))
      fprintf(stderr, "  %s:%u\n", cases[i].addr, cases[i].port);
    CHECK_STR(why, cases[i].why);
  }
  /* blockPrivate false: a private address is still not allowed without an
   * entry, but it is the default that says so */
  p->network_block_private = false;
  {
    struct sbx_net_verdict v;
    uint8_t a[16] = { 10, 21, 0, 1 };
    sbx_net_decide_addr(p, AF_INET, a, 443, &v);
    CHECK(!v.allowed && v.reason == SBX_NET_BY_DEFAULT);
  }
  /* the other modes decide alone */
  p->network = SBX_NET_UNRESTRICTED;
  {
    struct sbx_net_verdict v;
    uint8_t a[16] = { 10, 21, 0, 1 };
    sbx_net_decide_addr(p, AF_INET, a, 22, &v);
    CHECK(v.allowed && v.reason == SBX_NET_BY_MODE);
    p->network = SBX_NET_NONE;
    sbx_net_decide_name(p, "api.github.com", 443, &v);
    CHECK(!v.allowed && v.reason == SBX_NET_BY_MODE);
  }
  sbx_policy_free(p);
}

static void test_name_plan(void)
{
  cleanup_free char *error = NULL;
  struct sbx_policy *p = parse(POLICY, &error);
  struct sbx_net_name_plan plan;

  if (!CHECK(p != NULL))
    return;
  sbx_net_plan_name(p, "pypi.org", &plan);
  CHECK(plan.allowed && !plan.any_port && plan.n_ports == 1 && plan.ports[0] == 443);
  sbx_net_plan_name(p, "git.corp.example", &plan);
  CHECK(plan.allowed && plan.any_port && plan.n_deny_ports == 1 && plan.deny_ports[0] == 8080);
  sbx_net_plan_name(p, "uploads.github.com", &plan);
  CHECK(!plan.allowed && plan.why.reason == SBX_NET_BY_DENY);
  sbx_net_plan_name(p, "example.net", &plan);
  CHECK(!plan.allowed && plan.why.reason == SBX_NET_BY_DEFAULT);
  sbx_policy_free(p);
}

/* ---- tighten and extends ---- */

static struct sbx_policy *tighten(const struct sbx_policy *base, const char *json, char **error)
{
  struct sbx_policy *out = NULL;
  struct sbx_error err = { 0 };

  *error = NULL;
  if (sbx_policy_tighten(base, json, "agentsbx.policy.tighten", &out, NULL, &err) < 0)
    *error = strdup(err.msg ? err.msg : "?");
  sbx_error_clear(&err);
  return out;
}

static void test_tighten(void)
{
  cleanup_free char *error = NULL;
  struct sbx_policy *base = parse(JSON({"network": {"mode": "allowlist",
    "allow": ["*.github.com", "pypi.org:443", "10.0.0.0/8", "[2001:db8::/32]:443"],
    "deny": ["gist.github.com"], "blockedPorts": [22], "blockPrivate": false,
    "maxConnections": 64, "dns": {"upstream": ["192.0.2.53"]}}}), &error);
  static const struct { const char *json, *error; } refused[] = {
    { JSON({"network": {"allow": ["github.com"]}}),
      "agentsbx.policy.tighten: network.allow[0]: github.com is not allowed by the base policy" },
    { JSON({"network": {"allow": ["pypi.org"]}}),
      "agentsbx.policy.tighten: network.allow[0]: pypi.org is not allowed by the base policy" },
    { JSON({"network": {"allow": ["10.0.0.0/7"]}}),
      "agentsbx.policy.tighten: network.allow[0]: 10.0.0.0/7 is not allowed by the base policy" },
    { JSON({"network": {"allow": ["2001:db8::1"]}}),
      "agentsbx.policy.tighten: network.allow[0]: 2001:db8::1 is not allowed by the base policy" },
    { JSON({"network": {"maxConnections": 65}}),
      "agentsbx.policy.tighten: network.maxConnections: 65 is above the base policy's 64" },
    { JSON({"network": {"maxConnections": null}}),
      "agentsbx.policy.tighten: network.maxConnections: unlimited is above the base policy's 64" },
    { JSON({"network": {"dns": {"upstream": ["192.0.2.99"]}}}),
      "agentsbx.policy.tighten: network.dns.upstream: cannot be changed by a tighten document" },
    { JSON({"network": {"mode": "unrestricted"}}),
      "agentsbx.policy.tighten: network.mode: unrestricted is looser than the base policy's allowlist" },
  };

  if (!CHECK(base != NULL)) {
    fprintf(stderr, "  %s\n", error);
    return;
  }
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    cleanup_free char *e = NULL;
    struct sbx_policy *t = tighten(base, refused[i].json, &e);
    CHECK(t == NULL);
    CHECK_STR(e, refused[i].error);
    sbx_policy_free(t);
  }
  /* narrower allow replaces; deny and blockedPorts add; blockPrivate on; fewer connections */
  cleanup_free char *e = NULL;
  struct sbx_policy *t = tighten(base, JSON({"network": {
    "allow": ["api.github.com:443", "*.api.github.com", "pypi.org:443", "10.1.0.0/16:5432",
              "[2001:db8::5]:443"],
    "deny": ["0.0.0.0/0:25"], "blockedPorts": [22, 3389], "blockPrivate": true,
    "maxConnections": 8}}), &e);
  if (CHECK(t != NULL)) {
    CHECK_INT(t->network_allow_len, 5);
    CHECK_STR(t->network_allow[0], "api.github.com:443");
    CHECK_INT(t->network_deny_len, 2);
    CHECK_INT(t->network_blocked_ports_len, 2);
    CHECK(t->network_block_private);
    CHECK_INT(t->network_max_connections, 8);
    CHECK_STR(t->network_dns_upstream[0], "192.0.2.53");
    CHECK(t->tightened);
  } else {
    fprintf(stderr, "  %s\n", e);
  }
  sbx_policy_free(t);
  /* blockPrivate true cannot be lifted */
  base->network_block_private = true;
  free(e);
  t = tighten(base, JSON({"network": {"blockPrivate": false}}), &e);
  CHECK(t == NULL);
  CHECK_STR(e, "agentsbx.policy.tighten: network.blockPrivate: false would lift the base policy's true");
  sbx_policy_free(t);
  sbx_policy_free(base);
}

static void test_extends(void)
{
  char dir[] = "/tmp/test-net-policy.XXXXXX";
  struct sbx_error err = { 0 };
  struct sbx_policy *p = NULL;

  if (!CHECK(mkdtemp(dir) != NULL))
    return;
  cleanup_free char *pdir = sbx_strdup_printf("%s/policies", dir);
  cleanup_free char *base = sbx_strdup_printf("%s/policies/base.json", dir);
  cleanup_free char *child = sbx_strdup_printf("%s/child.json", dir);
  sbx_mkdir_p(pdir, 0755, NULL);
  const char *b = JSON({"network": {"mode": "allowlist", "allow": ["api.github.com"],
                                    "deny": ["uploads.github.com"], "blockedPorts": [22],
                                    "maxConnections": 10}});
  const char *c = JSON({"extends": "base", "network": {"allow": ["pypi.org:443"],
                                                       "deny": ["0.0.0.0/0:25"],
                                                       "blockedPorts": [3389, 22]}});
  sbx_write_file_atomic(base, b, strlen(b), 0644, NULL);
  sbx_write_file_atomic(child, c, strlen(c), 0644, NULL);
  if (CHECK(sbx_policy_load(dir, child, &p, &err) == 0)) {
    CHECK_INT(p->network, SBX_NET_ALLOWLIST);
    CHECK_INT(p->network_allow_len, 2);
    CHECK_STR(p->network_allow[1], "pypi.org:443");
    CHECK_INT(p->network_deny_len, 2);
    CHECK_INT(p->network_blocked_ports_len, 2);  /* 22 once */
    CHECK_INT(p->network_max_connections, 10);
  } else {
    fprintf(stderr, "  %s\n", err.msg);
  }
  sbx_policy_free(p);
  sbx_error_clear(&err);
  sbx_remove_tree(dir, NULL);
}

/* ---- the resolver's side ---- */

static void test_resolver_callbacks(void)
{
  cleanup_free char *error = NULL;
  struct sbx_policy *p = parse(POLICY, &error);
  struct sbx_network_dns d = { 0 };
  const char *rule = NULL;
  uint8_t a[16] = { 0 };

  if (!CHECK(p != NULL))
    return;
  d.policy = p;
  CHECK(sbx_network_dns_name_allowed(&d, "files.pythonhosted.org", &rule));
  CHECK_STR(rule, "network.allow[1] `*.pythonhosted.org`");
  CHECK(!sbx_network_dns_name_allowed(&d, "uploads.github.com", &rule));
  CHECK_STR(rule, "network.deny[0] `uploads.github.com`");
  CHECK(!sbx_network_dns_name_allowed(&d, "example.net", &rule));
  CHECK_STR(rule, "no network.allow entry");
  /* answers: private dropped unless named, any-port deny dropped, others kept */
  inet_pton(AF_INET, "10.21.0.1", a);
  CHECK(sbx_network_dns_address_blocked(&d, AF_INET, a));
  inet_pton(AF_INET, "10.20.0.1", a);
  CHECK(!sbx_network_dns_address_blocked(&d, AF_INET, a));
  inet_pton(AF_INET, "198.51.100.9", a);
  CHECK(sbx_network_dns_address_blocked(&d, AF_INET, a));
  inet_pton(AF_INET, "203.0.113.9", a);
  CHECK(!sbx_network_dns_address_blocked(&d, AF_INET, a));
  inet_pton(AF_INET6, "fd00::1", a);
  CHECK(sbx_network_dns_address_blocked(&d, AF_INET6, a));
  inet_pton(AF_INET6, "2001:db8::7", a);
  CHECK(!sbx_network_dns_address_blocked(&d, AF_INET6, a));
  sbx_policy_free(p);
}

static void test_upstreams(void)
{
  char dir[] = "/tmp/test-net-upstreams.XXXXXX";
  struct sbx_error err = { 0 };
  struct sockaddr_storage *u = NULL;
  size_t n = 0;
  cleanup_free char *error = NULL;
  struct sbx_policy *p = parse(JSON({"network": {"mode": "allowlist",
                                     "dns": {"upstream": ["192.0.2.53", "[2001:db8::53]:5353"]}}}), &error);
  struct oci_mount m = { .destination = "/etc/resolv.conf", .type = "bind" };
  struct oci_config c = { .mounts = &m, .mounts_len = 1 };

  if (!CHECK(p != NULL) || !CHECK(mkdtemp(dir) != NULL))
    return;
  CHECK_INT(sbx_network_dns_upstreams(p, NULL, dir, &u, &n, &err), 0);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_INT(u[0].ss_family, AF_INET);
    CHECK_INT(ntohs(((struct sockaddr_in *)&u[0])->sin_port), 53);
    CHECK_INT(u[1].ss_family, AF_INET6);
    CHECK_INT(ntohs(((struct sockaddr_in6 *)&u[1])->sin6_port), 5353);
  }
  free(u);
  /* none in the policy: the rootfs's resolv.conf, else a bind mount's source */
  p->network_dns_upstream_len = 0;
  cleanup_free char *etc = sbx_strdup_printf("%s/etc", dir);
  cleanup_free char *rootconf = sbx_strdup_printf("%s/etc/resolv.conf", dir);
  cleanup_free char *bound = sbx_strdup_printf("%s/bound.conf", dir);
  sbx_mkdir_p(etc, 0755, NULL);
  const char *t1 = "# x\nsearch example\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\noptions ndots:0\n";
  const char *t2 = "nameserver 2001:db8::35\n";
  sbx_write_file_atomic(rootconf, t1, strlen(t1), 0644, NULL);
  sbx_write_file_atomic(bound, t2, strlen(t2), 0644, NULL);
  CHECK_INT(sbx_network_dns_upstreams(p, NULL, dir, &u, &n, &err), 0);
  CHECK_INT(n, 2);
  if (n == 2) {
    char buf[64];
    inet_ntop(AF_INET, &((struct sockaddr_in *)&u[0])->sin_addr, buf, sizeof buf);
    CHECK_STR(buf, "127.0.0.11");
  }
  free(u);
  m.source = bound;
  CHECK_INT(sbx_network_dns_upstreams(p, &c, dir, &u, &n, &err), 0);
  CHECK_INT(n, 1);
  CHECK(n == 1 && u[0].ss_family == AF_INET6);
  free(u);
  /* a resolv.conf without nameservers: an error naming it */
  sbx_write_file_atomic(bound, "search x\n", 9, 0644, NULL);
  CHECK_INT(sbx_network_dns_upstreams(p, &c, dir, &u, &n, &err), -1);
  CHECK(err.msg && strstr(err.msg, "bound.conf` names no nameserver"));
  sbx_error_clear(&err);
  p->network_dns_upstream_len = 2;
  sbx_policy_free(p);
  sbx_remove_tree(dir, NULL);
}

int main(void)
{
  RUN(test_entry_syntax);
  RUN(test_document_errors);
  RUN(test_document_keys);
  RUN(test_names);
  RUN(test_addresses);
  RUN(test_name_plan);
  RUN(test_tighten);
  RUN(test_extends);
  RUN(test_resolver_callbacks);
  RUN(test_upstreams);
  return unit_finish("test-net-policy");
}
