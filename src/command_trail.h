/* command_trail.h: the audit's command trail (audit.commands): a
 * command_executed line for every execve/execveat by any process of the
 * container, an exec_denied line for one the policy refuses (exec
 * allowlist, noexec mount).
 *
 * Mechanism: a seccomp filter returning USER_NOTIF for execve and execveat
 * (native, x32 and i386), installed last by init and by every `agentsbx
 * exec` process; the listener goes to the container's supervisor
 * (monitor.h) over a socket, and init closes it before it runs anything.
 * For each notification the supervisor reads, while the caller is stopped
 * in the syscall: the pid, ppid, uid and cwd (/proc), the path and argv
 * (the caller's memory), and resolves the path in the container's root
 * (/proc/PID/root, RESOLVE_IN_ROOT) to tell a run from a miss (ENOENT,
 * not executable: no line, as a PATH search makes many) and from a
 * refusal (exec_denied); then it lets the syscall go on
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and writes the line.
 *
 * What it is not: an enforcement.  The kernel (Landlock, noexec, seccomp)
 * decides; the record is what the supervisor saw at the notification.  A
 * thread sharing the caller's memory can change argv between the read and
 * the kernel's copy (TOCTOU); an exec the kernel still fails past the
 * checks above (a bad ELF, E2BIG) is recorded as run.  A config whose own
 * seccomp has a NOTIFY agent excludes the trail (the kernel allows one
 * listener per filter chain): create says so in the log and in stderr.
 *
 * If the supervisor is gone (killed from the host), the listener is closed
 * and the kernel fails every execve of the container with ENOSYS: the
 * container cannot run a command that would not be recorded. */
#ifndef SBX_COMMAND_TRAIL_H
#define SBX_COMMAND_TRAIL_H

#include <stdbool.h>

#include "context.h"
#include "error.h"
#include "monitor.h"
#include "seccomp_filter.h"

/* In create, before init is spawned: a socketpair whose one end init gets
 * (*init_fd) and whose other end, with a listening socket in the state
 * directory for `agentsbx exec`, become the supervisor's sources. */
int sbx_trail_prepare(const struct sbx_context *ctx, const char *id, struct sbx_monitor_spec *spec,
                      int *init_fd, struct sbx_error *err);

/* In `agentsbx exec`: a socket connected to the container's supervisor,
 * for the exec'd process's listener; -1 with err when there is none. */
int sbx_trail_connect(const struct sbx_context *ctx, const char *id, struct sbx_error *err);

/* In init and in an exec process, as its last seccomp filter: install the
 * trail filter and send its listener over sock, then close both. */
int sbx_trail_install(int sock, struct sbx_error *err);

#endif
