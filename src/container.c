/* container.c: create, start, kill, delete, state and list (see
 * container.h).  create spawns init (directly with clone, or through a
 * helper that first joins namespaces given by path), drives it through the
 * sync protocol, runs the runtime-side hooks and saves the state. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "capabilities.h"
#include "cgroup_resources.h"
#include "cgroups.h"
#include "cloned_binary.h"
#include "console.h"
#include "hooks.h"
#include "init.h"
#include "audit.h"
#include "command_trail.h"
#include "monitor.h"
#include "mounts.h"
#include "resource_watch.h"
#include "fs_policy_mounts.h"
#include "policy_apply.h"
#include "policy_seccomp.h"
#include "seccomp_filter.h"
#include "namespaces.h"
#include "net_policy.h"
#include "network.h"
#include "network_dns.h"
#include "network_pasta.h"
#include "network_resolver.h"
#include "netdevices.h"
#include "process.h"
#include "scheduling.h"
#include "spawn.h"
#include "sync.h"
#include "sysctl.h"
#include "utils.h"

#define OCI_VERSION "1.2.0"

/* Everything create holds; released by create_release on any outcome. */
struct create {
  const struct sbx_context *ctx;
  const char *id;
  const struct sbx_create_options *opts;
  struct oci_config *config;
  char *config_text;
  size_t config_len;
  char *bundle;
  char *rootfs;
  int sync;                   /* our end of the sync socket */
  struct sbx_spawn spawn;
  int fifo_fd;
  int console_fd;
  int lock_fd;                /* the state directory's lock, held to the end */
  bool netdevs_moved;         /* linux.netDevices may be in init's namespace */
  int rootfs_mount;           /* id of the rootfs bind in the host's mount
                                 namespace (no mount namespace), or 0 */
  pid_t pid;
  bool state_dir_made;
  struct sbx_cgroup *cgroup;
  char *cgroup_path;
  struct sbx_caps caps;
  struct sbx_seccomp_program seccomp;
  struct sbx_policy_effects policy;
  struct sbx_policy *policy_doc;
  struct sbx_seccomp_program policy_seccomp;
  char *fs_policy;            /* the policy for init, when it restricts files */
  struct sbx_monitor_spec monitor; /* the supervisor's sources, before its fork */
  int trail_fd;               /* init's end of the command trail's socket, or -1 */
  bool trail_refused;         /* audit.commands, but the config has a NOTIFY agent */
};

static void create_release(struct create *c)
{
  oci_config_free(c->config);
  free(c->config_text);
  free(c->bundle);
  free(c->rootfs);
  free(c->cgroup_path);
  if (c->sync >= 0)
    close(c->sync);
  if (c->fifo_fd >= 0)
    close(c->fifo_fd);
  if (c->console_fd >= 0 && c->console_fd != c->opts->console_fd)
    close(c->console_fd);
  if (c->lock_fd >= 0)
    close(c->lock_fd);
  sbx_cgroup_free(c->cgroup);
  sbx_seccomp_program_release(&c->seccomp);
  sbx_seccomp_program_release(&c->policy_seccomp);
  sbx_policy_effects_release(&c->policy);
  sbx_policy_free(c->policy_doc);
  free(c->fs_policy);
  sbx_monitor_spec_release(&c->monitor);
  if (c->trail_fd >= 0)
    close(c->trail_fd);
}

/* The network rules left in a namespace that outlives the container. */
static int release_network(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *record = sbx_state_file(ctx, id, "network");
  cleanup_error struct sbx_error err = { 0 };

  if (record == NULL || sbx_network_release(record, &err) < 0) {
    sbx_log(ctx, SBX_LOG_WARNING, "container %s: %s", id, err.msg ? err.msg : "out of memory");
    return -1;
  }
  return 0;
}

/* Host devices go home before their namespace dies with init. */
static void netdevs_home(pid_t pid, const struct oci_linux *l)
{
  char path[64];
  cleanup_close int fd = -1;

  snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    sbx_netdev_move_out(fd, l, NULL);
}

/* Undo a failed create: the process, its cgroup, the network rules in a
 * namespace that outlives it, the state directory. */
static void create_rollback(struct create *c)
{
  if (c->netdevs_moved && c->pid > 0)
    netdevs_home(c->pid, c->config->linux_);
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
  }
  if (c->cgroup)
    sbx_cgroup_destroy(c->cgroup, NULL);
  if (c->rootfs_mount)
    sbx_rootfs_unbind(c->rootfs, c->rootfs_mount, NULL);
  if (c->state_dir_made)
    sbx_resolver_stop(c->ctx, c->id);
  if (c->state_dir_made)
    sbx_pasta_stop(c->ctx, c->id);
  if (c->state_dir_made)
    release_network(c->ctx, c->id);
  if (c->state_dir_made)
    sbx_monitor_stop(c->ctx, c->id);
  if (c->state_dir_made)
    sbx_state_remove_dir(c->ctx, c->id, NULL);
}

char *sbx_container_hook_state(const char *id, pid_t pid, const char *status,
                               const char *bundle, const struct oci_config *c)
{
  struct oci_state s = {
    .oci_version = OCI_VERSION, .id = (char *)id, .status = (char *)status, .pid = pid,
    .bundle = (char *)bundle, .annotations = c ? c->annotations : NULL,
    .annotations_len = c ? c->annotations_len : 0,
  };
  char *e = NULL;
  char *json = oci_state_write(&s, false, &e);

  free(e);
  return json;
}

static int load_config(struct create *c, struct sbx_error *err)
{
  cleanup_free char *path = NULL;
  char *msg = NULL;

  if (c->opts->bundle) {
    c->bundle = realpath(c->opts->bundle, NULL);
    if (c->bundle == NULL)
      return sbx_fail(err, errno, "bundle `%s`", c->opts->bundle);
  } else if ((c->bundle = get_current_dir_name()) == NULL) {
    return sbx_fail(err, errno, "current directory");
  }
  path = sbx_strdup_printf("%s/config.json", c->bundle);
  if (sbx_read_file(path, &c->config_text, &c->config_len, err) < 0)
    return -1;
  if (c->config_len > SBX_CONFIG_MAX)
    return sbx_invalid(err, "`%s`: %zu bytes, more than the %u MiB agentsbx accepts", path,
                       c->config_len, SBX_CONFIG_MAX >> 20);
  c->config = oci_config_parse(c->config_text, c->config_len, &msg);
  if (c->config == NULL) {
    sbx_fail_take(err, EINVAL, msg);
    return sbx_wrap(err, "%s", path);
  }
  sbx_log(c->ctx, SBX_LOG_DEBUG, "container %s: config `%s` loaded", c->id, path);
  return 0;
}

/* The policy's overlay: the config that runs (and that state keeps, for
 * exec) is the overlaid one. */
static int apply_policy(struct create *c, struct sbx_error *err)
{
  cleanup_free char *note = NULL;
  char *msg = NULL;

  if (sbx_policy_for_container(c->ctx, c->config, &c->policy_doc, err) < 0 ||
      sbx_policy_apply(c->policy_doc, c->config, c->bundle, &c->policy, err) < 0)
    return -1;
  if (!c->policy.active)
    return 0;
  if (sbx_network_claim_namespace(c->policy_doc->network, c->config->linux_, &note, err) < 0)
    return sbx_wrap(err, "policy %s", c->policy.name);
  if (note)
    sbx_log(c->ctx, SBX_LOG_WARNING, "%s", note);
  if (sbx_policy_seccomp_compile(sbx_policy_seccomp_layer(c->policy.seccomp,
                                                          sbx_fs_policy_needed(c->policy_doc)),
                                 c->policy.network != SBX_NET_UNRESTRICTED,
                                 &c->policy_seccomp, err) < 0)
    return -1;
  free(c->config_text);
  c->config_text = oci_config_write(c->config, false, &msg);
  if (c->config_text == NULL)
    return sbx_fail_take(err, EINVAL, msg);
  c->config_len = strlen(c->config_text);
  /* init applies the filesystem rules and the exec allowlist itself */
  if (sbx_fs_policy_needed(c->policy_doc) &&
      (c->fs_policy = sbx_policy_to_json(c->policy_doc, false, err)) == NULL)
    return -1;
  sbx_log(c->ctx, SBX_LOG_DEBUG, "container %s: policy %s (%s)", c->id, c->policy.name,
          c->policy.digest);
  return 0;
}

static int resolve_caps(struct create *c, struct sbx_error *err)
{
  cleanup_free char *warning = NULL;

  if (sbx_caps_from_oci(c->config->process->capabilities, &c->caps, &warning, err) < 0)
    return sbx_wrap(err, "process.capabilities");
  if (warning)
    sbx_log(c->ctx, SBX_LOG_WARNING, "%s", warning);
  return sbx_caps_check_available(&c->caps, err);
}

/* Without a mount namespace the container shares the runtime's (runc's
 * behaviour): only where no policy needs mounts of its own, and never
 * anything that would change the host's mounts' propagation. */
static int check_host_mount_namespace(struct create *c, struct sbx_error *err)
{
  if (c->policy.active && sbx_fs_policy_needed(c->policy_doc))
    return sbx_invalid(err,
                       "linux.namespaces: policy `%s` needs a mount namespace (its filesystem "
                       "rules are mounts that must not be made in the host's): add "
                       "{\"type\": \"mount\"}",
                       c->policy.name);
  if (c->config->linux_->rootfs_propagation && *c->config->linux_->rootfs_propagation)
    return sbx_invalid(err, "linux.rootfsPropagation: needs a mount namespace");
  return 0;
}

/* Fields this runtime cannot apply fail create, never pass unnoticed. */
static int refuse_unsupported(const struct oci_linux *l, struct sbx_error *err)
{
  if (l->intel_rdt)
    return sbx_invalid(err, "linux.intelRdt: Intel RDT is not supported (see `features`)");
  if (l->time_offsets_len && !oci_linux_namespace(l, "time"))
    return sbx_invalid(err, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
  return 0;
}

/* path with its existing leading part made real (the log and its
 * directory may not exist yet). */
static char *real_prefix(const char *path)
{
  cleanup_free char *head = strdup(path);
  char *slash, *real;

  if (head == NULL)
    return NULL;
  while ((real = realpath(head, NULL)) == NULL && (slash = strrchr(head, '/')) && slash != head)
    *slash = '\0';
  if (real == NULL)
    return strdup(path);
  {
    char *joined = sbx_strdup_printf("%s%s", real, path + strlen(head));
    free(real);
    return joined;
  }
}

static bool path_within(const char *path, const char *dir)
{
  size_t n = strlen(dir);

  return strcmp(dir, "/") == 0 ||
         (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

/* The audit log must be out of the container's reach: not in its rootfs,
 * not in (or holding) a directory the config binds in. */
static int check_audit_path(struct create *c, struct sbx_error *err)
{
  const struct oci_config *cfg = c->config;
  cleanup_free char *log = NULL, *dir = NULL;

  if (!c->policy.active || c->policy.audit_path == NULL)
    return 0;
  log = real_prefix(c->policy.audit_path);
  dir = log ? strdup(log) : NULL;
  if (dir == NULL)
    return sbx_fail(err, ENOMEM, "audit.path");
  {
    char *slash = strrchr(dir, '/');
    slash[slash == dir ? 1 : 0] = '\0';
  }
  if (path_within(log, c->rootfs))
    return sbx_invalid(err, "policy %s: audit.path: `%s` is inside the container's rootfs `%s`",
                       c->policy.name, c->policy.audit_path, c->rootfs);
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const struct oci_mount *m = &cfg->mounts[i];
    cleanup_free char *src = NULL;
    bool bind = m->type && strcmp(m->type, "bind") == 0;
    for (size_t j = 0; j < m->options_len && !bind; j++)
      bind = strcmp(m->options[j], "bind") == 0 || strcmp(m->options[j], "rbind") == 0;
    if (!bind || m->source == NULL || m->source[0] != '/' || (src = real_prefix(m->source)) == NULL)
      continue;
    if (path_within(log, src) || path_within(src, dir))
      return sbx_invalid(err, "policy %s: audit.path: `%s` would be reachable in the container "
                         "through mounts[%zu] (`%s` on `%s`)", c->policy.name,
                         c->policy.audit_path, i, m->source, m->destination);
  }
  return 0;
}

static int check_config(struct create *c, struct sbx_error *err)
{
  const struct oci_config *cfg = c->config;
  const struct oci_process *p = cfg->process;
  struct stat st;

  if (p == NULL)
    return sbx_invalid(err, "process: required to create a container");
  if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
    return sbx_invalid(err, "process.args: must name a command");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return sbx_invalid(err, "process.cwd: must be an absolute path");
  if (cfg->root == NULL || cfg->root->path == NULL)
    return sbx_invalid(err, "root.path: required");
  c->rootfs = cfg->root->path[0] == '/' ? realpath(cfg->root->path, NULL) : ({
    cleanup_free char *rel = sbx_strdup_printf("%s/%s", c->bundle, cfg->root->path);
    rel ? realpath(rel, NULL) : NULL;
  });
  if (c->rootfs == NULL || stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
    return sbx_fail(err, c->rootfs ? ENOTDIR : errno, "root.path: `%s`", cfg->root->path);
  if (cfg->linux_ == NULL)
    return sbx_invalid(err, "linux: required on Linux");
  if (sbx_mounts_in_host_namespace(cfg) && check_host_mount_namespace(c, err) < 0)
    return -1;
  if (cfg->linux_->net_devices_len && c->policy.active)
    return sbx_invalid(err, "linux.netDevices: refused under policy `%s`: a host device moved "
                            "in would bypass its network rules",
                       c->policy.name);
  if (sbx_netdev_check(cfg->linux_, err) < 0)
    return -1;
  for (size_t i = 0; i < p->rlimits_len; i++)
    if (p->rlimits[i].soft > p->rlimits[i].hard)
      return sbx_invalid(err, "process.rlimits[%zu]: %s soft limit %llu is above its hard limit %llu",
                         i, p->rlimits[i].type, (unsigned long long)p->rlimits[i].soft,
                         (unsigned long long)p->rlimits[i].hard);
  if (p->terminal && c->opts->console_socket == NULL && c->opts->console_fd < 0)
    return sbx_fail(err, EINVAL,
                    "process.terminal is true: --console-socket is required to detach");
  if (!p->terminal && c->opts->console_socket)
    return sbx_invalid(err, "--console-socket given but process.terminal is false");
  if ((cfg->hostname && *cfg->hostname && !oci_linux_namespace(cfg->linux_, "uts")) ||
      (cfg->domainname && *cfg->domainname && !oci_linux_namespace(cfg->linux_, "uts")))
    return sbx_invalid(err, "hostname: setting it needs a uts namespace");
  if (resolve_caps(c, err) < 0 || sbx_sysctl_validate(cfg->linux_, err) < 0 ||
      sbx_process_check_lsm(cfg, err) < 0 || sbx_sched_check(p, cfg->linux_, err) < 0 ||
      refuse_unsupported(cfg->linux_, err) < 0 ||
      check_audit_path(c, err) < 0)
    return -1;
  /* Compiled here, so a bad filter fails before anything exists. */
  if (sbx_seccomp_compile(cfg->linux_->seccomp, &c->seccomp, err) < 0)
    return -1;
  c->cgroup_path = sbx_cgroup_resolve_path(c->ctx, c->id, cfg, err);
  if (c->cgroup_path == NULL)
    return -1;
  return sbx_ns_check_paths(cfg->linux_, err);
}

static int connect_console(struct create *c, struct sbx_error *err)
{
  c->console_fd = c->opts->console_fd;
  if (c->opts->console_socket == NULL)
    return 0;
  c->console_fd = sbx_console_connect(c->opts->console_socket, err);
  return c->console_fd < 0 ? sbx_wrap(err, "--console-socket") : 0;
}

static int make_fifo(struct create *c, struct sbx_error *err)
{
  cleanup_free char *fifo = sbx_state_file(c->ctx, c->id, "exec.fifo");

  if (mkfifo(fifo, 0600) < 0)
    return sbx_fail(err, errno, "mkfifo `%s`", fifo);
  /* O_RDWR never blocks on a FIFO; init keeps this open and reads the byte
   * `start` writes.  While init lives, start's O_NONBLOCK open succeeds. */
  c->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return sbx_fail(err, errno, "open `%s`", fifo);
  return 0;
}

static void init_args(struct create *c, struct sbx_init_args *a, unsigned long flags)
{
  *a = (struct sbx_init_args){
    .config = c->config, .config_json = c->config_text, .rootfs = c->rootfs, .bundle = c->bundle,
    .fifo_fd = c->fifo_fd, .console_fd = c->console_fd, .preserve_fds = c->opts->preserve_fds,
    .no_pivot = c->opts->no_pivot, .no_new_keyring = c->opts->no_new_keyring,
    .new_userns = (flags & CLONE_NEWUSER) != 0, .caps = c->caps,
    .in_userns = oci_linux_namespace(c->config->linux_, "user") != NULL,
    .new_cgroupns = (sbx_ns_new_flags(c->config->linux_) & CLONE_NEWCGROUP) != 0,
    .cgroup_path = c->cgroup_path, .mntns_fd = -1, .seccomp = c->seccomp,
    .policy_seccomp = c->policy_seccomp,
    .fs_policy = c->fs_policy, .trail_fd = c->trail_fd,
  };
}

/* In the spawn helper: join the namespaces given by path, and unshare the
 * time namespace here, where its offsets can still be written. */
static int join_namespaces(void *data, unsigned long *flags, struct sbx_error *err)
{
  const struct oci_linux *l = data;

  if (sbx_ns_join_all(l, err) < 0)
    return -1;
  if (*flags & CLONE_NEWTIME) {
    if (unshare(CLONE_NEWTIME) < 0)
      return sbx_fail(err, errno, "unshare time namespace");
    if (sbx_ns_write_time_offsets(l, err) < 0)
      return -1;
    *flags &= ~CLONE_NEWTIME;
  }
  return 0;
}

static int spawn_init(struct create *c, struct sbx_error *err)
{
  const struct oci_linux *l = c->config->linux_;
  /* The cgroup namespace is unshared by init once it sits in its cgroup. */
  unsigned long flags = sbx_ns_new_flags(l) & ~CLONE_NEWCGROUP;
  bool helper = sbx_ns_has_joins(l) || (flags & CLONE_NEWTIME);

  c->spawn = (struct sbx_spawn){ .clone_flags = flags, .join = helper ? join_namespaces : NULL,
                                 .join_data = (void *)l };
  init_args(c, &c->spawn.args, flags);
  c->pid = sbx_spawn(&c->spawn, &c->sync, err);
  if (c->trail_fd >= 0) {
    close(c->trail_fd); /* init has it */
    c->trail_fd = -1;
  }
  if (c->pid < 0)
    return c->pid = 0, -1;
  sbx_log(c->ctx, SBX_LOG_DEBUG, "container %s: init is pid %d (clone flags %#lx%s)", c->id,
          c->pid, flags, helper ? ", joined namespaces" : "");
  return 0;
}

static int write_oom_score(pid_t pid, const struct oci_process *p, struct sbx_error *err)
{
  char path[64], value[16];
  int n;

  if (!p->has_oom_score_adj)
    return 0;
  snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
  n = snprintf(value, sizeof value, "%d", p->oom_score_adj);
  if (sbx_write_file(path, value, n, err) < 0)
    return sbx_wrap(err, "process.oomScoreAdj");
  return 0;
}

static int run_runtime_hooks(struct create *c, const char *state_json, struct sbx_error *err)
{
  const struct oci_hooks *h = c->config->hooks;

  if (h == NULL)
    return 0;
  if (sbx_hooks_run(&h->prestart, state_json, "prestart", NULL, err) < 0 ||
      sbx_hooks_run(&h->create_runtime, state_json, "createRuntime", NULL, err) < 0)
    return -1;
  return 0;
}

static int save_state(struct create *c, unsigned long long start_time, struct sbx_error *err)
{
  cleanup_free char *config_copy = sbx_state_file(c->ctx, c->id, "config.json");
  cleanup_free char *created = sbx_rfc3339_now();
  struct sbx_state st = {
    .id = (char *)c->id, .pid = c->pid, .start_time = start_time, .bundle = c->bundle,
    .rootfs = c->rootfs, .created = created, .owner = "",
    .cgroup_path = c->cgroup ? (char *)sbx_cgroup_path(c->cgroup) : NULL,
    .systemd_cgroup = c->ctx->systemd_cgroup, .policy = c->policy.active ? c->policy.name : NULL,
    .audit_path = c->policy.audit_path, .policy_seccomp = c->policy.seccomp,
    .policy_digest = c->policy.active ? c->policy.digest : NULL,
    .audit_max_bytes = c->policy.audit_max_bytes,
    .audit_commands = c->policy.active && c->policy.audit_commands && !c->trail_refused,
  };

  if (sbx_write_file_atomic(config_copy, c->config_text, c->config_len, 0600, err) < 0)
    return -1;
  if (c->policy.active) {
    cleanup_free char *saved = sbx_state_file(c->ctx, c->id, "policy.json");
    if (saved == NULL || sbx_policy_save(c->policy_doc, saved, err) < 0)
      return -1;
  }
  if (sbx_state_save(c->ctx, &st, err) < 0)
    return -1;
  return sbx_write_pid_file(c->opts->pid_file, c->pid, err);
  return 0;
}

/* The policy's timeout and lifetime: a watcher that outlives create. */
static int watch_limits(struct create *c, unsigned long long start_time, struct sbx_error *err)
{
  struct sbx_monitor_spec *m = &c->monitor;
  int ret;

  if (!c->policy.active)
    return 0;
  m->id = c->id, m->init_pid = c->pid, m->init_start_time = start_time;
  m->cgroup_path = c->cgroup_path;
  m->timeout_s = c->policy.timeout_s, m->lifetime_s = c->policy.lifetime_s;
  m->audit = (struct sbx_audit_target){ .path = c->policy.audit_path, .container_id = c->id,
                                        .policy = c->policy.name, .digest = c->policy.digest,
                                        .max_bytes = c->policy.audit_max_bytes };
  if (m->audit.path && sbx_resource_watch_add(m, c->cgroup_path, err) < 0)
    return -1;
  ret = sbx_monitor_spawn(c->ctx, m, err);
  /* The supervisor has its copies of the sources' fds now. */
  sbx_monitor_spec_release(m);
  return ret;
}

/* audit.commands: the trail's sockets, before init is spawned with its end.
 * A config NOTIFY agent excludes it (one listener per filter chain). */
static int prepare_trail(struct create *c, struct sbx_error *err)
{
  if (!c->policy.active || !c->policy.audit_commands)
    return 0;
  if (c->seccomp.notify) {
    c->trail_refused = true;
    sbx_log(c->ctx, SBX_LOG_WARNING,
            "audit.commands: off for container %s: its seccomp has a NOTIFY agent (the kernel "
            "allows one listener per filter chain); only agentsbx exec is recorded",
            c->id);
    return 0;
  }
  return sbx_trail_prepare(c->ctx, c->id, &c->monitor, &c->trail_fd, err);
}

static void audit_created(struct create *c)
{
  struct sbx_audit_target t = { .path = c->policy.audit_path, .container_id = c->id,
                                .policy = c->policy.name, .digest = c->policy.digest,
                                .max_bytes = c->policy.audit_max_bytes };
  struct sbx_audit_field fields[] = {
    { "digest", SBX_AUDIT_STRING, .string = c->policy.digest },
    { "bundle", SBX_AUDIT_STRING, .string = c->bundle },
    { "pid", SBX_AUDIT_INT, .integer = c->pid },
  };
  cleanup_error struct sbx_error err = { 0 };

  struct sbx_audit_field off[] = {
    { "feature", SBX_AUDIT_STRING, .string = "commands" },
    { "reason", SBX_AUDIT_STRING,
      .string = "the config's seccomp has a NOTIFY agent: the kernel allows one listener per "
                "filter chain, so only agentsbx exec is recorded" },
  };

  if (c->policy.active && sbx_audit(&t, "container_created", fields, 3, &err) < 0)
    sbx_log(c->ctx, SBX_LOG_WARNING, "audit: %s", err.msg);
  struct sbx_audit_field no_files[] = {
    { "feature", SBX_AUDIT_STRING, .string = "file_denied" },
    { "reason", SBX_AUDIT_STRING, .string = sbx_audit_file_denied_unavailable },
  };

  if (c->policy.active && c->trail_refused)
    sbx_audit(&t, "audit_unavailable", off, 2, NULL);
  if (c->policy.active && c->policy.audit_path && c->fs_policy) {
    sbx_audit(&t, "audit_unavailable", no_files, 2, NULL);
    sbx_log(c->ctx, SBX_LOG_INFO, "audit: %s", sbx_audit_file_denied_unavailable);
  }
}

/* The Landlock grants init applied to itself, for every exec to apply. */
static int save_landlock(struct create *c, const char *plan, struct sbx_error *err)
{
  cleanup_free char *path = NULL;

  if (plan == NULL || *plan == '\0')
    return 0;
  path = sbx_state_file(c->ctx, c->id, "landlock");
  if (path == NULL)
    return sbx_fail(err, ENOMEM, "state");
  return sbx_write_file_atomic(path, plan, strlen(plan), 0600, err);
}

/* Could a hook reach the container's network namespace while it runs
 * (every hook but poststop gets its pid)? */
static bool hooks_see_running_container(const struct oci_hooks *h)
{
  return h && (h->prestart.len || h->create_runtime.len || h->create_container.len ||
               h->start_container.len || h->poststart.len);
}

/* The network rules, in the namespace the hooks have plumbed. */
static int enforce_network(struct create *c, struct sbx_error *err)
{
  const struct oci_namespace *ns = oci_linux_namespace(c->config->linux_, "network");
  cleanup_free char *record = sbx_state_file(c->ctx, c->id, "network");
  struct sbx_network_target t = {
    .id = c->id, .pid = c->pid, .mode = c->policy.active ? c->policy.network : SBX_NET_UNRESTRICTED,
    .persistent_path = ns ? ns->path : NULL, .record_file = record, .policy = c->policy_doc,
  };

  if (record == NULL)
    return sbx_fail(err, ENOMEM, "state");
  /* network none in a namespace agentsbx made (no path) that no hook is
   * told of: it holds only loopback, and only the host's root could add an
   * interface to it, so there is nothing for rules to hold (and create
   * does not pay for loading libnftables) */
  if (t.mode == SBX_NET_NONE && t.persistent_path == NULL &&
      !hooks_see_running_container(c->config->hooks))
    return 0;
  /* a namespace of its own that nothing (no engine, no hook) wired: pasta
   * is its way out */
  if (t.mode == SBX_NET_ALLOWLIST && t.persistent_path == NULL) {
    bool needed;
    if (sbx_pasta_needed(c->pid, &needed, err) < 0 ||
        (needed && sbx_pasta_spawn(c->ctx, c->id, c->pid, err) < 0))
      return -1;
  }
  /* the resolver (with names) listens before the rules send port 53 to
   * it; the same process audits refused packets */
  if (t.mode == SBX_NET_ALLOWLIST) {
    struct sbx_resolver_spec rs = {
      .id = c->id, .init_pid = c->pid, .policy = c->policy_doc, .config = c->config,
      .rootfs = c->rootfs, .names = sbx_net_policy_has_names(c->policy_doc),
      .audit = { .path = c->policy.audit_path, .container_id = c->id, .policy = c->policy.name },
    };
    if (sbx_resolver_spawn(c->ctx, &rs, err) < 0)
      return -1;
    if (rs.names)
      t.dns_port = SBX_NETWORK_DNS_PORT;
  }
  return sbx_network_enforce(&t, err);
}

/* The processes in the cgroup at path (0 when it does not exist). */
static size_t cgroup_process_count(const char *path)
{
  pid_t *pids = NULL;
  size_t n = 0;

  if (sbx_cgroup_pids(path, &pids, &n, NULL) < 0)
    n = 0;
  free(pids);
  return n;
}

/* The parent's half of the sync protocol, from clone to "created". */
static int drive_init(struct create *c, struct sbx_error *err)
{
  const struct oci_config *cfg = c->config;
  cleanup_free char *state_json = NULL, *plan = NULL;
  unsigned long long start_time = 0;
  size_t n;

  if ((c->spawn.clone_flags & CLONE_NEWUSER) && sbx_ns_write_id_maps(c->pid, cfg->linux_, err) < 0)
    return -1;
  if (write_oom_score(c->pid, cfg->process, err) < 0)
    return -1;
  /* runc's warning: the limits and kill of delete cover the others too. */
  n = cgroup_process_count(c->cgroup_path);
  if (n > 0)
    sbx_log(c->ctx, SBX_LOG_WARNING,
            "container's cgroup is not empty: %zu process(es) found in `%s`", n, c->cgroup_path);
  if (sbx_cgroup_create(c->cgroup_path, c->pid, &c->cgroup, err) < 0 ||
      sbx_cgroup_apply_resources(c->cgroup_path, cfg->linux_, err) < 0)
    return -1;
  c->netdevs_moved = cfg->linux_->net_devices_len > 0;
  if (sbx_netdev_move_in(c->pid, cfg->linux_, err) < 0)
    return -1;
  if (sbx_sync_send(c->sync, SYNC_GO, 0, NULL, 0) < 0)
    return sbx_fail(err, errno, "sync with the container process");
  if (sbx_init_args_send(c->sync, &c->spawn.args, err) < 0)
    return -1;
  /* Only init may keep the fifo open, or start could not tell it died. */
  close(c->fifo_fd);
  c->fifo_fd = -1;
  if (sbx_sync_expect(c->sync, SYNC_NS_READY, NULL, NULL, err) < 0)
    return -1;
  if (sbx_proc_start_time(c->pid, &start_time, NULL) < 0)
    return sbx_fail(err, ESRCH, "the container process exited during create");
  state_json = sbx_container_hook_state(c->id, c->pid, "creating", c->bundle, cfg);
  if (state_json == NULL)
    return sbx_fail(err, ENOMEM, "state");
  if (run_runtime_hooks(c, state_json, err) < 0 || enforce_network(c, err) < 0)
    return -1;
  /* After the hooks, which may make them. */
  if (c->spawn.args.in_userns &&
      sbx_bind_sources_send(c->pid, cfg, c->bundle, c->sync, err) < 0)
    return -1;
  if (sbx_sync_send(c->sync, SYNC_CONTINUE, 0, state_json, strlen(state_json)) < 0)
    return sbx_fail(err, errno, "sync with the container process");
  sbx_log(c->ctx, SBX_LOG_DEBUG, "container %s: cgroup %s, runtime hooks done", c->id,
          c->cgroup_path);
  if (sbx_sync_expect(c->sync, SYNC_READY, NULL, &plan, err) < 0)
    return -1;
  sbx_log(c->ctx, SBX_LOG_DEBUG, "container %s: rootfs ready, waiting for start", c->id);
  if (save_state(c, start_time, err) < 0 || save_landlock(c, plan, err) < 0 ||
      watch_limits(c, start_time, err) < 0)
    return -1;
  audit_created(c);
  free(state_json);
  state_json = sbx_container_hook_state(c->id, c->pid, "created", c->bundle, cfg);
  if (state_json == NULL)
    return sbx_fail(err, ENOMEM, "state");
  if (sbx_sync_send(c->sync, SYNC_DONE, 0, state_json, strlen(state_json)) < 0)
    return sbx_fail(err, errno, "sync with the container process");
  return 0;
}

/* No mount namespace: the private bind every mount of the container goes
 * under, recorded for delete before it exists. */
static int bind_rootfs_in_host_namespace(struct create *c, struct sbx_error *err)
{
  if (!sbx_mounts_in_host_namespace(c->config))
    return 0;
  if (sbx_rootfs_bind_private(c->rootfs, &c->rootfs_mount, err) < 0)
    return -1;
  return sbx_state_save_rootfs_mount(c->ctx, c->id, c->rootfs, c->rootfs_mount, err);
}

/* init died during create: when the memory limit's OOM kill did it, the
 * error names the limit instead of a bare "exited before...". */
static void explain_init_death(struct create *c, struct sbx_error *err)
{
  const struct oci_resources *r = c->config->linux_ ? c->config->linux_->resources : NULL;
  unsigned long long ooms = 0;

  if (err == NULL || c->cgroup == NULL || r == NULL || r->memory == NULL ||
      !r->memory->has_limit || r->memory->limit <= 0)
    return;
  if (sbx_cgroup_oom_count(c->cgroup_path, &ooms, NULL) < 0 || ooms == 0)
    return;
  sbx_wrap(err,
           "linux.resources.memory.limit: %lld bytes is too little, the kernel killed the "
           "container process for lack of memory during create",
           (long long)r->memory->limit);
}

int sbx_container_create(const struct sbx_context *ctx, const char *id,
                         const struct sbx_create_options *opts, pid_t *pid,
                         struct sbx_error *err)
{
  struct create c = { .ctx = ctx, .id = id, .opts = opts, .sync = -1, .fifo_fd = -1,
                      .console_fd = -1, .lock_fd = -1, .trail_fd = -1 };
  int ret = -1;

  if (sbx_validate_id(id, err) < 0 || load_config(&c, err) < 0 || apply_policy(&c, err) < 0 ||
      check_config(&c, err) < 0)
    goto out;
  if ((c.lock_fd = sbx_state_create_dir(ctx, id, err)) < 0)
    goto out;
  c.state_dir_made = true;
  if (sbx_state_save_cgroup(ctx, id, c.cgroup_path, err) < 0 || make_fifo(&c, err) < 0 ||
      connect_console(&c, err) < 0 || bind_rootfs_in_host_namespace(&c, err) < 0 ||
      prepare_trail(&c, err) < 0)
    goto fail;
  if (spawn_init(&c, err) < 0)
    goto fail;
  if (drive_init(&c, err) < 0) {
    explain_init_death(&c, err);
    goto fail;
  }
  if (pid)
    *pid = c.pid;
  ret = 0;
  goto out;
fail:
  create_rollback(&c);
out:
  create_release(&c);
  return ret;
}

/* An audit event for a saved container (no policy, no audit path: none). */
static void audit_event(const struct sbx_context *ctx, const struct sbx_state *st,
                        const char *event, const struct sbx_audit_field *fields, size_t n)
{
  struct sbx_audit_target t = { .path = st->audit_path, .container_id = st->id,
                                .policy = st->policy, .digest = st->policy_digest,
                                .max_bytes = st->audit_max_bytes };
  cleanup_error struct sbx_error err = { 0 };

  if (sbx_audit(&t, event, fields, n, &err) < 0)
    sbx_log(ctx, SBX_LOG_WARNING, "audit: %s", err.msg);
}

/* Before the cgroup goes: an OOM kill is a violation, and the container's
 * wall time, CPU time and peak memory close its record. */
static void audit_deleted(const struct sbx_context *ctx, const struct sbx_state *st)
{
  unsigned long long ooms = 0, cpu_ns = 0, peak = 0;
  struct sbx_audit_field oom[] = { { "violation", SBX_AUDIT_STRING, .string = "oom" },
                                   { "count", SBX_AUDIT_INT } };
  struct sbx_audit_field usage[4] = {
    { "wall_time_ms", SBX_AUDIT_INT }, { "cpu_time_ns", SBX_AUDIT_INT },
    { "peak_memory_bytes", SBX_AUDIT_INT },
    /* counted by the supervisor (stopped before this), suppressed lines included */
    { "counts", SBX_AUDIT_RAW, .string = "null" },
  };
  cleanup_free char *counts_file = sbx_state_file(ctx, st->id, "audit-counts.json");
  cleanup_free char *counts = NULL;
  struct timespec now;

  if (st->audit_path == NULL)
    return;
  /* Without a supervisor (its counts), OOM kills are told here, in sum. */
  if (counts_file && access(counts_file, F_OK) != 0 && st->cgroup_path &&
      sbx_cgroup_oom_count(st->cgroup_path, &ooms, NULL) == 0 && ooms) {
    oom[1].integer = (int64_t)ooms;
    audit_event(ctx, st, "resource_violation", oom, 2);
  }
  if (st->cgroup_path)
    sbx_cgroup_usage(st->cgroup_path, &cpu_ns, &peak);
  clock_gettime(CLOCK_REALTIME, &now);
  usage[0].integer = sbx_ms_since_rfc3339(st->created, &now);
  usage[1].integer = (int64_t)cpu_ns;
  usage[2].integer = (int64_t)peak;
  if (counts_file && sbx_read_file(counts_file, &counts, NULL, NULL) == 0 && counts[0] == '{')
    usage[3].string = counts;
  audit_event(ctx, st, "container_deleted", usage, 4);
}

static int load_config_copy(const struct sbx_context *ctx, const char *id,
                            struct oci_config **config, struct sbx_error *err)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "config.json");
  cleanup_free char *text = NULL;
  size_t len;
  char *msg = NULL;

  if (sbx_read_file(path, &text, &len, err) < 0)
    return -1;
  *config = oci_config_parse(text, len, &msg);
  if (*config == NULL) {
    sbx_fail_take(err, EINVAL, msg);
    return sbx_wrap(err, "`%s`", path);
  }
  return 0;
}

static void warn_hooks(const struct sbx_context *ctx, const struct oci_hook_list *hooks,
                       const char *state_json, const char *phase)
{
  cleanup_error struct sbx_error err = { 0 };

  /* poststart and poststop failures are warnings: the lifecycle goes on. */
  if (sbx_hooks_run(hooks, state_json, phase, NULL, &err) < 0)
    sbx_log(ctx, SBX_LOG_WARNING, "%s", err.msg);
}

int sbx_container_start(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  struct sbx_state st;
  struct oci_config *config = NULL;
  cleanup_close int lock = -1, fifo = -1;
  cleanup_free char *fifo_path = NULL;
  int ret = -1;

  if (sbx_validate_id(id, err) < 0 || (lock = sbx_state_lock(ctx, id, err)) < 0)
    return -1;
  if (sbx_state_load(ctx, id, &st, err) < 0)
    return -1;
  switch (sbx_state_status(ctx, &st)) {
  case SBX_CREATED:
    break;
  case SBX_STOPPED:
    sbx_invalid(err, "cannot start a container that has stopped");
    goto out;
  default:
    sbx_invalid(err, "cannot start an already running container");
    goto out;
  }
  fifo_path = sbx_state_file(ctx, id, "exec.fifo");
  fifo = open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0) {
    sbx_fail(err, errno == ENXIO ? ESRCH : errno, "container `%s`: init is gone", id);
    goto out;
  }
  if (write(fifo, "0", 1) != 1) {
    sbx_fail(err, errno, "write exec.fifo");
    goto out;
  }
  /* Starting is once only: without the fifo the status is "running". */
  unlink(fifo_path);
  sbx_monitor_notify_start(ctx, id);
  audit_event(ctx, &st, "container_started", NULL, 0);
  if (load_config_copy(ctx, id, &config, NULL) == 0 && config->hooks) {
    cleanup_free char *json = sbx_container_hook_state(id, st.pid, "running", st.bundle, config);
    warn_hooks(ctx, &config->hooks->poststart, json, "poststart");
  }
  ret = 0;
out:
  oci_config_free(config);
  sbx_state_release(&st);
  return ret;
}

/* Signal every process in the container's pid namespace (or its cgroup). */
static int kill_all(const struct sbx_state *st, int sig, struct sbx_error *err)
{
  char path[64];
  struct stat init_ns, ns;
  DIR *proc;
  struct dirent *de;

  if (st->cgroup_path && sbx_cgroup_kill_all(st->cgroup_path, st->systemd_cgroup, sig, NULL) == 0)
    return 0;
  snprintf(path, sizeof path, "/proc/%d/ns/pid", st->pid);
  if (stat(path, &init_ns) < 0)
    return sbx_fail(err, ESRCH, "container `%s` is not running", st->id);
  proc = opendir("/proc");
  if (proc == NULL)
    return sbx_fail(err, errno, "open /proc");
  while ((de = readdir(proc)) != NULL) {
    long pid;
    if (!sbx_parse_long(de->d_name, &pid))
      continue;
    snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
    if (stat(path, &ns) == 0 && ns.st_ino == init_ns.st_ino && ns.st_dev == init_ns.st_dev)
      kill((pid_t)pid, sig);
  }
  closedir(proc);
  return 0;
}

int sbx_container_kill(const struct sbx_context *ctx, const char *id, int sig, bool all,
                       struct sbx_error *err)
{
  struct sbx_state st;
  cleanup_close int pidfd = -1;
  int ret = -1;

  if (sbx_state_load(ctx, id, &st, err) < 0)
    return -1;
  if (sbx_state_status(ctx, &st) == SBX_STOPPED) {
    /* runc: --all on a stopped container has nobody to signal, and is fine. */
    if (!all)
      sbx_fail(err, ESRCH, "container `%s` is not running", id);
    ret = all ? 0 : -1;
    goto out;
  }
  if (all) {
    ret = kill_all(&st, sig, err);
    goto out;
  }
  pidfd = sbx_state_pidfd(&st, err);
  if (pidfd < 0)
    goto out;
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
    sbx_fail(err, errno, "signal %d to container `%s`", sig, id);
    goto out;
  }
  ret = 0;
out:
  sbx_state_release(&st);
  return ret;
}

/* SIGKILL the container's processes and wait until init is gone. */
static int kill_and_wait(const struct sbx_state *st, struct sbx_error *err)
{
  cleanup_close int pidfd = sbx_state_pidfd(st, NULL);
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

  if (pidfd < 0)
    return 0; /* already gone */
  kill_all(st, SIGKILL, NULL);
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  /* A pidfd polls readable once the process has exited. */
  if (poll(&pfd, 1, 10000) <= 0)
    return sbx_fail(err, ETIMEDOUT, "container `%s` did not die after SIGKILL", st->id);
  return 0;
}

/* The rootfs bind of a container without a mount namespace, if any. */
static int unbind_rootfs(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  cleanup_free char *rootfs = NULL;
  int mnt_id;

  if (sbx_state_load_rootfs_mount(ctx, id, &rootfs, &mnt_id) < 0)
    return 0;
  return sbx_rootfs_unbind(rootfs, mnt_id, err);
}

/* SIGKILL everything in the cgroup at path until it is empty. */
static int kill_cgroup(const char *id, const char *path, struct sbx_error *err)
{
  sbx_cgroup_thaw(path, false, NULL);
  for (int tries = 0; tries < 1000; tries++) {
    pid_t *pids = NULL;
    size_t n = 0;
    if (sbx_cgroup_pids(path, &pids, &n, NULL) < 0 || n == 0) {
      free(pids);
      return 0;
    }
    for (size_t i = 0; i < n; i++)
      kill(pids[i], SIGKILL);
    free(pids);
    usleep(10000);
  }
  return sbx_fail(err, ETIMEDOUT, "container `%s`: processes in cgroup `%s` did not die", id,
                  path);
}


/* The resolver, pasta and network rules a container without readable
 * state may have left. */
static void release_runtime_helpers(const struct sbx_context *ctx, const char *id)
{
  sbx_resolver_stop(ctx, id);
  sbx_pasta_stop(ctx, id);
  release_network(ctx, id);
}

/* No readable state.json: a create that died half way (none), or a record
 * that was damaged.  The cgroup recorded before the cgroup existed still
 * finds every process; without it a live container could not be reached,
 * so a damaged record is kept, as runc does. */
static int delete_without_state(const struct sbx_context *ctx, const char *id, bool force,
                                struct sbx_error *why, struct sbx_error *err)
{
  cleanup_free char *cgroup = sbx_state_load_cgroup(ctx, id);
  bool missing = why->errnum == ENOENT;

  if (cgroup == NULL) {
    if (missing) {
      release_runtime_helpers(ctx, id);
      return sbx_state_remove_dir(ctx, id, err);
    }
    return sbx_invalid(err, "%s; its cgroup is not recorded either, so container `%s` is kept",
                       why->msg, id);
  }
  if (!force && (!missing || cgroup_process_count(cgroup) > 0))
    return sbx_invalid(err,
                       "%s; container `%s` may still run in cgroup `%s`: delete -f kills it there",
                       missing ? "no state.json" : why->msg, id, cgroup);
  if (kill_cgroup(id, cgroup, err) < 0)
    return -1;
  release_runtime_helpers(ctx, id);
  sbx_monitor_stop(ctx, id);
  if (sbx_cgroup_remove_path(cgroup, false, err) < 0 || unbind_rootfs(ctx, id, err) < 0)
    return -1;
  return sbx_state_remove_dir(ctx, id, err);
}

int sbx_container_delete(const struct sbx_context *ctx, const char *id, bool force,
                         struct sbx_error *err)
{
  struct sbx_state st;
  struct oci_config *config = NULL;
  cleanup_close int lock = -1;
  cleanup_error struct sbx_error why = { 0 };
  enum sbx_status status;
  int ret = -1;

  if (sbx_validate_id(id, err) < 0)
    return -1;
  lock = sbx_state_lock(ctx, id, err);
  if (lock < 0)
    return -1;
  if (sbx_state_load(ctx, id, &st, &why) < 0)
    return delete_without_state(ctx, id, force, &why, err);
  status = sbx_state_status(ctx, &st);
  if ((status == SBX_RUNNING || status == SBX_PAUSED) && !force) {
    sbx_fail(err, EBUSY, "cannot delete container `%s` that is not stopped: %s", id,
             sbx_status_name(status));
    goto out;
  }
  load_config_copy(ctx, id, &config, NULL);
  if (status != SBX_STOPPED) {
    char path[64];
    /* Held across the kill: the devices leave a namespace that still exists. */
    cleanup_close int netns = -1;
    if (config && config->linux_ && config->linux_->net_devices_len) {
      snprintf(path, sizeof path, "/proc/%d/ns/net", st.pid);
      netns = open(path, O_RDONLY | O_CLOEXEC);
      if (netns >= 0 && !sbx_state_process_alive(&st)) {
        close(netns);
        netns = -1;
      }
    }
    if (st.cgroup_path && status == SBX_PAUSED)
      sbx_cgroup_thaw(st.cgroup_path, st.systemd_cgroup, NULL);
    if (kill_and_wait(&st, err) < 0)
      goto out;
    if (netns >= 0 && sbx_netdev_move_out(netns, config->linux_, err) < 0)
      goto out;
  }
  if (config && config->hooks) {
    cleanup_free char *json = sbx_container_hook_state(id, st.pid, "stopped", st.bundle, config);
    warn_hooks(ctx, &config->hooks->poststop, json, "poststop");
  }
  sbx_resolver_stop(ctx, id);
  sbx_pasta_stop(ctx, id);
  if (release_network(ctx, id) < 0 && !force) {
    sbx_fail(err, EBUSY, "container `%s`: its network rules could not be removed (see the "
             "warning); delete -f removes the rest", id);
    goto out;
  }
  sbx_monitor_stop(ctx, id);
  audit_deleted(ctx, &st);
  if (st.cgroup_path && sbx_cgroup_remove_path(st.cgroup_path, st.systemd_cgroup, err) < 0)
    goto out;
  if (unbind_rootfs(ctx, id, err) < 0)
    goto out;
  ret = sbx_state_remove_dir(ctx, id, err);
out:
  oci_config_free(config);
  sbx_state_release(&st);
  return ret;
}

static void gen_kv(yajl_gen g, const char *key, const char *value)
{
  yajl_gen_string(g, (const unsigned char *)key, strlen(key));
  yajl_gen_string(g, (const unsigned char *)value, strlen(value));
}

/* runc's state document (the runtime-spec state plus rootfs, created and
 * owner), into g. */
static void gen_state(yajl_gen g, const struct sbx_state *st, enum sbx_status status,
                      const struct oci_config *config)
{
  bool stopped = status == SBX_STOPPED;

  yajl_gen_map_open(g);
  gen_kv(g, "ociVersion", OCI_VERSION);
  gen_kv(g, "id", st->id);
  yajl_gen_string(g, (const unsigned char *)"pid", 3);
  yajl_gen_integer(g, stopped ? 0 : st->pid);
  gen_kv(g, "status", sbx_status_name(status));
  gen_kv(g, "bundle", st->bundle ? st->bundle : "");
  gen_kv(g, "rootfs", st->rootfs ? st->rootfs : "");
  gen_kv(g, "created", st->created ? st->created : "");
  gen_kv(g, "owner", st->owner ? st->owner : "");
  if (config && config->annotations_len) {
    yajl_gen_string(g, (const unsigned char *)"annotations", 11);
    yajl_gen_map_open(g);
    for (size_t i = 0; i < config->annotations_len; i++)
      gen_kv(g, config->annotations[i].key, config->annotations[i].value);
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
}

static char *gen_finish(yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_get_buf(g, &buf, &len);
  out = strndup((const char *)buf, len);
  yajl_gen_free(g);
  return out;
}

static yajl_gen pretty_gen(void)
{
  yajl_gen g = yajl_gen_alloc(NULL);

  if (g) {
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "  ");
  }
  return g;
}

int sbx_container_state_json(const struct sbx_context *ctx, const char *id, char **json,
                             struct sbx_error *err)
{
  struct sbx_state st;
  struct oci_config *config = NULL;
  yajl_gen g;

  if (sbx_state_load(ctx, id, &st, err) < 0)
    return -1;
  load_config_copy(ctx, id, &config, NULL);
  g = pretty_gen();
  if (g)
    gen_state(g, &st, sbx_state_status(ctx, &st), config);
  *json = g ? gen_finish(g) : NULL;
  oci_config_free(config);
  sbx_state_release(&st);
  if (*json == NULL)
    return sbx_fail(err, ENOMEM, "state");
  return 0;
}

/* runc lists the user owning the state directory. */
static void fill_owner(const struct sbx_context *ctx, struct sbx_state *st)
{
  cleanup_free char *dir = sbx_state_dir(ctx, st->id);
  struct passwd pw, *found = NULL;
  char buf[1024];
  struct stat sb;

  if (dir == NULL || stat(dir, &sb) < 0)
    return;
  free(st->owner);
  if (getpwuid_r(sb.st_uid, &pw, buf, sizeof buf, &found) == 0 && found)
    st->owner = strdup(found->pw_name);
  else
    st->owner = sbx_strdup_printf("#%u", (unsigned)sb.st_uid);
}

static int compare_ids(const void *a, const void *b)
{
  return strcmp(((const struct sbx_container_info *)a)->state.id,
                ((const struct sbx_container_info *)b)->state.id);
}

int sbx_container_list(const struct sbx_context *ctx, struct sbx_container_info **out,
                       size_t *n, struct sbx_error *err)
{
  DIR *dir = opendir(ctx->state_root);
  struct dirent *de;
  struct sbx_container_info *list = NULL;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (dir == NULL)
    return errno == ENOENT ? 0 : sbx_fail(err, errno, "open `%s`", ctx->state_root);
  while ((de = readdir(dir)) != NULL) {
    struct sbx_container_info *grown;
    struct sbx_state st;
    cleanup_error struct sbx_error why = { 0 };
    if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
      continue;
    if (sbx_state_load(ctx, de->d_name, &st, &why) < 0) {
      /* No state.json yet is a create under way: not worth a word. */
      if (why.errnum != ENOENT)
        sbx_log(ctx, SBX_LOG_WARNING, "list: container `%s` left out: %s", de->d_name,
                why.msg);
      continue;
    }
    grown = realloc(list, (count + 1) * sizeof *list);
    if (grown == NULL) {
      sbx_state_release(&st);
      break;
    }
    list = grown;
    fill_owner(ctx, &st);
    list[count].state = st;
    list[count].status = sbx_state_status(ctx, &st);
    count++;
  }
  closedir(dir);
  if (count > 1)
    qsort(list, count, sizeof *list, compare_ids);
  *out = list;
  *n = count;
  return 0;
}

void sbx_container_list_free(struct sbx_container_info *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sbx_state_release(&list[i].state);
  free(list);
}

char *sbx_container_list_json(const struct sbx_container_info *list, size_t n)
{
  /* One line, as runc prints it (scripts read it line by line). */
  yajl_gen g = yajl_gen_alloc(NULL);

  if (g == NULL)
    return NULL;
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++)
    gen_state(g, &list[i].state, list[i].status, NULL);
  yajl_gen_array_close(g);
  return gen_finish(g);
}

int sbx_container_pause(const struct sbx_context *ctx, const char *id, bool pause,
                        struct sbx_error *err)
{
  struct sbx_state st;
  cleanup_close int lock = -1;
  enum sbx_status status;
  int ret = -1;

  if (sbx_validate_id(id, err) < 0 || (lock = sbx_state_lock(ctx, id, err)) < 0)
    return -1;
  if (sbx_state_load(ctx, id, &st, err) < 0)
    return -1;
  status = sbx_state_status(ctx, &st);
  if (st.cgroup_path == NULL)
    sbx_invalid(err, "container `%s` has no cgroup to freeze", id);
  else if (pause && status != SBX_RUNNING && status != SBX_CREATED)
    sbx_invalid(err, "container `%s` is not running", id);
  else if (!pause && status != SBX_PAUSED)
    sbx_invalid(err, "container `%s` is not paused", id);
  else if (pause)
    ret = sbx_cgroup_freeze(st.cgroup_path, st.systemd_cgroup, err);
  else
    ret = sbx_cgroup_thaw(st.cgroup_path, st.systemd_cgroup, err);
  sbx_state_release(&st);
  return ret;
}

int sbx_container_pids(const struct sbx_context *ctx, const char *id, pid_t **pids, size_t *n,
                       struct sbx_error *err)
{
  struct sbx_state st;
  int ret;

  if (sbx_state_load(ctx, id, &st, err) < 0)
    return -1;
  if (st.cgroup_path == NULL)
    ret = sbx_invalid(err, "container `%s` has no cgroup", id);
  else
    ret = sbx_cgroup_pids(st.cgroup_path, pids, n, err);
  sbx_state_release(&st);
  return ret;
}
