/* netdevices.c: linux.netDevices moved in and out of the container's
 * network namespace with one RTM_NEWLINK each (see netdevices.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netdevices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "namespaces.h"
#include "utils.h"

static const char *inner_name(const struct oci_net_device *d)
{
  return d->name && *d->name ? d->name : d->host_name;
}

static bool valid_ifname(const char *name)
{
  return name && *name && strlen(name) < IFNAMSIZ && strcmp(name, ".") != 0 &&
         strcmp(name, "..") != 0 && strpbrk(name, "/: \t\n") == NULL;
}

int sbx_netdev_check(const struct oci_linux *l, struct sbx_error *err)
{
  if (l == NULL || l->net_devices_len == 0)
    return 0;
  if (!oci_linux_namespace(l, "network"))
    return sbx_invalid(err, "linux.netDevices: needs a network namespace (the devices would "
                            "stay in the runtime's)");
  for (size_t i = 0; i < l->net_devices_len; i++) {
    const struct oci_net_device *d = &l->net_devices[i];
    if (!valid_ifname(d->host_name))
      return sbx_invalid(err, "linux.netDevices: `%s` is not a network device name",
                         d->host_name ? d->host_name : "");
    if (!valid_ifname(inner_name(d)))
      return sbx_invalid(err, "linux.netDevices.%s.name: `%s` is not a network device name",
                         d->host_name, inner_name(d));
  }
  return 0;
}

/* RTM_NEWLINK on ifindex: into the namespace given by type (IFLA_NET_NS_PID
 * or IFLA_NET_NS_FD) = ns, named name; waits for the kernel's answer. */
static int move_link(int ifindex, unsigned short type, uint32_t ns, const char *name)
{
  struct {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
    char attrs[64];
  } req;
  struct {
    struct nlmsghdr nh;
    struct nlmsgerr err;
  } ack;
  struct rtattr *a;
  size_t namelen = strlen(name) + 1;
  int fd, ret = -1;
  ssize_t n;

  memset(&req, 0, sizeof req);
  req.nh.nlmsg_type = RTM_NEWLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex;
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifi);
  a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(sizeof ns);
  memcpy(RTA_DATA(a), &ns, sizeof ns);
  req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
  a = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
  a->rta_type = IFLA_IFNAME;
  a->rta_len = RTA_LENGTH(namelen);
  memcpy(RTA_DATA(a), name, namelen);
  req.nh.nlmsg_len += RTA_ALIGN(a->rta_len);

  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -1;
  if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
    goto out;
  n = recv(fd, &ack, sizeof ack, 0);
  if (n < (ssize_t)sizeof ack.nh || ack.nh.nlmsg_type != NLMSG_ERROR) {
    errno = EPROTO;
    goto out;
  }
  if (ack.err.error != 0) {
    errno = -ack.err.error;
    goto out;
  }
  ret = 0;
out:
  {
    int saved = errno;
    close(fd);
    errno = saved;
  }
  return ret;
}

int sbx_netdev_move_in(pid_t pid, const struct oci_linux *l, struct sbx_error *err)
{
  /* All or none: a missing device fails before any moves. */
  for (size_t i = 0; l && i < l->net_devices_len; i++)
    if (if_nametoindex(l->net_devices[i].host_name) == 0)
      return sbx_fail(err, errno, "linux.netDevices: device `%s` in the runtime's network "
                                  "namespace", l->net_devices[i].host_name);
  for (size_t i = 0; l && i < l->net_devices_len; i++) {
    const struct oci_net_device *d = &l->net_devices[i];
    unsigned idx = if_nametoindex(d->host_name);
    if (idx == 0 || move_link((int)idx, IFLA_NET_NS_PID, (uint32_t)pid, inner_name(d)) < 0)
      return sbx_fail(err, errno, "linux.netDevices: move `%s` into the container as `%s`",
                      d->host_name, inner_name(d));
  }
  return 0;
}

/* In the helper, in the container's namespace: each device back into
 * home (the runtime's namespace); an error goes to errfd. */
static __attribute__((noreturn)) void move_back(int netns_fd, int home,
                                                const struct oci_linux *l, int errfd)
{
  cleanup_error struct sbx_error err = { 0 };

  if (setns(netns_fd, CLONE_NEWNET) < 0) {
    sbx_fail(&err, errno, "linux.netDevices: enter the container's network namespace");
    goto fail;
  }
  for (size_t i = 0; i < l->net_devices_len; i++) {
    const struct oci_net_device *d = &l->net_devices[i];
    unsigned idx = if_nametoindex(inner_name(d));
    if (idx == 0)
      continue;
    if (move_link((int)idx, IFLA_NET_NS_FD, (uint32_t)home, d->host_name) < 0) {
      sbx_fail(&err, errno, "linux.netDevices: move `%s` back as `%s`", inner_name(d),
               d->host_name);
      goto fail;
    }
  }
  _exit(0);
fail:
  sbx_write_all(errfd, err.msg, strlen(err.msg));
  _exit(1);
}

int sbx_netdev_move_out(int netns_fd, const struct oci_linux *l, struct sbx_error *err)
{
  cleanup_close int home = -1, rd = -1;
  cleanup_free char *msg = NULL;
  int pipefd[2], status;
  pid_t child;

  if (l == NULL || l->net_devices_len == 0)
    return 0;
  home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0)
    return sbx_fail(err, errno, "open the runtime's network namespace");
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return sbx_fail(err, errno, "pipe");
  rd = pipefd[0];
  /* setns needs a process of its own: the runtime keeps its namespace. */
  child = fork();
  if (child == 0) {
    close(rd);
    move_back(netns_fd, home, l, pipefd[1]);
  }
  close(pipefd[1]);
  if (child < 0)
    return sbx_fail(err, errno, "fork to move network devices back");
  if (sbx_read_fd(rd, &msg, NULL, NULL) < 0)
    msg = NULL;
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return sbx_invalid(err, "%s", msg && *msg ? msg : "linux.netDevices: the helper died");
  return 0;
}
