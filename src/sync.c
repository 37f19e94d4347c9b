/* sync.c: length-prefixed messages on the runtime <-> init socket. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "utils.h"

struct sync_header {
  int32_t type;
  int32_t value;
  uint32_t len;
};

int sbx_sync_send(int fd, int type, int value, const void *data, size_t len)
{
  struct sync_header h = { .type = type, .value = value, .len = (uint32_t)len };

  if (len > SBX_SYNC_MAX_MESSAGE) {
    errno = EMSGSIZE;
    return -1;
  }

  if (sbx_send_all(fd, &h, sizeof h) < 0)
    return -1;
  return len ? sbx_send_all(fd, data, len) : 0;
}

int sbx_sync_send_error(int fd, const struct sbx_error *e)
{
  const char *msg = e && e->msg ? e->msg : "unknown error";

  return sbx_sync_send(fd, SYNC_ERROR, e ? e->errnum : 0, msg, strlen(msg));
}

static int read_exact(int fd, void *buf, size_t len)
{
  char *p = buf;

  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n == 0 ? 0 : -1;
    p += n;
    len -= n;
  }
  return 1;
}

static const char *type_name(int type)
{
  static const char *const names[] = { "", "go", "child pid", "namespaces ready", "continue",
                                       "ready", "done", "error", "init arguments",
                                       "bind source" };
  return type > 0 && type <= SYNC_MOUNT_FD ? names[type] : "unknown";
}

/* The rest of a message whose header h was read. */
static int finish(int fd, const struct sync_header h, int type, int *value, char **data,
                  size_t *len, struct sbx_error *err)
{
  cleanup_free char *payload = NULL;

  if (h.len > SBX_SYNC_MAX_MESSAGE)
    return sbx_fail(err, EPROTO, "`%s` message of %u bytes: more than the %u allowed",
                    type_name(h.type), h.len, SBX_SYNC_MAX_MESSAGE);
  payload = malloc(h.len + 1);
  if (payload == NULL)
    return sbx_fail(err, ENOMEM, "sync message");
  if (h.len && read_exact(fd, payload, h.len) <= 0)
    return sbx_fail(err, EPIPE, "the container process exited mid-message");
  payload[h.len] = '\0';
  if (h.type == SYNC_ERROR) {
    sbx_fail_take(err, h.value, steal_pointer(&payload));
    return -1;
  }
  if (h.type != type)
    return sbx_fail(err, EPROTO, "expected `%s` from the container process, got `%s`",
                    type_name(type), type_name(h.type));
  if (value)
    *value = h.value;
  if (len)
    *len = h.len;
  if (data)
    *data = steal_pointer(&payload);
  return 0;
}

static int expect(int fd, int type, int *value, char **data, size_t *len,
                  struct sbx_error *err)
{
  struct sync_header h;
  int r = read_exact(fd, &h, sizeof h);

  if (r <= 0)
    return sbx_fail(err, r < 0 ? errno : EPIPE,
                    "the container process exited before `%s`", type_name(type));
  return finish(fd, h, type, value, data, len, err);
}

int sbx_sync_send_fd(int fd, int type, int value, int passed)
{
  struct sync_header h = { .type = type, .value = value, .len = 0 };
  struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  memset(&control, 0, sizeof control);
  if (passed >= 0) {
    struct cmsghdr *c;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passed, sizeof(int));
  }
  do
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n >= 0 && (size_t)n != sizeof h) {
    errno = EPIPE;
    return -1;
  }
  return n < 0 ? -1 : 0;
}

int sbx_sync_expect_fd(int fd, int type, int *value, int *passed, struct sbx_error *err)
{
  struct sync_header h;
  struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  ssize_t n;

  *passed = -1;
  do
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (*passed < 0)
        *passed = got;
      else
        close(got);
    }
  }
  if (n != (ssize_t)sizeof h) {
    if (*passed >= 0)
      close(*passed);
    *passed = -1;
    return sbx_fail(err, n < 0 ? errno : EPIPE, "the runtime exited before `%s`",
                    type_name(type));
  }
  if (finish(fd, h, type, value, NULL, NULL, err) < 0) {
    if (*passed >= 0)
      close(*passed);
    *passed = -1;
    return -1;
  }
  return 0;
}

int sbx_sync_expect(int fd, int type, int *value, char **data, struct sbx_error *err)
{
  return expect(fd, type, value, data, NULL, err);
}

int sbx_sync_expect_data(int fd, int type, char **data, size_t *len, struct sbx_error *err)
{
  return expect(fd, type, NULL, data, len, err);
}
