/* audit.c: JSON-lines audit events (see audit.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "utils.h"

static void gen_str(yajl_gen g, const char *s)
{
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_field(yajl_gen g, const struct sbx_audit_field *f)
{
  gen_str(g, f->key);
  switch (f->kind) {
  case SBX_AUDIT_STRING:
    gen_str(g, f->string ? f->string : "");
    break;
  case SBX_AUDIT_INT:
    yajl_gen_integer(g, f->integer);
    break;
  case SBX_AUDIT_STRINGS:
    yajl_gen_array_open(g);
    for (size_t i = 0; f->strings && f->strings[i]; i++)
      gen_str(g, f->strings[i]);
    yajl_gen_array_close(g);
    break;
  case SBX_AUDIT_RAW:
    yajl_gen_number(g, f->string, strlen(f->string));
    break;
  }
}

static int open_log(const char *path, struct sbx_error *err)
{
  cleanup_free char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW, 0600);

  if (fd >= 0 || errno != ENOENT || slash == NULL || slash == dir)
    return fd >= 0 ? fd : sbx_fail(err, errno, "audit log `%s`", path);
  *slash = '\0';
  if (sbx_mkdir_p(dir, 0700, err) < 0)
    return -1;
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW, 0600);
  return fd >= 0 ? fd : sbx_fail(err, errno, "audit log `%s`", path);
}

int sbx_audit(const struct sbx_audit_target *t, const char *event,
              const struct sbx_audit_field *fields, size_t n, struct sbx_error *err)
{
  cleanup_free char *now = NULL;
  cleanup_close int fd = -1;
  const unsigned char *buf;
  size_t len;
  yajl_gen g;
  int ret = 0;

  if (t == NULL || t->path == NULL)
    return 0;
  now = sbx_rfc3339_now();
  g = yajl_gen_alloc(NULL);
  if (g == NULL || now == NULL) {
    if (g)
      yajl_gen_free(g);
    return sbx_fail(err, ENOMEM, "audit");
  }
  yajl_gen_map_open(g);
  gen_str(g, "time"), gen_str(g, now);
  gen_str(g, "event"), gen_str(g, event);
  gen_str(g, "container"), gen_str(g, t->container_id ? t->container_id : "");
  gen_str(g, "policy"), gen_str(g, t->policy ? t->policy : "");
  for (size_t i = 0; i < n; i++)
    gen_field(g, &fields[i]);
  yajl_gen_map_close(g);
  yajl_gen_get_buf(g, &buf, &len);
  {
    /* One write of the whole line: O_APPEND keeps lines whole. */
    cleanup_free char *line = malloc(len + 1);
    if (line == NULL)
      ret = sbx_fail(err, ENOMEM, "audit");
    else {
      memcpy(line, buf, len);
      line[len] = '\n';
      fd = open_log(t->path, err);
      if (fd < 0 || write(fd, line, len + 1) != (ssize_t)(len + 1))
        ret = fd < 0 ? -1 : sbx_fail(err, errno, "write audit log `%s`", t->path);
    }
  }
  yajl_gen_free(g);
  return ret;
}
