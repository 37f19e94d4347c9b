/* sha256.h: SHA-256 (FIPS 180-4), for the policy digest. */
#ifndef SBX_SHA256_H
#define SBX_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sbx_sha256 {
  uint32_t h[8];
  uint64_t bytes;            /* total length so far */
  unsigned char buf[64];
  size_t buf_len;
};

void sbx_sha256_init(struct sbx_sha256 *c);
void sbx_sha256_update(struct sbx_sha256 *c, const void *data, size_t len);
void sbx_sha256_final(struct sbx_sha256 *c, unsigned char out[32]);
/* One shot, as 64 lowercase hex digits + NUL. */
void sbx_sha256_hex(const void *data, size_t len, char out[65]);

#endif
