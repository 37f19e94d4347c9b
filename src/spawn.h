/* spawn.h: starting the process that becomes a container's init (create)
 * or a process in a running container (exec).  It is cloned directly with
 * its new namespaces, or, when namespaces must first be joined, by a
 * short-lived helper that joins them and clones it with CLONE_PARENT so it
 * is still our child.  Either way it re-executes the sealed copy of the
 * runtime and then waits on the sync socket. */
#ifndef SBX_SPAWN_H
#define SBX_SPAWN_H

#include <sys/types.h>

#include "error.h"
#include "init.h"

struct sbx_spawn {
  unsigned long clone_flags;   /* CLONE_NEW* for the child */
  /* NULL: clone directly.  Else it runs in the helper before the clone and
   * may adjust *flags (a namespace it unshared itself is dropped). */
  int (*join)(void *data, unsigned long *flags, struct sbx_error *err);
  void *join_data;
  struct sbx_init_args args;   /* args.sync_fd is set by sbx_spawn */
};

/* Returns the child's pid (in our pid namespace) and our end of the sync
 * socket in *sync_fd. */
pid_t sbx_spawn(struct sbx_spawn *sp, int *sync_fd, struct sbx_error *err);

#endif
