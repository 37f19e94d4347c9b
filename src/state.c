/* state.c: the state directory and state.json of a container (see state.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroups.h"
#include "utils.h"

static const char *const status_names[] = {
  [SBX_CREATING] = "creating", [SBX_CREATED] = "created", [SBX_RUNNING] = "running",
  [SBX_PAUSED] = "paused",     [SBX_STOPPED] = "stopped",
};

const char *sbx_status_name(enum sbx_status s)
{
  return status_names[s];
}

int sbx_validate_id(const char *id, struct sbx_error *err)
{
  if (id == NULL || *id == '\0')
    return sbx_invalid(err, "container id cannot be empty");
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return sbx_invalid(err, "invalid container id `%s`", id);
  if (strlen(id) > 1024)
    return sbx_invalid(err, "invalid container id: longer than 1024 characters");
  for (const char *p = id; *p; p++)
    if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
          strchr("_+-.", *p)))
      return sbx_invalid(err, "invalid container id `%s`: only [A-Za-z0-9_+.-] allowed", id);
  return 0;
}

char *sbx_state_dir(const struct sbx_context *ctx, const char *id)
{
  return sbx_strdup_printf("%s/%s", ctx->state_root, id);
}

char *sbx_state_file(const struct sbx_context *ctx, const char *id, const char *name)
{
  return sbx_strdup_printf("%s/%s/%s", ctx->state_root, id, name);
}

/* The directory fd still names the directory at path (a delete may have
 * removed it while we waited for its lock). */
static bool still_there(int fd, const char *path)
{
  struct stat a, b;

  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

static bool has_state_json(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "state.json");

  return path && access(path, F_OK) == 0;
}

/* A directory whose lock is held and which has no state.json yet (or no
 * more) belongs to a create or a delete under way. */
static bool being_made_or_removed(const struct sbx_context *ctx, const char *id, int fd)
{
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK && !has_state_json(ctx, id);
}

static int busy_error(struct sbx_error *err, const char *id)
{
  sbx_fail(err, 0, "container `%s` is being created or deleted", id);
  if (err)
    err->errnum = EBUSY;
  return -1;
}

int sbx_state_create_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  cleanup_free char *dir = sbx_state_dir(ctx, id);

  if (sbx_mkdir_p(ctx->state_root, 0700, err) < 0)
    return sbx_wrap(err, "state root");
  /* A delete that finds the new, still empty directory before we lock it
   * removes it: then make it again. */
  for (int tries = 0; tries < 5; tries++) {
    int fd;
    if (mkdir(dir, 0711) < 0) {
      bool busy;
      if (errno != EEXIST)
        return sbx_fail(err, errno, "mkdir `%s`", dir);
      fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      busy = fd >= 0 && being_made_or_removed(ctx, id, fd);
      if (fd >= 0)
        close(fd);
      if (busy)
        return busy_error(err, id);
      return sbx_fail(err, EEXIST, "container `%s` already exists", id);
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT)
      return sbx_fail(err, errno, "open `%s`", dir);
    if (fd >= 0 && flock(fd, LOCK_EX) == 0 && still_there(fd, dir))
      return fd;
    if (fd >= 0)
      close(fd);
  }
  return busy_error(err, id);
}

int sbx_state_remove_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  cleanup_free char *dir = sbx_state_dir(ctx, id);

  return sbx_remove_tree(dir, err);
}

static void gen_string(yajl_gen g, const char *key, const char *value)
{
  yajl_gen_string(g, (const unsigned char *)key, strlen(key));
  if (value)
    yajl_gen_string(g, (const unsigned char *)value, strlen(value));
  else
    yajl_gen_null(g);
}

static void gen_integer(yajl_gen g, const char *key, long long value)
{
  yajl_gen_string(g, (const unsigned char *)key, strlen(key));
  yajl_gen_integer(g, value);
}

int sbx_state_save(const struct sbx_context *ctx, const struct sbx_state *st,
                   struct sbx_error *err)
{
  cleanup_free char *path = sbx_state_file(ctx, st->id, "state.json");
  char start[32];
  const unsigned char *buf;
  size_t len;
  yajl_gen g = yajl_gen_alloc(NULL);
  int ret;

  if (g == NULL || path == NULL)
    return sbx_fail(err, ENOMEM, "save state");
  snprintf(start, sizeof start, "%llu", st->start_time);
  yajl_gen_map_open(g);
  gen_string(g, "id", st->id);
  gen_integer(g, "pid", st->pid);
  gen_string(g, "start_time", start);
  gen_string(g, "bundle", st->bundle);
  gen_string(g, "rootfs", st->rootfs);
  gen_string(g, "created", st->created);
  gen_string(g, "owner", st->owner ? st->owner : "");
  gen_string(g, "cgroup_path", st->cgroup_path);
  yajl_gen_string(g, (const unsigned char *)"systemd_cgroup", 14);
  yajl_gen_bool(g, st->systemd_cgroup);
  gen_string(g, "policy", st->policy);
  gen_string(g, "audit_path", st->audit_path);
  gen_string(g, "policy_digest", st->policy_digest);
  gen_integer(g, "audit_max_bytes", st->audit_max_bytes);
  yajl_gen_string(g, (const unsigned char *)"audit_commands", 14);
  yajl_gen_bool(g, st->audit_commands);
  gen_integer(g, "policy_seccomp", st->policy_seccomp);
  yajl_gen_map_close(g);
  yajl_gen_get_buf(g, &buf, &len);
  ret = sbx_write_file_atomic(path, (const char *)buf, len, 0600, err);
  yajl_gen_free(g);
  return ret;
}

static char *dup_string(yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);

  const char *text = v ? YAJL_GET_STRING(v) : NULL;

  return text ? strdup(text) : NULL;
}

static long long get_integer(yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get(root, path, yajl_t_number);

  return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

int sbx_state_load(const struct sbx_context *ctx, const char *id, struct sbx_state *st,
                   struct sbx_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *start = NULL;
  char errbuf[256];
  const char *sd_path[] = { "systemd_cgroup", NULL };
  yajl_val root;

  memset(st, 0, sizeof *st);
  if (sbx_validate_id(id, err) < 0)
    return -1;
  path = sbx_state_file(ctx, id, "state.json");
  if (sbx_read_file(path, &text, NULL, err) < 0) {
    if (err && err->errnum == ENOENT) {
      sbx_fail(err, 0, "container `%s` does not exist", id);
      err->errnum = ENOENT;
    }
    return -1;
  }
  root = yajl_tree_parse(text, errbuf, sizeof errbuf);
  if (root == NULL) {
    char *nl = strchr(errbuf, '\n');
    if (nl)
      *nl = '\0';
    return sbx_invalid(err, "`%s`: unreadable state: invalid JSON: %s", path, errbuf);
  }
  st->id = dup_string(root, "id");
  st->pid = (pid_t)get_integer(root, "pid");
  start = dup_string(root, "start_time");
  st->start_time = start ? strtoull(start, NULL, 10) : 0;
  st->bundle = dup_string(root, "bundle");
  st->rootfs = dup_string(root, "rootfs");
  st->created = dup_string(root, "created");
  st->owner = dup_string(root, "owner");
  st->cgroup_path = dup_string(root, "cgroup_path");
  st->systemd_cgroup = YAJL_IS_TRUE(yajl_tree_get(root, sd_path, yajl_t_true));
  st->policy = dup_string(root, "policy");
  st->audit_path = dup_string(root, "audit_path");
  st->policy_digest = dup_string(root, "policy_digest");
  st->audit_max_bytes = get_integer(root, "audit_max_bytes");
  {
    const char *ac_path[] = { "audit_commands", NULL };
    st->audit_commands = YAJL_IS_TRUE(yajl_tree_get(root, ac_path, yajl_t_true));
  }
  st->policy_seccomp = (int)get_integer(root, "policy_seccomp");
  yajl_tree_free(root);
  if (st->id == NULL)
    st->id = strdup(id);
  /* Without its pid and start time nothing could find or stop the process. */
  if (st->pid <= 0 || start == NULL) {
    sbx_state_release(st);
    return sbx_invalid(err, "`%s`: unreadable state: no pid or start_time", path);
  }
  return 0;
}

int sbx_state_save_cgroup(const struct sbx_context *ctx, const char *id, const char *cgroup_path,
                          struct sbx_error *err)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "cgroup");

  if (path == NULL)
    return sbx_fail(err, ENOMEM, "state");
  return sbx_write_file_atomic(path, cgroup_path, strlen(cgroup_path), 0600, err);
}

int sbx_state_save_rootfs_mount(const struct sbx_context *ctx, const char *id,
                                const char *rootfs, int mnt_id, struct sbx_error *err)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "rootfs-mount");
  cleanup_free char *text = sbx_strdup_printf("%d %s", mnt_id, rootfs);

  if (path == NULL || text == NULL)
    return sbx_fail(err, ENOMEM, "state");
  return sbx_write_file_atomic(path, text, strlen(text), 0600, err);
}

int sbx_state_load_rootfs_mount(const struct sbx_context *ctx, const char *id, char **rootfs,
                                int *mnt_id)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "rootfs-mount");
  cleanup_free char *text = NULL;
  char *space;

  *rootfs = NULL;
  if (path == NULL || sbx_read_file(path, &text, NULL, NULL) < 0)
    return -1;
  space = strchr(text, ' ');
  if (space == NULL || space[1] != '/')
    return -1;
  *mnt_id = atoi(text);
  *rootfs = strdup(space + 1);
  return *rootfs ? 0 : -1;
}

char *sbx_state_load_cgroup(const struct sbx_context *ctx, const char *id)
{
  cleanup_free char *path = sbx_state_file(ctx, id, "cgroup");
  char *text = NULL;

  if (path == NULL || sbx_read_file(path, &text, NULL, NULL) < 0)
    return NULL;
  /* Only an absolute path without `..` is ever written there. */
  if (text[0] != '/' || strstr(text, "/../") || strchr(text, '\n')) {
    free(text);
    return NULL;
  }
  return text;
}

void sbx_state_release(struct sbx_state *st)
{
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->owner);
  free(st->cgroup_path);
  free(st->policy);
  free(st->audit_path);
  free(st->policy_digest);
  memset(st, 0, sizeof *st);
}

bool sbx_state_process_alive(const struct sbx_state *st)
{
  unsigned long long start;
  char pstate;

  if (st->pid <= 0 || sbx_proc_start_time(st->pid, &start, &pstate) < 0)
    return false;
  /* A zombie has finished; a different start time is another process. */
  return start == st->start_time && pstate != 'Z' && pstate != 'X';
}

enum sbx_status sbx_state_status(const struct sbx_context *ctx, const struct sbx_state *st)
{
  cleanup_free char *fifo = NULL;

  if (!sbx_state_process_alive(st))
    return SBX_STOPPED;
  fifo = sbx_state_file(ctx, st->id, "exec.fifo");
  if (fifo && access(fifo, F_OK) == 0)
    return SBX_CREATED;
  if (st->cgroup_path && sbx_cgroup_is_frozen(st->cgroup_path, st->systemd_cgroup))
    return SBX_PAUSED;
  return SBX_RUNNING;
}

int sbx_state_lock(const struct sbx_context *ctx, const char *id, struct sbx_error *err)
{
  cleanup_free char *dir = sbx_state_dir(ctx, id);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0) {
    if (errno == ENOENT)
      goto gone;
    return sbx_fail(err, errno, "open `%s`", dir);
  }
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int saved = errno;
    /* create holds the lock from mkdir to the end: do not wait for it. */
    if (saved == EWOULDBLOCK && !has_state_json(ctx, id)) {
      close(fd);
      return busy_error(err, id);
    }
    if (saved != EWOULDBLOCK || flock(fd, LOCK_EX) < 0) {
      saved = errno;
      close(fd);
      return sbx_fail(err, saved, "lock `%s`", dir);
    }
  }
  if (still_there(fd, dir))
    return fd;
  close(fd);
gone:
  sbx_fail(err, 0, "container `%s` does not exist", id);
  if (err)
    err->errnum = ENOENT;
  return -1;
}

int sbx_state_pidfd(const struct sbx_state *st, struct sbx_error *err)
{
  unsigned long long start;
  int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);

  if (fd < 0)
    return sbx_fail(err, ESRCH, "container `%s` is not running", st->id);
  /* Checked after opening: the pidfd pins this exact process. */
  if (sbx_proc_start_time(st->pid, &start, NULL) < 0 || start != st->start_time) {
    close(fd);
    return sbx_fail(err, ESRCH, "container `%s` is not running", st->id);
  }
  return fd;
}
