/* dns_message.h: the DNS wire format as agentsbx's resolver needs it, and
 * nothing more.  Pure functions over byte buffers (no syscalls, no
 * allocation), so every one of them can be fuzzed.
 *
 * Queries from the container are read strictly:
 *   - a standard query (QR 0, opcode QUERY) with exactly one question, no
 *     answer or authority records, and at most one additional record, an
 *     EDNS OPT of version 0 at the root name; nothing after it;
 *   - the question name is read without compression pointers (a query has
 *     nothing earlier to point at: a pointer there is FORMERR), each label
 *     at most 63 bytes, the whole name at most 255 wire bytes (253
 *     characters as text), extended label types refused;
 *   - a name is a host name when it has at least one label and every byte
 *     is a letter, digit, '-' or '_' (letters are lowercased, the trailing
 *     dot is never part of the text); other bytes make the query
 *     well-formed but SBX_DNS_E_NAME (the resolver answers NXDOMAIN), and
 *     the text is then the escaped presentation form for the audit.
 * Responses from upstream are read defensively: compression pointers must
 * land after the header and strictly before where the name being read
 * started (so a name cannot loop), names stay within 255 bytes, every
 * record's data lies inside the message, A data is 4 bytes and AAAA 16.
 * The answer section's CNAME chain is followed from the question name (at
 * most SBX_DNS_MAX_CHAIN hops); the addresses kept are the records of the
 * asked type owned by the chain's last name.  Everything else (other
 * records, authority, additional, EDNS options) is dropped: the answer to
 * the client is built anew from the question it sent, the chain and the
 * addresses, never copied from upstream. */
#ifndef SBX_DNS_MESSAGE_H
#define SBX_DNS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_DNS_HEADER_LEN 12
#define SBX_DNS_MAX_LABEL 63
#define SBX_DNS_MAX_WIRE_NAME 255
#define SBX_DNS_MAX_NAME 253             /* as text, without the trailing dot */
#define SBX_DNS_MAX_QUESTION (SBX_DNS_MAX_WIRE_NAME + 4)
/* Text of a name that is not a host name, escaped (\DDD per byte). */
#define SBX_DNS_NAME_BUF (4 * SBX_DNS_MAX_WIRE_NAME + 1)
#define SBX_DNS_MAX_CHAIN 16             /* CNAME hops followed */
#define SBX_DNS_MAX_ADDRS 64             /* addresses read from one answer */
#define SBX_DNS_UDP_PAYLOAD 1232         /* what we advertise in OPT */
#define SBX_DNS_CLASS_IN 1

enum sbx_dns_type {
  SBX_DNS_A = 1,
  SBX_DNS_NS = 2,
  SBX_DNS_CNAME = 5,
  SBX_DNS_SOA = 6,
  SBX_DNS_PTR = 12,
  SBX_DNS_MX = 15,
  SBX_DNS_TXT = 16,
  SBX_DNS_AAAA = 28,
  SBX_DNS_OPT = 41,
  SBX_DNS_SVCB = 64,
  SBX_DNS_HTTPS = 65,
  SBX_DNS_ANY = 255,
};

enum sbx_dns_rcode {
  SBX_DNS_NOERROR = 0,
  SBX_DNS_FORMERR = 1,
  SBX_DNS_SERVFAIL = 2,
  SBX_DNS_NXDOMAIN = 3,
  SBX_DNS_NOTIMP = 4,
  SBX_DNS_REFUSED = 5,
};

/* Header flag bits (the second 16-bit word). */
#define SBX_DNS_F_QR 0x8000
#define SBX_DNS_F_OPCODE 0x7800
#define SBX_DNS_F_AA 0x0400
#define SBX_DNS_F_TC 0x0200
#define SBX_DNS_F_RD 0x0100
#define SBX_DNS_F_RA 0x0080
#define SBX_DNS_F_RCODE 0x000f

enum sbx_dns_status {
  SBX_DNS_OK = 0,
  SBX_DNS_E_SHORT,      /* shorter than a header: nothing to answer */
  SBX_DNS_E_NOT_QUERY,  /* a query with QR set (a response): never answered */
  SBX_DNS_E_OPCODE,     /* not a standard query: NOTIMP, header only */
  SBX_DNS_E_FORMAT,     /* malformed: FORMERR (queries) or unusable (responses) */
  SBX_DNS_E_NAME,       /* well-formed, but the name is not a host name */
  SBX_DNS_E_MISMATCH,   /* a response to another query (ID, QR or question) */
};

struct sbx_dns_query {
  uint16_t id;
  uint16_t flags;            /* the header's flags as sent */
  uint16_t qtype, qclass;
  /* Lowercase, no trailing dot; escaped when SBX_DNS_E_NAME. */
  char name[SBX_DNS_NAME_BUF];
  /* The question as sent (name as the client cased it, type, class), echoed
   * in every answer; 0 when the question could not be read. */
  size_t question_len;
  uint8_t question[SBX_DNS_MAX_QUESTION];
  bool edns;                 /* the query carried an OPT record */
  uint16_t edns_udp_size;    /* its payload size, at least 512 */
};

struct sbx_dns_addr {
  int family;                /* AF_INET or AF_INET6 */
  uint8_t bytes[16];         /* 4 or 16 bytes used, network order */
  uint32_t ttl;
};

struct sbx_dns_answer {
  uint8_t rcode;
  bool truncated;            /* TC: ask again over TCP */
  /* The CNAME chain from the question name: chain[i] is the target of hop
   * i, with that record's TTL. */
  size_t n_chain;
  char chain[SBX_DNS_MAX_CHAIN][SBX_DNS_MAX_NAME + 1];
  uint32_t chain_ttl[SBX_DNS_MAX_CHAIN];
  /* Records of the asked type owned by the chain's last name (the question
   * name when there is no chain), duplicates removed, in message order. */
  size_t n_addrs;
  struct sbx_dns_addr addrs[SBX_DNS_MAX_ADDRS];
  size_t n_over;             /* more such records than addrs holds */
};

/* Read a client's query.  q->id and q->flags are set once the header was
 * read (every status but SBX_DNS_E_SHORT); q->question, qtype and qclass
 * with SBX_DNS_OK and SBX_DNS_E_NAME.  After SBX_DNS_E_FORMAT, q holds only
 * the header, so the FORMERR answer is the bare header. */
enum sbx_dns_status sbx_dns_parse_query(const uint8_t *msg, size_t len,
                                        struct sbx_dns_query *q);

/* Whether a name (text as in sbx_dns_query) is a host name by the rules
 * above; a caller's own names (a policy entry, say) can be checked alike. */
bool sbx_dns_valid_name(const char *name);

/* An answer made here: same ID, opcode and RD as the query, QR and RA set,
 * rcode; the question echoed when it was read; a plain OPT (our payload
 * size, no options) when the query had one.  Returns the length, or 0 when
 * cap is too small (SBX_DNS_HEADER_LEN + SBX_DNS_MAX_QUESTION + 11 always
 * suffices). */
size_t sbx_dns_build_local(const struct sbx_dns_query *q, uint8_t rcode, uint8_t *out,
                           size_t cap);
/* The same with TC set and rcode NOERROR: "ask me over TCP". */
size_t sbx_dns_build_truncated(const struct sbx_dns_query *q, uint8_t *out, size_t cap);

/* The query sent upstream for q: the given ID, RD, the lowercase name,
 * q->qtype, class IN, and a plain OPT (payload SBX_DNS_UDP_PAYLOAD, no
 * options: the client's EDNS options, client-subnet included, never leave).
 * Returns the length, or 0 when cap is too small or the name is not a host
 * name. */
size_t sbx_dns_build_upstream_query(const struct sbx_dns_query *q, uint16_t id, uint8_t *out,
                                    size_t cap);

/* Read upstream's response to the query sent with id for (name, qtype,
 * IN).  SBX_DNS_E_MISMATCH: not the response to that query (ignore it and
 * keep waiting); SBX_DNS_E_SHORT / E_FORMAT: unusable.  With TC set only
 * rcode and truncated are filled. */
enum sbx_dns_status sbx_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id,
                                           const char *name, uint16_t qtype,
                                           struct sbx_dns_answer *a);

/* An address the caller's policy refuses (true: drop it). */
typedef bool (*sbx_dns_addr_blocked_fn)(void *ctx, int family, const uint8_t *addr);

/* Drop the addresses blocked says to drop, then keep at most max_addrs of
 * the rest (in order; n_over counts as capped).  Counts go to *n_blocked and
 * *n_capped; *first_blocked (when not NULL) receives the first blocked one. */
void sbx_dns_filter_addrs(struct sbx_dns_answer *a, sbx_dns_addr_blocked_fn blocked, void *ctx,
                          size_t max_addrs, size_t *n_blocked, size_t *n_capped,
                          struct sbx_dns_addr *first_blocked);

/* The smallest TTL of the chain and the kept addresses (what a client may
 * cache the whole answer for); UINT32_MAX when the answer has no records. */
uint32_t sbx_dns_answer_ttl(const struct sbx_dns_answer *a);

/* The answer to the client: header as sbx_dns_build_local with a->rcode,
 * the question it sent, the CNAME chain, the kept addresses, every record's
 * TTL set to ttl, a plain OPT when the query had one; names compressed
 * only as pointers to names written earlier in this message.  Returns the
 * length, or 0 when it does not fit in cap (the caller then sends
 * sbx_dns_build_truncated). */
size_t sbx_dns_build_response(const struct sbx_dns_query *q, const struct sbx_dns_answer *a,
                              uint32_t ttl, uint8_t *out, size_t cap);

/* "A", "AAAA", "TXT", ... or "TYPE123" (buf holds at least 12 bytes). */
const char *sbx_dns_type_name(uint16_t type, char *buf, size_t size);

#endif
