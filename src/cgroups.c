/* cgroups.c: cgroup placement and lifetime for v1, v2 and hybrid hosts
 * (see cgroups.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct sbx_cgroup {
  char *path;
  char **created;   /* directories made by us, deepest last */
  size_t created_len;
};

static bool is_fs(const char *path, long magic)
{
  struct statfs sf;

  return statfs(path, &sf) == 0 && sf.f_type == magic;
}

enum sbx_cgroup_mode sbx_cgroup_mode(void)
{
  if (is_fs(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
    return SBX_CGROUP_V2;
  if (is_fs(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
    return SBX_CGROUP_HYBRID;
  return SBX_CGROUP_V1;
}

/* The mount points of every hierarchy: v1 controller dirs and the v2 one,
 * NULL-terminated, malloc'd. */
char **sbx_cgroup_mountpoints(void)
{
  cleanup_free char *text = NULL;
  char **list = NULL;
  size_t n = 0;
  char *line, *save = NULL;

  if (sbx_read_file("/proc/self/mountinfo", &text, NULL, NULL) < 0)
    return calloc(1, sizeof(char *));
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sep = strstr(line, " - ");
    char mnt[4096], fstype[64];
    char **grown;
    if (sep == NULL || sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    if (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0)
      continue;
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strncmp(mnt, CGROUP_ROOT "/", 15) != 0)
      continue;
    grown = realloc(list, (n + 2) * sizeof *list);
    if (grown == NULL)
      break;
    list = grown;
    list[n++] = strdup(mnt);
    list[n] = NULL;
  }
  return list ? list : calloc(1, sizeof(char *));
}

/* Does the comma-separated option list opts contain word? */
static bool has_option(const char *opts, const char *word)
{
  size_t n = strlen(word);

  for (const char *p = opts; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, word, n) == 0)
      return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

char *sbx_cgroup_controller_dir(const char *controller, const char *path)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL;

  if (sbx_read_file("/proc/self/mountinfo", &text, NULL, NULL) < 0)
    return NULL;
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sep = strstr(line, " - ");
    char mnt[4096], fstype[64], source[256], opts[1024];
    if (sep == NULL || sscanf(sep + 3, "%63s %255s %1023s", fstype, source, opts) != 3)
      continue;
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strncmp(mnt, CGROUP_ROOT, 14) != 0)
      continue;
    if (controller == NULL ? strcmp(fstype, "cgroup2") != 0
                           : strcmp(fstype, "cgroup") != 0 || !has_option(opts, controller))
      continue;
    return sbx_strdup_printf("%s%s", mnt, strcmp(path, "/") == 0 ? "" : path);
  }
  errno = ENOENT;
  return NULL;
}

/* The runtime's own cgroup in the pids (v1) or unified hierarchy. */
static char *own_cgroup(void)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL, *found = NULL;

  if (sbx_read_file("/proc/self/cgroup", &text, NULL, NULL) < 0)
    return strdup("/");
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    if (strcmp(c1 + 1, "") == 0 || strcmp(c1 + 1, "pids") == 0) {
      free(found);
      found = strdup(c2 + 1);
      if (strcmp(c1 + 1, "pids") == 0)
        break;
    }
  }
  return found ? found : strdup("/");
}

char *sbx_cgroup_resolve_path(const struct sbx_context *ctx, const char *id,
                              const struct oci_config *c, struct sbx_error *err)
{
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;
  cleanup_free char *own = NULL;
  char *out;

  if (p && ctx->systemd_cgroup && strchr(p, ':')) {
    /* slice:prefix:name, with no systemd to ask: its cgroupfs layout. */
    char slice[256], prefix[256], name[256];
    if (sscanf(p, "%255[^:]:%255[^:]:%255s", slice, prefix, name) != 3)
      return sbx_invalid(err, "linux.cgroupsPath: `%s` is not slice:prefix:name", p), NULL;
    out = sbx_strdup_printf("/%s/%s-%s.scope", slice, prefix, name);
  } else if (p && p[0] == '/') {
    out = strdup(p);
  } else {
    own = own_cgroup();
    out = sbx_strdup_printf("%s/%s", strcmp(own, "/") == 0 ? "" : own, p && *p ? p : id);
  }
  if (out && strstr(out, "/../")) {
    free(out);
    return sbx_invalid(err, "linux.cgroupsPath: `%s` leaves the hierarchy", p), NULL;
  }
  return out;
}

static int track(struct sbx_cgroup *cg, const char *dir)
{
  char **grown = realloc(cg->created, (cg->created_len + 1) * sizeof *grown);

  if (grown == NULL)
    return -1;
  cg->created = grown;
  cg->created[cg->created_len++] = strdup(dir);
  return 0;
}

/* A new v1 cpuset cgroup starts with no cpus and mems, and refuses tasks
 * until it has them: inherit the parent's. */
static int init_cpuset(const char *dir, struct sbx_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = strdup(dir);
  char *slash = parent ? strrchr(parent, '/') : NULL;

  if (slash == NULL)
    return sbx_fail(err, ENOMEM, "cpuset");
  *slash = '\0';
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *mine = sbx_strdup_printf("%s/%s", dir, files[i]);
    cleanup_free char *theirs = sbx_strdup_printf("%s/%s", parent, files[i]);
    cleanup_free char *value = NULL;
    if (mine == NULL || theirs == NULL || sbx_read_file(theirs, &value, NULL, err) < 0)
      return -1;
    /* An ancestor someone else made may be empty too: fill it first, up
     * to the hierarchy's root, which always has cpus and mems. */
    if (value[0] == '\n' || value[0] == '\0') {
      free(value);
      value = NULL;
      if (init_cpuset(parent, err) < 0 || sbx_read_file(theirs, &value, NULL, err) < 0)
        return -1;
    }
    if (sbx_write_file(mine, value, strlen(value), err) < 0)
      return -1;
  }
  return 0;
}

/* mkdir -p, remembering which levels we made so destroy removes only ours. */
static int make_dirs(struct sbx_cgroup *cg, const char *mnt, const char *path,
                     struct sbx_error *err)
{
  cleanup_free char *full = sbx_strdup_printf("%s%s", mnt, path);
  size_t base = strlen(mnt);

  if (full == NULL)
    return sbx_fail(err, ENOMEM, "cgroup");
  for (char *p = full + base + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(full, 0755) == 0) {
      track(cg, full);
      if (access(full, F_OK) == 0 && strstr(mnt, "/cpuset") && init_cpuset(full, err) < 0)
        return -1;
    } else if (errno != EEXIST)
      return sbx_fail(err, errno, "create cgroup `%s`", full);
    *p = saved;
    if (saved == '\0')
      break;
  }
  return 0;
}

int sbx_cgroup_create(const char *path, pid_t pid, struct sbx_cgroup **out,
                      struct sbx_error *err)
{
  struct sbx_cgroup *cg = calloc(1, sizeof *cg);
  char **mounts = sbx_cgroup_mountpoints();
  *out = cg;
  if (cg == NULL || mounts == NULL) {
    sbx_strv_free(mounts);
    return sbx_fail(err, ENOMEM, "cgroup");
  }
  cg->path = strdup(path);
  if (cg->path == NULL) {
    sbx_fail(err, ENOMEM, "cgroup");
    goto fail;
  }
  for (size_t i = 0; mounts[i]; i++)
    if (make_dirs(cg, mounts[i], cg->path, err) < 0)
      goto fail;
  /* A frozen cgroup would freeze init before it could report back. */
  if (sbx_cgroup_is_frozen(cg->path, false)) {
    sbx_invalid(err, "the container's cgroup `%s` is unexpectedly frozen", cg->path);
    goto fail;
  }
  if (sbx_cgroup_enter(cg->path, pid, err) < 0)
    goto fail;
  sbx_strv_free(mounts);
  return 0;
fail:
  sbx_strv_free(mounts);
  return sbx_wrap(err, "linux.cgroupsPath");
}

int sbx_cgroup_enter(const char *path, pid_t pid, struct sbx_error *err)
{
  char **mounts = sbx_cgroup_mountpoints();
  char pidtext[16];
  int n = snprintf(pidtext, sizeof pidtext, "%d", pid), ret = 0;

  for (size_t i = 0; ret == 0 && mounts && mounts[i]; i++) {
    cleanup_free char *procs = sbx_strdup_printf("%s%s/cgroup.procs", mounts[i], path);
    ret = procs ? sbx_write_file(procs, pidtext, n, err) : sbx_fail(err, ENOMEM, "cgroup");
  }
  sbx_strv_free(mounts);
  return ret;
}

/* One exec --cgroup value: "sub" (every hierarchy) or "ctrl[,ctrl]:sub". */
struct sub_cgroup {
  char *controllers;   /* NULL: every hierarchy */
  const char *sub;     /* relative to the container's cgroup, no leading '/' */
};

static int parse_sub(char *text, struct sub_cgroup *out, struct sbx_error *err)
{
  char *colon = strchr(text, ':');
  const char *p;

  *out = (struct sub_cgroup){ .sub = text };
  if (colon) {
    *colon = '\0';
    out->controllers = text;
    out->sub = colon + 1;
  }
  while (*out->sub == '/')
    out->sub++;
  for (p = out->sub; *p; p += strcspn(p, "/"), p += *p == '/') {
    size_t len = strcspn(p, "/");
    if (len == 2 && strncmp(p, "..", 2) == 0)
      return sbx_invalid(err, "--cgroup: %s is not a sub cgroup path", out->sub);
  }
  if (out->controllers) {
    cleanup_free char *list = strdup(out->controllers);
    char *save = NULL;
    if (list == NULL)
      return sbx_fail(err, ENOMEM, "--cgroup");
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
      cleanup_free char *dir = sbx_cgroup_controller_dir(name, "/");
      if (dir == NULL)
        return sbx_invalid(err, "--cgroup: unknown controller `%s`", name);
    }
  }
  return 0;
}

/* Does the hierarchy mounted at mnt carry one of the comma-separated controllers? */
static bool hierarchy_has(const char *mnt, const char *controllers)
{
  cleanup_free char *list = strdup(controllers);
  char *save = NULL;

  for (char *name = list ? strtok_r(list, ",", &save) : NULL; name;
       name = strtok_r(NULL, ",", &save)) {
    cleanup_free char *dir = sbx_cgroup_controller_dir(name, "/");
    if (dir && strcmp(dir, mnt) == 0)
      return true;
  }
  return false;
}

int sbx_cgroup_enter_sub(const char *path, pid_t pid, char *const *subs, size_t n,
                         struct sbx_error *err)
{
  struct sub_cgroup *parsed = calloc(n + 1, sizeof *parsed);
  char **copies = calloc(n + 1, sizeof *copies);
  char **mounts = sbx_cgroup_mountpoints();
  char pidtext[16];
  int len = snprintf(pidtext, sizeof pidtext, "%d", pid), ret = -1;

  if (parsed == NULL || copies == NULL || mounts == NULL) {
    sbx_fail(err, ENOMEM, "--cgroup");
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    if ((copies[i] = strdup(subs[i])) == NULL || parse_sub(copies[i], &parsed[i], err) < 0) {
      if (copies[i] == NULL)
        sbx_fail(err, ENOMEM, "--cgroup");
      goto out;
    }
  for (size_t m = 0; mounts[m]; m++) {
    cleanup_free char *procs = NULL;
    const char *sub = "";
    /* The last value naming this hierarchy (or all of them) wins. */
    for (size_t i = 0; i < n; i++)
      if (parsed[i].controllers == NULL || hierarchy_has(mounts[m], parsed[i].controllers))
        sub = parsed[i].sub;
    procs = sbx_strdup_printf("%s%s%s%s/cgroup.procs", mounts[m], path, *sub ? "/" : "", sub);
    if (procs == NULL) {
      sbx_fail(err, ENOMEM, "--cgroup");
      goto out;
    }
    if (sbx_write_file(procs, pidtext, len, err) < 0) {
      sbx_wrap(err, "--cgroup: adding pid %d", pid);
      goto out;
    }
  }
  ret = 0;
out:
  for (size_t i = 0; copies && i < n; i++)
    free(copies[i]);
  free(copies);
  free(parsed);
  sbx_strv_free(mounts);
  return ret;
}

const char *sbx_cgroup_path(const struct sbx_cgroup *cg)
{
  return cg->path;
}

int sbx_cgroup_destroy(struct sbx_cgroup *cg, struct sbx_error *err)
{
  int ret = 0;

  for (size_t i = cg->created_len; i-- > 0;)
    if (rmdir(cg->created[i]) < 0 && errno != ENOENT)
      ret = sbx_fail(err, errno, "remove cgroup `%s`", cg->created[i]);
  return ret;
}

void sbx_cgroup_free(struct sbx_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->created_len; i++)
    free(cg->created[i]);
  free(cg->created);
  free(cg->path);
  free(cg);
}

/* rmdir dir after its sub-cgroups, deepest first. */
static int remove_tree(const char *dir, struct sbx_error *err)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  int ret = 0;

  while (d && (de = readdir(d)) != NULL) {
    cleanup_free char *sub = NULL;
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    sub = sbx_strdup_printf("%s/%s", dir, de->d_name);
    if (sub && remove_tree(sub, err) < 0)
      ret = -1;
  }
  if (d)
    closedir(d);
  /* Exited tasks leave their cgroup asynchronously: retry briefly. */
  for (int tries = 0; tries < 500; tries++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return ret;
    if (errno != EBUSY)
      break;
    usleep(2000);
  }
  return sbx_fail(err, errno, "remove cgroup `%s`", dir);
}

int sbx_cgroup_remove_path(const char *path, bool systemd, struct sbx_error *err)
{
  char **mounts = sbx_cgroup_mountpoints();
  int ret = 0;

  for (size_t i = 0; mounts && mounts[i]; i++) {
    cleanup_free char *dir = sbx_strdup_printf("%s%s", mounts[i], path);
    if (dir && remove_tree(dir, err) < 0)
      ret = -1;
  }
  sbx_strv_free(mounts);
  return ret;
}

static char *freezer_file(const char *path, bool *v2)
{
  *v2 = sbx_cgroup_mode() == SBX_CGROUP_V2;
  return *v2 ? sbx_strdup_printf(CGROUP_ROOT "%s/cgroup.freeze", path)
             : sbx_strdup_printf(CGROUP_ROOT "/freezer%s/freezer.state", path);
}

bool sbx_cgroup_is_frozen(const char *path, bool systemd)
{
  bool v2;
  cleanup_free char *file = freezer_file(path, &v2);
  cleanup_free char *text = NULL;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0)
    return false;
  return v2 ? text[0] == '1' : strncmp(text, "FROZEN", 6) == 0;
}

static int set_freezer(const char *path, bool frozen, struct sbx_error *err)
{
  bool v2;
  cleanup_free char *file = freezer_file(path, &v2);
  const char *value = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");

  if (file == NULL)
    return sbx_fail(err, ENOMEM, "freezer");
  return sbx_write_file(file, value, strlen(value), err);
}

int sbx_cgroup_freeze(const char *path, bool systemd, struct sbx_error *err)
{
  return set_freezer(path, true, err);
}

int sbx_cgroup_thaw(const char *path, bool systemd, struct sbx_error *err)
{
  return set_freezer(path, false, err);
}

/* Append the pids of dir/cgroup.procs and of every sub-cgroup below it. */
static int collect_pids(const char *dir, pid_t **list, size_t *count, struct sbx_error *err)
{
  cleanup_free char *procs = sbx_strdup_printf("%s/cgroup.procs", dir);
  cleanup_free char *text = NULL;
  char *line, *save = NULL;
  DIR *d;
  struct dirent *de;

  if (procs == NULL || sbx_read_file(procs, &text, NULL, err) < 0)
    return -1;
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    long pid;
    pid_t *grown;
    if (!sbx_parse_long(line, &pid) || pid <= 0)
      continue;
    grown = realloc(*list, (*count + 1) * sizeof **list);
    if (grown == NULL)
      return sbx_fail(err, ENOMEM, "cgroup pids");
    *list = grown;
    (*list)[(*count)++] = (pid_t)pid;
  }
  /* Sub-cgroups (exec --cgroup, or made inside) belong to the container. */
  d = opendir(dir);
  while (d && (de = readdir(d)) != NULL) {
    cleanup_free char *sub = NULL;
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    sub = sbx_strdup_printf("%s/%s", dir, de->d_name);
    if (sub && collect_pids(sub, list, count, NULL) < 0 && errno == ENOMEM) {
      closedir(d);
      return sbx_fail(err, ENOMEM, "cgroup pids");
    }
  }
  if (d)
    closedir(d);
  return 0;
}

int sbx_cgroup_pids(const char *path, pid_t **pids, size_t *n, struct sbx_error *err)
{
  const char *hier = sbx_cgroup_mode() == SBX_CGROUP_V2 ? "" : "/pids";
  cleanup_free char *dir = sbx_strdup_printf(CGROUP_ROOT "%s%s", hier, path);
  pid_t *list = NULL;
  size_t count = 0;

  *pids = NULL;
  *n = 0;
  if (dir == NULL || collect_pids(dir, &list, &count, err) < 0) {
    free(list);
    return dir ? -1 : sbx_fail(err, ENOMEM, "cgroup pids");
  }
  *pids = list;
  *n = count;
  return 0;
}

int sbx_cgroup_kill_all(const char *path, bool systemd, int sig, struct sbx_error *err)
{
  pid_t *pids = NULL;
  size_t n = 0;

  if (sbx_cgroup_pids(path, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    kill(pids[i], sig);
  free(pids);
  return 0;
}

static unsigned long long read_number(const char *fmt, const char *path, const char *key)
{
  cleanup_free char *file = sbx_strdup_printf(fmt, path);
  cleanup_free char *text = NULL;
  const char *p;

  if (file == NULL || sbx_read_file(file, &text, NULL, NULL) < 0)
    return 0;
  if (key == NULL)
    return strtoull(text, NULL, 10);
  p = strstr(text, key);
  return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

void sbx_cgroup_usage(const char *path, unsigned long long *cpu_ns, unsigned long long *peak)
{
  if (sbx_cgroup_mode() == SBX_CGROUP_V2) {
    *cpu_ns = read_number(CGROUP_ROOT "%s/cpu.stat", path, "usage_usec ") * 1000;
    *peak = read_number(CGROUP_ROOT "%s/memory.peak", path, NULL);
  } else {
    *cpu_ns = read_number(CGROUP_ROOT "/cpuacct%s/cpuacct.usage", path, NULL);
    *peak = read_number(CGROUP_ROOT "/memory%s/memory.max_usage_in_bytes", path, NULL);
  }
}
