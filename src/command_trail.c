/* command_trail.c: the command trail, seccomp user notification on execve
 * and execveat, read by the supervisor (see command_trail.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "command_trail.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "policy.h"
#include "policy_apply.h"
#include "state.h"
#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Bounds of what a line carries of argv. */
enum { MAX_ARGS = 256, MAX_ARG = 1024, MAX_ARGV_BYTES = 8192 };

/* ---- the filter (installed in the container) ---- */

#define NOTIFY_IF(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)

int sbx_trail_install(int sock, struct sbx_error *err)
{
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
#ifdef __x86_64__
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 6),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    NOTIFY_IF(11),  /* i386 execve */
    NOTIFY_IF(358), /* i386 execveat */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 9),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    NOTIFY_IF(__NR_execve),
    NOTIFY_IF(__NR_execveat),
    NOTIFY_IF(0x40000000 | 520), /* x32 execve */
    NOTIFY_IF(0x40000000 | 545), /* x32 execveat */
#else
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    NOTIFY_IF(__NR_execve),
    NOTIFY_IF(__NR_execveat),
#endif
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control = { 0 };
  char byte = 'L';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  int listener;
  ssize_t sent;

  /* WAIT_KILLABLE_RECV (6.0): a signal cannot restart an execve already
   * received, which would record it twice; without it, a restart is
   * possible, and the kernel refuses the flag where it does not have it. */
  listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                          SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                          &prog);
  if (listener < 0 && errno == EINVAL)
    listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) {
    close(sock);
    return sbx_fail(err, errno, "audit.commands: install the command trail's seccomp filter");
  }
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
  sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  /* Nothing in the container may keep the listener: it could answer its
   * own notifications. */
  close(listener);
  close(sock);
  if (sent != 1)
    return sbx_fail(err, errno, "audit.commands: hand the command trail to the supervisor");
  return 0;
}

/* ---- the supervisor's side ---- */

struct trail {
  struct sbx_policy *policy;   /* exec allowlist, to name a refusal; NULL: none */
};

struct listener {
  struct trail *trail;
  int fd;
};

/* A socket source: from init (a socketpair), from exec (accepted), or the
 * listening socket itself. */
struct sock_ctx {
  struct trail *trail;
  int sock;
  bool owner;                  /* frees trail (in create, after the spawn) */
};

static enum sbx_monitor_verdict on_notification(struct sbx_monitor *m, void *ctx, short revents);

static void release_listener(struct sbx_monitor *m, void *ctx)
{
  struct listener *l = ctx;

  (void)m;
  close(l->fd);
  free(l);
}

static void release_sock(struct sbx_monitor *m, void *ctx)
{
  struct sock_ctx *s = ctx;

  /* In the supervisor the trail lives as long as the process. */
  if (m == NULL && s->owner)
    free(s->trail);
  close(s->sock);
  free(s);
}

/* A listener received (from init or an exec process): a source of its own. */
static enum sbx_monitor_verdict on_socket(struct sbx_monitor *m, void *ctx, short revents)
{
  struct sock_ctx *s = ctx;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  struct listener *l;
  ssize_t n;

  (void)revents;
  n = recvmsg(s->sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n <= 0)
    return n < 0 && errno == EAGAIN ? SBX_MONITOR_KEEP : SBX_MONITOR_DROP;
  cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
    return SBX_MONITOR_KEEP;
  l = calloc(1, sizeof *l);
  if (l == NULL)
    return SBX_MONITOR_KEEP;
  memcpy(&l->fd, CMSG_DATA(cmsg), sizeof(int));
  l->trail = s->trail;
  if (sbx_monitor_add_source(m, &(struct sbx_monitor_source){ .fd = l->fd,
                                                              .handle = on_notification,
                                                              .release = release_listener,
                                                              .ctx = l }) < 0)
    release_listener(m, l);
  /* One listener per connection: init's end, an exec's connection. */
  return SBX_MONITOR_DROP;
}

/* `agentsbx exec` connects: a socket source for the listener it sends. */
static enum sbx_monitor_verdict on_accept(struct sbx_monitor *m, void *ctx, short revents)
{
  struct sock_ctx *s = ctx, *c;
  int conn;

  (void)revents;
  conn = accept4(s->sock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (conn < 0)
    return SBX_MONITOR_KEEP;
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(conn);
    return SBX_MONITOR_KEEP;
  }
  *c = (struct sock_ctx){ .trail = s->trail, .sock = conn };
  if (sbx_monitor_add_source(m, &(struct sbx_monitor_source){ .fd = conn, .handle = on_socket,
                                                              .release = release_sock,
                                                              .ctx = c }) < 0)
    release_sock(m, c);
  return SBX_MONITOR_KEEP;
}

/* In the supervisor, once per socket: its fd number there; the first also
 * loads the policy that names refusals. */
static int start_sock(struct sbx_monitor *m, void *ctx, int fd)
{
  struct sock_ctx *s = ctx;
  const struct sbx_monitor_spec *spec = sbx_monitor_get_spec(m);
  cleanup_free char *saved = sbx_state_file(sbx_monitor_context(m), spec->id, "policy.json");

  s->sock = fd;
  if (s->trail->policy == NULL && saved)
    sbx_policy_load_saved(saved, &s->trail->policy, NULL);
  return 0;
}

/* The supervisor's socket, named through an fd of the state directory: an
 * engine's state path (/run/docker/runtime-runc/moby/<64 hex>/...) is
 * longer than sun_path. */
static int socket_address(const struct sbx_context *ctx, const char *id, struct sockaddr_un *addr,
                          struct sbx_error *err)
{
  cleanup_free char *dir = sbx_state_dir(ctx, id);
  int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

  if (fd < 0)
    return sbx_fail(err, dir ? errno : ENOMEM, "audit.commands: the state directory");
  addr->sun_family = AF_UNIX;
  snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/supervisor.sock", fd);
  return fd;
}

int sbx_trail_prepare(const struct sbx_context *ctx, const char *id, struct sbx_monitor_spec *spec,
                      int *init_fd, struct sbx_error *err)
{
  struct sockaddr_un addr;
  cleanup_close int dirfd = socket_address(ctx, id, &addr, err);
  const char *path = addr.sun_path;
  struct sbx_monitor_source *from_init, *from_exec;
  struct sock_ctx *a = NULL, *b = NULL;
  struct trail *t = NULL;
  int pair[2] = { -1, -1 }, lsock = -1;

  *init_fd = -1;
  if (dirfd < 0)
    return -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return sbx_fail(err, errno, "audit.commands: socketpair");
  lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lsock, 16) < 0) {
    sbx_fail(err, errno, "audit.commands: listen on `%s`", path);
    goto fail;
  }
  fchmodat(dirfd, "supervisor.sock", 0600, 0);
  t = calloc(1, sizeof *t);
  a = calloc(1, sizeof *a);
  b = calloc(1, sizeof *b);
  from_init = sbx_monitor_spec_add(spec);
  from_exec = sbx_monitor_spec_add(spec);
  if (t == NULL || a == NULL || b == NULL || from_init == NULL || from_exec == NULL) {
    sbx_fail(err, ENOMEM, "audit.commands");
    goto fail;
  }
  /* The fds in ctx are the supervisor's numbers once start ran. */
  *a = (struct sock_ctx){ .trail = t, .sock = pair[0], .owner = true };
  *b = (struct sock_ctx){ .trail = t, .sock = lsock };
  *from_init = (struct sbx_monitor_source){ .fd = pair[0], .handle = on_socket,
                                            .start = start_sock, .release = release_sock,
                                            .ctx = a };
  *from_exec = (struct sbx_monitor_source){ .fd = lsock, .handle = on_accept,
                                            .start = start_sock, .release = release_sock,
                                            .ctx = b };
  *init_fd = pair[1];
  return 0;
fail:
  free(t), free(a), free(b);
  if (lsock >= 0)
    close(lsock);
  close(pair[0]);
  close(pair[1]);
  return -1;
}

int sbx_trail_connect(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  struct sockaddr_un addr;
  cleanup_close int dirfd = socket_address(ctx, id, &addr, err);
  int fd;

  if (dirfd < 0)
    return -1;
  fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (fd >= 0)
      close(fd);
    return sbx_fail(err, errno, "audit.commands: the supervisor of container `%s`", id);
  }
  return fd;
}

/* ---- one notification ---- */

struct exec_record {
  pid_t pid, ppid, nspid;
  long uid;
  char cwd[PATH_MAX];
  char path[2 * PATH_MAX + 2]; /* as the caller named it, made absolute */
  char executable[PATH_MAX];   /* the file it resolves to in the container */
  char *argv[MAX_ARGS + 1];
  bool truncated;
  char argbuf[MAX_ARGV_BYTES + MAX_ARGS];
};

static ssize_t read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
  struct iovec local = { .iov_base = buf, .iov_len = len };
  struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

  return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

/* A NUL-terminated string of at most max-1 bytes at addr; *cut when longer. */
static bool read_string(pid_t pid, uint64_t addr, char *buf, size_t max, bool *cut)
{
  ssize_t n = read_mem(pid, addr, buf, max);

  /* A string near the end of its mapping: read up to the page's end. */
  if (n <= 0) {
    size_t to_page = 4096 - (addr & 4095);
    n = to_page < max ? read_mem(pid, addr, buf, to_page) : -1;
  }
  if (n <= 0)
    return false;
  if (memchr(buf, '\0', (size_t)n) == NULL) {
    buf[(size_t)n < max ? (size_t)n : max - 1] = '\0';
    *cut = true;
  }
  return true;
}

static void read_argv(pid_t pid, uint64_t argv_addr, bool compat, struct exec_record *r)
{
  size_t used = 0, width = compat ? 4 : 8;

  for (size_t i = 0; i < MAX_ARGS; i++) {
    uint64_t ptr = 0;
    bool cut = false;
    size_t room = MAX_ARGV_BYTES - used;
    if (read_mem(pid, argv_addr + i * width, &ptr, width) != (ssize_t)width)
      break;
    if (ptr == 0) {
      r->argv[i] = NULL;
      return;
    }
    if (room < 2) {
      r->truncated = true;
      r->argv[i] = NULL;
      return;
    }
    if (!read_string(pid, ptr, r->argbuf + used, room < MAX_ARG ? room : MAX_ARG, &cut))
      break;
    r->argv[i] = r->argbuf + used;
    r->truncated |= cut;
    used += strlen(r->argv[i]) + 1;
  }
  /* More than MAX_ARGS, or an unreadable pointer: what was read so far. */
  r->truncated = true;
}

static void read_status(pid_t pid, struct exec_record *r)
{
  char path[64], line[256];
  FILE *f;

  snprintf(path, sizeof path, "/proc/%d/status", pid);
  f = fopen(path, "re");
  if (f == NULL)
    return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "PPid:", 5) == 0)
      r->ppid = (pid_t)strtol(line + 5, NULL, 10);
    else if (strncmp(line, "Uid:", 4) == 0)
      r->uid = strtol(line + 4, NULL, 10);
    else if (strncmp(line, "NSpid:", 6) == 0) {
      char *last = strrchr(line, '\t');
      r->nspid = (pid_t)strtol(last ? last + 1 : line + 6, NULL, 10);
    }
  }
  fclose(f);
}

static bool proc_link(pid_t pid, const char *what, char *out, size_t size)
{
  char path[64];
  ssize_t n;

  snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
  n = readlink(path, out, size - 1);
  if (n < 0)
    return false;
  out[n] = '\0';
  return true;
}

/* /proc/self/exe, /proc/self/fd/N (busybox re-running itself, fexecve):
 * magic links of the caller's own, opened through the host's /proc.  -2
 * when path is not one. */
static int own_proc_link(pid_t pid, const char *path)
{
  const char *rest = NULL;
  char host[96];

  if (strncmp(path, "/proc/self/", 11) == 0)
    rest = path + 11;
  else if (strncmp(path, "/proc/thread-self/", 18) == 0)
    rest = path + 18;
  if (rest == NULL || (strcmp(rest, "exe") != 0 && strncmp(rest, "fd/", 3) != 0) ||
      strchr(rest + 3, '/') != NULL)
    return -2;
  snprintf(host, sizeof host, "/proc/%d/%s", pid, rest);
  return open(host, O_PATH | O_CLOEXEC);
}

enum outcome { OUTCOME_MISS, OUTCOME_RUN, OUTCOME_NOEXEC, OUTCOME_NOT_ALLOWED };

/* Resolve r->path in the caller's root as the kernel would (symlinks held
 * inside it), and tell what the exec will do.  root: the caller's root
 * directory, own: its /proc/self link (-2: none), both opened while it was
 * stopped (they stay valid after it execs or exits). */
static enum outcome resolve(int root, int own, const struct trail *t, struct exec_record *r)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_close int fd = own;
  struct statvfs vfs;
  struct stat st;

  if (fd == -2)
    fd = (int)syscall(SYS_openat2, root, r->path, &how, sizeof how);
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
    return OUTCOME_MISS;
  {
    /* The container's name of the file (its mount namespace's view). */
    char self[64];
    ssize_t n;
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    n = readlink(self, r->executable, sizeof r->executable - 1);
    r->executable[n > 0 ? n : 0] = '\0';
  }
  if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
    return OUTCOME_NOEXEC;
  if (t->policy && !sbx_policy_exec_allowed(t->policy, r->executable))
    return OUTCOME_NOT_ALLOWED;
  return OUTCOME_RUN;
}

/* "." segments and repeated slashes out, ".." taken lexically (the
 * executable field has what symlinks make of it). */
static void normalize(char *path)
{
  char *out = path, *in = path;

  while (*in) {
    char *end;
    size_t len;
    while (*in == '/')
      in++;
    end = strchrnul(in, '/');
    len = (size_t)(end - in);
    if (len == 1 && in[0] == '.') {
    } else if (len == 2 && in[0] == '.' && in[1] == '.') {
      while (out > path && *--out != '/')
        ;
    } else if (len) {
      *out++ = '/';
      memmove(out, in, len);
      out += len;
    }
    in = end;
  }
  if (out == path)
    *out++ = '/';
  *out = '\0';
}

/* The path the caller named, absolute in its root. */
static bool absolute_path(pid_t pid, int dirfd, const char *name, bool empty_path,
                          struct exec_record *r)
{
  char base[PATH_MAX];
  char what[32];

  if (name[0] == '/') {
    snprintf(r->path, sizeof r->path, "%s", name);
    return true;
  }
  if (dirfd == AT_FDCWD)
    snprintf(base, sizeof base, "%s", r->cwd);
  else {
    snprintf(what, sizeof what, "fd/%d", dirfd);
    if (!proc_link(pid, what, base, sizeof base))
      return false;
  }
  if (empty_path && name[0] == '\0')
    snprintf(r->path, sizeof r->path, "%s", base);
  else
    snprintf(r->path, sizeof r->path, "%s/%s", base, name);
  normalize(r->path);
  return true;
}

static void record(struct sbx_monitor *m, const struct seccomp_notif *req,
                   const struct exec_record *r, enum outcome o)
{
  static const char *const syscall_names[] = { "execve", "execveat" };
  bool at = req->data.nr == __NR_execveat || req->data.nr == 358 ||
            req->data.nr == (0x40000000 | 545);
  struct sbx_audit_field f[] = {
    { "pid", SBX_AUDIT_INT, .integer = r->pid },
    { "container_pid", SBX_AUDIT_INT, .integer = r->nspid },
    { "ppid", SBX_AUDIT_INT, .integer = r->ppid },
    { "uid", SBX_AUDIT_INT, .integer = r->uid },
    { "cwd", SBX_AUDIT_STRING, .string = r->cwd },
    { "path", SBX_AUDIT_STRING, .string = r->path },
    { "executable", SBX_AUDIT_STRING, .string = r->executable },
    { "argv", SBX_AUDIT_STRINGS, .strings = (char *const *)r->argv },
    { "argv_truncated", SBX_AUDIT_BOOL, .integer = r->truncated },
    { "syscall", SBX_AUDIT_STRING, .string = syscall_names[at] },
    { "rule", SBX_AUDIT_STRING },
  };
  size_t n = sizeof f / sizeof f[0] - 1;
  enum sbx_audit_event e = SBX_AUDIT_EV_COMMAND;

  if (o == OUTCOME_NOEXEC || o == OUTCOME_NOT_ALLOWED) {
    e = SBX_AUDIT_EV_EXEC_DENIED;
    f[n++].string = o == OUTCOME_NOEXEC ? "noexec mount" : "exec.allow";
  }
  sbx_audit_log_event(sbx_monitor_audit(m), e, f, n, sbx_audit_monotonic_ns(), NULL);
}

static enum sbx_monitor_verdict on_notification(struct sbx_monitor *m, void *ctx, short revents)
{
  struct listener *l = ctx;
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  struct exec_record *r;
  enum outcome o = OUTCOME_MISS;
  bool compat, at, cut = false, named = false;
  char name[PATH_MAX];
  cleanup_close int root = -1;
  int own = -2;

  /* No task uses the filter any more (they all exited). */
  if (!(revents & POLLIN))
    return SBX_MONITOR_DROP;
  memset(&req, 0, sizeof req);
  if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return errno == ENOENT || errno == EINTR ? SBX_MONITOR_KEEP : SBX_MONITOR_DROP;
  r = calloc(1, sizeof *r);
  compat = req.data.arch != AUDIT_ARCH_X86_64 || (req.data.nr & 0x40000000);
  at = req.data.nr == __NR_execveat || req.data.nr == 358 || req.data.nr == (0x40000000 | 545);
  if (r) {
    uint64_t path_addr = at ? req.data.args[1] : req.data.args[0];
    uint64_t argv_addr = at ? req.data.args[2] : req.data.args[1];
    int dirfd = at ? (int)req.data.args[0] : AT_FDCWD;
    bool empty = at && (req.data.args[4] & AT_EMPTY_PATH);
    r->pid = (pid_t)req.pid;
    read_status(r->pid, r);
    if (!proc_link(r->pid, "cwd", r->cwd, sizeof r->cwd))
      snprintf(r->cwd, sizeof r->cwd, "?");
    if (compat && req.data.arch == AUDIT_ARCH_I386)
      argv_addr &= 0xffffffffu, path_addr &= 0xffffffffu;
    read_argv(r->pid, argv_addr, compat && req.data.arch == AUDIT_ARCH_I386, r);
    named = read_string(r->pid, path_addr, name, sizeof name, &cut) && !cut &&
            absolute_path(r->pid, dirfd, name, empty, r);
    if (named) {
      char root_path[64];
      snprintf(root_path, sizeof root_path, "/proc/%d/root", r->pid);
      root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      own = own_proc_link(r->pid, r->path);
    }
  }
  /* Only what was read while the caller was stopped in the syscall counts;
   * the rest (resolving the path) goes on after it does, to keep the
   * time it waits short. */
  if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0)
    named = false;
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  if (named && root >= 0)
    o = resolve(root, own, l->trail, r);
  else if (own >= 0)
    close(own);
  if (r && o != OUTCOME_MISS)
    record(m, &req, r, o);
  free(r);
  return SBX_MONITOR_KEEP;
}
