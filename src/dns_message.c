/* dns_message.c: reading and writing DNS messages (see dns_message.h).
 * Every read is bounds-checked against the message length before it
 * happens; every write against the output capacity (a writer that ran out
 * of room stays failed and the builder returns 0). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dns_message.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_CNAMES 32   /* CNAME records of one answer considered */
#define OPT_RR_LEN 11   /* root name, type, class, ttl, rdlength */

static uint16_t get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- names ---- */

static bool host_char(uint8_t c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static uint8_t lower(uint8_t c)
{
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Where a name's text goes while it is read.  A name with a byte that is
 * not a host-name byte is marked !host; with escape, such bytes are written
 * as \DDD (for the audit), else the text is left incomplete. */
struct name_out {
  char *text;
  size_t cap, len;
  bool host, escape;
};

static void name_put(struct name_out *o, const char *s, size_t n)
{
  if (o->len + n >= o->cap) {
    o->host = false;   /* cannot happen for the sizes used; never overflow */
    return;
  }
  memcpy(o->text + o->len, s, n);
  o->len += n;
  o->text[o->len] = '\0';
}

static void name_add_label(struct name_out *o, const uint8_t *label, size_t n)
{
  if (o->len > 0)
    name_put(o, ".", 1);
  for (size_t i = 0; i < n; i++) {
    char c = (char)lower(label[i]);
    if (host_char((uint8_t)c)) {
      name_put(o, &c, 1);
      continue;
    }
    o->host = false;
    if (o->escape) {
      char esc[5];
      snprintf(esc, sizeof esc, "\\%03u", label[i]);
      name_put(o, esc, 4);
    }
  }
}

/* Read the name at *off into o and move *off past it.  A pointer must land
 * after the header and before where the current name (or the part reached
 * by the last pointer) started, so targets strictly decrease and no name
 * can loop.  A query's question starts right after the header, so a
 * pointer there is always refused. */
static bool read_name(const uint8_t *msg, size_t len, size_t *off, struct name_out *o)
{
  size_t pos = *off, start = *off, wire = 0, after = 0;
  bool jumped = false;

  if (o->cap > 0)
    o->text[0] = '\0';
  o->len = 0;
  o->host = true;
  for (;;) {
    if (pos >= len)
      return false;
    uint8_t c = msg[pos];
    if ((c & 0xc0) == 0xc0) {
      if (pos + 1 >= len)
        return false;
      size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
      if (target < SBX_DNS_HEADER_LEN || target >= start)
        return false;
      if (!jumped)
        after = pos + 2;
      jumped = true;
      start = pos = target;
      continue;
    }
    if (c & 0xc0)
      return false;   /* extended label types (0x40, 0x80) */
    wire += 1 + (size_t)c;
    if (wire > SBX_DNS_MAX_WIRE_NAME)
      return false;
    if (c == 0)
      break;
    if (pos + 1 + c > len)
      return false;
    name_add_label(o, msg + pos + 1, c);
    pos += 1 + (size_t)c;
  }
  if (o->len == 0)
    o->host = false;   /* the root is no host */
  *off = jumped ? after : pos + 1;
  return true;
}

bool sbx_dns_valid_name(const char *name)
{
  size_t n = strlen(name), label = 0;

  if (n == 0 || n > SBX_DNS_MAX_NAME)
    return false;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || name[i] == '.') {
      if (label == 0 || label > SBX_DNS_MAX_LABEL)
        return false;
      label = 0;
      continue;
    }
    if (!host_char(lower((uint8_t)name[i])))
      return false;
    label++;
  }
  return true;
}

/* ---- queries ---- */

static bool read_opt(const uint8_t *msg, size_t len, size_t *off, struct sbx_dns_query *q)
{
  size_t p = *off;

  if (p + OPT_RR_LEN > len || msg[p] != 0 || get16(msg + p + 1) != SBX_DNS_OPT)
    return false;
  uint16_t payload = get16(msg + p + 3);
  uint8_t version = msg[p + 6];
  size_t rdlen = get16(msg + p + 9);
  if (version != 0 || p + OPT_RR_LEN + rdlen > len)
    return false;
  q->edns = true;
  q->edns_udp_size = payload < 512 ? 512 : payload;
  *off = p + OPT_RR_LEN + rdlen;
  return true;
}

static enum sbx_dns_status read_query_body(const uint8_t *msg, size_t len,
                                           struct sbx_dns_query *q)
{
  uint16_t qdcount = get16(msg + 4), ancount = get16(msg + 6);
  uint16_t nscount = get16(msg + 8), arcount = get16(msg + 10);
  struct name_out o = { .text = q->name, .cap = sizeof q->name, .escape = true };
  size_t off = SBX_DNS_HEADER_LEN;

  if (qdcount != 1 || ancount != 0 || nscount != 0 || arcount > 1)
    return SBX_DNS_E_FORMAT;
  if (!read_name(msg, len, &off, &o) || off + 4 > len)
    return SBX_DNS_E_FORMAT;
  q->qtype = get16(msg + off);
  q->qclass = get16(msg + off + 2);
  off += 4;
  q->question_len = off - SBX_DNS_HEADER_LEN;
  memcpy(q->question, msg + SBX_DNS_HEADER_LEN, q->question_len);
  if (arcount == 1 && !read_opt(msg, len, &off, q))
    return SBX_DNS_E_FORMAT;
  if (off != len)
    return SBX_DNS_E_FORMAT;   /* bytes after the last record */
  if (!o.host) {
    if (o.len == 0)
      snprintf(q->name, sizeof q->name, ".");
    return SBX_DNS_E_NAME;
  }
  return SBX_DNS_OK;
}

enum sbx_dns_status sbx_dns_parse_query(const uint8_t *msg, size_t len,
                                        struct sbx_dns_query *q)
{
  memset(q, 0, sizeof *q);
  if (len < SBX_DNS_HEADER_LEN)
    return SBX_DNS_E_SHORT;
  q->id = get16(msg);
  q->flags = get16(msg + 2);
  if (q->flags & SBX_DNS_F_QR)
    return SBX_DNS_E_NOT_QUERY;
  if (q->flags & SBX_DNS_F_OPCODE)
    return SBX_DNS_E_OPCODE;
  enum sbx_dns_status st = read_query_body(msg, len, q);
  if (st == SBX_DNS_E_FORMAT) {
    /* A FORMERR answer is the bare header: nothing read is trusted. */
    q->question_len = 0;
    q->edns = false;
    q->name[0] = '\0';
  }
  return st;
}

/* ---- writing ---- */

struct writer {
  uint8_t *out;
  size_t cap, len;
  bool ok;
};

static void put(struct writer *w, const void *data, size_t n)
{
  if (!w->ok || w->len + n > w->cap) {
    w->ok = false;
    return;
  }
  memcpy(w->out + w->len, data, n);
  w->len += n;
}

static void put16(struct writer *w, uint16_t v)
{
  uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
  put(w, b, 2);
}

static void put32(struct writer *w, uint32_t v)
{
  uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
  put(w, b, 4);
}

static void put_header(struct writer *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                       uint16_t ar)
{
  put16(w, id);
  put16(w, flags);
  put16(w, qd);
  put16(w, an);
  put16(w, 0);
  put16(w, ar);
}

/* A host name's text as uncompressed labels. */
static void put_name(struct writer *w, const char *name)
{
  const char *p = name;

  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n > SBX_DNS_MAX_LABEL) {
      w->ok = false;
      return;
    }
    uint8_t l = (uint8_t)n;
    put(w, &l, 1);
    put(w, p, n);
    p += n + (dot ? 1 : 0);
  }
  put(w, "", 1);
}

static void put_opt(struct writer *w)
{
  put(w, "", 1);
  put16(w, SBX_DNS_OPT);
  put16(w, SBX_DNS_UDP_PAYLOAD);
  put32(w, 0);    /* extended rcode 0, version 0, no DO: no signatures kept */
  put16(w, 0);
}

static uint16_t answer_flags(const struct sbx_dns_query *q, uint8_t rcode)
{
  return (uint16_t)(SBX_DNS_F_QR | (q->flags & (SBX_DNS_F_OPCODE | SBX_DNS_F_RD)) |
                    SBX_DNS_F_RA | (rcode & SBX_DNS_F_RCODE));
}

static size_t build_bare(const struct sbx_dns_query *q, uint16_t flags, uint8_t *out, size_t cap)
{
  struct writer w = { out, cap, 0, true };

  put_header(&w, q->id, flags, q->question_len ? 1 : 0, 0, q->edns ? 1 : 0);
  put(&w, q->question, q->question_len);
  if (q->edns)
    put_opt(&w);
  return w.ok ? w.len : 0;
}

size_t sbx_dns_build_local(const struct sbx_dns_query *q, uint8_t rcode, uint8_t *out, size_t cap)
{
  return build_bare(q, answer_flags(q, rcode), out, cap);
}

size_t sbx_dns_build_truncated(const struct sbx_dns_query *q, uint8_t *out, size_t cap)
{
  return build_bare(q, answer_flags(q, SBX_DNS_NOERROR) | SBX_DNS_F_TC, out, cap);
}

size_t sbx_dns_build_upstream_query(const struct sbx_dns_query *q, uint16_t id, uint8_t *out,
                                    size_t cap)
{
  struct writer w = { out, cap, 0, true };

  if (!sbx_dns_valid_name(q->name))
    return 0;
  put_header(&w, id, SBX_DNS_F_RD, 1, 0, 1);
  put_name(&w, q->name);
  put16(&w, q->qtype);
  put16(&w, SBX_DNS_CLASS_IN);
  put_opt(&w);
  return w.ok ? w.len : 0;
}

/* A record whose owner is the name at owner_off (a pointer); returns the
 * offset where its data starts. */
static size_t put_rr_head(struct writer *w, size_t owner_off, uint16_t type, uint32_t ttl,
                          uint16_t rdlen)
{
  if (owner_off > 0x3fff) {
    w->ok = false;
    return 0;
  }
  put16(w, (uint16_t)(0xc000 | owner_off));
  put16(w, type);
  put16(w, SBX_DNS_CLASS_IN);
  put32(w, ttl);
  put16(w, rdlen);
  return w->len;
}

size_t sbx_dns_build_response(const struct sbx_dns_query *q, const struct sbx_dns_answer *a,
                              uint32_t ttl, uint8_t *out, size_t cap)
{
  struct writer w = { out, cap, 0, true };
  size_t owner = SBX_DNS_HEADER_LEN;   /* the question's name */
  size_t n_an = a->n_chain + a->n_addrs;

  if (q->question_len == 0 || n_an > 0xffff)
    return 0;
  put_header(&w, q->id, answer_flags(q, a->rcode), 1, (uint16_t)n_an, q->edns ? 1 : 0);
  put(&w, q->question, q->question_len);
  for (size_t i = 0; i < a->n_chain; i++) {
    size_t rdlen_at = w.len + 10;
    size_t target = put_rr_head(&w, owner, SBX_DNS_CNAME, ttl, 0);
    put_name(&w, a->chain[i]);
    if (!w.ok)
      return 0;
    size_t rdlen = w.len - target;
    out[rdlen_at] = (uint8_t)(rdlen >> 8);
    out[rdlen_at + 1] = (uint8_t)rdlen;
    owner = target;
  }
  for (size_t i = 0; i < a->n_addrs; i++) {
    bool v4 = a->addrs[i].family == AF_INET;
    put_rr_head(&w, owner, v4 ? SBX_DNS_A : SBX_DNS_AAAA, ttl, v4 ? 4 : 16);
    put(&w, a->addrs[i].bytes, v4 ? 4 : 16);
  }
  if (q->edns)
    put_opt(&w);
  return w.ok ? w.len : 0;
}

/* ---- responses ---- */

struct cname {
  char owner[SBX_DNS_MAX_NAME + 1];
  char target[SBX_DNS_MAX_NAME + 1];
  uint32_t ttl;
};

struct rr {
  bool host;                            /* the owner is a host name */
  char owner[SBX_DNS_MAX_NAME + 1];
  uint16_t type, class;
  uint32_t ttl;
  size_t rdata, rdlen;
};

/* TTLs with the top bit set count as 0 (RFC 2181 8). */
static uint32_t ttl_value(uint32_t raw)
{
  return raw & 0x80000000u ? 0 : raw;
}

static bool read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *rr)
{
  struct name_out o = { .text = rr->owner, .cap = sizeof rr->owner };

  if (!read_name(msg, len, off, &o) || *off + 10 > len)
    return false;
  rr->host = o.host;
  rr->type = get16(msg + *off);
  rr->class = get16(msg + *off + 2);
  rr->ttl = ttl_value(get32(msg + *off + 4));
  rr->rdlen = get16(msg + *off + 8);
  rr->rdata = *off + 10;
  if (rr->rdata + rr->rdlen > len)
    return false;
  *off = rr->rdata + rr->rdlen;
  if (rr->class != SBX_DNS_CLASS_IN)
    return true;
  if ((rr->type == SBX_DNS_A && rr->rdlen != 4) || (rr->type == SBX_DNS_AAAA && rr->rdlen != 16))
    return false;
  return true;
}

/* First pass: check every answer record, keep the CNAMEs between host
 * names. */
static bool collect_cnames(const uint8_t *msg, size_t len, size_t off, uint16_t ancount,
                           struct cname *cn, size_t *n_cn)
{
  struct rr rr;

  *n_cn = 0;
  for (uint16_t i = 0; i < ancount; i++) {
    if (!read_rr(msg, len, &off, &rr))
      return false;
    if (rr.class != SBX_DNS_CLASS_IN || rr.type != SBX_DNS_CNAME)
      continue;
    char target[SBX_DNS_MAX_NAME + 1];
    struct name_out o = { .text = target, .cap = sizeof target };
    size_t t = rr.rdata;
    if (!read_name(msg, len, &t, &o) || t != rr.rdata + rr.rdlen)
      return false;
    if (!rr.host || !o.host || *n_cn == MAX_CNAMES)
      continue;
    struct cname *c = &cn[(*n_cn)++];
    memcpy(c->owner, rr.owner, sizeof c->owner);
    memcpy(c->target, target, sizeof c->target);
    c->ttl = rr.ttl;
  }
  return true;
}

static bool follow_chain(const char *name, const struct cname *cn, size_t n_cn,
                         struct sbx_dns_answer *a)
{
  const char *cur = name;

  for (;;) {
    const struct cname *next = NULL;
    for (size_t i = 0; i < n_cn && next == NULL; i++)
      if (strcmp(cn[i].owner, cur) == 0)
        next = &cn[i];
    if (next == NULL)
      return true;
    if (a->n_chain == SBX_DNS_MAX_CHAIN)
      return false;    /* too long, or a loop */
    memcpy(a->chain[a->n_chain], next->target, sizeof a->chain[0]);
    a->chain_ttl[a->n_chain] = next->ttl;
    cur = a->chain[a->n_chain++];
  }
}

static void add_addr(struct sbx_dns_answer *a, int family, const uint8_t *bytes, uint32_t ttl)
{
  size_t n = family == AF_INET ? 4 : 16;

  for (size_t i = 0; i < a->n_addrs; i++)
    if (a->addrs[i].family == family && memcmp(a->addrs[i].bytes, bytes, n) == 0) {
      if (ttl < a->addrs[i].ttl)
        a->addrs[i].ttl = ttl;
      return;
    }
  if (a->n_addrs == SBX_DNS_MAX_ADDRS) {
    a->n_over++;
    return;
  }
  struct sbx_dns_addr *d = &a->addrs[a->n_addrs++];
  memset(d, 0, sizeof *d);
  d->family = family;
  memcpy(d->bytes, bytes, n);
  d->ttl = ttl;
}

/* Second pass: the records of the asked type owned by the chain's end. */
static void collect_addrs(const uint8_t *msg, size_t len, size_t off, uint16_t ancount,
                          const char *owner, uint16_t qtype, struct sbx_dns_answer *a)
{
  struct rr rr;

  for (uint16_t i = 0; i < ancount; i++) {
    if (!read_rr(msg, len, &off, &rr))
      return;   /* cannot happen: the first pass read them all */
    if (rr.class != SBX_DNS_CLASS_IN || rr.type != qtype || !rr.host ||
        strcmp(rr.owner, owner) != 0)
      continue;
    if (qtype == SBX_DNS_A)
      add_addr(a, AF_INET, msg + rr.rdata, rr.ttl);
    else if (qtype == SBX_DNS_AAAA)
      add_addr(a, AF_INET6, msg + rr.rdata, rr.ttl);
  }
}

enum sbx_dns_status sbx_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id,
                                           const char *name, uint16_t qtype,
                                           struct sbx_dns_answer *a)
{
  char qname[SBX_DNS_MAX_NAME + 1];
  struct name_out o = { .text = qname, .cap = sizeof qname };
  struct cname cn[MAX_CNAMES];
  size_t off = SBX_DNS_HEADER_LEN, n_cn;

  memset(a, 0, sizeof *a);
  if (len < SBX_DNS_HEADER_LEN)
    return SBX_DNS_E_SHORT;
  uint16_t flags = get16(msg + 2), ancount = get16(msg + 6);
  if (get16(msg) != id || !(flags & SBX_DNS_F_QR))
    return SBX_DNS_E_MISMATCH;
  if ((flags & SBX_DNS_F_OPCODE) || get16(msg + 4) != 1)
    return SBX_DNS_E_FORMAT;
  if (!read_name(msg, len, &off, &o) || off + 4 > len)
    return SBX_DNS_E_FORMAT;
  if (!o.host || strcmp(qname, name) != 0 || get16(msg + off) != qtype ||
      get16(msg + off + 2) != SBX_DNS_CLASS_IN)
    return SBX_DNS_E_MISMATCH;
  off += 4;
  a->rcode = flags & SBX_DNS_F_RCODE;
  a->truncated = flags & SBX_DNS_F_TC;
  if (a->truncated)
    return SBX_DNS_OK;
  if (!collect_cnames(msg, len, off, ancount, cn, &n_cn) || !follow_chain(name, cn, n_cn, a))
    return SBX_DNS_E_FORMAT;
  collect_addrs(msg, len, off, ancount, a->n_chain ? a->chain[a->n_chain - 1] : name, qtype, a);
  return SBX_DNS_OK;
}

void sbx_dns_filter_addrs(struct sbx_dns_answer *a, sbx_dns_addr_blocked_fn blocked, void *ctx,
                          size_t max_addrs, size_t *n_blocked, size_t *n_capped,
                          struct sbx_dns_addr *first_blocked)
{
  size_t kept = 0;

  *n_blocked = 0;
  *n_capped = a->n_over;
  for (size_t i = 0; i < a->n_addrs; i++) {
    if (blocked != NULL && blocked(ctx, a->addrs[i].family, a->addrs[i].bytes)) {
      if (*n_blocked == 0 && first_blocked != NULL)
        *first_blocked = a->addrs[i];
      (*n_blocked)++;
      continue;
    }
    if (kept == max_addrs) {
      (*n_capped)++;
      continue;
    }
    a->addrs[kept++] = a->addrs[i];
  }
  a->n_addrs = kept;
  a->n_over = 0;
}

uint32_t sbx_dns_answer_ttl(const struct sbx_dns_answer *a)
{
  uint32_t ttl = UINT32_MAX;

  for (size_t i = 0; i < a->n_chain; i++)
    if (a->chain_ttl[i] < ttl)
      ttl = a->chain_ttl[i];
  for (size_t i = 0; i < a->n_addrs; i++)
    if (a->addrs[i].ttl < ttl)
      ttl = a->addrs[i].ttl;
  return ttl;
}

const char *sbx_dns_type_name(uint16_t type, char *buf, size_t size)
{
  static const struct { uint16_t type; const char *name; } names[] = {
    { SBX_DNS_A, "A" },       { SBX_DNS_NS, "NS" },     { SBX_DNS_CNAME, "CNAME" },
    { SBX_DNS_SOA, "SOA" },   { SBX_DNS_PTR, "PTR" },   { SBX_DNS_MX, "MX" },
    { SBX_DNS_TXT, "TXT" },   { SBX_DNS_AAAA, "AAAA" }, { 33, "SRV" },
    { SBX_DNS_OPT, "OPT" },   { SBX_DNS_SVCB, "SVCB" }, { SBX_DNS_HTTPS, "HTTPS" },
    { 252, "AXFR" },          { 251, "IXFR" },          { SBX_DNS_ANY, "ANY" },
  };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].type == type)
      return names[i].name;
  snprintf(buf, size, "TYPE%u", type);
  return buf;
}
