/* fuzz-dns-message.c: libFuzzer harness for src/dns_message.c (`make fuzz`).
 * Every input is read both as a client's query and as upstream's response
 * (its own first two bytes as the ID, for example.com A and AAAA); the
 * messages built from what was read must fit their buffers and read back
 * to the same thing, else the harness aborts:
 *   - a query that reads OK: the upstream query built for it reads back as
 *     a query for the same name and type; every local answer is built;
 *   - a response that reads OK: the address filter and cap (2) account for
 *     every address, the chain holds host names only, and the answer built
 *     for a client reads back with the same chain and addresses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_message.h"

static bool block_ten(void *ctx, int family, const uint8_t *a)
{
  (void)ctx;
  return family == AF_INET ? a[0] == 10 : a[0] == 0xfd;
}

static void check(bool ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-dns-message: %s\n", what);
    abort();
  }
}

static void fuzz_query(const uint8_t *data, size_t size)
{
  static uint8_t out[65536];
  struct sbx_dns_query q, back;
  enum sbx_dns_status st = sbx_dns_parse_query(data, size, &q);

  if (st == SBX_DNS_E_SHORT || st == SBX_DNS_E_NOT_QUERY)
    return;
  for (uint8_t rcode = 0; rcode < 6; rcode++)
    check(sbx_dns_build_local(&q, rcode, out, SBX_DNS_HEADER_LEN + SBX_DNS_MAX_QUESTION + 11) > 0,
          "local answer does not fit");
  check(sbx_dns_build_truncated(&q, out, sizeof out) > 0, "truncated answer not built");
  if (st != SBX_DNS_OK)
    return;
  char type[16];
  check(sbx_dns_valid_name(q.name), "query read OK with an invalid name");
  check(sbx_dns_type_name(q.qtype, type, sizeof type)[0] != '\0', "type name");
  size_t n = sbx_dns_build_upstream_query(&q, 0x4242, out, sizeof out);
  check(n > 0, "upstream query not built");
  check(sbx_dns_parse_query(out, n, &back) == SBX_DNS_OK, "upstream query does not read back");
  check(strcmp(back.name, q.name) == 0 && back.qtype == q.qtype && back.id == 0x4242,
        "upstream query reads back differently");
}

static void fuzz_response(const uint8_t *data, size_t size, uint16_t qtype)
{
  static const uint8_t query[] = "\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
                                 "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01"
                                 "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00";
  static uint8_t out[65536];
  struct sbx_dns_answer a, back;
  struct sbx_dns_query q;
  size_t blocked, capped;

  if (size < 2)
    return;
  uint16_t id = (uint16_t)(data[0] << 8 | data[1]);
  if (sbx_dns_parse_response(data, size, id, "example.com", qtype, &a) != SBX_DNS_OK ||
      a.truncated)
    return;
  struct sbx_dns_addr first;
  size_t before = a.n_addrs + a.n_over;
  sbx_dns_filter_addrs(&a, block_ten, NULL, 2, &blocked, &capped, &first);
  check(a.n_addrs <= 2 && a.n_addrs + blocked + capped == before, "cap or counts wrong");
  check(blocked == 0 || block_ten(NULL, first.family, first.bytes), "first blocked is not");
  for (size_t i = 0; i < a.n_chain; i++)
    check(sbx_dns_valid_name(a.chain[i]), "chain name not a host name");
  uint32_t ttl = sbx_dns_answer_ttl(&a);
  check(sbx_dns_parse_query(query, sizeof query - 1, &q) == SBX_DNS_OK, "fixed query");
  q.qtype = qtype;
  q.question[q.question_len - 3] = (uint8_t)qtype;
  size_t n = sbx_dns_build_response(&q, &a, ttl, out, sizeof out);
  check(n > 0, "client answer does not fit 64 KiB");
  check(sbx_dns_parse_response(out, n, 7, "example.com", qtype, &back) == SBX_DNS_OK,
        "client answer does not read back");
  check(back.rcode == a.rcode && back.n_chain == a.n_chain && back.n_addrs == a.n_addrs,
        "client answer reads back with other counts");
  for (size_t i = 0; i < a.n_chain; i++)
    check(strcmp(back.chain[i], a.chain[i]) == 0, "chain differs");
  for (size_t i = 0; i < a.n_addrs; i++)
    check(back.addrs[i].family == a.addrs[i].family &&
          memcmp(back.addrs[i].bytes, a.addrs[i].bytes, 16) == 0, "addresses differ");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_query(data, size);
  fuzz_response(data, size, SBX_DNS_A);
  fuzz_response(data, size, SBX_DNS_AAAA);
  return 0;
}
