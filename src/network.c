/* network.c: loopback-only networking (see network.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "network.h"

#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "utils.h"

static int set_up(int sock, const char *name, bool up, struct sbx_error *err)
{
  struct ifreq ifr;

  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
    return sbx_fail(err, errno, "network.mode none: read flags of `%s`", name);
  if (up)
    ifr.ifr_flags |= IFF_UP;
  else
    ifr.ifr_flags &= ~IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
    return sbx_fail(err, errno, "network.mode none: set `%s` %s", name, up ? "up" : "down");
  return 0;
}

int sbx_network_isolate(struct sbx_error *err)
{
  cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct if_nameindex *ifs;
  int ret = 0;

  if (sock < 0)
    return sbx_fail(err, errno, "network.mode none: socket");
  ifs = if_nameindex();
  if (ifs == NULL)
    return sbx_fail(err, errno, "network.mode none: list interfaces");
  for (struct if_nameindex *i = ifs; ret == 0 && i->if_index; i++) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, i->if_name, IFNAMSIZ - 1);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
      continue;
    ret = set_up(sock, i->if_name, (ifr.ifr_flags & IFF_LOOPBACK) != 0, err);
  }
  if_freenameindex(ifs);
  return ret;
}
