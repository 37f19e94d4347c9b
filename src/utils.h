/* utils.h: small file, string and process helpers shared by the library
 * and the CLI, and the cleanup attributes that free what we allocate. */
#ifndef SBX_UTILS_H
#define SBX_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

static inline void sbx_freep(void *p) { free(*(void **)p); }
static inline void sbx_closep(int *fd)
{
  if (*fd >= 0)
    close(*fd);
}
#define cleanup_free __attribute__((cleanup(sbx_freep)))
#define cleanup_close __attribute__((cleanup(sbx_closep)))

/* Give ownership away from a cleanup variable. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

char *sbx_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file into a NUL-terminated buffer. */
int sbx_read_file(const char *path, char **out, size_t *len, struct sbx_error *err);
int sbx_read_fd(int fd, char **out, size_t *len, struct sbx_error *err);
/* Write data to path through a temporary file and rename(2): readers see the
 * old or the new content, never a partial one. */
int sbx_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                          struct sbx_error *err);
/* Write a short string to an existing file (sysfs, procfs, cgroupfs). */
int sbx_write_file(const char *path, const char *data, size_t len, struct sbx_error *err);
int sbx_write_all(int fd, const void *buf, size_t len);
/* send(MSG_NOSIGNAL) all of buf: a peer that died is an error, not SIGPIPE. */
int sbx_send_all(int fd, const void *buf, size_t len);
/* A connected SOCK_STREAM unix socket (CLOEXEC) to path, even one longer
 * than sun_path; -1 with errno. */
int sbx_unix_connect(const char *path);
/* --pid-file: the pid, written atomically (a NULL path does nothing). */
int sbx_write_pid_file(const char *path, pid_t pid, struct sbx_error *err);

int sbx_mkdir_p(const char *path, mode_t mode, struct sbx_error *err);
/* rm -rf of a directory that this runtime created (does not cross mounts). */
int sbx_remove_tree(const char *path, struct sbx_error *err);

/* "SIGKILL", "KILL", "kill", "9" -> 9; -1 when unknown. */
int sbx_parse_signal(const char *s);
/* Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), and its state letter; -1 when it does not exist. */
int sbx_proc_start_time(pid_t pid, unsigned long long *start, char *state);

/* Current time as RFC 3339 with nanoseconds, UTC: 2026-01-02T03:04:05.123456789Z */
char *sbx_rfc3339_now(void);

/* Milliseconds from an RFC 3339 UTC time (as sbx_rfc3339_now writes) to
 * now; 0 when it does not parse. */
int64_t sbx_ms_since_rfc3339(const char *when, const struct timespec *now);

/* Search PATH (as found in env) for file, checking it is an executable
 * regular file; absolute or relative paths with a slash are checked as is. */
char *sbx_find_executable(const char *file, char *const env[], struct sbx_error *err);

/* Free a NULL-terminated array of strings. */
void sbx_strv_free(char **v);

/* A byte size: "1024", "10k", "512M", "1g" (K/M/G/T, powers of 1024, an
 * optional trailing b/B), or "-1" for unlimited. */
bool sbx_parse_size(const char *s, int64_t *out);

/* Parse a decimal integer fully; false on garbage or range errors. */
bool sbx_parse_long(const char *s, long *out);

#endif
