/* init.c: the container init process (see init.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "init.h"

#include <stdint.h>
#include <stdlib.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "console.h"
#include "fs_policy_mounts.h"
#include "fs_resolve.h"
#include "hooks.h"
#include "command_trail.h"
#include "landlock.h"
#include "mounts.h"
#include "network.h"
#include "policy.h"
#include "process.h"
#include "scheduling.h"
#include "sync.h"
#include "sysctl.h"
#include "utils.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static int join_session_keyring(struct sbx_error *err)
{
  /* A fresh anonymous session keyring, so containers never share the
   * host's keys.  Kernels without keyrings are fine. */
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return sbx_fail(err, errno, "join a new session keyring");
  return 0;
}

static int set_hostnames(const struct oci_config *c, struct sbx_error *err)
{
  if (c->hostname && *c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
    return sbx_fail(err, errno, "hostname: set `%s`", c->hostname);
  if (c->domainname && *c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
    return sbx_fail(err, errno, "domainname: set `%s`", c->domainname);
  return 0;
}

/* Open a pty in the container's devpts, hand its master to whoever holds
 * the console socket, and make the slave our terminal (and, for init,
 * /dev/console). */
static int setup_terminal(const struct sbx_init_args *a, struct sbx_error *err)
{
  const struct oci_process *p = a->config->process;
  cleanup_close int master = -1;
  cleanup_free char *slave = NULL;
  cleanup_close int rootfd = -1, console = -1;
  char buf[32];

  if (sbx_console_open_pty(&master, &slave, err) < 0)
    return -1;
  if (p->console_size &&
      sbx_console_set_size(master, p->console_size->height, p->console_size->width, err) < 0)
    return -1;
  if (sbx_console_send_fd(a->console_fd, master, slave, err) < 0)
    return -1;
  /* The terminal belongs to the process's user, as on a login. */
  if (chown(slave, p->user.uid, (gid_t)-1) < 0)
    return sbx_fail(err, errno, "chown `%s` to uid %u", slave, p->user.uid);
  if (sbx_console_setup_slave(slave, err) < 0)
    return -1;
  if (a->exec_mode)
    return 0;
  rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  console = rootfd < 0 ? -1 : sbx_mount_target_in_root(rootfd, "/dev/console", true, err);
  if (console < 0)
    return -1;
  if (mount(slave, sbx_fd_path(console, buf), NULL, MS_BIND, NULL) < 0)
    return sbx_fail(err, errno, "bind `%s` on /dev/console", slave);
  return 0;
}

/* Install the seccomp program; with NOTIFY hand the listener to the agent
 * connected at setup, with the container's state. */
static int install_seccomp(const struct sbx_init_args *a, int agent, const char *state_json,
                           struct sbx_error *err)
{
  const struct oci_seccomp *s = a->config->linux_ ? a->config->linux_->seccomp : NULL;
  cleanup_close int listener = -1;
  int unused = -1;

  /* The policy's layer stacks on the config's: the kernel applies both. */
  if (a->policy_seccomp.bpf && sbx_seccomp_install(&a->policy_seccomp, &unused, err) < 0)
    return -1;
  if (a->seccomp.bpf && sbx_seccomp_install(&a->seccomp, &listener, err) < 0)
    return -1;
  if (listener >= 0 &&
      sbx_seccomp_send_listener(agent, listener, state_json,
                                s && s->listener_metadata ? s->listener_metadata : "", err) < 0)
    return -1;
  /* Last, so that every later execve (the user process's included) is
   * recorded; the runtime asks for it only without a config NOTIFY agent. */
  return a->trail_fd >= 0 ? sbx_trail_install(a->trail_fd, err) : 0;
}

/* NOTIFY: connect to the agent while its host path is still reachable. */
static int connect_seccomp_agent(const struct sbx_init_args *a, struct sbx_error *err)
{
  const struct oci_seccomp *s = a->config->linux_ ? a->config->linux_->seccomp : NULL;

  if (!a->seccomp.notify || s == NULL || s->listener_path == NULL)
    return -1;
  return sbx_seccomp_listener_connect(s->listener_path, err);
}

static bool has_seccomp(const struct sbx_init_args *a)
{
  return a->seccomp.bpf != NULL || a->policy_seccomp.bpf != NULL;
}

/* The last steps before execve, shared by init and exec.  Every one of them
 * runs before the seccomp filters, so that a profile need allow nothing of
 * the runtime's own (runc's -ENOSYS and defaultErrnoRet cases, runtime-tools'
 * default profile): the fds first, Landlock while the process still has
 * CAP_SYS_ADMIN (it may not have no_new_privs) and before a layer that
 * denies the landlock syscalls, then the identity.  With no_new_privs the
 * filters go on last and only execve runs under them.  Without it,
 * installing a filter takes CAP_SYS_ADMIN: the process takes its identity
 * still holding CAP_SYS_ADMIN, installs the filters and drops what it held
 * with one capset, the one syscall such a profile must allow (runc installs
 * the filter before it sets groups, uid, gid and capabilities). */
static int become_user_process(const struct sbx_init_args *a, int agent, const char *state_json,
                               int landlock, struct sbx_error *err)
{
  const struct oci_process *p = a->config->process;
  const uint64_t sys_admin = 1ULL << CAP_SYS_ADMIN;
  struct sbx_caps hold = a->caps;

  if (sbx_process_close_fds(a->preserve_fds, err) < 0)
    return -1;
  if (landlock >= 0 && sbx_landlock_restrict(landlock, err) < 0)
    return -1;
  if (sbx_process_set_exec_label(p, err) < 0)
    return -1;
  if (p->no_new_privileges || !has_seccomp(a)) {
    if (sbx_process_set_identity(p, &a->caps, err) < 0)
      return -1;
    return install_seccomp(a, agent, state_json, err);
  }
  hold.effective |= sys_admin;
  hold.permitted |= sys_admin;
  if (sbx_process_set_identity(p, &hold, err) < 0 ||
      install_seccomp(a, agent, state_json, err) < 0)
    return -1;
  if ((a->caps.effective & a->caps.permitted & sys_admin) != 0)
    return 0;
  if (sbx_caps_set_proc(&a->caps, err) < 0)
    return sbx_wrap(err, "process.noNewPrivileges is false, so the seccomp filter goes on "
                         "while CAP_SYS_ADMIN is held; dropping it needs capset, which the "
                         "profile must allow");
  return 0;
}

/* The filesystem policy on the container's mounts, once they are all in
 * place (hooks included) and before pivot_root; fs keeps the Landlock
 * ruleset for become_user_process and its grants for the state directory. */
struct init_fs {
  struct sbx_fs_enforce e;
  char *plan_text;
};

static int enforce_fs_policy(const struct sbx_init_args *a, struct init_fs *fs,
                             struct sbx_error *err)
{
  const struct oci_config *c = a->config;
  struct sbx_diags errors = { 0 };
  struct sbx_policy *p = NULL;
  cleanup_free char **dests = NULL;
  int ret;

  fs->e.ruleset = -1;
  if (a->fs_policy == NULL || *a->fs_policy == '\0')
    return 0;
  ret = sbx_policy_parse(a->fs_policy, strlen(a->fs_policy), "policy", &p, &errors, err);
  sbx_diags_free(&errors);
  if (ret < 0)
    return -1;
  /* (sbx_rootfs_prepare made a terminal's /dev/console mount point.) */
  dests = calloc(c->mounts_len + 1, sizeof *dests);
  if (dests == NULL) {
    sbx_policy_free(p);
    return sbx_fail(err, ENOMEM, "filesystem policy");
  }
  for (size_t i = 0; i < c->mounts_len; i++)
    dests[i] = c->mounts[i].destination;
  fs->e = (struct sbx_fs_enforce){ .policy = p, .rootfs = a->rootfs, .ruleset = -1,
                                   .root_readonly = c->root && c->root->readonly,
                                   .own_pidns = oci_linux_namespace(c->linux_, "pid") != NULL,
                                   .destinations = dests, .n_destinations = c->mounts_len };
  ret = sbx_fs_policy_enforce(&fs->e, err);
  fs->e.destinations = NULL;
  fs->e.policy = NULL;
  sbx_policy_free(p);
  if (ret < 0)
    return -1;
  fs->plan_text = sbx_landlock_plan_format(&fs->e.plan);
  if (fs->plan_text == NULL)
    return sbx_fail(err, ENOMEM, "filesystem policy");
  return 0;
}

/* The terminal went on /dev/console after the filesystem policy's walk:
 * it gets what every device node gets (Landlock rules are on inodes, and
 * the bind's is the pty's), in init's ruleset and in the plan execs use. */
static int grant_console(struct init_fs *fs, struct sbx_error *err)
{
  cleanup_close int root = -1;

  if (fs->e.ruleset < 0)
    return 0;
  root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return sbx_fail(err, errno, "open the container's root");
  if (sbx_landlock_grant_more(&fs->e.plan, fs->e.ruleset, root, "/dev/console",
                              SBX_LL_WRITE | SBX_LL_READ_FILE, err) < 0)
    return -1;
  free(fs->plan_text);
  fs->plan_text = sbx_landlock_plan_format(&fs->e.plan);
  return fs->plan_text ? 0 : sbx_fail(err, ENOMEM, "filesystem policy");
}

/* A network namespace made for the container (not joined by path). */
static bool new_netns(const struct oci_config *c)
{
  const struct oci_namespace *ns = oci_linux_namespace(c->linux_, "network");

  return ns && (ns->path == NULL || *ns->path == '\0');
}

/* Everything up to the point where the container waits for `start`. */
static int init_setup(const struct sbx_init_args *a, char **exec_path, char ***envp,
                      char **state_json_out, int *agent, struct init_fs *fs,
                      struct sbx_error *err)
{
  const struct oci_config *c = a->config;
  const struct oci_process *p = c->process;
  char *state_json = NULL;
  int *bind_fds = NULL, ret;
  struct sbx_rootfs_setup rs = { .config = c, .rootfs = a->rootfs, .bundle = a->bundle,
                                 .in_userns = a->in_userns, .new_cgroupns = a->new_cgroupns,
                                 .cgroup_path = a->cgroup_path };

  /* Now that the runtime has put us in our cgroup, a new cgroup namespace
   * is rooted there. */
  if (a->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
    return sbx_fail(err, errno, "unshare the cgroup namespace");
  if (setsid() < 0)
    return sbx_fail(err, errno, "setsid");
  if (sbx_sync_send(a->sync_fd, SYNC_NS_READY, 0, NULL, 0) < 0)
    return sbx_fail(err, errno, "sync");
  if (a->in_userns && sbx_bind_sources_recv(a->sync_fd, c, &bind_fds, err) < 0)
    return -1;
  rs.bind_fds = bind_fds;
  if (sbx_sync_expect(a->sync_fd, SYNC_CONTINUE, NULL, &state_json, err) < 0)
    return -1;
  *state_json_out = state_json;
  if (new_netns(c) && sbx_network_loopback_up(err) < 0)
    return -1;
  ret = sbx_rootfs_prepare(&rs, err);
  sbx_bind_sources_close(bind_fds, c);
  if (ret < 0)
    return -1;
  if (c->hooks && sbx_hooks_run(&c->hooks->create_container, state_json, "createContainer",
                                &(struct sbx_hook_sandbox){ .default_env = p->env,
                                                            .default_env_len = p->env_len },
                                err) < 0)
    return -1;
  if (!a->no_new_keyring && join_session_keyring(err) < 0)
    return -1;
  if (a->seccomp.notify && (*agent = connect_seccomp_agent(a, err)) < 0)
    return -1;
  if (enforce_fs_policy(a, fs, err) < 0)
    return -1;
  if ((sbx_mounts_in_host_namespace(c) ? sbx_rootfs_chroot(a->rootfs, err)
                                        : sbx_rootfs_enter(a->rootfs, a->no_pivot, err)) < 0)
    return -1;
  if (p->terminal && (setup_terminal(a, err) < 0 || grant_console(fs, err) < 0))
    return -1;
  /* sysctl before the read-only paths, which cover /proc/sys. */
  if (set_hostnames(c, err) < 0 || sbx_sysctl_apply(c->linux_, err) < 0)
    return -1;
  if (sbx_rootfs_finish(c, err) < 0)
    return -1;
  if (sbx_process_set_rlimits(p, err) < 0 || sbx_process_set_personality(c->linux_, err) < 0 ||
      sbx_sched_apply(p, c->linux_, err) < 0)
    return -1;
  if (sbx_process_enter_cwd(p, err) < 0)
    return -1;
  *envp = sbx_process_environ(p);
  if (*envp == NULL)
    return sbx_fail(err, ENOMEM, "environment");
  /* Resolve the command now so a missing binary fails create, not start. */
  *exec_path = sbx_find_executable(p->args[0], *envp, err);
  if (*exec_path == NULL)
    return sbx_wrap(err, "process.args[0]");
  return 0;
}

/* Report READY (with the Landlock grants create keeps for exec, if any)
 * and take DONE, which carries the container's state.  The runtime returns
 * right after DONE (create, exec -d), so the death signal goes first; a
 * runtime that dies before DONE shows as EOF, and we exit. */
static void handshake_ready(const struct sbx_init_args *a, const char *plan, char **state_json)
{
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  free(*state_json);
  *state_json = NULL;
  if (sbx_sync_send(a->sync_fd, SYNC_READY, 0, plan, plan ? strlen(plan) : 0) < 0 ||
      sbx_sync_expect(a->sync_fd, SYNC_DONE, NULL, state_json, NULL) < 0)
    _exit(1);
}

static int wait_for_start(const struct sbx_init_args *a, const char *plan, char **state_json,
                          struct sbx_error *err)
{
  char byte;
  ssize_t n;

  /* DONE's state is in status "created", for startContainer. */
  handshake_ready(a, plan, state_json);
  close(a->sync_fd);
  do
    n = read(a->fifo_fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    return sbx_fail(err, errno, "wait for start on exec.fifo");
  return 0;
}

/* startContainer hooks run the image's binaries inside the container: under
 * its filters, as runc runs them, the policy's layer included.  A config
 * filter with SCMP_ACT_NOTIFY is left out: the agent gets one listener, the
 * user process's, installed after the hooks; the hook's own would have
 * nobody to answer it. */
static int run_start_container_hooks(const struct sbx_init_args *a, const char *state_json,
                                     struct sbx_error *err)
{
  const struct oci_process *p = a->config->process;
  struct sbx_hook_sandbox sb = {
    .default_env = p->env, .default_env_len = p->env_len,
    .seccomp = { &a->policy_seccomp, a->seccomp.notify ? NULL : &a->seccomp },
    .no_new_privs = p->no_new_privileges,
  };

  return sbx_hooks_run(&a->config->hooks->start_container, state_json, "startContainer", &sb,
                       err);
}

static __attribute__((noreturn)) void init_run(const struct sbx_init_args *a)
{
  const struct oci_config *c = a->config;
  cleanup_error struct sbx_error err = { 0 };
  char *exec_path = NULL, *state_json = NULL;
  char **envp = NULL;
  int agent = -1;
  struct init_fs fs = { .e = { .ruleset = -1 } };

  /* Non-dumpable: nothing in the container may open /proc/1/exe, which is
   * still the runtime's binary until execve (CVE-2019-5736). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (init_setup(a, &exec_path, &envp, &state_json, &agent, &fs, &err) < 0) {
    sbx_sync_send_error(a->sync_fd, &err);
    _exit(1);
  }
  if (wait_for_start(a, fs.plan_text, &state_json, &err) < 0)
    goto fail;
  if (c->hooks && run_start_container_hooks(a, state_json, &err) < 0)
    goto fail;
  if (become_user_process(a, agent, state_json, fs.e.ruleset, &err) < 0)
    goto fail;
  execve(exec_path, c->process->args, envp);
  sbx_fail(&err, errno, "exec `%s`", exec_path);
fail:
  dprintf(STDERR_FILENO, "agentsbx: %s\n", err.msg ? err.msg : "container init failed");
  _exit(127);
}

/* exec: the container's Landlock ruleset again, from the grants init
 * recorded (each checked to be the same inode). */
static int exec_ruleset(const char *text, int *ruleset, struct sbx_error *err)
{
  struct sbx_landlock_plan plan;
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (root < 0)
    return sbx_fail(err, errno, "open the container's root");
  if (sbx_landlock_plan_parse(text, &plan, err) < 0)
    return -1;
  /* handled 0: best-effort enforcement on a kernel without Landlock */
  bool handled = plan.handled != 0;
  if (handled)
    *ruleset = sbx_landlock_ruleset(&plan, root, false, err);
  sbx_landlock_plan_release(&plan);
  return handled && *ruleset < 0 ? -1 : 0;
}

/* exec: the process is already in the container's namespaces and cgroup;
 * set it up as the config's process says and become it. */
static __attribute__((noreturn)) void exec_run(const struct sbx_init_args *a)
{
  const struct oci_process *p = a->config->process;
  cleanup_error struct sbx_error err = { 0 };
  char *exec_path = NULL, *state_json = NULL;
  char **envp = NULL;
  int agent = -1, landlock = -1;

  if (a->seccomp.notify && (agent = connect_seccomp_agent(a, &err)) < 0)
    goto fail_sync;
  /* Joining the mount namespace also moves root and cwd into it. */
  if (a->mntns_fd >= 0 && setns(a->mntns_fd, CLONE_NEWNS) < 0) {
    sbx_fail(&err, errno, "enter the container's mount namespace");
    goto fail_sync;
  }
  if (a->mntns_fd >= 0)
    close(a->mntns_fd);
  /* In the host's mount namespace the container's root is a chroot. */
  if (sbx_mounts_in_host_namespace(a->config) && sbx_rootfs_chroot(a->rootfs, &err) < 0)
    goto fail_sync;
  if (*a->landlock_plan && exec_ruleset(a->landlock_plan, &landlock, &err) < 0)
    goto fail_sync;
  if (p->terminal && setup_terminal(a, &err) < 0)
    goto fail_sync;
  if (chdir(p->cwd) < 0) {
    sbx_fail(&err, errno, "process.cwd: chdir `%s`", p->cwd);
    goto fail_sync;
  }
  if (sbx_process_set_rlimits(p, &err) < 0 || sbx_sched_apply(p, a->config->linux_, &err) < 0)
    goto fail_sync;
  envp = sbx_process_environ(p);
  exec_path = envp ? sbx_find_executable(p->args[0], envp, &err) : NULL;
  if (exec_path == NULL) {
    sbx_wrap(&err, "process.args[0]");
    goto fail_sync;
  }
  /* DONE's state is for a seccomp agent. */
  handshake_ready(a, NULL, &state_json);
  if (become_user_process(a, agent, state_json, landlock, &err) < 0)
    goto fail;
  execve(exec_path, p->args, envp);
  sbx_fail(&err, errno, "exec `%s`", exec_path);
fail:
  dprintf(STDERR_FILENO, "agentsbx: %s\n", err.msg ? err.msg : "exec failed");
  _exit(127);
fail_sync:
  sbx_sync_send_error(a->sync_fd, &err);
  _exit(1);
}

/* The fixed part of the arguments on the wire; six strings follow
 * (rootfs, bundle, cgroup path, the config as JSON, the filesystem policy,
 * the Landlock plan), then the bytes of the config's and the policy's
 * seccomp programs. */
#define WIRE_PARTS 8
#define WIRE_TEXT_PARTS 6
#define WIRE_SECCOMP 6
#define WIRE_POLICY_SECCOMP 7
struct init_wire {
  int32_t fifo_fd, console_fd, preserve_fds, mntns_fd, trail_fd;
  uint32_t seccomp_flags, policy_seccomp_flags;
  uint8_t seccomp_notify, unused;
  uint8_t no_pivot, no_new_keyring, new_userns, in_userns, new_cgroupns, exec_mode;
  struct sbx_caps caps;
  uint32_t len[WIRE_PARTS];
};

int sbx_init_args_send(int fd, const struct sbx_init_args *a, struct sbx_error *err)
{
  char *msg = NULL;
  /* create already has the (overlaid) config as text: send that. */
  cleanup_free char *written = a->config_json ? NULL : oci_config_write(a->config, false, &msg);
  const char *config = a->config_json ? a->config_json : written;
  const char *parts[WIRE_PARTS] = { a->rootfs ? a->rootfs : "", a->bundle ? a->bundle : "",
                                   a->cgroup_path ? a->cgroup_path : "", config,
                                   a->fs_policy ? a->fs_policy : "",
                                   a->landlock_plan ? a->landlock_plan : "",
                                   a->seccomp.bpf, a->policy_seccomp.bpf };
  struct init_wire w = {
    .fifo_fd = a->fifo_fd, .console_fd = a->console_fd, .preserve_fds = a->preserve_fds,
    .mntns_fd = a->mntns_fd, .trail_fd = a->trail_fd, .no_pivot = a->no_pivot, .no_new_keyring = a->no_new_keyring, .new_userns = a->new_userns,
    .in_userns = a->in_userns, .new_cgroupns = a->new_cgroupns, .caps = a->caps,
    .exec_mode = a->exec_mode, .seccomp_flags = a->seccomp.flags,
    .seccomp_notify = a->seccomp.notify, .policy_seccomp_flags = a->policy_seccomp.flags,
  };
  cleanup_free char *buf = NULL;
  size_t total = sizeof w;

  if (config == NULL)
    return sbx_fail_take(err, EINVAL, msg);
  for (int i = 0; i < WIRE_TEXT_PARTS; i++)
    total += (w.len[i] = (uint32_t)strlen(parts[i]) + 1);
  total += (w.len[WIRE_SECCOMP] = a->seccomp.bpf ? (uint32_t)a->seccomp.len : 0);
  total += (w.len[WIRE_POLICY_SECCOMP] =
              a->policy_seccomp.bpf ? (uint32_t)a->policy_seccomp.len : 0);
  buf = malloc(total);
  if (buf == NULL)
    return sbx_fail(err, ENOMEM, "init arguments");
  memcpy(buf, &w, sizeof w);
  for (size_t i = 0, off = sizeof w; i < WIRE_PARTS; off += w.len[i], i++)
    if (w.len[i])
      memcpy(buf + off, parts[i], w.len[i]);
  if (sbx_sync_send(fd, SYNC_INIT_ARGS, 0, buf, total) < 0)
    return sbx_fail(err, errno, "send the init arguments");
  return 0;
}

static int init_args_recv(int fd, struct sbx_init_args *a, char **data, struct sbx_error *err)
{
  struct init_wire w;
  const char *parts[WIRE_PARTS];
  size_t off = sizeof w;
  char *msg = NULL;
  size_t len;

  if (sbx_sync_expect_data(fd, SYNC_INIT_ARGS, data, &len, err) < 0)
    return -1;
  if (len < sizeof w)
    return sbx_fail(err, EPROTO, "short init arguments");
  memcpy(&w, *data, sizeof w);
  for (int i = 0; i < WIRE_PARTS; off += w.len[i], i++) {
    bool text = i < WIRE_TEXT_PARTS;
    if (off + w.len[i] > len || (text && (w.len[i] == 0 || (*data)[off + w.len[i] - 1] != '\0')))
      return sbx_fail(err, EPROTO, "malformed init arguments");
    parts[i] = *data + off;
  }
  *a = (struct sbx_init_args){
    .rootfs = parts[0], .bundle = parts[1], .cgroup_path = *parts[2] ? parts[2] : NULL,
    .sync_fd = fd, .fifo_fd = w.fifo_fd, .console_fd = w.console_fd,
    .preserve_fds = w.preserve_fds, .no_pivot = w.no_pivot, .no_new_keyring = w.no_new_keyring,
    .new_userns = w.new_userns, .in_userns = w.in_userns, .new_cgroupns = w.new_cgroupns,
    .caps = w.caps, .exec_mode = w.exec_mode, .mntns_fd = w.mntns_fd, .trail_fd = w.trail_fd,
    .fs_policy = parts[4], .landlock_plan = parts[5],
    .seccomp = { .bpf = w.len[WIRE_SECCOMP] ? (void *)parts[WIRE_SECCOMP] : NULL,
                 .len = w.len[WIRE_SECCOMP], .flags = w.seccomp_flags,
                 .notify = w.seccomp_notify },
    .policy_seccomp = { .bpf = w.len[WIRE_POLICY_SECCOMP] ? (void *)parts[WIRE_POLICY_SECCOMP]
                                                          : NULL,
                        .len = w.len[WIRE_POLICY_SECCOMP], .flags = w.policy_seccomp_flags },
  };
  a->config = oci_config_parse(parts[3], w.len[3] - 1, &msg);
  if (a->config == NULL)
    return sbx_fail_take(err, EINVAL, msg);
  return 0;
}

static void keep_across_exec(int fd)
{
  int flags = fd >= 0 ? fcntl(fd, F_GETFD) : -1;

  if (flags >= 0)
    fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

void sbx_init_exec(const struct sbx_init_args *a, int exe_fd)
{
  char fdtext[16];
  char *argv[] = { "agentsbx", "init", fdtext, NULL };
  /* Nothing of the caller's environment: init runs in the container's pid
   * namespace until its execve, and needs none (its config comes over the
   * sync socket). */
  char *envp[] = { NULL };
  cleanup_error struct sbx_error err = { 0 };

  /* Wait for the id maps, then become the user namespace's root: an exec
   * by an unmapped uid would drop every capability. */
  if (sbx_sync_expect(a->sync_fd, SYNC_GO, NULL, NULL, &err) < 0)
    goto fail;
  if (a->in_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
    sbx_fail(&err, errno, "become root in the user namespace");
    goto fail;
  }
  snprintf(fdtext, sizeof fdtext, "%d", a->sync_fd);
  keep_across_exec(a->sync_fd);
  keep_across_exec(a->fifo_fd);
  keep_across_exec(a->console_fd);
  keep_across_exec(a->trail_fd);
  if (a->exec_mode)
    keep_across_exec(a->mntns_fd);
  syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
  sbx_fail(&err, errno, "execute the runtime's sealed copy");
fail:
  sbx_sync_send_error(a->sync_fd, &err);
  _exit(1);
}

void sbx_init_main(const char *sync_fd_arg)
{
  cleanup_error struct sbx_error err = { 0 };
  struct sbx_init_args a;
  char *data = NULL;
  long fd;

  if (!sbx_parse_long(sync_fd_arg, &fd) || fd < 0 || fd > INT32_MAX) {
    dprintf(STDERR_FILENO, "agentsbx: init is internal to create\n");
    _exit(1);
  }
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* The sync socket must not reach the user process. */
  fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  if (init_args_recv((int)fd, &a, &data, &err) < 0) {
    sbx_sync_send_error((int)fd, &err);
    _exit(1);
  }
  if (a.fifo_fd >= 0)
    fcntl(a.fifo_fd, F_SETFD, FD_CLOEXEC);
  if (a.console_fd >= 0)
    fcntl(a.console_fd, F_SETFD, FD_CLOEXEC);
  if (a.trail_fd >= 0)
    fcntl(a.trail_fd, F_SETFD, FD_CLOEXEC);
  if (a.exec_mode)
    exec_run(&a);
  init_run(&a);
}
