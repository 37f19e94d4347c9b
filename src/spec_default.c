/* spec_default.c: builds the default config.json of the `spec` command
 * with yajl_gen, in the field order runc uses (see spec_default.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spec_default.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* A generator that remembers whether any call failed, so that the builders
 * below read as the document they produce. */
struct gen {
  yajl_gen g;
  int bad;
};

static void str(struct gen *g, const char *s)
{
  g->bad |= yajl_gen_string(g->g, (const unsigned char *)s, strlen(s));
}

static void num(struct gen *g, long long n)
{
  g->bad |= yajl_gen_integer(g->g, n);
}

static void boolean(struct gen *g, int b)
{
  g->bad |= yajl_gen_bool(g->g, b);
}

static void map_open(struct gen *g) { g->bad |= yajl_gen_map_open(g->g); }
static void map_close(struct gen *g) { g->bad |= yajl_gen_map_close(g->g); }
static void array_open(struct gen *g) { g->bad |= yajl_gen_array_open(g->g); }
static void array_close(struct gen *g) { g->bad |= yajl_gen_array_close(g->g); }

static void kv_str(struct gen *g, const char *key, const char *value)
{
  str(g, key);
  str(g, value);
}

static void kv_num(struct gen *g, const char *key, long long value)
{
  str(g, key);
  num(g, value);
}

/* "key": [ items... ] from a NULL-terminated list. */
static void kv_strings(struct gen *g, const char *key, const char *const *items)
{
  str(g, key);
  array_open(g);
  for (; *items != NULL; items++)
    str(g, *items);
  array_close(g);
}

/* ---- process ---- */

static const char *const default_caps[] = {
  "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

static void gen_process(struct gen *g)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "TERM=xterm",
    NULL,
  };

  str(g, "process");
  map_open(g);
  str(g, "terminal");
  boolean(g, 1);
  str(g, "user");
  map_open(g);
  kv_num(g, "uid", 0);
  kv_num(g, "gid", 0);
  map_close(g);
  kv_strings(g, "args", args);
  kv_strings(g, "env", env);
  kv_str(g, "cwd", "/");

  /* runc leaves inheritable out, so the ambient set is not raised. */
  str(g, "capabilities");
  map_open(g);
  kv_strings(g, "bounding", default_caps);
  kv_strings(g, "effective", default_caps);
  kv_strings(g, "permitted", default_caps);
  kv_strings(g, "ambient", default_caps);
  map_close(g);

  str(g, "rlimits");
  array_open(g);
  map_open(g);
  kv_str(g, "type", "RLIMIT_NOFILE");
  kv_num(g, "hard", 1024);
  kv_num(g, "soft", 1024);
  map_close(g);
  array_close(g);

  str(g, "noNewPrivileges");
  boolean(g, 1);
  map_close(g);
}

/* ---- mounts ---- */

static void gen_mount(struct gen *g, const char *dest, const char *type, const char *source,
                      const char *const *options)
{
  map_open(g);
  kv_str(g, "destination", dest);
  kv_str(g, "type", type);
  kv_str(g, "source", source);
  if (options != NULL)
    kv_strings(g, "options", options);
  map_close(g);
}

static void gen_mounts(struct gen *g, bool rootless)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  /* gid=5 (tty) cannot be used without a mapping for it: rootless omits it. */
  static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620", "gid=5", NULL };
  static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance",
                                              "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
                                     NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  /* A user namespace without its own network namespace may not mount
   * sysfs: rootless binds the host's. */
  static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  str(g, "mounts");
  array_open(g);
  gen_mount(g, "/proc", "proc", "proc", NULL);
  gen_mount(g, "/dev", "tmpfs", "tmpfs", dev);
  gen_mount(g, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
  gen_mount(g, "/dev/shm", "tmpfs", "shm", shm);
  gen_mount(g, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  if (rootless)
    gen_mount(g, "/sys", "none", "/sys", sys_rootless);
  else
    gen_mount(g, "/sys", "sysfs", "sysfs", sys);
  gen_mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
  array_close(g);
}

/* ---- linux ---- */

static void gen_id_mapping(struct gen *g, const char *key, unsigned host_id)
{
  str(g, key);
  array_open(g);
  map_open(g);
  kv_num(g, "containerID", 0);
  kv_num(g, "hostID", host_id);
  kv_num(g, "size", 1);
  map_close(g);
  array_close(g);
}

static void gen_namespaces(struct gen *g, bool rootless)
{
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const types_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };

  str(g, "namespaces");
  array_open(g);
  for (const char *const *t = rootless ? types_rootless : types; *t != NULL; t++) {
    map_open(g);
    kv_str(g, "type", *t);
    map_close(g);
  }
  array_close(g);
}

static void gen_linux(struct gen *g, bool rootless)
{
  static const char *const masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi", NULL,
  };
  static const char *const readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
  };

  str(g, "linux");
  map_open(g);
  if (rootless) {
    gen_id_mapping(g, "uidMappings", (unsigned)geteuid());
    gen_id_mapping(g, "gidMappings", (unsigned)getegid());
  } else {
    /* Deny every device; the runtime allows its default ones itself. */
    str(g, "resources");
    map_open(g);
    str(g, "devices");
    array_open(g);
    map_open(g);
    str(g, "allow");
    boolean(g, 0);
    kv_str(g, "access", "rwm");
    map_close(g);
    array_close(g);
    map_close(g);
  }
  gen_namespaces(g, rootless);
  kv_strings(g, "maskedPaths", masked);
  kv_strings(g, "readonlyPaths", readonly);
  map_close(g);
}

static void gen_document(struct gen *g, bool rootless)
{
  map_open(g);
  kv_str(g, "ociVersion", "1.2.0");
  gen_process(g);
  str(g, "root");
  map_open(g);
  kv_str(g, "path", "rootfs");
  str(g, "readonly");
  boolean(g, 1);
  map_close(g);
  kv_str(g, "hostname", "agentsbx");
  gen_mounts(g, rootless);
  gen_linux(g, rootless);
  map_close(g);
}

char *sbx_spec_default_json(bool rootless)
{
  struct gen g = { yajl_gen_alloc(NULL), 0 };
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (g.g == NULL)
    return NULL;
  yajl_gen_config(g.g, yajl_gen_beautify, 1);
  yajl_gen_config(g.g, yajl_gen_indent_string, "  ");
  gen_document(&g, rootless);
  if (!g.bad && yajl_gen_get_buf(g.g, &buf, &len) == yajl_gen_status_ok) {
    out = malloc(len + 2);
    if (out != NULL) {
      memcpy(out, buf, len);
      /* yajl ends a beautified document with a newline; make sure. */
      if (len == 0 || out[len - 1] != '\n')
        out[len++] = '\n';
      out[len] = '\0';
    }
  }
  yajl_gen_free(g.g);
  return out;
}
