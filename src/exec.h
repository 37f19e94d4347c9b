/* exec.h: `exec`: run another process in a running (or created) container:
 * the container's namespaces and cgroup, the process given by -p or by the
 * config's with the command line's changes, its capabilities, rlimits,
 * no_new_privs and user, in the foreground or detached. */
#ifndef SBX_EXEC_H
#define SBX_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "error.h"

struct sbx_exec_options {
  const char *process_file;     /* -p: a runtime-spec process object */
  char **args;                  /* the command, unless -p */
  size_t args_len;
  bool detach;
  bool tty;
  const char *console_socket;
  const char *pid_file;
  char **env;                   /* -e K=V, added or replacing */
  size_t env_len;
  const char *cwd;
  const char *user;             /* -u UID[:GID] */
  unsigned *additional_gids;
  size_t additional_gids_len;
  char **caps;                  /* --cap, added to every set */
  size_t caps_len;
  bool no_new_privs;
  int preserve_fds;
  bool ignore_paused;
  char **cgroups;               /* --cgroup [ctrl[,ctrl]:]sub, in order */
  size_t cgroups_len;
};

/* *exit_code: the process's status in the foreground, 0 when detached. */
int sbx_container_exec(const struct sbx_context *ctx, const char *id,
                       const struct sbx_exec_options *o, int *exit_code, struct sbx_error *err);

#endif
