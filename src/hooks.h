/* hooks.h: running OCI lifecycle hooks (prestart, createRuntime, ...). */
#ifndef SBX_HOOKS_H
#define SBX_HOOKS_H

#include "error.h"
#include "oci_spec.h"

/* Run every hook of the list in order and stop at the first that fails.
 *
 * Each hook runs as a child process: execve(hook->path, hook->args, env)
 * (argv is just { path } when args is empty), with state_json (may be NULL:
 * empty input) on its stdin, and no other file descriptor open beyond 0-2.
 * env is hook->env; when the hook has no env, it inherits the runtime's
 * environment, as runc 1.1.5 does (Go's exec with a nil Env).
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
                  const char *phase_name, struct sbx_error *err);

#endif
