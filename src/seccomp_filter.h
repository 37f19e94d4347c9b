/* seccomp_filter.h: linux.seccomp.  (Not "seccomp.h": with -Isrc that name
 * would shadow libseccomp's <seccomp.h>.)
 *
 * The filter is compiled with libseccomp in the runtime (host) process,
 * before anything of the container exists, so that a bad profile is
 * reported early and leaves nothing behind.  The result is a plain
 * classic-BPF program plus the seccomp(2) flags to load it with; those bytes
 * are handed to the container's init, which installs them with the raw
 * seccomp(2) syscall right before execve of the user process (init does not
 * need libseccomp's filter state).
 *
 * Semantics follow the runtime-spec (config-linux.md, "Seccomp") as runc
 * implements them:
 *  - SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD; SCMP_ACT_ERRNO and
 *    SCMP_ACT_TRACE take errnoRet (defaultErrnoRet for the default action),
 *    EPERM when absent; errnoRet is ignored by the other actions.
 *  - Syscall names this libseccomp does not know for the native
 *    architecture are skipped silently (an older kernel/profile mismatch
 *    must not stop the container).
 *  - A rule whose action (with its errno) equals the default action is
 *    skipped (libseccomp refuses such rules).
 *  - Conditions of one rule are ANDed, except that when two or more of
 *    them name the same argument index, every condition of that rule
 *    becomes a rule of its own (so they are ORed), as runc does.
 *  - SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the value that
 *    (arg & mask) must equal.
 *  - flags: SECCOMP_FILTER_FLAG_TSYNC is accepted and ignored (the init is
 *    single-threaded; TSYNC cannot be combined with NEW_LISTENER);
 *    SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW are passed to
 *    seccomp(2); SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only together with
 *    NEW_LISTENER (the kernel refuses it alone), i.e. when a rule uses
 *    SCMP_ACT_NOTIFY.  A flag the kernel does not support is an error.
 *  - With a defaultAction other than ALLOW, LOG and TRACE (and a default
 *    errno other than ENOSYS), a syscall numbered above every syscall the
 *    profile names for its architecture fails with ENOSYS (runc's -ENOSYS
 *    stub: new syscalls such as clone3 make libc fall back instead of
 *    failing with EPERM or killing).  Architectures whose filter names no
 *    syscall, and s390/s390x, get no stub.
 *  - Architectures must share the native endianness (libseccomp).
 *  - SCMP_ACT_NOTIFY: not as defaultAction, not for `write` (runc refuses
 *    it) nor `sendmsg` (the init sends the listener with it after the
 *    filter is on), and listenerPath is required then.  Without a NOTIFY
 *    rule, listenerPath and listenerMetadata are ignored.
 *
 * Nothing here keeps global state: sbx_seccomp_compile() can be called for
 * several programs (the config's, the policy engine's).
 */
#ifndef SBX_SECCOMP_FILTER_H
#define SBX_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "oci_spec.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct sbx_seccomp_program {
  void *bpf;            /* struct sock_filter array (malloc'd); NULL: no filter */
  size_t len;           /* bytes (a multiple of sizeof(struct sock_filter)) */
  unsigned int flags;   /* SECCOMP_FILTER_FLAG_* for seccomp(2): LOG,
                           SPEC_ALLOW, NEW_LISTENER (when notify),
                           WAIT_KILLABLE_RECV (only with NEW_LISTENER) */
  bool notify;          /* some rule uses SCMP_ACT_NOTIFY: needs a listener */
};

/* Compile s into out (which the caller releases).  Validates every field
 * and names its JSON path in errors, e.g.
 *   "linux.seccomp.syscalls[2].action: unknown seccomp action `SCMP_ACT_FOO`".
 * A profile with neither defaultAction nor syscalls means "no seccomp" (as
 * runc): out->bpf is NULL and installing it does nothing. */
int sbx_seccomp_compile(const struct oci_seccomp *s, struct sbx_seccomp_program *out,
                        struct sbx_error *err);
void sbx_seccomp_program_release(struct sbx_seccomp_program *p);

/* In the container init: seccomp(SECCOMP_SET_MODE_FILTER, p->flags, prog).
 * *listener (may be NULL when !p->notify) gets the close-on-exec listener
 * fd when p->notify, else -1.  Does not set NO_NEW_PRIVS: without it the
 * caller must still hold CAP_SYS_ADMIN (the caller orders the two).  A
 * program without bpf is a no-op. */
int sbx_seccomp_install(const struct sbx_seccomp_program *p, int *listener,
                        struct sbx_error *err);

/* Connect to linux.seccomp.listenerPath, a SOCK_STREAM unix socket of the
 * seccomp agent.  Paths longer than sun_path work too.  Returns the
 * connected close-on-exec socket, or -1. */
int sbx_seccomp_listener_connect(const char *listener_path, struct sbx_error *err);

/* Send the listener fd to the agent over sock (from
 * sbx_seccomp_listener_connect) in one SCM_RIGHTS message whose data is the
 * runtime-spec "container process state":
 *   {"ociVersion": ..., "fds": ["seccompFd"], "pid": PID,
 *    "metadata": metadata (omitted when NULL or empty), "state": STATE}
 * state_json is the state document (a JSON object); pid and ociVersion are
 * taken from it.  The caller closes sock afterwards (the spec wants one
 * state per connection). */
int sbx_seccomp_send_listener(int sock, int listener, const char *state_json,
                              const char *metadata, struct sbx_error *err);

/* The linux.seccomp part of `features`: enabled, the actions, operators and
 * architectures (those this libseccomp knows) and flags this module takes,
 * and supportedFlags (the flags the kernel accepts).  The strings are
 * static; archs.items and supported_flags.items are malloc'd (free those
 * arrays, not their strings).
 * runc 1.2 lists the same names. */
int sbx_seccomp_features(struct oci_features_seccomp *out, struct sbx_error *err);

#endif
