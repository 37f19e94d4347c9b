/* error.c: building and chaining error values (see error.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_message(struct sbx_error *err, int errnum, char *msg)
{
  if (err == NULL) {
    free(msg);
    return -1;
  }
  free(err->msg);
  err->msg = msg;
  err->errnum = errnum;
  return -1;
}

int sbx_fail(struct sbx_error *err, int errnum, const char *fmt, ...)
{
  char *text = NULL, *full = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&text, fmt, ap) < 0)
    text = NULL;
  va_end(ap);
  if (text != NULL && errnum != 0) {
    if (asprintf(&full, "%s: %s", text, strerror(errnum)) < 0)
      full = NULL;
    free(text);
    text = full;
  }
  return set_message(err, errnum, text ? text : strdup("out of memory"));
}

int sbx_invalid(struct sbx_error *err, const char *fmt, ...)
{
  char *text = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&text, fmt, ap) < 0)
    text = NULL;
  va_end(ap);
  return set_message(err, EINVAL, text ? text : strdup("out of memory"));
}

int sbx_wrap(struct sbx_error *err, const char *fmt, ...)
{
  char *prefix = NULL, *full = NULL;
  va_list ap;

  if (err == NULL)
    return -1;
  va_start(ap, fmt);
  if (vasprintf(&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end(ap);
  if (prefix == NULL)
    return -1;
  if (asprintf(&full, "%s: %s", prefix, err->msg ? err->msg : "unknown error") < 0)
    full = NULL;
  free(prefix);
  if (full == NULL)
    return -1;
  free(err->msg);
  err->msg = full;
  return -1;
}

int sbx_fail_take(struct sbx_error *err, int errnum, char *msg)
{
  return set_message(err, errnum, msg ? msg : strdup("unknown error"));
}

void sbx_error_clear(struct sbx_error *err)
{
  if (err == NULL)
    return;
  free(err->msg);
  err->msg = NULL;
  err->errnum = 0;
}
