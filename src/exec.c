/* exec.c: a new process in an existing container (see exec.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroups.h"
#include "console.h"
#include "container.h"
#include "audit.h"
#include "command_trail.h"
#include "namespaces.h"
#include "fs_policy_mounts.h"
#include "policy_apply.h"
#include "policy_seccomp.h"
#include "process.h"
#include "spawn.h"
#include "state.h"
#include "supervise.h"
#include "sync.h"
#include "utils.h"

struct exec_run {
  const struct sbx_context *ctx;
  const struct sbx_exec_options *o;
  struct sbx_state st;
  struct oci_config *config;   /* the container's, with the process to run */
  int pidfd;                   /* the container's init */
  int mntns_fd;                /* its mount namespace */
  struct sbx_seccomp_program seccomp;
  struct sbx_seccomp_program policy_seccomp;
  struct sbx_policy *policy;   /* the container's, NULL: none */
  char *landlock;              /* the container's Landlock grants, NULL: none */
  int console_fd;
  int sync;
  pid_t pid;
};

static int load_container(struct exec_run *r, const char *id, struct sbx_error *err)
{
  cleanup_free char *path = NULL, *text = NULL;
  enum sbx_status status;
  size_t len;
  char *msg = NULL;

  if (sbx_state_load(r->ctx, id, &r->st, err) < 0)
    return -1;
  status = sbx_state_status(r->ctx, &r->st);
  if (status == SBX_STOPPED)
    return sbx_invalid(err, "cannot exec in a stopped container");
  if (status == SBX_PAUSED && !r->o->ignore_paused)
    return sbx_invalid(err, "cannot exec in a paused container (use --ignore-paused)");
  {
    cleanup_free char *saved = sbx_state_file(r->ctx, id, "policy.json");
    cleanup_free char *grants = sbx_state_file(r->ctx, id, "landlock");
    if (saved == NULL || sbx_policy_load_saved(saved, &r->policy, err) < 0)
      return -1;
    /* A container with a filesystem policy must have its grants. */
    if (grants == NULL || (sbx_read_file(grants, &r->landlock, NULL, err) < 0 &&
                           (err->errnum != ENOENT || sbx_fs_policy_needed(r->policy))))
      return -1;
    sbx_error_clear(err);
  }
  path = sbx_state_file(r->ctx, id, "config.json");
  if (sbx_read_file(path, &text, &len, err) < 0)
    return -1;
  r->config = oci_config_parse(text, len, &msg);
  if (r->config == NULL) {
    sbx_fail_take(err, EINVAL, msg);
    return sbx_wrap(err, "`%s`", path);
  }
  r->pidfd = sbx_state_pidfd(&r->st, err);
  if (r->pidfd < 0)
    return -1;
  {
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", r->st.pid);
    r->mntns_fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (r->mntns_fd < 0)
      return sbx_fail(err, errno, "open `%s`", ns);
  }
  /* The pidfd was checked to be init; make sure ns/mnt was too. */
  if (sbx_state_pidfd(&r->st, NULL) < 0)
    return sbx_fail(err, ESRCH, "container `%s` is not running", id);
  return 0;
}

/* Append a copy of each string to a NULL-terminated (array, len) list. */
static int append_strings(char ***list, size_t *len, char *const *add, size_t n)
{
  char **grown = realloc(*list, (*len + n + 1) * sizeof **list);

  if (grown == NULL)
    return -1;
  *list = grown;
  for (size_t i = 0; i < n; i++)
    if (((*list)[(*len)++] = strdup(add[i])) == NULL)
      return -1;
  (*list)[*len] = NULL;
  return 0;
}

/* -e K=V replaces an existing K or is added. */
static int set_env(struct oci_process *p, const char *kv)
{
  size_t key = strcspn(kv, "=");

  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp(p->env[i], kv, key) == 0 && p->env[i][key] == '=') {
      char *copy = strdup(kv);
      if (copy == NULL)
        return -1;
      free(p->env[i]);
      p->env[i] = copy;
      return 0;
    }
  return append_strings(&p->env, &p->env_len, (char *const[]){ (char *)kv }, 1);
}

static int parse_user(struct oci_user *u, const char *spec, struct sbx_error *err)
{
  unsigned uid, gid;
  int n = 0;

  if (sscanf(spec, "%u:%u%n", &uid, &gid, &n) == 2 && spec[n] == '\0') {
    u->uid = uid;
    u->gid = gid;
  } else if (sscanf(spec, "%u%n", &uid, &n) == 1 && spec[n] == '\0') {
    u->uid = uid;
  } else {
    return sbx_invalid(err, "--user: `%s` is not UID[:GID]", spec);
  }
  return 0;
}

static int add_caps(struct oci_process *p, char *const *caps, size_t n)
{
  struct oci_capabilities *c = p->capabilities;
  struct oci_string_list *sets[5];

  if (c == NULL && (c = p->capabilities = calloc(1, sizeof *c)) == NULL)
    return -1;
  sets[0] = &c->bounding, sets[1] = &c->effective, sets[2] = &c->inheritable;
  sets[3] = &c->permitted, sets[4] = &c->ambient;
  c->has_bounding = c->has_effective = c->has_inheritable = c->has_permitted = true;
  c->has_ambient = true;
  for (int i = 0; i < 5; i++)
    if (append_strings(&sets[i]->items, &sets[i]->len, caps, n) < 0)
      return -1;
  return 0;
}

/* The process to run: -p's, or the config's with the command line's args. */
static int build_process(struct exec_run *r, struct sbx_error *err)
{
  const struct sbx_exec_options *o = r->o;
  struct oci_process *p;

  if (o->process_file) {
    cleanup_free char *text = NULL;
    size_t len;
    char *msg = NULL;
    if (sbx_read_file(o->process_file, &text, &len, err) < 0)
      return sbx_wrap(err, "--process");
    p = oci_process_parse(text, len, &msg);
    if (p == NULL)
      return sbx_fail_take(err, EINVAL, msg), sbx_wrap(err, "%s", o->process_file);
    oci_process_free(r->config->process);
    r->config->process = p;
  } else {
    p = r->config->process;
    if (p == NULL || o->args_len == 0)
      return sbx_invalid(err, "exec: a command (or -p process.json) is required");
    for (size_t i = 0; i < p->args_len; i++)
      free(p->args[i]);
    p->args_len = 0;
    if (append_strings(&p->args, &p->args_len, o->args, o->args_len) < 0)
      return sbx_fail(err, ENOMEM, "exec");
    p->terminal = o->tty;
  }
  for (size_t i = 0; i < o->env_len; i++)
    if (set_env(p, o->env[i]) < 0)
      return sbx_fail(err, ENOMEM, "exec");
  if (o->cwd) {
    free(p->cwd);
    p->cwd = strdup(o->cwd);
  }
  if (o->user && parse_user(&p->user, o->user, err) < 0)
    return -1;
  if (o->additional_gids_len) {
    free(p->user.additional_gids);
    p->user.additional_gids = calloc(o->additional_gids_len, sizeof(uint32_t));
    if (p->user.additional_gids == NULL)
      return sbx_fail(err, ENOMEM, "exec");
    memcpy(p->user.additional_gids, o->additional_gids, o->additional_gids_len * sizeof(uint32_t));
    p->user.additional_gids_len = o->additional_gids_len;
  }
  if (o->caps_len && add_caps(p, o->caps, o->caps_len) < 0)
    return sbx_fail(err, ENOMEM, "exec");
  p->no_new_privileges |= o->no_new_privs;
  if (p->args_len == 0 || p->cwd == NULL || p->cwd[0] != '/')
    return sbx_invalid(err, "process: args and an absolute cwd are required");
  /* The container's policy holds for every process added to it. */
  if (r->policy && sbx_policy_apply_process(r->policy, p, err) < 0)
    return sbx_wrap(err, "policy %s", r->policy->name);
  if (p->terminal && o->detach && o->console_socket == NULL)
    return sbx_invalid(err, "exec -t -d needs --console-socket");
  return 0;
}

/* The namespaces to enter: every type the container's config lists. */
static unsigned long container_ns_flags(const struct oci_config *c)
{
  unsigned long flags = 0;

  for (size_t i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    flags |= sbx_ns_flag(c->linux_->namespaces[i].type);
  return flags;
}

/* In the spawn helper: enter them at once through the pidfd, all but the
 * mount namespace, which the process joins after its re-exec. */
static int enter_container(void *data, unsigned long *flags, struct sbx_error *err)
{
  struct exec_run *r = data;
  unsigned long ns = container_ns_flags(r->config) & ~(unsigned long)CLONE_NEWNS;

  if (ns && setns(r->pidfd, (int)ns) < 0)
    return sbx_fail(err, errno, "enter the namespaces of container `%s`", r->st.id);
  return 0;
}

static void audit_exec(const struct exec_run *r)
{
  const struct oci_process *p = r->config->process;
  struct sbx_audit_target t = { .path = r->st.audit_path, .container_id = r->st.id,
                                .policy = r->st.policy, .digest = r->st.policy_digest,
                                .max_bytes = r->st.audit_max_bytes };
  struct sbx_audit_field fields[] = {
    { "argv", SBX_AUDIT_STRINGS, .strings = p->args },
    { "uid", SBX_AUDIT_INT, .integer = p->user.uid },
    { "gid", SBX_AUDIT_INT, .integer = p->user.gid },
    { "pid", SBX_AUDIT_INT, .integer = r->pid },
  };
  cleanup_error struct sbx_error err = { 0 };

  if (sbx_audit(&t, "command_executed", fields, 4, &err) < 0)
    sbx_log(r->ctx, SBX_LOG_WARNING, "audit: %s", err.msg);
}

static int start_process(struct exec_run *r, struct sbx_error *err)
{
  cleanup_free char *warning = NULL, *state = NULL;
  struct sbx_spawn sp = { .join = enter_container, .join_data = r };
  const struct oci_linux *l = r->config->linux_;

  if (sbx_caps_from_oci(r->config->process->capabilities, &sp.args.caps, &warning, err) < 0)
    return sbx_wrap(err, "process.capabilities");
  if (warning)
    sbx_log(r->ctx, SBX_LOG_WARNING, "%s", warning);
  if (sbx_caps_check_available(&sp.args.caps, err) < 0 ||
      sbx_process_check_lsm(r->config, err) < 0)
    return -1;
  sp.args.config = r->config;
  sp.args.exec_mode = true;
  sp.args.fifo_fd = -1;
  sp.args.console_fd = r->console_fd;
  sp.args.preserve_fds = r->o->preserve_fds;
  sp.args.in_userns = oci_linux_namespace(r->config->linux_, "user") != NULL;
  sp.args.mntns_fd = r->mntns_fd;
  sp.args.rootfs = r->st.rootfs; /* the chroot, in the host's mount namespace */
  sp.args.landlock_plan = r->landlock;
  /* The container's filter applies to every process in it. */
  if (l && sbx_seccomp_compile(l->seccomp, &r->seccomp, err) < 0)
    return -1;
  sp.args.seccomp = r->seccomp;
  if (r->policy &&
      sbx_policy_seccomp_compile(sbx_policy_seccomp_layer(r->policy->seccomp,
                                                          sbx_fs_policy_needed(r->policy)),
                                 !r->policy->passthrough &&
                                   r->policy->network != SBX_NET_UNRESTRICTED,
                                 &r->policy_seccomp, err) < 0)
    return -1;
  sp.args.policy_seccomp = r->policy_seccomp;
  /* The command trail: an exec it could not record does not run. */
  sp.args.trail_fd = -1;
  if (r->st.audit_commands && (sp.args.trail_fd = sbx_trail_connect(r->ctx, r->st.id, err)) < 0)
    return -1;
  r->pid = sbx_spawn(&sp, &r->sync, err);
  if (sp.args.trail_fd >= 0)
    close(sp.args.trail_fd);
  if (r->pid < 0) {
    r->pid = 0;
    return -1;
  }
  if (sbx_sync_send(r->sync, SYNC_GO, 0, NULL, 0) < 0 ||
      sbx_init_args_send(r->sync, &sp.args, err) < 0)
    return err && err->msg ? -1 : sbx_fail(err, errno, "sync with the exec process");
  if (sbx_sync_expect(r->sync, SYNC_READY, NULL, NULL, err) < 0)
    return -1;
  /* Joined only now, while it waits for DONE: in a paused container
   * (--ignore-paused) it would freeze before it could report ready. */
  if (r->o->cgroups_len && r->st.cgroup_path == NULL)
    return sbx_invalid(err, "--cgroup: container `%s` has no cgroup", r->st.id);
  if (r->o->cgroups_len ? sbx_cgroup_enter_sub(r->st.cgroup_path, r->pid, r->o->cgroups,
                                               r->o->cgroups_len, err) < 0
                        : r->st.cgroup_path && sbx_cgroup_enter(r->st.cgroup_path, r->pid, err) < 0)
    return -1;
  if (sbx_write_pid_file(r->o->pid_file, r->pid, err) < 0)
    return -1;
  state = sbx_container_hook_state(r->st.id, r->st.pid, "running", r->st.bundle, r->config);
  if (state == NULL)
    return sbx_fail(err, ENOMEM, "state");
  if (sbx_sync_send(r->sync, SYNC_DONE, 0, state, strlen(state)) < 0)
    return sbx_fail(err, errno, "sync with the exec process");
  /* With the trail, the supervisor records the process's execve itself. */
  if (!r->st.audit_commands)
    audit_exec(r);
  return 0;
}

/* When it ends (exec without -d): its exit status and how long it ran. */
static void audit_exec_exit(const struct exec_run *r, int exit_code, const struct timespec *began)
{
  struct sbx_audit_target t = { .path = r->st.audit_path, .container_id = r->st.id,
                                .policy = r->st.policy, .digest = r->st.policy_digest,
                                .max_bytes = r->st.audit_max_bytes };
  struct timespec now;
  struct sbx_audit_field fields[] = {
    { "process", SBX_AUDIT_STRING, .string = "exec" },
    { "pid", SBX_AUDIT_INT, .integer = r->pid },
    { "argv", SBX_AUDIT_STRINGS, .strings = r->config->process->args },
    { "exit_code", SBX_AUDIT_INT, .integer = exit_code },
    { "duration_ms", SBX_AUDIT_INT },
  };

  clock_gettime(CLOCK_MONOTONIC, &now);
  fields[4].integer = (now.tv_sec - began->tv_sec) * 1000 + (now.tv_nsec - began->tv_nsec) / 1000000;
  sbx_audit(&t, "process_exited", fields, 5, NULL);
}

int sbx_container_exec(const struct sbx_context *ctx, const char *id,
                       const struct sbx_exec_options *o, int *exit_code, struct sbx_error *err)
{
  struct exec_run r = { .ctx = ctx, .o = o, .pidfd = -1, .mntns_fd = -1, .console_fd = -1,
                        .sync = -1 };
  struct sbx_supervisor s;
  struct timespec began;
  bool supervising = false;
  int ret = -1;

  *exit_code = 0;
  if (load_container(&r, id, err) < 0 || build_process(&r, err) < 0)
    goto out;
  if (!o->detach) {
    supervising = true;
    if (sbx_supervise_begin(&s, o->console_socket == NULL, err) < 0)
      goto out_supervise;
    r.console_fd = s.console[1];
  }
  if (o->console_socket && (r.console_fd = sbx_console_connect(o->console_socket, err)) < 0) {
    sbx_wrap(err, "--console-socket");
    goto out_supervise;
  }
  if (start_process(&r, err) < 0) {
    if (r.pid > 0) {
      kill(r.pid, SIGKILL);
      waitpid(r.pid, NULL, 0);
    }
    goto out_supervise;
  }
  clock_gettime(CLOCK_MONOTONIC, &began);
  ret = supervising ? sbx_supervise_wait(&s, r.pid, exit_code, err) : 0;
  if (supervising && ret == 0)
    audit_exec_exit(&r, *exit_code, &began);
out_supervise:
  if (supervising)
    sbx_supervise_end(&s);
out:
  if (o->console_socket && r.console_fd >= 0)
    close(r.console_fd);
  if (r.sync >= 0)
    close(r.sync);
  if (r.pidfd >= 0)
    close(r.pidfd);
  if (r.mntns_fd >= 0)
    close(r.mntns_fd);
  sbx_seccomp_program_release(&r.seccomp);
  sbx_seccomp_program_release(&r.policy_seccomp);
  sbx_policy_free(r.policy);
  free(r.landlock);
  oci_config_free(r.config);
  sbx_state_release(&r.st);
  return ret;
}
