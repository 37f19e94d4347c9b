/* spawn.c: clone the container's process, directly or through a helper
 * that joins namespaces first (see spawn.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spawn.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloned_binary.h"
#include "sync.h"
#include "utils.h"

/* The kernel shows /proc/PID/cmdline and /proc/PID/environ from the
 * process's own memory: the runtime's command line (a token given with
 * `exec -e`, the state root) and the environment of whoever ran it.  A
 * process the container can see must show neither: blank both areas, whose
 * bounds are fields 48 to 51 of /proc/self/stat. */
static int hide_runtime_args(struct sbx_error *err)
{
  cleanup_free char *stat = NULL;
  unsigned long area[4];   /* arg_start, arg_end, env_start, env_end */
  char *field;
  int n = 3;

  if (sbx_read_file("/proc/self/stat", &stat, NULL, err) < 0)
    return sbx_wrap(err, "hide the runtime's arguments");
  field = strrchr(stat, ')');
  for (field = field ? strtok(field + 1, " ") : NULL; field && n < 48;
       field = strtok(NULL, " "))
    n++;
  for (int i = 0; i < 4; i++, field = strtok(NULL, " ")) {
    char *end;
    if (field == NULL || (area[i] = strtoul(field, &end, 10), *end != '\0' && *end != '\n'))
      return sbx_fail(err, EPROTO, "hide the runtime's arguments: unexpected /proc/self/stat");
  }
  for (int i = 0; i < 4; i += 2)
    if (area[i] < area[i + 1])
      memset((void *)area[i], 0, area[i + 1] - area[i]);
  return 0;
}

/* The child cannot report before the runtime sends GO. */
static __attribute__((noreturn)) void child_fail(struct sbx_spawn *sp, struct sbx_error *err)
{
  sbx_sync_expect(sp->args.sync_fd, SYNC_GO, NULL, NULL, NULL);
  sbx_sync_send_error(sp->args.sync_fd, err);
  _exit(1);
}

static pid_t raw_clone(unsigned long flags)
{
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static __attribute__((noreturn)) void child_run(struct sbx_spawn *sp, int parent_end,
                                               int exe_fd)
{
  cleanup_error struct sbx_error err = { 0 };
  sigset_t none;

  /* Cloned into its own pid namespace (nobody else is there yet) or by the
   * helper, which did both already. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (hide_runtime_args(&err) < 0)
    child_fail(sp, &err);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close(parent_end);
  /* Die with the runtime until it has handed over. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sbx_init_exec(&sp->args, exe_fd);
}

static __attribute__((noreturn)) void helper_run(struct sbx_spawn *sp, int parent_end,
                                                int exe_fd)
{
  cleanup_error struct sbx_error err = { 0 };
  unsigned long flags = sp->clone_flags;
  pid_t pid;

  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Its child appears in the container's pid namespace at once: it must
   * never be dumpable, nor show the runtime's arguments or environment. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (sp->join(sp->join_data, &flags, &err) < 0 || hide_runtime_args(&err) < 0)
    goto fail;
  /* CLONE_PARENT: the process becomes the runtime's child, to be waited on. */
  pid = raw_clone(flags | CLONE_PARENT);
  if (pid == 0)
    child_run(sp, parent_end, exe_fd);
  if (pid < 0) {
    sbx_fail(&err, errno, "clone the container process");
    goto fail;
  }
  sbx_sync_send(sp->args.sync_fd, SYNC_CHILD_PID, pid, NULL, 0);
  _exit(0);
fail:
  sbx_sync_send_error(sp->args.sync_fd, &err);
  _exit(1);
}

pid_t sbx_spawn(struct sbx_spawn *sp, int *sync_fd, struct sbx_error *err)
{
  int pair[2];
  cleanup_close int exe_fd = -1;
  pid_t child, pid;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return sbx_fail(err, errno, "socketpair");
  sp->args.sync_fd = pair[1];
  exe_fd = sbx_cloned_binary_open(err);
  if (exe_fd < 0)
    goto fail;
  child = sp->join ? fork() : raw_clone(sp->clone_flags);
  if (child < 0) {
    sbx_fail(err, errno, "clone the container process");
    goto fail;
  }
  if (child == 0) {
    if (sp->join)
      helper_run(sp, pair[0], exe_fd);
    child_run(sp, pair[0], exe_fd);
  }
  pid = child;
  if (sp->join) {
    int value = 0;
    int r = sbx_sync_expect(pair[0], SYNC_CHILD_PID, &value, NULL, err);
    waitpid(child, NULL, 0);
    if (r < 0)
      goto fail;
    pid = value;
  }
  close(pair[1]);
  *sync_fd = pair[0];
  return pid;
fail:
  close(pair[0]);
  close(pair[1]);
  return -1;
}
