/* policy_seccomp.c: the "default" and "strict" seccomp layers of the
 * policy and the rules the filesystem and network policies add (see
 * policy_seccomp.h), written as OCI seccomp profiles and compiled by the
 * same code as the config's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "policy_seccomp.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "utils.h"

/* Never needed by an agent's tools, and each a known way out of a
 * container or into the kernel. */
static const char *const denied[] = {
  "chroot", "setns", "bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev",
  "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
  "keyctl", "add_key", "request_key", "userfaultfd", "name_to_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register",
  "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "lookup_dcookie",
  "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
  "syslog", "vhangup", "uselib", "ustat", "_sysctl", "nfsservctl", "kcmp",
  "pidfd_getfd", "fanotify_init", "personality", "landlock_create_ruleset",
};

/* What gets around the filesystem policy's mounts, denied wherever the
 * policy is in force (every layer): mounting, unmounting, remounting and
 * the new mount API, whose detached mounts (fsmount, open_tree clones)
 * and attribute changes (mount_setattr) Landlock does not see; and
 * open_by_handle_at, which reaches an inode by number around every path.
 * mknod of block devices (rules of their own) goes with them: a device
 * node of the host's disk is what fsopen would mount. */
static const char *const fs_escapes[] = {
  "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
  "move_mount", "open_tree", "mount_setattr", "open_by_handle_at",
};

/* Namespace flags refused in clone and unshare (clone3's flags live in
 * memory seccomp cannot read, so clone3 answers ENOSYS and libc falls back
 * to clone). */
static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                          CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
                                          0x00000080 /* CLONE_NEWTIME */ };

/* What common tools (shells, coreutils, compilers, interpreters, git)
 * use; everything else fails with EPERM. */
static const char *const allowed[] = {
  "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
  "pwritev2", "open", "openat", "openat2", "close", "close_range", "creat", "stat", "fstat",
  "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
  "lseek", "mmap", "mprotect", "munmap", "mremap", "msync", "mincore", "madvise", "brk",
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending",
  "rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack", "ioctl", "pipe", "pipe2", "select",
  "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
  "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
  "timerfd_create", "timerfd_settime", "timerfd_gettime", "sched_yield", "sched_getaffinity",
  "sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
  "sched_get_priority_min", "dup", "dup2", "dup3", "nanosleep", "clock_nanosleep",
  "getitimer", "setitimer", "alarm", "getpid", "getppid", "gettid", "getpgrp", "getpgid",
  "setpgid", "getsid", "setsid", "fork", "vfork", "execve", "execveat", "exit",
  "exit_group", "wait4", "waitid", "kill", "tkill", "tgkill", "uname", "fcntl", "flock",
  "fsync", "fdatasync", "sync", "syncfs", "truncate", "ftruncate", "fallocate", "getdents",
  "getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat", "renameat2", "mkdir",
  "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat",
  "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown",
  "fchownat", "umask", "utime", "utimes", "utimensat", "futimesat", "gettimeofday", "time",
  "clock_gettime", "clock_getres", "getrlimit", "setrlimit", "prlimit64", "getrusage",
  "sysinfo", "times", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
  "getgroups", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "capset",
  "seccomp", /* only ever narrows: needed to stack the config's filter after ours */
  "setgroups", "capget", "prctl", "arch_prctl", "futex", "futex_waitv", "set_robust_list",
  "get_robust_list", "set_tid_address", "rseq", "getrandom", "memfd_create", "copy_file_range",
  "sendfile", "splice", "tee", "socket", "socketpair", "connect", "accept", "accept4", "bind",
  "listen", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
  "getsockname", "getpeername", "getsockopt", "setsockopt", "inotify_init", "inotify_init1",
  "inotify_add_watch", "inotify_rm_watch", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
  "llistxattr", "flistxattr", "mlock", "munlock", "membarrier", "get_mempolicy",
  "restart_syscall", "getcpu", "fadvise64", "readahead", "shmget", "shmat", "shmdt", "shmctl",
  "semget", "semop", "semctl", "semtimedop", "msgget", "msgsnd", "msgrcv", "msgctl",
};

/* ---- network: mode none / allowlist ----
 * Packets that skip the nftables output hook: AF_PACKET sockets (any type)
 * and raw IP sockets; and io_uring, which can make sockets without
 * socket(2).  All need CAP_NET_RAW or are denied by the default layer
 * already; these rules hold even if a capability slipped through.  Raw
 * netlink sockets stay: glibc's getaddrinfo opens one (AI_ADDRCONFIG). */

/* socket(domain[, type & 0xf == type]) */
static void socket_rule(struct oci_syscall *r, struct oci_seccomp_arg *args, char **name,
                        unsigned long domain, long type, char *action)
{
  memset(r, 0, sizeof *r);
  r->names = name;
  r->names_len = 1;
  r->action = action;
  r->args = args;
  args[0] = (struct oci_seccomp_arg){ .index = 0, .value = domain, .op = "SCMP_CMP_EQ" };
  r->args_len = 1;
  if (type >= 0) {
    args[1] = (struct oci_seccomp_arg){ .index = 1, .value = 0xf, .value_two = (uint64_t)type,
                                        .op = "SCMP_CMP_MASKED_EQ" };
    r->args_len = 2;
  }
}

enum { NET_DENY_RULES = 4 };

/* Into rules (room for NET_DENY_RULES) for a filter whose default allows. */
static size_t net_deny_rules(struct oci_syscall *rules, struct oci_seccomp_arg (*args)[2])
{
  static char *sock[] = { "socket", NULL };
  static char *uring[] = { "io_uring_setup", "io_uring_enter", "io_uring_register", NULL };
  size_t n = 0;

  socket_rule(&rules[n], args[n], sock, AF_PACKET, -1, "SCMP_ACT_ERRNO"), n++;
  socket_rule(&rules[n], args[n], sock, AF_INET, SOCK_RAW, "SCMP_ACT_ERRNO"), n++;
  socket_rule(&rules[n], args[n], sock, AF_INET6, SOCK_RAW, "SCMP_ACT_ERRNO"), n++;
  memset(&rules[n], 0, sizeof rules[n]);
  rules[n].names = uring;
  rules[n].names_len = 3;
  rules[n++].action = "SCMP_ACT_ERRNO";
  return n;
}

/* For strict (default deny): the socket kinds an agent's tools use. */
static const struct { int domain, type; } strict_sockets[] = {
  { AF_UNIX, SOCK_STREAM }, { AF_UNIX, SOCK_DGRAM }, { AF_UNIX, SOCK_SEQPACKET },
  { AF_INET, SOCK_STREAM }, { AF_INET, SOCK_DGRAM }, { AF_INET6, SOCK_STREAM },
  { AF_INET6, SOCK_DGRAM }, { AF_NETLINK, SOCK_RAW }, { AF_NETLINK, SOCK_DGRAM },
};
enum { STRICT_SOCKETS = sizeof strict_sockets / sizeof strict_sockets[0] };

/* A profile's rule: names[] -> action, optional one masked-flag condition. */
static void set_rule(struct oci_syscall *r, char **names, size_t n, char *action,
                     struct oci_seccomp_arg *arg)
{
  memset(r, 0, sizeof *r);
  r->names = names;
  r->names_len = n;
  r->action = action;
  if (arg) {
    r->args = arg;
    r->args_len = 1;
  }
}

/* The fs_escapes rule and the two block-device mknod rules (mknod's mode
 * is argument 1, mknodat's argument 2); needs FS_RULES slots in rules and
 * 2 in args. */
enum { FS_RULES = 3 };
static size_t set_fs_rules(struct oci_syscall *rules, struct oci_seccomp_arg *args)
{
  static char *mknod_[] = { "mknod", NULL }, *mknodat_[] = { "mknodat", NULL };

  set_rule(&rules[0], (char **)fs_escapes, sizeof fs_escapes / sizeof fs_escapes[0],
           "SCMP_ACT_ERRNO", NULL);
  args[0] = (struct oci_seccomp_arg){ .index = 1, .value = S_IFMT, .value_two = S_IFBLK,
                                      .op = "SCMP_CMP_MASKED_EQ" };
  args[1] = args[0];
  args[1].index = 2;
  set_rule(&rules[1], mknod_, 1, "SCMP_ACT_ERRNO", &args[0]);
  set_rule(&rules[2], mknodat_, 1, "SCMP_ACT_ERRNO", &args[1]);
  return FS_RULES;
}

static int compile_default(bool network, struct sbx_seccomp_program *out, struct sbx_error *err)
{
  enum { N_NS = sizeof ns_flags / sizeof ns_flags[0] };
  struct oci_syscall rules[2 + 2 * N_NS + FS_RULES + NET_DENY_RULES];
  struct oci_seccomp_arg args[N_NS], fs_args[2], net_args[NET_DENY_RULES][2];
  char *clone3[] = { "clone3", NULL }, *clone_[] = { "clone", NULL };
  char *unshare_[] = { "unshare", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules };
  size_t n = 0;

  set_rule(&rules[n++], (char **)denied, sizeof denied / sizeof denied[0], "SCMP_ACT_ERRNO", NULL);
  n += set_fs_rules(&rules[n], fs_args);
  set_rule(&rules[n], clone3, 1, "SCMP_ACT_ERRNO", NULL);
  rules[n].has_errno_ret = true;
  rules[n++].errno_ret = ENOSYS;
  for (size_t i = 0; i < N_NS; i++) {
    args[i] = (struct oci_seccomp_arg){ .index = 0, .value = ns_flags[i],
                                        .value_two = ns_flags[i], .op = "SCMP_CMP_MASKED_EQ" };
    set_rule(&rules[n++], clone_, 1, "SCMP_ACT_ERRNO", &args[i]);
    set_rule(&rules[n++], unshare_, 1, "SCMP_ACT_ERRNO", &args[i]);
  }
  if (network)
    n += net_deny_rules(&rules[n], net_args);
  s.syscalls_len = n;
  return sbx_seccomp_compile(&s, out, err);
}

/* strict holds none of default's denials: clone only without namespace
 * flags, clone3 ENOSYS so libc falls back to clone. */
static int compile_strict(bool network, struct sbx_seccomp_program *out, struct sbx_error *err)
{
  unsigned long all_ns = 0;
  struct oci_syscall rules[3 + STRICT_SOCKETS];
  struct oci_seccomp_arg no_ns, sock_args[STRICT_SOCKETS][2];
  char *clone3[] = { "clone3", NULL }, *clone_[] = { "clone", NULL }, *sock[] = { "socket", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = rules,
                           .syscalls_len = 3 };
  const char *names[sizeof allowed / sizeof allowed[0]];
  size_t n_names = 0;

  for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++)
    all_ns |= ns_flags[i];
  no_ns = (struct oci_seccomp_arg){ .index = 0, .value = all_ns, .value_two = 0,
                                    .op = "SCMP_CMP_MASKED_EQ" };
  /* with network rules, socket only for the kinds listed */
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (!network || strcmp(allowed[i], "socket") != 0)
      names[n_names++] = allowed[i];
  set_rule(&rules[0], (char **)names, n_names, "SCMP_ACT_ALLOW", NULL);
  for (size_t i = 0; network && i < STRICT_SOCKETS; i++)
    socket_rule(&rules[s.syscalls_len++], sock_args[i], sock, (unsigned long)strict_sockets[i].domain,
                strict_sockets[i].type, "SCMP_ACT_ALLOW");
  set_rule(&rules[1], clone_, 1, "SCMP_ACT_ALLOW", &no_ns);
  set_rule(&rules[2], clone3, 1, "SCMP_ACT_ERRNO", NULL);
  rules[2].has_errno_ret = true;
  rules[2].errno_ret = ENOSYS;
  return sbx_seccomp_compile(&s, out, err);
}

/* Only the config's filter otherwise: the filesystem policy's own wall
 * (files) and the network policy's (network). */
static int compile_added(bool files, bool network, struct sbx_seccomp_program *out,
                         struct sbx_error *err)
{
  struct oci_syscall rules[FS_RULES + NET_DENY_RULES];
  struct oci_seccomp_arg args[2], net_args[NET_DENY_RULES][2];
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules };

  if (files)
    s.syscalls_len = set_fs_rules(rules, args);
  if (network)
    s.syscalls_len += net_deny_rules(&rules[s.syscalls_len], net_args);
  return sbx_seccomp_compile(&s, out, err);
}

enum sbx_policy_seccomp sbx_policy_seccomp_layer(int mode, bool fs_enforced)
{
  if (mode == SBX_POLICY_SECCOMP_CONFIG && fs_enforced)
    return SBX_POLICY_SECCOMP_FILES;
  return (enum sbx_policy_seccomp)mode;
}

int sbx_policy_seccomp_compile(enum sbx_policy_seccomp level, bool network,
                               struct sbx_seccomp_program *out, struct sbx_error *err)
{
  memset(out, 0, sizeof *out);
  switch (level) {
  case SBX_POLICY_SECCOMP_DEFAULT:
    return compile_default(network, out, err) < 0 ? sbx_wrap(err, "policy seccomp default") : 0;
  case SBX_POLICY_SECCOMP_STRICT:
    return compile_strict(network, out, err) < 0 ? sbx_wrap(err, "policy seccomp strict") : 0;
  case SBX_POLICY_SECCOMP_FILES:
    return compile_added(true, network, out, err) < 0 ? sbx_wrap(err, "policy seccomp (filesystem)") : 0;
  default:
    if (!network)
      return 0;
    return compile_added(false, true, out, err) < 0 ? sbx_wrap(err, "policy seccomp (network)") : 0;
  }
}
