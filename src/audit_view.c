/* audit_view.c: the audit log read back, filtered, as JSON or a table (see
 * audit_view.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "audit_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "utils.h"

const char *sbx_audit_view_header(void)
{
  return "TIME                        CONTAINER     EVENT               DETAILS";
}

static const char *str(yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);
  return v ? YAJL_GET_STRING(v) : NULL;
}

/* A scalar as text: strings as they are, numbers and booleans as JSON. */
static void append_value(FILE *f, yajl_val v)
{
  if (YAJL_IS_STRING(v))
    fputs(v->u.string, f);
  else if (YAJL_IS_NUMBER(v))
    fputs(v->u.number.r, f);
  else if (YAJL_IS_TRUE(v))
    fputs("true", f);
  else if (YAJL_IS_FALSE(v))
    fputs("false", f);
  else if (YAJL_IS_ARRAY(v)) {
    for (size_t i = 0; i < v->u.array.len; i++) {
      if (i)
        fputc(' ', f);
      append_value(f, v->u.array.values[i]);
    }
  } else if (YAJL_IS_OBJECT(v)) {
    fputc('{', f);
    for (size_t i = 0; i < v->u.object.len; i++) {
      fprintf(f, "%s%s=", i ? " " : "", v->u.object.keys[i]);
      append_value(f, v->u.object.values[i]);
    }
    fputc('}', f);
  } else {
    fputs("null", f);
  }
}

static yajl_val get(yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get(root, path, yajl_t_any);
}

/* The details of the events whose few fields say it all; others: key=value. */
static void details(FILE *f, yajl_val root, const char *event)
{
  static const char *const skip[] = { "time", "event", "container", "policy", NULL };
  yajl_val argv = get(root, "argv");

  if (argv && (strcmp(event, "command_executed") == 0 || strcmp(event, "exec_denied") == 0)) {
    yajl_val pid = get(root, "pid"), uid = get(root, "uid"), cwd = get(root, "cwd");
    fprintf(f, "pid=%s uid=%s cwd=%s: ", YAJL_IS_NUMBER(pid) ? pid->u.number.r : "?",
            YAJL_IS_NUMBER(uid) ? uid->u.number.r : "?",
            YAJL_IS_STRING(cwd) ? cwd->u.string : "?");
    append_value(f, argv);
    if (strcmp(event, "exec_denied") == 0)
      fprintf(f, "  [refused: %s]", str(root, "rule") ? str(root, "rule") : "?");
    if (YAJL_IS_NUMBER(get(root, "suppressed")))
      fprintf(f, "  (+%s suppressed before)", get(root, "suppressed")->u.number.r);
    return;
  }
  for (size_t i = 0, n = 0; YAJL_IS_OBJECT(root) && i < root->u.object.len; i++) {
    const char *k = root->u.object.keys[i];
    bool skipped = false;
    for (size_t j = 0; skip[j]; j++)
      skipped |= strcmp(k, skip[j]) == 0;
    if (skipped)
      continue;
    fprintf(f, "%s%s=", n++ ? " " : "", k);
    append_value(f, root->u.object.values[i]);
  }
}

char *sbx_audit_view_row(const char *line)
{
  char errbuf[128];
  yajl_val root = yajl_tree_parse(line, errbuf, sizeof errbuf);
  const char *time, *container, *event;
  char *out = NULL;
  size_t len = 0;
  FILE *f;

  if (root == NULL || !YAJL_IS_OBJECT(root)) {
    yajl_tree_free(root);
    return NULL;
  }
  time = str(root, "time");
  container = str(root, "container");
  event = str(root, "event");
  f = open_memstream(&out, &len);
  if (f) {
    fprintf(f, "%-27s %-13.12s %-19s ", time ? time : "?", container ? container : "?",
            event ? event : "?");
    details(f, root, event ? event : "");
    fclose(f);
  }
  yajl_tree_free(root);
  return out;
}

/* Does the line pass the filters?  A cheap parse of the two fields. */
static bool matches(const struct sbx_audit_view *v, const char *line)
{
  char errbuf[128];
  yajl_val root;
  bool ok;

  if (v->container == NULL && v->event == NULL)
    return true;
  root = yajl_tree_parse(line, errbuf, sizeof errbuf);
  ok = root && YAJL_IS_OBJECT(root);
  if (ok && v->container)
    ok = str(root, "container") && strcmp(str(root, "container"), v->container) == 0;
  if (ok && v->event)
    ok = str(root, "event") && strcmp(str(root, "event"), v->event) == 0;
  yajl_tree_free(root);
  return ok;
}

static void emit_line(const struct sbx_audit_view *v, const char *line)
{
  if (!matches(v, line))
    return;
  if (v->json) {
    v->emit(v->ctx, line);
  } else {
    cleanup_free char *row = sbx_audit_view_row(line);
    if (row)
      v->emit(v->ctx, row);
  }
}

/* Emit the whole lines f has; a partial last line waits for its end. */
static void drain(const struct sbx_audit_view *v, FILE *f, char **pending, size_t *plen)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] != '\n') {
      /* keep it: the writer's line is not all there yet */
      char *joined = sbx_strdup_printf("%s%s", *pending ? *pending : "", line);
      free(*pending);
      *pending = joined;
      *plen = joined ? strlen(joined) : 0;
      break;
    }
    line[n - 1] = '\0';
    if (*pending) {
      cleanup_free char *joined = sbx_strdup_printf("%s%s", *pending, line);
      free(*pending);
      *pending = NULL;
      if (joined)
        emit_line(v, joined);
    } else {
      emit_line(v, line);
    }
  }
  clearerr(f);
  free(line);
}

int sbx_audit_view_run(const struct sbx_audit_view *v, struct sbx_error *err)
{
  FILE *f = fopen(v->path, "re");
  char *pending = NULL;
  size_t plen = 0;
  struct stat a, b;

  if (f == NULL)
    return sbx_fail(err, errno, "audit log `%s`", v->path);
  if (!v->json)
    v->emit(v->ctx, sbx_audit_view_header());
  drain(v, f, &pending, &plen);
  while (v->follow && !(v->stop && v->stop(v->ctx))) {
    usleep(200000);
    drain(v, f, &pending, &plen);
    /* Rotated: the rest of the old file, then the new one. */
    if (fstat(fileno(f), &a) == 0 && stat(v->path, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)) {
      FILE *next = fopen(v->path, "re");
      if (next) {
        drain(v, f, &pending, &plen);
        fclose(f);
        f = next;
        free(pending);
        pending = NULL;
        drain(v, f, &pending, &plen);
      }
    }
  }
  free(pending);
  fclose(f);
  return 0;
}
