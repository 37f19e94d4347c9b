/* sync.h: the messages between the runtime and the container's init over
 * a socketpair: each side waits for the other at every step of create, and
 * an error in the container travels back as text with its errno. */
#ifndef SBX_SYNC_H
#define SBX_SYNC_H

#include <stddef.h>

#include "error.h"

enum sbx_sync_type {
  SYNC_GO = 1,       /* parent -> init: id maps and cgroup are in place */
  SYNC_CHILD_PID,    /* helper -> parent: pid of init (joined namespaces) */
  SYNC_NS_READY,     /* init -> parent: namespaces exist, run createRuntime */
  SYNC_CONTINUE,     /* parent -> init: set up the rootfs (data: state JSON) */
  SYNC_READY,        /* init -> parent: waiting for start */
  SYNC_DONE,         /* parent -> init: state saved, create returns */
  SYNC_ERROR,        /* init -> parent: value = errno, data = message */
  SYNC_INIT_ARGS,    /* parent -> re-executed init: its arguments */
  SYNC_MOUNT_FD,     /* runtime -> init in a user namespace: value = mount
                        index, with the bind source's fd; -1 and no fd ends */
};

/* The largest message, so the largest config.json create accepts (runc
 * takes configs of 100 MB; the whole config travels to init). */
#define SBX_SYNC_MAX_MESSAGE (256u * 1024 * 1024)
#define SBX_CONFIG_MAX (SBX_SYNC_MAX_MESSAGE - 1024 * 1024)

int sbx_sync_send(int fd, int type, int value, const void *data, size_t len);
int sbx_sync_send_error(int fd, const struct sbx_error *e);
/* Wait for a message of the expected type; an SYNC_ERROR from the peer
 * becomes the returned error, EOF is reported as the peer having died. */
int sbx_sync_expect(int fd, int type, int *value, char **data, struct sbx_error *err);
/* The same, also giving the payload's length (it may hold NUL bytes). */
int sbx_sync_expect_data(int fd, int type, char **data, size_t *len, struct sbx_error *err);
/* A message without payload carrying a file descriptor (passed, or none
 * when -1) as SCM_RIGHTS; *passed is -1 when none came (CLOEXEC). */
int sbx_sync_send_fd(int fd, int type, int value, int passed);
int sbx_sync_expect_fd(int fd, int type, int *value, int *passed, struct sbx_error *err);

#endif
