/* network_pasta.c: pasta as the way out of a namespace of the container's
 * own (see network_pasta.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "network_pasta.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "utils.h"

/* In the namespace of nsfd: how many interfaces, and how many of them up
 * (loopback included). */
static int count_links(int nsfd, int *links, int *up, struct sbx_error *err)
{
  cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  struct if_nameindex *ifs;
  int sock;

  *links = *up = 0;
  if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0)
    return sbx_fail(err, errno, "pasta: enter the container's network namespace");
  sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifs = if_nameindex();
  for (struct if_nameindex *i = ifs; ifs && i->if_index; i++) {
    struct ifreq ifr = { 0 };
    (*links)++;
    strncpy(ifr.ifr_name, i->if_name, IFNAMSIZ - 1);
    if (sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP))
      (*up)++;
  }
  if (ifs)
    if_freenameindex(ifs);
  if (sock >= 0)
    close(sock);
  if (setns(self, CLONE_NEWNET) < 0)
    abort(); /* never go on in the container's namespace */
  return 0;
}

static int open_ns(pid_t pid, struct sbx_error *err)
{
  char path[64];
  int fd;

  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail(err, errno, "pasta: open `%s`", path);
  return fd;
}

int sbx_pasta_needed(pid_t pid, bool *needed, struct sbx_error *err)
{
  cleanup_close int nsfd = open_ns(pid, err);
  int links, up;

  *needed = false;
  if (nsfd < 0 || count_links(nsfd, &links, &up, err) < 0)
    return -1;
  *needed = links <= 1;
  return 0;
}

int sbx_pasta_spawn(const struct sbx_context *ctx, const char *id, pid_t pid,
                    struct sbx_error *err)
{
  cleanup_free char *pidfile = sbx_state_file(ctx, id, "pasta.pid");
  cleanup_free char *nsfile = sbx_state_file(ctx, id, "pasta.netns");
  cleanup_close int nsfd = open_ns(pid, err);
  char proc[64];
  int status, links = 0, up = 0, fd;
  pid_t child;

  if (nsfd < 0 || pidfile == NULL || nsfile == NULL)
    return nsfd < 0 ? -1 : sbx_fail(err, ENOMEM, "pasta");
  /* this pasta opens neither /proc/PID/ns/net nor a PID's namespaces
   * without its user namespace: give it the namespace as a bound file,
   * as `ip netns` does (undone by sbx_pasta_stop) */
  snprintf(proc, sizeof proc, "/proc/%d/ns/net", (int)pid);
  fd = open(nsfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return sbx_fail(err, errno, "pasta: create `%s`", nsfile);
  close(fd);
  if (mount(proc, nsfile, NULL, MS_BIND, NULL) < 0) {
    sbx_fail(err, errno, "pasta: bind the container's network namespace on `%s`", nsfile);
    unlink(nsfile);
    return -1;
  }
  child = fork();
  if (child == 0) {
    pid_t pasta;
    setsid();
    pasta = fork();
    if (pasta != 0) {
      char text[32];
      int n = snprintf(text, sizeof text, "%d", pasta);
      _exit(pasta < 0 || sbx_write_file_atomic(pidfile, text, n, 0600, NULL) < 0);
    }
    int devnull = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
      dup2(devnull, fd);
    syscall(SYS_close_range, 3, ~0U, 0);
    /* --runas 0: this pasta cannot join the namespace as nobody; no port
     * forwarded either way; the gateway is not the host's loopback */
    execlp(SBX_PASTA, SBX_PASTA, "--config-net", "--no-map-gw", "-t", "none", "-u", "none",
           "-T", "none", "-U", "none", "--runas", "0", "--netns-only", "--netns", nsfile,
           "-f", "-q", (char *)NULL);
    _exit(127);
  }
  if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    sbx_fail(err, child < 0 ? errno : ECHILD, "pasta: start");
    sbx_pasta_stop(ctx, id);
    return -1;
  }
  /* ready once its interface is in the namespace and up */
  for (int i = 0; i < 300; i++) {
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    if (count_links(nsfd, &links, &up, err) < 0)
      break;
    if (links > 1 && up > 1)
      return 0;
    nanosleep(&ts, NULL);
  }
  sbx_pasta_stop(ctx, id);
  return sbx_fail(err, ETIMEDOUT, "network allowlist: `%s` gave the container no interface "
                  "(apt-get install passt)", SBX_PASTA);
}

/* Is pid still the pasta started on nsfile?  Its command line names that
 * file (unique to the container); its name does not say: Debian's pasta
 * re-executes itself as passt or passt.avx2. */
static bool is_our_pasta(long pid, const char *nsfile)
{
  cleanup_free char *argv = NULL;
  char path[64];
  size_t len;

  snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
  if (sbx_read_file(path, &argv, &len, NULL) < 0)
    return false;
  for (size_t off = 0; off < len; off += strlen(argv + off) + 1)
    if (strcmp(argv + off, nsfile) == 0)
      return true;
  return false;
}

void sbx_pasta_stop(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *file = sbx_state_file(ctx, id, "pasta.pid");
  cleanup_free char *nsfile = sbx_state_file(ctx, id, "pasta.netns");
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  long pid;

  if (nsfile && (umount2(nsfile, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT))
    unlink(nsfile);
  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0 || !sbx_parse_long(text, &pid) ||
      pid <= 0)
    return;
  fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd >= 0 && nsfile && is_our_pasta(pid, nsfile))
    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
  unlink(file);
}
