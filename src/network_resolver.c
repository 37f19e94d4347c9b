/* network_resolver.c: the per-container DNS resolver process (see
 * network_resolver.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "network_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns_resolver.h"
#include "network_dns.h"
#include "nflog.h"
#include "nftables.h"
#include "state.h"
#include "utils.h"

struct resolver_ctx {
  struct sbx_network_dns dns;
  const struct sbx_audit_target *audit;
};

static bool cb_name_allowed(void *c, const char *name, const char **rule)
{
  return sbx_network_dns_name_allowed(&((struct resolver_ctx *)c)->dns, name, rule);
}

static bool cb_address_blocked(void *c, int family, const uint8_t *addr)
{
  return sbx_network_dns_address_blocked(&((struct resolver_ctx *)c)->dns, family, addr);
}

static int cb_allow(void *c, const char *name, const struct sbx_dns_addr *a, size_t n,
                    uint32_t ttl)
{
  struct resolver_ctx *r = c;
  struct sbx_network_addr addrs[SBX_DNS_MAX_ADDRS];
  cleanup_error struct sbx_error err = { 0 };

  if (n > SBX_DNS_MAX_ADDRS)
    n = SBX_DNS_MAX_ADDRS;
  for (size_t i = 0; i < n; i++) {
    addrs[i].family = a[i].family;
    memcpy(addrs[i].bytes, a[i].bytes, sizeof addrs[i].bytes);
  }
  return sbx_network_dns_allow(&r->dns, name, addrs, n, ttl, &err);
}

static void cb_denied(void *c, const char *name, uint16_t qtype, const char *reason,
                      uint64_t suppressed)
{
  struct resolver_ctx *r = c;
  char type[16];
  struct sbx_audit_field f[] = {
    { "name", SBX_AUDIT_STRING, .string = name ? name : "" },
    { "type", SBX_AUDIT_STRING, .string = sbx_dns_type_name(qtype, type, sizeof type) },
    { "protocol", SBX_AUDIT_STRING, .string = "dns" },
    { "reason", SBX_AUDIT_STRING, .string = reason ? reason : "" },
    { "suppressed", SBX_AUDIT_INT, .integer = (int64_t)suppressed },
  };

  if (name == NULL)   /* only a count of what the rate limit held back */
    sbx_audit(r->audit, "network_denied", &f[4], 1, NULL);
  else
    sbx_audit(r->audit, "network_denied", f, 5, NULL);
}

/* A refused packet: a network_denied line (the rules log at most 20 a
 * second per reason; what the limit held back is only counted there). */
static void on_refused(void *c, const struct sbx_nflog_packet *p)
{
  struct resolver_ctx *r = c;
  char addr[INET6_ADDRSTRLEN], proto[16], reason[64];
  const char *pr = p->prefix;

  inet_ntop(p->family, p->daddr, addr, sizeof addr);
  switch (p->protocol) {
  case IPPROTO_TCP: snprintf(proto, sizeof proto, "tcp"); break;
  case IPPROTO_UDP: snprintf(proto, sizeof proto, "udp"); break;
  case IPPROTO_ICMP: snprintf(proto, sizeof proto, "icmp"); break;
  case IPPROTO_ICMPV6: snprintf(proto, sizeof proto, "icmpv6"); break;
  default: snprintf(proto, sizeof proto, "%u", p->protocol);
  }
  /* "agentsbx deny " -> "deny" */
  if (strncmp(pr, "agentsbx ", 9) == 0)
    pr += 9;
  snprintf(reason, sizeof reason, "%.*s", (int)strcspn(pr, " "), pr);
  struct sbx_audit_field f[] = {
    { "address", SBX_AUDIT_STRING, .string = addr },
    { "port", SBX_AUDIT_INT, .integer = p->dport },
    { "protocol", SBX_AUDIT_STRING, .string = proto },
    { "reason", SBX_AUDIT_STRING, .string = reason },
  };
  sbx_audit(r->audit, "network_denied", f, 4, NULL);
}

/* The loop: DNS (when the policy has names) and refused packets, until
 * init exits or SIGTERM. */
static void run_loop(struct sbx_dns_resolver *r, int nflog, struct resolver_ctx *rc,
                     const int stop[2])
{
  struct sbx_error err = { 0 };

  for (;;) {
    struct pollfd p[4] = { { .fd = stop[0], .events = POLLIN }, { .fd = stop[1], .events = POLLIN },
                           { .fd = nflog, .events = POLLIN },
                           { .fd = r ? sbx_dns_resolver_fd(r) : -1, .events = POLLIN } };
    int timeout = r ? sbx_dns_resolver_timeout_ms(r) : -1;
    if (poll(p, 4, timeout) < 0 && errno != EINTR)
      break;
    /* what is already logged is audited before stopping */
    if (p[2].revents & POLLIN)
      sbx_nflog_read(nflog, on_refused, rc, &err);
    if ((p[0].revents | p[1].revents) & (POLLIN | POLLHUP | POLLERR))
      break;
    if (r && sbx_dns_resolver_dispatch(r, &err) < 0)
      break;
    sbx_error_clear(&err);
  }
  sbx_error_clear(&err);
}

/* A bound UDP socket and a listening TCP one on the loopback of family. */
static int listen_pair(int family, int *udp, int *tcp)
{
  struct sockaddr_storage ss = { 0 };
  socklen_t len;
  int one = 1;

  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(SBX_NETWORK_DNS_PORT);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(SBX_NETWORK_DNS_PORT);
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  }
  *udp = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  *tcp = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*udp < 0 || *tcp < 0)
    return -1;
  if (family == AF_INET6) {
    setsockopt(*udp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(*tcp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(*udp, (struct sockaddr *)&ss, len) < 0 || bind(*tcp, (struct sockaddr *)&ss, len) < 0 ||
      listen(*tcp, 64) < 0)
    return -1;
  return 0;
}

/* In the resolver process: set up, tell create (ready: "" or an error
 * text), then serve until init exits or SIGTERM. */
static int serve(const struct sbx_resolver_spec *s, int nsfd, int pidfd, int ready)
{
  struct resolver_ctx rc = { .audit = &s->audit };
  struct sbx_error err = { 0 };
  struct sockaddr_storage *ups = NULL;
  size_t n_ups = 0, n = 0;
  int udp[2] = { -1, -1 }, tcp[2] = { -1, -1 }, stop[2] = { pidfd, -1 }, nflog;
  struct sbx_dns_resolver *r = NULL;
  sigset_t set;

  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  stop[1] = signalfd(-1, &set, SFD_CLOEXEC);
  /* upstreams first: the resolv.conf paths are the runtime's view */
  if (s->names &&
      sbx_network_dns_upstreams(s->policy, s->config, s->rootfs, &ups, &n_ups, &err) < 0)
    goto fail;
  if (setns(nsfd, CLONE_NEWNET) < 0) {
    sbx_fail(&err, errno, "resolver: enter the container's network namespace");
    goto fail;
  }
  if ((nflog = sbx_nflog_open(SBX_NFT_LOG_GROUP, &err)) < 0)
    goto fail;
  if (!s->names) {
    if (write(ready, "", 1) != 1)
      return 1;
    close(ready);
    run_loop(NULL, nflog, &rc, stop);
    return 0;
  }
  if (listen_pair(AF_INET, &udp[0], &tcp[0]) < 0) {
    sbx_fail(&err, errno, "resolver: listen on 127.0.0.1:%d", SBX_NETWORK_DNS_PORT);
    goto fail;
  }
  n = 1;
  /* IPv6 may be off in the namespace: then v4 only */
  if (listen_pair(AF_INET6, &udp[1], &tcp[1]) == 0)
    n = 2;
  if (sbx_network_dns_open(&rc.dns, s->id, s->policy, &err) < 0)
    goto fail;
  struct sbx_dns_resolver_config cfg = {
    .listen_udp = udp, .n_listen_udp = n, .listen_tcp = tcp, .n_listen_tcp = n,
    .upstreams = ups, .n_upstreams = n_ups, .upstream_mark = SBX_NFT_RESOLVER_MARK,
  };
  struct sbx_dns_callbacks cb = { .ctx = &rc, .name_allowed = cb_name_allowed,
                                  .address_blocked = cb_address_blocked,
                                  .allow_addresses = cb_allow, .denied = cb_denied };
  if ((r = sbx_dns_resolver_new(&cfg, &cb, &err)) == NULL)
    goto fail;
  if (write(ready, "", 1) != 1)
    return 1;
  close(ready);
  run_loop(r, nflog, &rc, stop);
  sbx_dns_resolver_free(r);
  sbx_network_dns_close(&rc.dns);
  return 0;
fail:
  (void)!write(ready, err.msg ? err.msg : "resolver failed", strlen(err.msg ? err.msg : "resolver failed") + 1);
  return 1;
}

int sbx_resolver_spawn(const struct sbx_context *ctx, const struct sbx_resolver_spec *s,
                       struct sbx_error *err)
{
  cleanup_free char *pidfile = sbx_state_file(ctx, s->id, "resolver.pid");
  char proc[64], msg[1024];
  cleanup_close int nsfd = -1, pidfd = -1;
  int pipefd[2], status;
  sigset_t set, saved;
  ssize_t got;
  pid_t child;

  snprintf(proc, sizeof proc, "/proc/%d/ns/net", (int)s->init_pid);
  nsfd = open(proc, O_RDONLY | O_CLOEXEC);
  pidfd = (int)syscall(SYS_pidfd_open, s->init_pid, 0);
  if (nsfd < 0 || pidfd < 0 || pidfile == NULL)
    return sbx_fail(err, errno, "resolver: open the container's namespace");
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return sbx_fail(err, errno, "resolver: pipe");
  /* SIGTERM blocked before the fork: the resolver reads it by signalfd */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &saved);
  child = fork();
  if (child == 0) {
    pid_t resolver;
    setsid();
    resolver = fork();
    if (resolver != 0) {
      char text[32];
      int n = snprintf(text, sizeof text, "%d", resolver);
      _exit(resolver < 0 || sbx_write_file_atomic(pidfile, text, n, 0600, NULL) < 0);
    }
    close(pipefd[0]);
    /* keep only what it serves with: no runtime fd may be held open */
    if (dup2(nsfd, 3) < 0 || dup2(pidfd, 4) < 0 || dup2(pipefd[1], 5) < 0)
      _exit(1);
    syscall(SYS_close_range, 6, ~0U, 0);
    int devnull = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
      dup2(devnull, fd);
    if (devnull > 2)
      close(devnull);
    _exit(serve(s, 3, 4, 5));
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  close(pipefd[1]);
  if (child < 0) {
    close(pipefd[0]);
    return sbx_fail(err, errno, "resolver: fork");
  }
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    close(pipefd[0]);
    return sbx_fail(err, ECHILD, "resolver: start");
  }
  do
    got = read(pipefd[0], msg, sizeof msg - 1);
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);
  if (got == 1 && msg[0] == '\0')
    return 0;
  msg[got > 0 ? got : 0] = '\0';
  sbx_resolver_stop(ctx, s->id);
  return sbx_fail(err, 0, "network allowlist: %s", got > 0 ? msg : "the resolver died starting");
}

void sbx_resolver_stop(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *file = sbx_state_file(ctx, id, "resolver.pid");
  cleanup_free char *text = NULL, *comm = NULL;
  cleanup_close int fd = -1;
  char path[64];
  long pid;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0 || !sbx_parse_long(text, &pid) ||
      pid <= 0)
    return;
  fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  /* only a process that is still ours (the runtime's executable name) */
  snprintf(path, sizeof path, "/proc/%ld/comm", pid);
  if (fd >= 0 && sbx_read_file(path, &comm, NULL, NULL) == 0 && strncmp(comm, "agentsbx", 8) == 0) {
    /* SIGTERM: it audits what is still logged; SIGKILL after 1 s */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
    if (poll(&p, 1, 1000) <= 0)
      syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
  }
  unlink(file);
}
