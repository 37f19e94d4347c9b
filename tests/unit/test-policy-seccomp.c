/* test-policy-seccomp.c: the policy's seccomp layers, installed in a child
 * that is root with every capability (as the test runs), must deny what
 * they promise and leave common work alone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy_seccomp.h"
#include "unit.h"

/* Run each probe in a child under the layer; returns a bitmask of the
 * probes that were denied with the expected errno. */
enum { P_MOUNT, P_UNSHARE_NS, P_UNSHARE_FILES, P_BPF, P_PTRACE, P_CLONE3, P_SETNS, P_KEYCTL,
       P_GETPID, P_FORK, P_BY_HANDLE, P_FSOPEN, P_FSCONFIG, P_FSMOUNT, P_FSPICK, P_OPEN_TREE,
       P_MOVE_MOUNT, P_SETATTR, P_UMOUNT, P_MKNODAT_BLK, P_MKNOD_BLK, P_MKNODAT_FIFO, P_PACKET, P_RAW4, P_RAW6, P_URING, P_TCP, P_UDP6, P_UNIX, P_NETLINK,
       P_COUNT };

/* socket(): denied (EPERM) or made (closed again at once) */
static int socket_denied(int domain, int type, int proto)
{
  int fd = socket(domain, type, proto);
  if (fd >= 0)
    close(fd);
  return fd < 0 && errno == EPERM;
}

static int probe_denied(int probe)
{
  long r;

  errno = 0;
  switch (probe) {
  case P_MOUNT: r = syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL); return r < 0 && errno == EPERM;
  case P_UNSHARE_NS: r = unshare(CLONE_NEWUSER); return r < 0 && errno == EPERM;
  case P_UNSHARE_FILES: r = unshare(CLONE_FILES); return r < 0 && errno == EPERM;
  case P_BPF: r = syscall(SYS_bpf, 0, NULL, 0); return r < 0 && errno == EPERM;
  /* attach to a pid that cannot exist: ESRCH when the call runs */
  case P_PTRACE: r = syscall(SYS_ptrace, 16 /* ATTACH */, 0x3fffffff, 0, 0); return r < 0 && errno == EPERM;
  case P_CLONE3: r = syscall(SYS_clone3, NULL, 0); return r < 0 && errno == ENOSYS;
  case P_SETNS: r = syscall(SYS_setns, 0, 0); return r < 0 && errno == EPERM;
  case P_KEYCTL: r = syscall(SYS_keyctl, 0, 0, 0, 0, 0); return r < 0 && errno == EPERM;
  case P_GETPID: r = getpid(); return r <= 0;
  /* a bad fd: EBADF when the call runs, EPERM when the filter stops it */
  case P_BY_HANDLE: r = syscall(SYS_open_by_handle_at, -1, NULL, 0); return r < 0 && errno == EPERM;
  /* the mount API with bad fds and NULL names: EBADF / EFAULT / EINVAL
   * when the call runs */
  case P_FSOPEN: r = syscall(SYS_fsopen, NULL, 0); return r < 0 && errno == EPERM;
  case P_FSCONFIG: r = syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0); return r < 0 && errno == EPERM;
  case P_FSMOUNT: r = syscall(SYS_fsmount, -1, 0, 0); return r < 0 && errno == EPERM;
  case P_FSPICK: r = syscall(SYS_fspick, -1, NULL, 0); return r < 0 && errno == EPERM;
  case P_OPEN_TREE: r = syscall(SYS_open_tree, -1, NULL, 0); return r < 0 && errno == EPERM;
  case P_MOVE_MOUNT: r = syscall(SYS_move_mount, -1, NULL, -1, NULL, 0); return r < 0 && errno == EPERM;
  case P_SETATTR: r = syscall(SYS_mount_setattr, -1, NULL, 0, NULL, 0); return r < 0 && errno == EPERM;
  case P_UMOUNT: r = syscall(SYS_umount2, NULL, 0); return r < 0 && errno == EPERM;
  /* an empty name: ENOENT when the call runs */
  case P_MKNODAT_BLK: r = syscall(SYS_mknodat, AT_FDCWD, "", S_IFBLK | 0600, 0); return r < 0 && errno == EPERM;
#ifdef SYS_mknod
  case P_MKNOD_BLK: r = syscall(SYS_mknod, "", S_IFBLK | 0600, 0); return r < 0 && errno == EPERM;
#else
  case P_MKNOD_BLK: return 1;
#endif
  case P_MKNODAT_FIFO: r = syscall(SYS_mknodat, AT_FDCWD, "", S_IFIFO | 0600, 0); return r < 0 && errno == EPERM;
  /* as root, each socket is made when allowed; nothing is sent */
  case P_PACKET: return socket_denied(AF_PACKET, SOCK_RAW, 0);
  case P_RAW4: return socket_denied(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  case P_RAW6: return socket_denied(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  case P_TCP: return socket_denied(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  case P_UDP6: return socket_denied(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  case P_UNIX: return socket_denied(AF_UNIX, SOCK_STREAM, 0);
  case P_NETLINK: return socket_denied(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
  /* bad arguments: EFAULT/EINVAL when the call runs */
  case P_URING: r = syscall(425 /* io_uring_setup */, 1, NULL); return r < 0 && errno == EPERM;
  case P_FORK: {
    pid_t c = fork();
    if (c == 0)
      _exit(0);
    if (c > 0)
      waitpid(c, NULL, 0);
    return c < 0;
  }
  }
  return 0;
}

/* Only the probes in `run` are tried: a layer that allows mount(2) must
 * never see the mount probe, which would really mount. */
static unsigned denied_under_net(enum sbx_policy_seccomp level, bool network, unsigned run)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };
  int fds[2], status;
  unsigned mask = 0;
  pid_t child;

  if (sbx_policy_seccomp_compile(level, network, &p, &err) < 0 || pipe(fds) < 0)
    return ~0u;
  child = fork();
  if (child == 0) {
    int listener = -1;
    unsigned m = 0;
    close(fds[0]);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (p.bpf && sbx_seccomp_install(&p, &listener, &err) < 0)
      _exit(2);
    for (int i = 0; i < P_COUNT; i++)
      if ((run >> i & 1) && probe_denied(i))
        m |= 1u << i;
    if (write(fds[1], &m, sizeof m) != sizeof m)
      _exit(3);
    _exit(0);
  }
  close(fds[1]);
  if (read(fds[0], &mask, sizeof mask) != sizeof mask)
    mask = ~0u;
  close(fds[0]);
  waitpid(child, &status, 0);
  sbx_seccomp_program_release(&p);
  sbx_error_clear(&err);
  return mask;
}

#define BIT(x) (1u << (x))

static unsigned denied_under_only(enum sbx_policy_seccomp level, unsigned run)
{
  return denied_under_net(level, false, run);
}

/* What the filesystem policy needs denied in every layer (mount(2) is
 * checked apart: it would really mount where it is allowed). */
#define FS_ESCAPES (BIT(P_BY_HANDLE) | BIT(P_FSOPEN) | BIT(P_FSCONFIG) | BIT(P_FSMOUNT) | \
                    BIT(P_FSPICK) | BIT(P_OPEN_TREE) | BIT(P_MOVE_MOUNT) | BIT(P_SETATTR) | \
                    BIT(P_UMOUNT) | BIT(P_MKNODAT_BLK) | BIT(P_MKNOD_BLK))

static unsigned denied_under(enum sbx_policy_seccomp level)
{
  return denied_under_only(level, ~0u);
}

static void test_config_adds_nothing(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(sbx_policy_seccomp_compile(SBX_POLICY_SECCOMP_CONFIG, false, &p, &err), 0);
  CHECK(p.bpf == NULL);
}

static void test_default_denies_escapes(void)
{
  unsigned m = denied_under(SBX_POLICY_SECCOMP_DEFAULT);

  CHECK(m != ~0u);
  CHECK(m & BIT(P_MOUNT));
  CHECK(m & BIT(P_UNSHARE_NS));
  CHECK(m & BIT(P_BPF));
  CHECK(m & BIT(P_PTRACE));
  CHECK(m & BIT(P_CLONE3));
  CHECK(m & BIT(P_SETNS));
  CHECK(m & BIT(P_KEYCTL));
  CHECK_INT(m & FS_ESCAPES, FS_ESCAPES);
  /* ... and only them (a fifo is no block device) */
  CHECK(!(m & BIT(P_MKNODAT_FIFO)));
  CHECK(!(m & BIT(P_UNSHARE_FILES)));
  CHECK(!(m & BIT(P_GETPID)));
  CHECK(!(m & BIT(P_FORK)));
}

static void test_strict_allows_only_common_work(void)
{
  unsigned m = denied_under(SBX_POLICY_SECCOMP_STRICT);

  CHECK(m != ~0u);
  CHECK(m & BIT(P_MOUNT));
  CHECK(m & BIT(P_UNSHARE_NS));
  CHECK(m & BIT(P_UNSHARE_FILES)); /* not on the allow list at all */
  CHECK(m & BIT(P_BPF));
  CHECK(m & BIT(P_PTRACE));
  CHECK(m & BIT(P_CLONE3));
  CHECK_INT(m & FS_ESCAPES, FS_ESCAPES);
  CHECK(!(m & BIT(P_GETPID)));
  CHECK(!(m & BIT(P_FORK)));
}

/* The layer added to a config-only policy whose filesystem rules are in
 * force: what gets around the policy's mounts and nothing else. */
static void test_files_layer_denies_fs_escapes_only(void)
{
  /* everything but mount (it would mount here if the layer let it) and
   * the user namespace (which the test's own environment may refuse) */
  unsigned run = ~(BIT(P_MOUNT) | BIT(P_UNSHARE_NS));
  unsigned m = denied_under_only(SBX_POLICY_SECCOMP_FILES, run);

  CHECK(m != ~0u);
  CHECK_INT(m, FS_ESCAPES);
  CHECK_INT(sbx_policy_seccomp_layer(SBX_POLICY_SECCOMP_CONFIG, true), SBX_POLICY_SECCOMP_FILES);
  CHECK_INT(sbx_policy_seccomp_layer(SBX_POLICY_SECCOMP_CONFIG, false), SBX_POLICY_SECCOMP_CONFIG);
  CHECK_INT(sbx_policy_seccomp_layer(SBX_POLICY_SECCOMP_DEFAULT, true), SBX_POLICY_SECCOMP_DEFAULT);
}

/* network none / allowlist: AF_PACKET, raw IP sockets and io_uring are
 * denied in every layer; TCP, UDP, unix and netlink sockets still work. */
static void test_network_rules_in_every_layer(void)
{
  static const enum sbx_policy_seccomp levels[] = { SBX_POLICY_SECCOMP_CONFIG, SBX_POLICY_SECCOMP_FILES,
                                                    SBX_POLICY_SECCOMP_DEFAULT, SBX_POLICY_SECCOMP_STRICT };
  unsigned net = BIT(P_PACKET) | BIT(P_RAW4) | BIT(P_RAW6) | BIT(P_URING) | BIT(P_TCP) |
                 BIT(P_UDP6) | BIT(P_UNIX) | BIT(P_NETLINK) | BIT(P_GETPID);
  unsigned refused = BIT(P_PACKET) | BIT(P_RAW4) | BIT(P_RAW6) | BIT(P_URING);

  for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
    unsigned m = denied_under_net(levels[i], true, net);
    if (!CHECK_INT(m, refused))
      fprintf(stderr, "  layer %d\n", (int)levels[i]);
  }
  /* without network rules, the config-only layer lets all of them be made */
  CHECK_INT(denied_under_net(SBX_POLICY_SECCOMP_CONFIG, false, net), 0);
}

int main(void)
{
  RUN(test_config_adds_nothing);
  RUN(test_default_denies_escapes);
  RUN(test_strict_allows_only_common_work);
  RUN(test_files_layer_denies_fs_escapes_only);
  RUN(test_network_rules_in_every_layer);
  return unit_finish("policy-seccomp");
}
