/* unit.h: a tiny header-only test harness.
 *
 * A test case runs between unit_begin() and unit_end() (RUN(fn) does both
 * for a function); it passes when none of its CHECKs failed.  A failed
 * check prints where and why to stderr and the case goes on, so one run
 * shows every problem.  unit_finish() prints "<suite>: N passed, M failed"
 * and returns the exit status for main.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct {
  int passed, failed;
  bool case_failed;
  const char *case_name;
} unit;

static void unit_begin(const char *name)
{
  unit.case_name = name;
  unit.case_failed = false;
}

static void unit_end(void)
{
  if (unit.case_failed)
    unit.failed++;
  else
    unit.passed++;
}

#define RUN(fn) (unit_begin(#fn), fn(), unit_end())

static int unit_finish(const char *suite)
{
  printf("%s: %d passed, %d failed\n", suite, unit.passed, unit.failed);
  return unit.failed ? 1 : 0;
}

static bool unit_report(bool ok, const char *file, int line, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

static bool unit_report(bool ok, const char *file, int line, const char *fmt, ...)
{
  if (ok)
    return true;
  va_list ap;
  unit.case_failed = true;
  fprintf(stderr, "%s:%d: [%s] ", file, line, unit.case_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return false;
}

#define CHECK(cond) unit_report((cond), __FILE__, __LINE__, "check failed: %s", #cond)

/* Strings compare equal when both are NULL or both hold the same text. */
#define CHECK_STR(got, want)                                                  \
  ({                                                                          \
    const char *g_ = (got), *w_ = (want);                                     \
    unit_report(g_ == w_ || (g_ && w_ && strcmp(g_, w_) == 0), __FILE__,      \
                __LINE__, "%s: got \"%s\", want \"%s\"", #got,                \
                g_ ? g_ : "(null)", w_ ? w_ : "(null)");                      \
  })

#define CHECK_INT(got, want)                                                  \
  ({                                                                          \
    long long g_ = (long long) (got), w_ = (long long) (want);                \
    unit_report(g_ == w_, __FILE__, __LINE__, "%s: got %lld, want %lld", #got, g_, w_); \
  })

#define CHECK_U64(got, want)                                                  \
  ({                                                                          \
    unsigned long long g_ = (got), w_ = (want);                               \
    unit_report(g_ == w_, __FILE__, __LINE__, "%s: got %llu, want %llu", #got, g_, w_); \
  })

#endif
