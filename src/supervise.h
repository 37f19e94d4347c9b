/* supervise.h: a container process in the foreground (run, exec without
 * -d): signals sent to the runtime are forwarded to it, its terminal is
 * carried between the pty master and our stdio, and its exit status is
 * returned the shell way (128+signal when killed). */
#ifndef SBX_SUPERVISE_H
#define SBX_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct sbx_supervisor {
  sigset_t forwarded;   /* blocked while supervising */
  sigset_t saved;       /* the mask to restore */
  int sigfd;
  int console[2];       /* socketpair: init sends the pty master on [1] */
};

/* Before spawning: block the forwarded signals (so none is lost) and
 * become a subreaper; want_console makes the console socketpair. */
int sbx_supervise_begin(struct sbx_supervisor *s, bool want_console, struct sbx_error *err);
/* After the process started: proxy its terminal (if it sent one), forward
 * signals, reap it; *exit_code gets its status. */
int sbx_supervise_wait(struct sbx_supervisor *s, pid_t pid, int *exit_code, struct sbx_error *err);
void sbx_supervise_end(struct sbx_supervisor *s);

#endif
