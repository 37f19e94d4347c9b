/* error.h: errors as values.  The library never prints or exits: a failing
 * function returns -1 (or NULL) and fills a struct sbx_error with the errno
 * and a message that carries its context, e.g.
 *   "mount `proc` on `/work/rootfs/proc`: Operation not permitted".
 * The CLI decides how to show it. */
#ifndef SBX_ERROR_H
#define SBX_ERROR_H

#include <stdarg.h>

struct sbx_error {
  int errnum;   /* 0 when the failure has no errno (a bad value, say) */
  char *msg;    /* malloc'd; NULL when no error is set */
};

/* Set err (freeing an earlier message) and return -1.  With errnum != 0 the
 * text of strerror(errnum) is appended after ": ". */
int sbx_fail(struct sbx_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A bad value or request: errnum EINVAL, and no strerror text appended
 * (the message says what is wrong). */
int sbx_invalid(struct sbx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix an existing error with more context: "ctx: old message". */
int sbx_wrap(struct sbx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Take ownership of a malloc'd message (as oci-spec returns). */
int sbx_fail_take(struct sbx_error *err, int errnum, char *msg);
void sbx_error_clear(struct sbx_error *err);

#define cleanup_error __attribute__((cleanup(sbx_error_clear)))

#endif
