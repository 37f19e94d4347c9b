/* network.c: the network namespace's identity and the policy's network
 * modes on it (see network.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "network.h"

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "nftables.h"
#include "utils.h"

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
  *note = sbx_strdup_printf("linux.namespaces[%zu].path: `%s` is %s (`--network host`): "
                            "network.mode %s gives the container a namespace of its own (%s) "
                            "and leaves that one alone", i, l->namespaces[i].path, whose,
                            sbx_net_mode_name(mode),
                            mode == SBX_NET_NONE ? "only lo" : "its way out through pasta");
  free(l->namespaces[i].path);
  l->namespaces[i].path = NULL;
  return *note ? 0 : sbx_fail(err, ENOMEM, "network namespace");
}

/* ---- the rules in the container's namespace ---- */

/* Run fn in the network namespace nsfd, then come back: create and delete
 * are short single-threaded processes, and the table must be made through
 * a netlink socket opened in that namespace. */
static int in_netns(int nsfd, int (*fn)(void *, struct sbx_error *), void *arg,
                    struct sbx_error *err)
{
  cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int ret;

  if (self < 0)
    return sbx_fail(err, errno, "open /proc/self/ns/net");
  if (setns(nsfd, CLONE_NEWNET) < 0)
    return sbx_fail(err, errno, "enter the container's network namespace");
  ret = fn(arg, err);
  if (setns(self, CLONE_NEWNET) < 0) {
    /* never go on in the wrong namespace */
    sbx_fail(err, errno, "return to the runtime's network namespace");
    abort();
  }
  return ret;
}

struct install {
  const struct sbx_nft_plan *plan;
  const char *ruleset;
};

static int install_in_ns(void *data, struct sbx_error *err)
{
  struct install *in = data;
  cleanup_nft struct sbx_nft *nft = NULL;

  if (sbx_nft_open(&nft, err) < 0)
    return -1;
  return sbx_nft_run(nft, in->ruleset, err);
}

static int remove_in_ns(void *data, struct sbx_error *err)
{
  cleanup_nft struct sbx_nft *nft = NULL;

  if (sbx_nft_open(&nft, err) < 0)
    return -1;
  return sbx_nft_remove(nft, data, err);
}

/* The record lets delete (or delete -f after a crash) find a table in a
 * namespace that outlives the container: "TABLE DEV INO PATH". */
static int write_record(const char *file, const char *table, const struct stat *ns,
                        const char *path, struct sbx_error *err)
{
  cleanup_free char *text = sbx_strdup_printf("%s %ju %ju %s\n", table, (uintmax_t)ns->st_dev,
                                              (uintmax_t)ns->st_ino, path);

  if (text == NULL)
    return sbx_fail(err, ENOMEM, "network record");
  return sbx_write_file_atomic(file, text, strlen(text), 0600, err);
}

int sbx_network_enforce(const struct sbx_network_target *t, struct sbx_error *err)
{
  char proc[64];
  cleanup_close int nsfd = -1;
  cleanup_free char *table = sbx_nft_table_name(t->id), *ruleset = NULL;
  enum sbx_netns_owner owner;
  struct stat st;

  if (t->mode == SBX_NET_UNRESTRICTED)
    return 0;
  if (table == NULL)
    return sbx_fail(err, ENOMEM, "network policy");
  snprintf(proc, sizeof proc, "/proc/%d/ns/net", (int)t->pid);
  nsfd = open(proc, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || fstat(nsfd, &st) < 0)
    return sbx_fail(err, errno, "network policy: open `%s`", proc);
  /* What the container really joined, whatever its config's path said. */
  if (sbx_netns_owner(NULL, nsfd, &owner, err) < 0)
    return -1;
  if (owner != SBX_NETNS_OTHER)
    return sbx_invalid(err, "network.mode %s: the container's network namespace is %s; "
                       "refusing to change it", sbx_net_mode_name(t->mode),
                       owner == SBX_NETNS_HOST ? "the host's" : "the runtime's own");
  if (t->persistent_path && t->record_file &&
      write_record(t->record_file, table, &st, t->persistent_path, err) < 0)
    return -1;
  struct sbx_nft_plan plan = { .table = table, .mode = t->mode, .policy = t->policy,
                               .dns_port = t->dns_port };
  if ((ruleset = sbx_nft_ruleset(&plan, err)) == NULL)
    return -1;
  struct install in = { .plan = &plan, .ruleset = ruleset };
  if (in_netns(nsfd, install_in_ns, &in, err) < 0)
    return sbx_wrap(err, "network.mode %s", sbx_net_mode_name(t->mode));
  return 0;
}

int sbx_network_release(const char *record_file, struct sbx_error *err)
{
  cleanup_free char *text = NULL;
  char table[64], path[4096];
  uintmax_t dev, ino;
  cleanup_close int nsfd = -1;
  enum sbx_netns_owner owner;
  struct stat st;
  size_t len;

  if (sbx_read_file(record_file, &text, &len, err) < 0) {
    if (err && err->errnum == ENOENT)
      return sbx_error_clear(err), 0;
    return -1;
  }
  if (sscanf(text, "%63s %ju %ju %4095[^\n]", table, &dev, &ino, path) != 4)
    return sbx_invalid(err, "network record `%s`: malformed", record_file);
  /* Gone with its last process, or the path now names another namespace:
   * nothing of ours is left there. */
  nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || fstat(nsfd, &st) < 0 || st.st_dev != (dev_t)dev || st.st_ino != (ino_t)ino)
    goto done;
  if (sbx_netns_owner(NULL, nsfd, &owner, err) < 0)
    return -1;
  if (owner == SBX_NETNS_OTHER && in_netns(nsfd, remove_in_ns, table, err) < 0)
    return sbx_wrap(err, "network policy: remove table %s from `%s`", table, path);
done:
  if (unlink(record_file) < 0 && errno != ENOENT)
    return sbx_fail(err, errno, "remove `%s`", record_file);
  return 0;
}

int sbx_network_loopback_up(struct sbx_error *err)
{
  cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { .ifr_name = "lo" };

  if (sock < 0)
    return sbx_fail(err, errno, "bring up lo: socket");
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
    return sbx_fail(err, errno, "bring up lo: read its flags");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
    return sbx_fail(err, errno, "bring up lo");
  return 0;
}
