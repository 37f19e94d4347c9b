/* run.c: `run`: create and start; in the foreground also supervise the
 * container until it exits and delete it (unless --keep). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "container.h"
#include "supervise.h"

static int run_detached(const struct sbx_context *ctx, const char *id,
                        const struct sbx_run_options *opts, struct sbx_error *err)
{
  if (sbx_container_create(ctx, id, &opts->create, NULL, err) < 0)
    return -1;
  if (sbx_container_start(ctx, id, err) < 0) {
    sbx_container_delete(ctx, id, true, NULL);
    return -1;
  }
  return 0;
}

int sbx_container_run(const struct sbx_context *ctx, const char *id,
                      const struct sbx_run_options *opts, int *exit_status,
                      struct sbx_error *err)
{
  struct sbx_create_options create = opts->create;
  struct sbx_supervisor s;
  pid_t pid;
  int ret = -1;

  *exit_status = 0;
  if (opts->detach)
    return run_detached(ctx, id, opts, err);
  /* Without --console-socket a terminal comes back to us. */
  if (sbx_supervise_begin(&s, create.console_socket == NULL, err) < 0)
    goto out;
  create.console_fd = s.console[1];
  create.foreground = true;
  if (sbx_container_create(ctx, id, &create, &pid, err) < 0)
    goto out;
  if (sbx_container_start(ctx, id, err) < 0 || sbx_supervise_wait(&s, pid, exit_status, err) < 0) {
    sbx_container_delete(ctx, id, true, NULL);
    goto out;
  }
  ret = 0;
  if (!opts->keep && sbx_container_delete(ctx, id, true, err) < 0)
    ret = -1;
out:
  sbx_supervise_end(&s);
  return ret;
}
