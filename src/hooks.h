/* hooks.h: running OCI lifecycle hooks (prestart, createRuntime, ...). */
#ifndef SBX_HOOKS_H
#define SBX_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "oci_spec.h"
#include "seccomp_filter.h"

/* What a hook run from inside the container (createContainer,
 * startContainer) gets instead of the runtime's own state. */
struct sbx_hook_sandbox {
  char **default_env;          /* the env of a hook without one (the
                                  process's, as runc); the runtime's own
                                  environment is never passed */
  size_t default_env_len;
  /* Installed in the hook's child, in this order, right before its execve
   * (NULL or no bpf: none); with no_new_privs, PR_SET_NO_NEW_PRIVS first. */
  const struct sbx_seccomp_program *seccomp[2];
  bool no_new_privs;
};

/* Run every hook of the list in order and stop at the first that fails.
 *
 * Each hook runs as a child process: execve(hook->path, hook->args, env)
 * (argv is just { path } when args is empty), with state_json (may be NULL:
 * empty input) on its stdin, and no other file descriptor open beyond 0-2.
 * env is hook->env; when the hook has no env, it gets sb->default_env, or
 * without sb the runtime's environment, as runc 1.1.5 does (Go's exec with a
 * nil Env).  sb (NULL for the host's hooks) also names the seccomp filters
 * the hook runs under; a filter that cannot be installed fails the hook:
 *   "startContainer hook #0 /bin/foo: install the seccomp filter: ..."
 *
 * Like runc, the hook's stdout and stderr are captured (the first 64 KiB of
 * each): discarded on success, quoted in the error on failure.  A hook that
 * does not read its stdin is fine.  With a timeout the hook is SIGKILLed
 * when it runs past it.  The wait uses a pidfd, so no signal handler is
 * involved; SIGCHLD must not be ignored (SIG_IGN would auto-reap).
 *
 * phase_name names the phase in messages ("prestart", "createRuntime"...):
 *   "prestart hook #0 /bin/foo: exited with status 3, stdout: ..., stderr: ..."
 *   "prestart hook #1 /bin/bar: killed by signal SIGSEGV"
 *   "poststop hook #0 /bin/baz: timed out after 5 seconds"
 *   "createRuntime hook #0 /nonexist: exec: No such file or directory" */
int sbx_hooks_run(const struct oci_hook_list *hooks, const char *state_json,
                  const char *phase_name, const struct sbx_hook_sandbox *sb,
                  struct sbx_error *err);

#endif
