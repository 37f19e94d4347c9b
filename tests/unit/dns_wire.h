/* dns_wire.h: DNS messages written byte by byte for the unit tests
 * (test-dns-message, test-dns-resolver): independent of the code under
 * test, so a test does not read back what the same bug wrote. */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct buf {
  uint8_t b[65536];
  size_t n;
};

static inline void b8(struct buf *m, uint8_t v) { m->b[m->n++] = v; }
static inline void b16(struct buf *m, uint16_t v) { b8(m, (uint8_t)(v >> 8)); b8(m, (uint8_t)v); }
static inline void b32(struct buf *m, uint32_t v) { b16(m, (uint16_t)(v >> 16)); b16(m, (uint16_t)v); }
static inline void bbytes(struct buf *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }

/* A name as labels ("" is the root). */
static inline void bname(struct buf *m, const char *name)
{
  while (*name) {
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    b8(m, (uint8_t)n);
    bbytes(m, name, n);
    name += n + (dot ? 1 : 0);
  }
  b8(m, 0);
}

static inline void bptr(struct buf *m, uint16_t off) { b16(m, (uint16_t)(0xc000 | off)); }

static inline void bheader(struct buf *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                    uint16_t ns, uint16_t ar)
{
  m->n = 0;
  b16(m, id); b16(m, flags); b16(m, qd); b16(m, an); b16(m, ns); b16(m, ar);
}

/* A response header and question; records follow. */
static inline void bresponse(struct buf *m, uint16_t id, uint16_t flags, uint16_t an, const char *qname,
                      uint16_t qtype)
{
  bheader(m, id, (uint16_t)(0x8180 | flags), 1, an, 0, 0);
  bname(m, qname);
  b16(m, qtype);
  b16(m, 1);
}

static inline void brr_head(struct buf *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
  b16(m, type); b16(m, 1); b32(m, ttl); b16(m, rdlen);
}

static inline void brr_a(struct buf *m, const char *owner, uint32_t ttl, const char *addr)
{
  uint8_t a[4];
  inet_pton(AF_INET, addr, a);
  bname(m, owner);
  brr_head(m, SBX_DNS_A, ttl, 4);
  bbytes(m, a, 4);
}

static inline void brr_aaaa(struct buf *m, const char *owner, uint32_t ttl, const char *addr)
{
  uint8_t a[16];
  inet_pton(AF_INET6, addr, a);
  bname(m, owner);
  brr_head(m, SBX_DNS_AAAA, ttl, 16);
  bbytes(m, a, 16);
}

static inline void brr_cname(struct buf *m, const char *owner, uint32_t ttl, const char *target)
{
  struct buf t = { .n = 0 };
  bname(&t, target);
  bname(m, owner);
  brr_head(m, SBX_DNS_CNAME, ttl, (uint16_t)t.n);
  bbytes(m, t.b, t.n);
}

#endif
