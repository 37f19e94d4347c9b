/* network.c: the network namespace's identity and the policy's network
 * modes on it (see network.h). */
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
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
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

static int stat_ns(const char *path, int fd, struct stat *st, struct sbx_error *err)
{
  if ((path ? stat(path, st) : fstat(fd, st)) < 0)
    return sbx_fail(err, errno, "stat network namespace `%s`", path ? path : "(fd)");
  return 0;
}

int sbx_netns_owner(const char *path, int fd, enum sbx_netns_owner *out, struct sbx_error *err)
{
  struct stat ns, self, host;

  if (stat_ns(path, fd, &ns, err) < 0 || stat_ns("/proc/self/ns/net", -1, &self, err) < 0)
    return -1;
  *out = SBX_NETNS_OTHER;
  if (ns.st_dev == self.st_dev && ns.st_ino == self.st_ino)
    *out = SBX_NETNS_RUNTIME;
  /* /proc/1 may be unreadable in odd setups: then only self is known. */
  else if (stat("/proc/1/ns/net", &host) == 0 && ns.st_dev == host.st_dev &&
           ns.st_ino == host.st_ino)
    *out = SBX_NETNS_HOST;
  return 0;
}

int sbx_network_claim_namespace(enum sbx_net_mode mode, struct oci_linux *l, char **note,
                                struct sbx_error *err)
{
  enum sbx_netns_owner owner;
  const char *whose;
  size_t i;

  *note = NULL;
  if (mode == SBX_NET_UNRESTRICTED || l == NULL)
    return 0;
  for (i = 0; i < l->namespaces_len; i++)
    if (strcmp(l->namespaces[i].type, "network") == 0 && l->namespaces[i].path)
      break;
  if (i == l->namespaces_len)
    return 0;
  if (sbx_netns_owner(l->namespaces[i].path, -1, &owner, err) < 0)
    return sbx_wrap(err, "linux.namespaces[%zu].path", i);
  if (owner == SBX_NETNS_OTHER)
    return 0;
  whose = owner == SBX_NETNS_HOST ? "the host's network namespace"
                                  : "the runtime's own network namespace";
  if (mode == SBX_NET_ALLOWLIST)
    return sbx_invalid(err, "linux.namespaces[%zu].path: `%s` is %s (`--network host`): "
                       "network.mode allowlist never governs the host's network; give the "
                       "container a network of its own", i, l->namespaces[i].path, whose);
  *note = sbx_strdup_printf("linux.namespaces[%zu].path: `%s` is %s (`--network host`): "
                            "network.mode none gives the container a namespace of its own "
                            "(only lo) and leaves that one alone", i, l->namespaces[i].path,
                            whose);
  free(l->namespaces[i].path);
  l->namespaces[i].path = NULL;
  return *note ? 0 : sbx_fail(err, ENOMEM, "network namespace");
}
