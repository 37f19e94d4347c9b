/* nflog.c: refused packets from NFLOG (see nflog.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NLA_ALIGN4(n) (((n) + 3u) & ~3u)

/* One config message: the group's command or its settings. */
static int send_config(int fd, uint16_t group, uint16_t type, const void *data, size_t len,
                       uint16_t type2, const void *data2, size_t len2)
{
  char buf[256] = { 0 };
  struct nlmsghdr *nh = (struct nlmsghdr *)buf;
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(nh);
  size_t off = NLMSG_LENGTH(sizeof *g);
  struct { uint16_t type; const void *data; size_t len; } attrs[2] = {
    { type, data, len }, { type2, data2, len2 } };

  nh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(group);
  for (int i = 0; i < 2 && attrs[i].data; i++) {
    struct nlattr *a = (struct nlattr *)(buf + off);
    a->nla_type = attrs[i].type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + attrs[i].len);
    memcpy(buf + off + NLA_HDRLEN, attrs[i].data, attrs[i].len);
    off += NLA_ALIGN4(a->nla_len);
  }
  nh->nlmsg_len = (uint32_t)off;
  if (send(fd, buf, off, 0) < 0)
    return -1;
  /* the ack */
  char ack[512];
  ssize_t n = recv(fd, ack, sizeof ack, 0);
  if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
    struct nlmsghdr *r = (struct nlmsghdr *)ack;
    struct nlmsgerr *e = NLMSG_DATA(r);
    if (r->nlmsg_type == NLMSG_ERROR && e->error) {
      errno = -e->error;
      return -1;
    }
  }
  return n < 0 ? -1 : 0;
}

int sbx_nflog_open(uint16_t group, struct sbx_error *err)
{
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  struct nfulnl_msg_config_cmd bind_cmd = { .command = NFULNL_CFG_CMD_BIND };
  struct nfulnl_msg_config_mode mode = { .copy_range = htonl(128), .copy_mode = NFULNL_COPY_PACKET };
  uint32_t qthresh = htonl(1), timeout = htonl(0);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

  if (fd < 0)
    return sbx_fail(err, errno, "nflog: socket");
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      send_config(fd, group, NFULA_CFG_CMD, &bind_cmd, sizeof bind_cmd, 0, NULL, 0) < 0 ||
      send_config(fd, group, NFULA_CFG_MODE, &mode, sizeof mode, NFULA_CFG_QTHRESH, &qthresh,
                  sizeof qthresh) < 0 ||
      send_config(fd, group, NFULA_CFG_TIMEOUT, &timeout, sizeof timeout, 0, NULL, 0) < 0) {
    sbx_fail(err, errno, "nflog: bind group %u", group);
    close(fd);
    return -1;
  }
  return fd;
}

/* The addresses and ports of an IP packet's first bytes. */
static void parse_payload(const uint8_t *p, size_t len, struct sbx_nflog_packet *out)
{
  size_t l4 = 0;

  if (len >= 20 && (p[0] >> 4) == 4) {
    out->family = AF_INET;
    out->protocol = p[9];
    memcpy(out->daddr, p + 16, 4);
    l4 = (size_t)(p[0] & 0xf) * 4;
  } else if (len >= 40 && (p[0] >> 4) == 6) {
    out->family = AF_INET6;
    out->protocol = p[6];
    memcpy(out->daddr, p + 24, 16);
    l4 = 40;
  }
  if ((out->protocol == IPPROTO_TCP || out->protocol == IPPROTO_UDP) && l4 && len >= l4 + 4)
    out->dport = (uint16_t)(p[l4 + 2] << 8 | p[l4 + 3]);
}

int sbx_nflog_read(int fd, void (*fn)(void *ctx, const struct sbx_nflog_packet *p), void *ctx,
                   struct sbx_error *err)
{
  char buf[8192] __attribute__((aligned(4)));

  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return 0;
      if (errno == ENOBUFS)   /* the kernel dropped some: go on */
        continue;
      return sbx_fail(err, errno, "nflog: read");
    }
    int len = (int)n;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
         nh = NLMSG_NEXT(nh, len)) {
      struct sbx_nflog_packet pkt = { 0 };
      size_t off = NLMSG_LENGTH(sizeof(struct nfgenmsg));
      if (nh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
        continue;
      while (off + NLA_HDRLEN <= nh->nlmsg_len) {
        struct nlattr *a = (struct nlattr *)((char *)nh + off);
        size_t alen = a->nla_len;
        if (alen < NLA_HDRLEN || off + alen > nh->nlmsg_len)
          break;
        const uint8_t *data = (const uint8_t *)a + NLA_HDRLEN;
        size_t dlen = alen - NLA_HDRLEN;
        switch (a->nla_type & NLA_TYPE_MASK) {
        case NFULA_PREFIX:
          memcpy(pkt.prefix, data, dlen < sizeof pkt.prefix - 1 ? dlen : sizeof pkt.prefix - 1);
          break;
        case NFULA_PAYLOAD:
          parse_payload(data, dlen, &pkt);
          break;
        }
        off += NLA_ALIGN4(alen);
      }
      if (pkt.family)
        fn(ctx, &pkt);
    }
  }
}
