/* container.h: the library's lifecycle API, one call per runc command:
 * create, start, state, kill, delete, list, run.  Each call validates its
 * input, does its work, and on failure leaves nothing behind. */
#ifndef SBX_CONTAINER_H
#define SBX_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"
#include "oci_spec.h"
#include "state.h"

struct sbx_create_options {
  const char *bundle;          /* NULL: the current directory */
  const char *console_socket;
  const char *pid_file;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  /* Internal, for `run -t` in the foreground: the pty master is sent on
   * this socket instead of --console-socket.  -1 when unused. */
  int console_fd;
  bool foreground;             /* `run` without -d: the caller waits */
};

int sbx_container_create(const struct sbx_context *ctx, const char *id,
                         const struct sbx_create_options *opts, pid_t *pid,
                         struct sbx_error *err);
int sbx_container_start(const struct sbx_context *ctx, const char *id, struct sbx_error *err);
int sbx_container_kill(const struct sbx_context *ctx, const char *id, int sig, bool all,
                       struct sbx_error *err);
int sbx_container_delete(const struct sbx_context *ctx, const char *id, bool force,
                         struct sbx_error *err);

/* runc's state document: ociVersion, id, pid, status, bundle, rootfs,
 * created, owner, annotations.  Pretty-printed JSON, malloc'd. */
int sbx_container_state_json(const struct sbx_context *ctx, const char *id, char **json,
                             struct sbx_error *err);

struct sbx_container_info {
  struct sbx_state state;
  enum sbx_status status;
};
int sbx_container_list(const struct sbx_context *ctx, struct sbx_container_info **out,
                       size_t *n, struct sbx_error *err);
void sbx_container_list_free(struct sbx_container_info *list, size_t n);
/* runc list --format json: an array of state documents, on one line. */
char *sbx_container_list_json(const struct sbx_container_info *list, size_t n);

/* pause (true) freezes the container's cgroup; resume (false) thaws it. */
int sbx_container_pause(const struct sbx_context *ctx, const char *id, bool pause,
                        struct sbx_error *err);
/* The pids of every process in the container's cgroup (malloc'd). */
int sbx_container_pids(const struct sbx_context *ctx, const char *id, pid_t **pids, size_t *n,
                       struct sbx_error *err);

struct sbx_run_options {
  struct sbx_create_options create;
  bool detach;
  bool keep;
};
/* create + start, then (unless detached) forward signals and the terminal
 * until the container exits; *exit_status is its status (128+signal when
 * killed), and the container is deleted unless keep. */
int sbx_container_run(const struct sbx_context *ctx, const char *id,
                      const struct sbx_run_options *opts, int *exit_status,
                      struct sbx_error *err);

/* The hook state document for a container in a given status. */
char *sbx_container_hook_state(const char *id, pid_t pid, const char *status,
                               const char *bundle, const struct oci_config *c);

#endif
