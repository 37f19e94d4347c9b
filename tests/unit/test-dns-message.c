/* test-dns-message.c: unit tests of src/dns_message.c: a table of
 * hand-written query messages (valid queries of each type, EDNS, multiple
 * questions, bad labels, pointers in queries, truncation, trailing bytes,
 * names that are not host names and their escaped text, the name length
 * limits), upstream responses built record by record (CNAME chains,
 * records off the chain, TTLs, compression pointers and their loops,
 * truncated data, bad record lengths, mismatched ID/question), the address
 * filter and cap, and the messages built here (exact bytes, and a
 * round trip: every answer built re-reads to the same chain and addresses).
 * Crashes the fuzzer (tests/fuzz, `make fuzz`) finds become cases here;
 * none so far (about 50 million inputs). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_message.h"
#include "dns_wire.h"
#include "unit.h"

static const char *addr_text(const struct sbx_dns_addr *a, char *buf)
{
  return inet_ntop(a->family, a->bytes, buf, INET6_ADDRSTRLEN);
}

/* ---- queries: the table ---- */

#define W(s) (const uint8_t *)(s), sizeof(s) - 1
#define HDR_Q "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"      /* RD, one question */
#define HDR_Q_OPT "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
#define EXAMPLE_COM "\x07" "Example" "\x03" "COM" "\x00"
#define QT(t) "\x00" t "\x00\x01"                                   /* type t, class IN */

struct query_case {
  const char *what;
  const uint8_t *msg;
  size_t len;
  enum sbx_dns_status status;
  const char *name;     /* when the question was read */
  uint16_t qtype;
  bool edns;
  uint16_t udp;
};

static const struct query_case query_cases[] = {
  { "A, name lowercased", W(HDR_Q EXAMPLE_COM QT("\x01")), SBX_DNS_OK, "example.com", 1 },
  { "AAAA", W(HDR_Q EXAMPLE_COM QT("\x1c")), SBX_DNS_OK, "example.com", 28 },
  { "TXT (read; refused by the resolver)", W(HDR_Q EXAMPLE_COM QT("\x10")), SBX_DNS_OK,
    "example.com", 16 },
  { "HTTPS", W(HDR_Q EXAMPLE_COM QT("\x41")), SBX_DNS_OK, "example.com", 65 },
  { "ANY", W(HDR_Q EXAMPLE_COM QT("\xff")), SBX_DNS_OK, "example.com", 255 },
  { "hyphen, underscore, digits", W(HDR_Q "\x0a" "_a-b-0.x_y" "\x00" QT("\x01")),
    SBX_DNS_E_NAME, "_a-b-0\\046x_y", 1 },
  { "hyphen, underscore, digits (labels)", W(HDR_Q "\x06" "_a-b-0" "\x03" "x_y" "\x00" QT("\x01")),
    SBX_DNS_OK, "_a-b-0.x_y", 1 },
  { "EDNS 4096", W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"),
    SBX_DNS_OK, "example.com", 1, true, 4096 },
  { "EDNS payload below 512 counts as 512",
    W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x29\x00\x64\x00\x00\x00\x00\x00\x00"),
    SBX_DNS_OK, "example.com", 1, true, 512 },
  { "EDNS with a client-subnet option (read, never forwarded)",
    W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x08"
      "\x00\x08\x00\x04\x00\x01\x18\x00"),
    SBX_DNS_OK, "example.com", 1, true, 4096 },
  { "EDNS version 1", W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x29\x10\x00\x00\x01\x00\x00\x00\x00"),
    SBX_DNS_E_FORMAT },
  { "OPT data past the end", W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x05\x00"),
    SBX_DNS_E_FORMAT },
  { "OPT owned by a name", W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x01x\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"),
    SBX_DNS_E_FORMAT },
  { "additional record that is not OPT",
    W(HDR_Q_OPT EXAMPLE_COM QT("\x01") "\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x01\x02\x03\x04"),
    SBX_DNS_E_FORMAT },
  { "two questions", W("\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00" EXAMPLE_COM QT("\x01")
                       EXAMPLE_COM QT("\x1c")), SBX_DNS_E_FORMAT },
  { "no question", W("\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"), SBX_DNS_E_FORMAT },
  { "an answer record in a query",
    W("\x12\x34\x01\x00\x00\x01\x00\x01\x00\x00\x00\x00" EXAMPLE_COM QT("\x01")
      "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"), SBX_DNS_E_FORMAT },
  { "an authority record in a query",
    W("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x01\x00\x00" EXAMPLE_COM QT("\x01")), SBX_DNS_E_FORMAT },
  { "compression pointer in the question", W(HDR_Q "\x03" "www" "\xc0\x0c" QT("\x01")),
    SBX_DNS_E_FORMAT },
  { "label type 0x40", W(HDR_Q "\x41" "x" "\x00" QT("\x01")), SBX_DNS_E_FORMAT },
  { "label type 0x80", W(HDR_Q "\x81" "x" "\x00" QT("\x01")), SBX_DNS_E_FORMAT },
  { "label past the end", W(HDR_Q "\x0a" "abc"), SBX_DNS_E_FORMAT },
  { "name without its end", W(HDR_Q "\x03" "abc"), SBX_DNS_E_FORMAT },
  { "no type and class", W(HDR_Q EXAMPLE_COM), SBX_DNS_E_FORMAT },
  { "class cut short", W(HDR_Q EXAMPLE_COM "\x00\x01\x00"), SBX_DNS_E_FORMAT },
  { "bytes after the question", W(HDR_Q EXAMPLE_COM QT("\x01") "\x00"), SBX_DNS_E_FORMAT },
  { "header cut short", W("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00"), SBX_DNS_E_SHORT },
  { "empty", (const uint8_t *)"", 0, SBX_DNS_E_SHORT },
  { "a response (QR)", W("\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00" EXAMPLE_COM QT("\x01")),
    SBX_DNS_E_NOT_QUERY },
  { "opcode STATUS", W("\x12\x34\x11\x00\x00\x01\x00\x00\x00\x00\x00\x00" EXAMPLE_COM QT("\x01")),
    SBX_DNS_E_OPCODE },
  { "space in a label", W(HDR_Q "\x03" "a b" "\x03" "com" "\x00" QT("\x01")), SBX_DNS_E_NAME,
    "a\\032b.com", 1 },
  { "dot inside a label", W(HDR_Q "\x03" "a.b" "\x03" "com" "\x00" QT("\x01")), SBX_DNS_E_NAME,
    "a\\046b.com", 1 },
  { "NUL and high bytes", W(HDR_Q "\x02" "\x00\xff" "\x00" QT("\x01")), SBX_DNS_E_NAME,
    "\\000\\255", 1 },
  { "root name", W(HDR_Q "\x00" QT("\x01")), SBX_DNS_E_NAME, ".", 1 },
  { "class CH (read; refused by the resolver)", W(HDR_Q EXAMPLE_COM "\x00\x10\x00\x03"),
    SBX_DNS_OK, "example.com", 16 },
};

static void test_query_table(void)
{
  for (size_t i = 0; i < sizeof query_cases / sizeof query_cases[0]; i++) {
    const struct query_case *c = &query_cases[i];
    struct sbx_dns_query q;
    enum sbx_dns_status st = sbx_dns_parse_query(c->msg, c->len, &q);
    if (!unit_report(st == c->status, __FILE__, __LINE__, "%s: status %d, want %d", c->what, st,
                     c->status))
      continue;
    if (st != SBX_DNS_E_SHORT)
      CHECK_INT(q.id, 0x1234);
    if (c->name == NULL) {
      if (st == SBX_DNS_E_FORMAT)
        unit_report(q.question_len == 0 && !q.edns, __FILE__, __LINE__,
                    "%s: FORMERR keeps a question", c->what);
      continue;
    }
    unit_report(strcmp(q.name, c->name) == 0, __FILE__, __LINE__, "%s: name \"%s\", want \"%s\"",
                c->what, q.name, c->name);
    unit_report(q.qtype == c->qtype, __FILE__, __LINE__, "%s: type %u", c->what, q.qtype);
    unit_report(q.edns == c->edns && (!c->edns || q.edns_udp_size == c->udp), __FILE__, __LINE__,
                "%s: edns %d size %u", c->what, q.edns, q.edns_udp_size);
    unit_report(q.question_len > 4 && memcmp(q.question, c->msg + 12, q.question_len) == 0,
                __FILE__, __LINE__, "%s: question not kept as sent", c->what);
  }
}

/* A query for a name made of labels of the given lengths. */
static void query_with_labels(struct buf *m, const size_t *labels, size_t n)
{
  bheader(m, 1, 0x0100, 1, 0, 0, 0);
  for (size_t i = 0; i < n; i++) {
    b8(m, (uint8_t)labels[i]);
    for (size_t j = 0; j < labels[i]; j++)
      b8(m, 'a');
  }
  b8(m, 0);
  b16(m, 1);
  b16(m, 1);
}

static void test_query_name_limits(void)
{
  struct buf m;
  struct sbx_dns_query q;
  size_t l63[] = { 63, 3 };
  query_with_labels(&m, l63, 2);
  CHECK_INT(sbx_dns_parse_query(m.b, m.n, &q), SBX_DNS_OK);
  CHECK_INT(strlen(q.name), 67);

  /* 253 characters (255 wire bytes): the longest name. */
  size_t l253[] = { 63, 63, 63, 61 };
  query_with_labels(&m, l253, 4);
  CHECK_INT(sbx_dns_parse_query(m.b, m.n, &q), SBX_DNS_OK);
  CHECK_INT(strlen(q.name), 253);
  CHECK(sbx_dns_valid_name(q.name));
  /* 254 characters: too long. */
  size_t l254[] = { 63, 63, 63, 62 };
  query_with_labels(&m, l254, 4);
  CHECK_INT(sbx_dns_parse_query(m.b, m.n, &q), SBX_DNS_E_FORMAT);
  /* Many one-byte labels past 255 wire bytes. */
  size_t ones[128];
  for (size_t i = 0; i < 128; i++)
    ones[i] = 1;
  query_with_labels(&m, ones, 127);
  CHECK_INT(sbx_dns_parse_query(m.b, m.n, &q), SBX_DNS_OK);
  query_with_labels(&m, ones, 128);
  CHECK_INT(sbx_dns_parse_query(m.b, m.n, &q), SBX_DNS_E_FORMAT);
}

static void test_valid_name(void)
{
  CHECK(sbx_dns_valid_name("api.github.com"));
  CHECK(sbx_dns_valid_name("API.GitHub.com"));
  CHECK(sbx_dns_valid_name("_dmarc.x-y.z"));
  CHECK(!sbx_dns_valid_name(""));
  CHECK(!sbx_dns_valid_name("a..b"));
  CHECK(!sbx_dns_valid_name("a.b."));
  CHECK(!sbx_dns_valid_name(".a"));
  CHECK(!sbx_dns_valid_name("a b"));
  CHECK(!sbx_dns_valid_name("*.example.com"));
  char l64[70];
  memset(l64, 'a', 64);
  l64[64] = '\0';
  CHECK(!sbx_dns_valid_name(l64));
  l64[63] = '\0';
  CHECK(sbx_dns_valid_name(l64));
}

/* ---- built messages, exact bytes ---- */

static struct sbx_dns_query parse_ok(const uint8_t *msg, size_t len)
{
  struct sbx_dns_query q;
  CHECK_INT(sbx_dns_parse_query(msg, len, &q), SBX_DNS_OK);
  return q;
}

static bool bytes_equal(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
  if (n == wn && memcmp(got, want, n) == 0)
    return true;
  fprintf(stderr, "  got  %zu:", n);
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, " %02x", got[i]);
  fprintf(stderr, "\n  want %zu:", wn);
  for (size_t i = 0; i < wn; i++)
    fprintf(stderr, " %02x", want[i]);
  fputc('\n', stderr);
  return false;
}

#define CHECK_BYTES(got, n, lit) CHECK(bytes_equal((got), (n), W(lit)))

static void test_build_local(void)
{
  uint8_t out[600];
  struct sbx_dns_query q = parse_ok(W(HDR_Q EXAMPLE_COM QT("\x10")));
  size_t n = sbx_dns_build_local(&q, SBX_DNS_NXDOMAIN, out, sizeof out);
  /* Same ID, QR RD RA, NXDOMAIN, the question as the client cased it. */
  CHECK_BYTES(out, n, "\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" EXAMPLE_COM QT("\x10"));

  q = parse_ok(W(HDR_Q_OPT EXAMPLE_COM QT("\x41") "\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x08"
                 "\x00\x08\x00\x04\x00\x01\x18\x00"));
  n = sbx_dns_build_local(&q, SBX_DNS_NOTIMP, out, sizeof out);
  /* A plain OPT: our payload (1232), no DO bit, no options. */
  CHECK_BYTES(out, n, "\x12\x34\x81\x84\x00\x01\x00\x00\x00\x00\x00\x01" EXAMPLE_COM QT("\x41")
              "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
  n = sbx_dns_build_truncated(&q, out, sizeof out);
  CHECK_BYTES(out, n, "\x12\x34\x83\x80\x00\x01\x00\x00\x00\x00\x00\x01" EXAMPLE_COM QT("\x41")
              "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
  CHECK_INT(sbx_dns_build_local(&q, SBX_DNS_NOTIMP, out, 20), 0);

  /* FORMERR: the bare header, even though the question was readable. */
  CHECK_INT(sbx_dns_parse_query(W(HDR_Q EXAMPLE_COM QT("\x01") "\x00"), &q), SBX_DNS_E_FORMAT);
  n = sbx_dns_build_local(&q, SBX_DNS_FORMERR, out, sizeof out);
  CHECK_BYTES(out, n, "\x12\x34\x81\x81\x00\x00\x00\x00\x00\x00\x00\x00");
  /* Not a standard query: NOTIMP keeping the opcode. */
  CHECK_INT(sbx_dns_parse_query(W("\x12\x34\x29\x00\x00\x01\x00\x00\x00\x00\x00\x00" EXAMPLE_COM
                                  QT("\x01")), &q), SBX_DNS_E_OPCODE);
  n = sbx_dns_build_local(&q, SBX_DNS_NOTIMP, out, sizeof out);
  CHECK_BYTES(out, n, "\x12\x34\xa9\x84\x00\x00\x00\x00\x00\x00\x00\x00");
}

static void test_build_upstream_query(void)
{
  uint8_t out[600];
  struct sbx_dns_query q = parse_ok(W(HDR_Q_OPT EXAMPLE_COM QT("\x1c") "\x00\x00\x29\x10\x00\x00\x00"
                                      "\x00\x00\x00\x08\x00\x08\x00\x04\x00\x01\x18\x00"));
  size_t n = sbx_dns_build_upstream_query(&q, 0xbeef, out, sizeof out);
  /* Our ID, RD only, lowercase name, plain OPT: the client subnet stays home. */
  CHECK_BYTES(out, n, "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
              "\x07" "example" "\x03" "com" "\x00" QT("\x1c")
              "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
  CHECK_INT(sbx_dns_build_upstream_query(&q, 1, out, 30), 0);
  snprintf(q.name, sizeof q.name, "a\\032b");
  CHECK_INT(sbx_dns_build_upstream_query(&q, 1, out, sizeof out), 0);
}

/* ---- responses ---- */

static bool blocked_private(void *ctx, int family, const uint8_t *a)
{
  int *calls = ctx;
  if (calls)
    (*calls)++;
  if (family == AF_INET)
    return a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254);
  return a[0] == 0xfd || a[0] == 0xfc;
}

static void test_response_simple(void)
{
  struct buf m;
  struct sbx_dns_answer a;
  char t[INET6_ADDRSTRLEN];

  bresponse(&m, 7, 0, 3, "example.com", SBX_DNS_A);
  brr_a(&m, "example.com", 300, "192.0.2.1");
  brr_a(&m, "EXAMPLE.com", 200, "192.0.2.2");
  brr_a(&m, "example.com", 100, "192.0.2.1");   /* duplicate: lowest TTL kept */
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 7, "example.com", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.rcode, 0);
  CHECK_INT(a.n_chain, 0);
  CHECK_INT(a.n_addrs, 2);
  CHECK_STR(addr_text(&a.addrs[0], t), "192.0.2.1");
  CHECK_INT(a.addrs[0].ttl, 100);
  CHECK_STR(addr_text(&a.addrs[1], t), "192.0.2.2");
  CHECK_INT(sbx_dns_answer_ttl(&a), 100);

  /* Not ours: ID, QR, name, type. */
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 8, "example.com", SBX_DNS_A, &a), SBX_DNS_E_MISMATCH);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 7, "example.org", SBX_DNS_A, &a), SBX_DNS_E_MISMATCH);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 7, "example.com", SBX_DNS_AAAA, &a), SBX_DNS_E_MISMATCH);
  m.b[2] &= 0x7f;
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 7, "example.com", SBX_DNS_A, &a), SBX_DNS_E_MISMATCH);
  m.b[2] |= 0x80;
  /* Every cut of the message is short or malformed, never read past. */
  for (size_t cut = 0; cut < m.n; cut++) {
    enum sbx_dns_status st = sbx_dns_parse_response(m.b, cut, 7, "example.com", SBX_DNS_A, &a);
    if (!unit_report(st == (cut < 12 ? SBX_DNS_E_SHORT : SBX_DNS_E_FORMAT), __FILE__, __LINE__,
                     "cut at %zu: status %d", cut, st))
      break;
  }
}

static void test_response_cname_chain(void)
{
  struct buf m;
  struct sbx_dns_answer a;
  char t[INET6_ADDRSTRLEN];

  bresponse(&m, 9, 0, 7, "www.example.com", SBX_DNS_AAAA);
  brr_cname(&m, "www.example.com", 300, "cdn.example.net");
  brr_aaaa(&m, "www.example.com", 300, "2001:db8::99");      /* beside a CNAME: not the end */
  brr_cname(&m, "cdn.example.net", 60, "edge.CDN.net");
  brr_a(&m, "edge.cdn.net", 30, "192.0.2.1");                 /* other type */
  brr_aaaa(&m, "edge.cdn.net", 40, "2001:db8::1");
  brr_aaaa(&m, "evil.example", 40, "2001:db8::66");           /* off the chain */
  brr_aaaa(&m, "edge.cdn.net", 3000, "2001:db8::2");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 9, "www.example.com", SBX_DNS_AAAA, &a), SBX_DNS_OK);
  CHECK_INT(a.n_chain, 2);
  CHECK_STR(a.chain[0], "cdn.example.net");
  CHECK_STR(a.chain[1], "edge.cdn.net");
  CHECK_INT(a.chain_ttl[0], 300);
  CHECK_INT(a.chain_ttl[1], 60);
  CHECK_INT(a.n_addrs, 2);
  CHECK_STR(addr_text(&a.addrs[0], t), "2001:db8::1");
  CHECK_STR(addr_text(&a.addrs[1], t), "2001:db8::2");
  CHECK_INT(sbx_dns_answer_ttl(&a), 40);

  /* NXDOMAIN at the end of a chain keeps the chain. */
  bresponse(&m, 9, SBX_DNS_NXDOMAIN, 1, "www.example.com", SBX_DNS_A);
  brr_cname(&m, "www.example.com", 300, "gone.example.net");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 9, "www.example.com", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.rcode, SBX_DNS_NXDOMAIN);
  CHECK_INT(a.n_chain, 1);
  CHECK_INT(a.n_addrs, 0);
  CHECK_INT(sbx_dns_answer_ttl(&a), 300);

  /* A CNAME to a name that is not a host name ends the chain there. */
  bresponse(&m, 9, 0, 2, "www.example.com", SBX_DNS_A);
  brr_cname(&m, "www.example.com", 300, "a b.example");
  brr_a(&m, "a b.example", 300, "192.0.2.1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 9, "www.example.com", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.n_chain, 0);
  CHECK_INT(a.n_addrs, 0);
}

static void chain_of(struct buf *m, size_t hops, bool loop)
{
  char owner[32], target[32];
  bresponse(m, 1, 0, (uint16_t)(hops + 1), "h0.test", SBX_DNS_A);
  for (size_t i = 0; i < hops; i++) {
    snprintf(owner, sizeof owner, "h%zu.test", i);
    snprintf(target, sizeof target, "h%zu.test", loop && i + 1 == hops ? (size_t)0 : i + 1);
    brr_cname(m, owner, 60, target);
  }
  snprintf(owner, sizeof owner, "h%zu.test", hops);
  brr_a(m, owner, 60, "192.0.2.5");
}

static void test_response_chain_limits(void)
{
  struct buf m;
  struct sbx_dns_answer a;

  chain_of(&m, SBX_DNS_MAX_CHAIN, false);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 1, "h0.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.n_chain, SBX_DNS_MAX_CHAIN);
  CHECK_INT(a.n_addrs, 1);
  chain_of(&m, SBX_DNS_MAX_CHAIN + 1, false);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 1, "h0.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  chain_of(&m, 2, true);     /* h0 -> h1 -> h0 */
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 1, "h0.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  chain_of(&m, 1, true);     /* h0 -> h0 */
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 1, "h0.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
}

static void test_response_compression(void)
{
  struct buf m;
  struct sbx_dns_answer a;
  char t[INET6_ADDRSTRLEN];

  /* Owners as pointers to the question (12), a CNAME target that ends in
   * a pointer, and an owner pointing into that target. */
  bresponse(&m, 3, 0, 2, "www.example.com", SBX_DNS_A);
  bptr(&m, 12);
  brr_head(&m, SBX_DNS_CNAME, 120, 6);
  size_t target = m.n;
  b8(&m, 3); bbytes(&m, "cdn", 3); bptr(&m, 16);          /* cdn + "example.com" */
  bptr(&m, (uint16_t)target);
  brr_head(&m, SBX_DNS_A, 90, 4);
  bbytes(&m, "\xc6\x33\x64\x07", 4);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "www.example.com", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.n_chain, 1);
  CHECK_STR(a.chain[0], "cdn.example.com");
  CHECK_INT(a.n_addrs, 1);
  CHECK_STR(addr_text(&a.addrs[0], t), "198.51.100.7");

  /* A pointer to itself. */
  bresponse(&m, 3, 0, 1, "x.test", SBX_DNS_A);
  bptr(&m, (uint16_t)m.n);
  brr_head(&m, SBX_DNS_A, 1, 4);
  bbytes(&m, "\x01\x02\x03\x04", 4);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* A pointer forward (into a later record). */
  bresponse(&m, 3, 0, 2, "x.test", SBX_DNS_A);
  bptr(&m, (uint16_t)(m.n + 16));
  brr_head(&m, SBX_DNS_A, 1, 4);
  bbytes(&m, "\x01\x02\x03\x04", 4);
  brr_a(&m, "x.test", 1, "192.0.2.1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* Into the header. */
  bresponse(&m, 3, 0, 1, "x.test", SBX_DNS_A);
  bptr(&m, 4);
  brr_head(&m, SBX_DNS_A, 1, 4);
  bbytes(&m, "\x01\x02\x03\x04", 4);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* Two names pointing at each other (kept in the data of a record of an
   * unknown type): label "a" then a pointer to the second name, whose
   * label "b" points back at the first; one of them must point forward. */
  bresponse(&m, 3, 0, 2, "x.test", SBX_DNS_A);
  bname(&m, "x.test");
  brr_head(&m, 99, 1, 8);
  size_t first = m.n;
  b8(&m, 1); b8(&m, 'a'); bptr(&m, (uint16_t)(first + 4));
  b8(&m, 1); b8(&m, 'b'); bptr(&m, (uint16_t)first);
  bptr(&m, (uint16_t)(first + 4));
  brr_head(&m, SBX_DNS_A, 1, 4);
  bbytes(&m, "\x01\x02\x03\x04", 4);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* A pointer cut in half at the end. */
  bresponse(&m, 3, 0, 1, "x.test", SBX_DNS_A);
  b8(&m, 0xc0);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* Names built from pointers: 4 labels of 60 fit in 255 bytes, 5 do not. */
  for (int labels = 4; labels <= 5; labels++) {
    bresponse(&m, 3, 0, 2, "x.test", SBX_DNS_A);
    bname(&m, "x.test");
    brr_head(&m, 99, 1, (uint16_t)(61 * labels + 2 * (labels - 1) + 1));
    size_t prev = 0;
    for (int i = 0; i < labels; i++) {
      size_t here = m.n;
      b8(&m, 60);
      for (int j = 0; j < 60; j++)
        b8(&m, 'z');
      if (prev)
        bptr(&m, (uint16_t)prev);
      else
        b8(&m, 0);
      prev = here;
    }
    bptr(&m, (uint16_t)prev);
    brr_head(&m, SBX_DNS_A, 1, 4);
    bbytes(&m, "\x01\x02\x03\x04", 4);
    CHECK_INT(sbx_dns_parse_response(m.b, m.n, 3, "x.test", SBX_DNS_A, &a),
              labels == 4 ? SBX_DNS_OK : SBX_DNS_E_FORMAT);
  }
}

static void test_response_bad_records(void)
{
  struct buf m;
  struct sbx_dns_answer a;

  bresponse(&m, 5, 0, 1, "x.test", SBX_DNS_A);
  bname(&m, "x.test");
  brr_head(&m, SBX_DNS_A, 60, 5);
  bbytes(&m, "\x01\x02\x03\x04\x05", 5);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  bresponse(&m, 5, 0, 1, "x.test", SBX_DNS_AAAA);
  bname(&m, "x.test");
  brr_head(&m, SBX_DNS_AAAA, 60, 4);
  bbytes(&m, "\x01\x02\x03\x04", 4);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_AAAA, &a), SBX_DNS_E_FORMAT);
  /* rdlength beyond the message. */
  bresponse(&m, 5, 0, 1, "x.test", SBX_DNS_A);
  bname(&m, "x.test");
  brr_head(&m, SBX_DNS_A, 60, 4);
  bbytes(&m, "\x01\x02", 2);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* More records announced than present. */
  bresponse(&m, 5, 0, 2, "x.test", SBX_DNS_A);
  brr_a(&m, "x.test", 60, "192.0.2.1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* CNAME data longer than its name. */
  bresponse(&m, 5, 0, 1, "x.test", SBX_DNS_A);
  bname(&m, "x.test");
  brr_head(&m, SBX_DNS_CNAME, 60, 5);
  bbytes(&m, "\x01y\x00\x00\x00", 5);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* Two questions. */
  bresponse(&m, 5, 0, 0, "x.test", SBX_DNS_A);
  m.b[5] = 2;
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_E_FORMAT);
  /* A class other than IN is ignored, whatever its data. */
  bresponse(&m, 5, 0, 2, "x.test", SBX_DNS_A);
  bname(&m, "x.test");
  b16(&m, SBX_DNS_A); b16(&m, 3); b32(&m, 60); b16(&m, 1); b8(&m, 9);
  brr_a(&m, "x.test", 60, "192.0.2.1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.n_addrs, 1);
}

static void test_response_ttl_and_tc(void)
{
  struct buf m;
  struct sbx_dns_answer a;

  bresponse(&m, 5, 0, 1, "x.test", SBX_DNS_A);
  brr_a(&m, "x.test", 0x80000010u, "192.0.2.1");    /* top bit: counts as 0 */
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.addrs[0].ttl, 0);
  /* TC: only the flag; the records may be cut. */
  bresponse(&m, 5, SBX_DNS_F_TC, 3, "x.test", SBX_DNS_A);
  brr_a(&m, "x.test", 10, "192.0.2.1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK(a.truncated);
  CHECK_INT(a.n_addrs, 0);
  /* No records. */
  bresponse(&m, 5, 0, 0, "x.test", SBX_DNS_A);
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_U64(sbx_dns_answer_ttl(&a), UINT32_MAX);
}

static void test_filter_and_cap(void)
{
  struct buf m;
  struct sbx_dns_answer a;
  struct sbx_dns_addr first;
  size_t blocked, capped;
  char t[INET6_ADDRSTRLEN];
  int calls = 0;

  bresponse(&m, 5, 0, 70, "x.test", SBX_DNS_A);
  for (int i = 0; i < 70; i++) {
    char addr[32];
    snprintf(addr, sizeof addr, i % 10 == 3 ? "10.0.0.%d" : "192.0.2.%d", i);
    brr_a(&m, "x.test", 60, addr);
  }
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_A, &a), SBX_DNS_OK);
  CHECK_INT(a.n_addrs, SBX_DNS_MAX_ADDRS);
  CHECK_INT(a.n_over, 6);
  sbx_dns_filter_addrs(&a, blocked_private, &calls, 16, &blocked, &capped, &first);
  CHECK_INT(calls, 64);
  CHECK_INT(blocked, 7);          /* 3, 13, ..., 63 */
  CHECK_STR(addr_text(&first, t), "10.0.0.3");
  CHECK_INT(a.n_addrs, 16);
  CHECK_INT(capped, 64 - 7 - 16 + 6);
  for (size_t i = 0; i < a.n_addrs; i++)
    CHECK(a.addrs[i].bytes[0] == 192);
  CHECK_STR(addr_text(&a.addrs[3], t), "192.0.2.4");

  /* Everything blocked. */
  bresponse(&m, 5, 0, 2, "x.test", SBX_DNS_AAAA);
  brr_aaaa(&m, "x.test", 60, "fd00::1");
  brr_aaaa(&m, "x.test", 60, "fc00::1");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "x.test", SBX_DNS_AAAA, &a), SBX_DNS_OK);
  sbx_dns_filter_addrs(&a, blocked_private, NULL, 16, &blocked, &capped, NULL);
  CHECK_INT(blocked, 2);
  CHECK_INT(a.n_addrs, 0);
}

/* The answer built for a client re-reads to the same chain and addresses,
 * and carries the client's ID, question and EDNS. */
static void test_build_response_round_trip(void)
{
  struct buf m;
  struct sbx_dns_answer a, b;
  uint8_t out[4096];

  bresponse(&m, 5, 0, 4, "www.example.com", SBX_DNS_A);
  brr_cname(&m, "www.example.com", 300, "cdn.example.net");
  brr_cname(&m, "cdn.example.net", 60, "edge.cdn.net");
  brr_a(&m, "edge.cdn.net", 30, "192.0.2.1");
  brr_a(&m, "edge.cdn.net", 30, "192.0.2.2");
  CHECK_INT(sbx_dns_parse_response(m.b, m.n, 5, "www.example.com", SBX_DNS_A, &a), SBX_DNS_OK);

  struct sbx_dns_query q = parse_ok(W(HDR_Q_OPT "\x03" "WwW" EXAMPLE_COM QT("\x01")
                                      "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"));
  size_t n = sbx_dns_build_response(&q, &a, 25, out, sizeof out);
  CHECK(n > 0);
  CHECK_INT(out[0], 0x12);
  CHECK_INT(out[1], 0x34);
  CHECK_INT(out[2], 0x81);
  CHECK_INT(out[3], 0x80);
  CHECK(memcmp(out + 12, q.question, q.question_len) == 0);
  /* Parsed as upstream's answer to the same question. */
  out[0] = 0;
  out[1] = 5;
  CHECK_INT(sbx_dns_parse_response(out, n, 5, "www.example.com", SBX_DNS_A, &b), SBX_DNS_OK);
  CHECK_INT(b.n_chain, 2);
  CHECK_STR(b.chain[0], "cdn.example.net");
  CHECK_STR(b.chain[1], "edge.cdn.net");
  CHECK_INT(b.n_addrs, 2);
  CHECK(memcmp(b.addrs[1].bytes, a.addrs[1].bytes, 4) == 0);
  CHECK_INT(sbx_dns_answer_ttl(&b), 25);
  /* One OPT at the end, nothing in authority. */
  CHECK_INT(out[9], 0);
  CHECK_INT(out[11], 1);
  CHECK(bytes_equal(out + n - 11, 11, W("\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00")));
  /* Does not fit: 0. */
  CHECK_INT(sbx_dns_build_response(&q, &a, 25, out, n - 1), 0);
  CHECK_INT(sbx_dns_build_response(&q, &a, 25, out, n), n);

  /* The exact bytes of a one-address answer without EDNS. */
  q = parse_ok(W(HDR_Q EXAMPLE_COM QT("\x1c")));
  memset(&a, 0, sizeof a);
  a.n_addrs = 1;
  a.addrs[0].family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", a.addrs[0].bytes);
  n = sbx_dns_build_response(&q, &a, 60, out, sizeof out);
  CHECK_BYTES(out, n, "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" EXAMPLE_COM QT("\x1c")
              "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10"
              "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01");
}

static void test_type_names(void)
{
  char buf[16];
  CHECK_STR(sbx_dns_type_name(SBX_DNS_HTTPS, buf, sizeof buf), "HTTPS");
  CHECK_STR(sbx_dns_type_name(SBX_DNS_ANY, buf, sizeof buf), "ANY");
  CHECK_STR(sbx_dns_type_name(1234, buf, sizeof buf), "TYPE1234");
}

int main(void)
{
  RUN(test_query_table);
  RUN(test_query_name_limits);
  RUN(test_valid_name);
  RUN(test_build_local);
  RUN(test_build_upstream_query);
  RUN(test_response_simple);
  RUN(test_response_cname_chain);
  RUN(test_response_chain_limits);
  RUN(test_response_compression);
  RUN(test_response_bad_records);
  RUN(test_response_ttl_and_tc);
  RUN(test_filter_and_cap);
  RUN(test_build_response_round_trip);
  RUN(test_type_names);
  return unit_finish("test-dns-message");
}
