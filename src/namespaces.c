/* namespaces.c: clone flags, setns by path, id maps, time offsets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

static const struct {
  const char *type;
  const char *proc_name;
  int flag;
} ns_table[] = {
  /* user first: joining it first grants the rights to join the others. */
  { "user", "user", CLONE_NEWUSER },       { "pid", "pid", CLONE_NEWPID },
  { "network", "net", CLONE_NEWNET },      { "ipc", "ipc", CLONE_NEWIPC },
  { "uts", "uts", CLONE_NEWUTS },          { "cgroup", "cgroup", CLONE_NEWCGROUP },
  { "time", "time", CLONE_NEWTIME },       { "mount", "mnt", CLONE_NEWNS },
};
#define NS_COUNT (sizeof ns_table / sizeof ns_table[0])

int sbx_ns_flag(const char *type)
{
  for (size_t i = 0; i < NS_COUNT; i++)
    if (strcmp(ns_table[i].type, type) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *sbx_ns_proc_name(const char *type)
{
  for (size_t i = 0; i < NS_COUNT; i++)
    if (strcmp(ns_table[i].type, type) == 0)
      return ns_table[i].proc_name;
  return NULL;
}

int sbx_ns_new_flags(const struct oci_linux *l)
{
  int flags = 0;

  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (l->namespaces[i].path == NULL || l->namespaces[i].path[0] == '\0')
      flags |= sbx_ns_flag(l->namespaces[i].type);
  return flags;
}

bool sbx_ns_has_joins(const struct oci_linux *l)
{
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (l->namespaces[i].path && l->namespaces[i].path[0])
      return true;
  return false;
}

static int open_ns_path(const struct oci_namespace *ns, struct sbx_error *err)
{
  int fd = open(ns->path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return sbx_fail(err, errno, "open %s namespace `%s`", ns->type, ns->path);
  return fd;
}

int sbx_ns_check_paths(const struct oci_linux *l, struct sbx_error *err)
{
  /* A new user namespace without maps has no root to become (EINVAL). */
  if (sbx_ns_new_flags(l) & CLONE_NEWUSER) {
    if (l->uid_mappings_len == 0)
      return sbx_invalid(err, "linux.uidMappings: a new user namespace needs uid mappings");
    if (l->gid_mappings_len == 0)
      return sbx_invalid(err, "linux.gidMappings: a new user namespace needs gid mappings");
  }
  for (size_t i = 0; l && i < l->namespaces_len; i++) {
    const struct oci_namespace *ns = &l->namespaces[i];
    cleanup_close int fd = -1;
    if (ns->path == NULL || ns->path[0] == '\0')
      continue;
    fd = open_ns_path(ns, err);
    if (fd < 0)
      return sbx_wrap(err, "linux.namespaces[%zu].path", i);
    /* NS_GET_NSTYPE would be exact; the setns() later refuses a wrong type
     * too, but only after spawning, so check the magic here cheaply. */
  }
  return 0;
}

int sbx_ns_join_all(const struct oci_linux *l, struct sbx_error *err)
{
  for (size_t t = 0; t < NS_COUNT; t++) {
    for (size_t i = 0; l && i < l->namespaces_len; i++) {
      const struct oci_namespace *ns = &l->namespaces[i];
      cleanup_close int fd = -1;
      if (ns->path == NULL || ns->path[0] == '\0' || strcmp(ns->type, ns_table[t].type) != 0)
        continue;
      fd = open_ns_path(ns, err);
      if (fd < 0)
        return -1;
      if (setns(fd, ns_table[t].flag) < 0)
        return sbx_fail(err, errno, "join %s namespace `%s`", ns->type, ns->path);
    }
  }
  return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                     struct sbx_error *err)
{
  char path[64];
  cleanup_free char *text = NULL;
  size_t len = 0;
  FILE *f;

  if (n == 0)
    return 0;
  f = open_memstream(&text, &len);
  if (f == NULL)
    return sbx_fail(err, errno, "write %s", file);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose(f);
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  return sbx_write_file(path, text, len, err);
}

int sbx_ns_write_id_maps(pid_t pid, const struct oci_linux *l, struct sbx_error *err)
{
  if (write_map(pid, "uid_map", l->uid_mappings, l->uid_mappings_len, err) < 0)
    return sbx_wrap(err, "linux.uidMappings");
  if (write_map(pid, "gid_map", l->gid_mappings, l->gid_mappings_len, err) < 0)
    return sbx_wrap(err, "linux.gidMappings");
  return 0;
}

int sbx_ns_write_time_offsets(const struct oci_linux *l, struct sbx_error *err)
{
  for (size_t i = 0; l && i < l->time_offsets_len; i++) {
    const struct oci_time_offset *o = &l->time_offsets[i];
    char line[96];
    int n = snprintf(line, sizeof line, "%s %lld %u\n", o->clock, (long long)o->secs,
                     o->nanosecs);
    if (sbx_write_file("/proc/self/timens_offsets", line, n, err) < 0)
      return sbx_wrap(err, "linux.timeOffsets.%s", o->clock);
  }
  return 0;
}
