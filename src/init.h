/* init.h: the container's first process, from clone to execve.  It builds
 * the container's world in the new namespaces (rootfs, /dev, console,
 * hostname, sysctl), reports every step to the runtime over the sync
 * socket, then waits on exec.fifo for `start` and becomes the user process. */
#ifndef SBX_INIT_H
#define SBX_INIT_H

#include <stdbool.h>

#include "capabilities.h"
#include "seccomp_filter.h"
#include "oci_spec.h"

struct sbx_init_args {
  const struct oci_config *config;
  const char *config_json;   /* config as JSON when the caller has it, else NULL */
  const char *rootfs;        /* absolute host path */
  const char *bundle;        /* absolute host path */
  int sync_fd;               /* init's end of the sync socket */
  int fifo_fd;               /* exec.fifo, read end: `start` writes a byte */
  int console_fd;            /* where the pty master goes, or -1 */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool new_userns;
  bool in_userns;            /* new or joined: device nodes are bind-mounted */
  bool new_cgroupns;         /* unshared by init once it is in its cgroup */
  const char *cgroup_path;
  struct sbx_caps caps;       /* resolved by the runtime before clone */
  bool exec_mode;             /* exec into a running container, no setup */
  struct sbx_seccomp_program seccomp; /* compiled by the runtime; bpf NULL: none */
  struct sbx_seccomp_program policy_seccomp; /* the policy's layer, on top */
  const char *fs_policy;      /* create: the effective policy (canonical
                                 JSON) when it restricts the filesystem or
                                 exec, else "" */
  const char *landlock_plan;  /* exec: the container's Landlock grants
                                 (landlock.h text form), else "" */
  int trail_fd;               /* audit.commands: where the command trail's
                                 listener goes (command_trail.h), or -1 */
  int mntns_fd;               /* exec: the container's mount namespace,
                                 joined after the re-exec (whose loader and
                                 libraries are the host's), or -1 */
};

/* In the cloned child: re-execute the sealed copy of the runtime (exe_fd)
 * as `agentsbx init SYNC_FD`; never returns. */
__attribute__((noreturn)) void sbx_init_exec(const struct sbx_init_args *a, int exe_fd);

/* The runtime's side: send the arguments the re-executed init reads. */
int sbx_init_args_send(int fd, const struct sbx_init_args *a, struct sbx_error *err);

/* `agentsbx init SYNC_FD`: read the arguments, then run init.  Never
 * returns: execs the user process or exits non-zero after sending the
 * error on the sync socket (or printing it once create has returned). */
__attribute__((noreturn)) void sbx_init_main(const char *sync_fd_arg);

#endif
