/* utils.c: file, string and process helpers (see utils.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

char *sbx_strdup_printf(const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

int sbx_read_fd(int fd, char **out, size_t *len, struct sbx_error *err)
{
  size_t cap = 4096, used = 0;
  char *buf = malloc(cap + 1);

  if (buf == NULL)
    return sbx_fail(err, ENOMEM, "read");
  for (;;) {
    ssize_t n;
    if (used == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (bigger == NULL) {
        free(buf);
        return sbx_fail(err, ENOMEM, "read");
      }
      buf = bigger;
      cap *= 2;
    }
    n = read(fd, buf + used, cap - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      free(buf);
      return sbx_fail(err, saved, "read");
    }
    if (n == 0)
      break;
    used += n;
  }
  buf[used] = '\0';
  *out = buf;
  if (len)
    *len = used;
  return 0;
}

int sbx_read_file(const char *path, char **out, size_t *len, struct sbx_error *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return sbx_fail(err, errno, "open `%s`", path);
  if (sbx_read_fd(fd, out, len, err) < 0)
    return sbx_wrap(err, "`%s`", path);
  return 0;
}

/* write(2) or, on a socket, send(MSG_NOSIGNAL) until all of buf is out. */
static int transfer_all(int fd, const void *buf, size_t len, bool socket)
{
  const char *p = buf;

  while (len > 0) {
    ssize_t n = socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= n;
  }
  return 0;
}

int sbx_write_all(int fd, const void *buf, size_t len)
{
  return transfer_all(fd, buf, len, false);
}

int sbx_write_file(const char *path, const char *data, size_t len, struct sbx_error *err)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return sbx_fail(err, errno, "open `%s`", path);
  if (sbx_write_all(fd, data, len) < 0)
    return sbx_fail(err, errno, "write `%s` to `%s`", data, path);
  return 0;
}

int sbx_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                          struct sbx_error *err)
{
  cleanup_free char *tmp = sbx_strdup_printf("%s.tmp.%d", path, getpid());
  int fd;

  if (tmp == NULL)
    return sbx_fail(err, ENOMEM, "write `%s`", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return sbx_fail(err, errno, "create `%s`", tmp);
  if (sbx_write_all(fd, data, len) < 0) {
    int saved = errno;
    close(fd);
    unlink(tmp);
    return sbx_fail(err, saved, "write `%s`", tmp);
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return sbx_fail(err, saved, "rename `%s` to `%s`", tmp, path);
  }
  return 0;
}

int sbx_mkdir_p(const char *path, mode_t mode, struct sbx_error *err)
{
  cleanup_free char *copy = strdup(path);
  char *p;

  if (copy == NULL)
    return sbx_fail(err, ENOMEM, "mkdir `%s`", path);
  for (p = copy + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
      return sbx_fail(err, errno, "mkdir `%s`", copy);
    *p = '/';
  }
  if (mkdir(copy, mode) < 0 && errno != EEXIST)
    return sbx_fail(err, errno, "mkdir `%s`", copy);
  return 0;
}

static int remove_tree_at(int dirfd, const char *name, struct sbx_error *err)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *dir;
  struct dirent *de;
  int ret = 0;

  if (fd < 0)
    return errno == ENOENT ? 0 : sbx_fail(err, errno, "open `%s`", name);
  dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return sbx_fail(err, errno, "opendir `%s`", name);
  }
  while (ret == 0 && (de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
      continue;
    if (errno == EISDIR || errno == EPERM)
      ret = remove_tree_at(fd, de->d_name, err);
    else
      ret = sbx_fail(err, errno, "unlink `%s`", de->d_name);
  }
  closedir(dir);
  if (ret == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    ret = sbx_fail(err, errno, "rmdir `%s`", name);
  return ret;
}

int sbx_remove_tree(const char *path, struct sbx_error *err)
{
  return remove_tree_at(AT_FDCWD, path, err);
}

int sbx_parse_signal(const char *s)
{
  long n;
  const char *name = s;

  if (sbx_parse_long(s, &n))
    return n >= 0 && n < NSIG ? (int)n : -1;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (int sig = 1; sig < NSIG; sig++) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev && strcasecmp(abbrev, name) == 0)
      return sig;
  }
  if (strncasecmp(name, "RTMIN+", 6) == 0 && sbx_parse_long(name + 6, &n) &&
      SIGRTMIN + n <= SIGRTMAX)
    return SIGRTMIN + (int)n;
  if (strncasecmp(name, "RTMAX-", 6) == 0 && sbx_parse_long(name + 6, &n) &&
      SIGRTMAX - n >= SIGRTMIN)
    return SIGRTMAX - (int)n;
  return -1;
}

int sbx_proc_start_time(pid_t pid, unsigned long long *start, char *state)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;

  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may hold spaces and parens: fields restart after the last ')'. */
  p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  if (state)
    *state = *p;
  /* p is field 3; start time is field 22. */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  *start = strtoull(p, NULL, 10);
  return 0;
}

char *sbx_rfc3339_now(void)
{
  struct timespec ts;
  struct tm tm;
  char date[64];

  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  return sbx_strdup_printf("%s.%09ldZ", date, ts.tv_nsec);
}

static bool is_executable_file(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *sbx_find_executable(const char *file, char *const env[], struct sbx_error *err)
{
  const char *path = NULL;

  if (file == NULL || *file == '\0') {
    sbx_invalid(err, "process.args: empty command");
    return NULL;
  }
  if (strchr(file, '/')) {
    int saved;
    errno = 0;
    if (is_executable_file(file))
      return strdup(file);
    saved = errno ? errno : EACCES;
    /* Engines map these words to exit codes 127 and 126, as for runc. */
    if (saved == ENOENT || saved == EACCES) {
      sbx_fail(err, 0, "exec `%s`: %s", file,
               saved == ENOENT ? "no such file or directory" : "permission denied");
      if (err)
        err->errnum = saved;
    } else {
      sbx_fail(err, saved, "exec `%s`", file);
    }
    return NULL;
  }
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], "PATH=", 5) == 0)
      path = env[i] + 5;
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *p = path; ; ) {
    const char *end = strchrnul(p, ':');
    cleanup_free char *candidate =
        sbx_strdup_printf("%.*s/%s", (int)(end - p), end == p ? "." : p, file);
    if (candidate && is_executable_file(candidate))
      return steal_pointer(&candidate);
    if (*end == '\0')
      break;
    p = end + 1;
  }
  sbx_fail(err, 0, "exec `%s`: executable file not found in $PATH", file);
  if (err)
    err->errnum = ENOENT;
  return NULL;
}

bool sbx_parse_long(const char *s, long *out)
{
  char *end;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  *out = strtol(s, &end, 10);
  return errno == 0 && *end == '\0';
}

void sbx_strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

bool sbx_parse_size(const char *s, int64_t *out)
{
  static const char units[] = "kmgt";
  char *end;
  long long n;
  int shift = 0;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  n = strtoll(s, &end, 10);
  if (errno || end == s)
    return false;
  if (n == -1 && *end == '\0') {
    *out = -1;
    return true;
  }
  if (n < 0)
    return false;
  if (*end) {
    const char *u = strchr(units, tolower((unsigned char)*end));
    if (u == NULL)
      return false;
    shift = 10 * (int)(u - units + 1);
    end++;
    if (*end == 'b' || *end == 'B')
      end++;
  }
  if (*end || (shift && n > (INT64_MAX >> shift)))
    return false;
  *out = (int64_t)n << shift;
  return true;
}

/* connect() to a path too long for sun_path through /proc/self/fd/N/NAME
 * of its directory. */
static int connect_long(int sock, const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *slash = strrchr(path, '/');
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = -1;
  int n;

  if (slash == NULL) {
    errno = ENAMETOOLONG;
    return -1;
  }
  dir = strndup(path, (size_t)(slash - path) + 1);
  if (dir == NULL)
    return -1;
  dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return -1;
  n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, slash + 1);
  if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return connect(sock, (struct sockaddr *)&addr, sizeof(addr));
}

int sbx_unix_connect(const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r, saved;

  if (sock < 0)
    return -1;
  do {
    if (strlen(path) < sizeof(addr.sun_path)) {
      strcpy(addr.sun_path, path);
      r = connect(sock, (struct sockaddr *)&addr, sizeof(addr));
    } else {
      r = connect_long(sock, path);
    }
  } while (r < 0 && errno == EINTR);
  if (r == 0)
    return sock;
  saved = errno;
  close(sock);
  errno = saved;
  return -1;
}

int sbx_send_all(int fd, const void *buf, size_t len)
{
  return transfer_all(fd, buf, len, true);
}

int sbx_write_pid_file(const char *path, pid_t pid, struct sbx_error *err)
{
  char text[16];
  int n = snprintf(text, sizeof text, "%d", pid);

  /* Relative to the caller's directory, which the runtime never leaves. */
  if (path && sbx_write_file_atomic(path, text, n, 0644, err) < 0)
    return sbx_wrap(err, "--pid-file");
  return 0;
}

int64_t sbx_ms_since_rfc3339(const char *when, const struct timespec *now)
{
  struct tm tm;
  const char *rest;
  long nanos = 0;
  time_t secs;

  memset(&tm, 0, sizeof tm);
  if (when == NULL || (rest = strptime(when, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
    return 0;
  if (*rest == '.')
    nanos = strtol(rest + 1, NULL, 10);
  secs = timegm(&tm);
  return (int64_t)(now->tv_sec - secs) * 1000 + (now->tv_nsec - nanos) / 1000000;
}
