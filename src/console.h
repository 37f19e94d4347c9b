/* console.h: terminals for process.terminal: creating the pty inside the
 * container, making it the process's controlling terminal, handing the
 * master to the --console-socket, and the foreground copy loop of `run -t`. */
#ifndef SBX_CONSOLE_H
#define SBX_CONSOLE_H

#include <sys/types.h>

#include "error.h"

/* Open a new pty pair from /dev/ptmx (O_NOCTTY, close-on-exec).  Call it
 * inside the container after its /dev/pts is mounted so that the pty
 * belongs to the container's devpts.  *slave_path is malloc'd
 * ("/dev/pts/0"). */
int sbx_console_open_pty(int *master, char **slave_path, struct sbx_error *err);

/* Make slave_path the controlling terminal and the stdin, stdout and stderr
 * of the calling process.  Calls setsid() first unless the caller already
 * leads its own session (then it must not have a controlling terminal). */
int sbx_console_setup_slave(const char *slave_path, struct sbx_error *err);

/* TIOCSWINSZ. */
int sbx_console_set_size(int fd, unsigned height, unsigned width, struct sbx_error *err);
/* Clear ONLCR on the pty (through either end), so that the container's
 * "\n" reaches the reader as "\n" rather than "\r\n", as runc's foreground
 * mode and recvtty do. */
int sbx_console_clear_onlcr(int fd, struct sbx_error *err);
/* Copy the window size of terminal from onto terminal to (TIOCGWINSZ ->
 * TIOCSWINSZ). */
int sbx_console_copy_size(int from, int to, struct sbx_error *err);

/* Send fd over a unix socket with SCM_RIGHTS.  name (may be NULL) is sent
 * as the message payload: runc sends the pty's path there and tools such as
 * recvtty read it.  Used for the pty master and the seccomp listener. */
int sbx_console_send_fd(int sock, int fd, const char *name, struct sbx_error *err);

/* Receive one fd sent by sbx_console_send_fd (or runc); it arrives
 * close-on-exec.  *name (if name is not NULL) gets the malloc'd payload. */
int sbx_console_recv_fd(int sock, int *fd, char **name, struct sbx_error *err);

/* Connect to the --console-socket (a SOCK_STREAM unix socket); returns the
 * connected, close-on-exec socket.  Paths longer than sun_path work too. */
int sbx_console_connect(const char *socket_path, struct sbx_error *err);

/* The foreground side of `run -t` / `exec -t` without a console socket. */
struct sbx_console_proxy {
  int master;    /* the pty master; set non-blocking by the proxy */
  int in_fd;     /* usually 0; -1 for no input.  When it is a terminal it is
                    put in raw mode for the duration and its window size is
                    followed (SIGWINCH) */
  int out_fd;    /* usually 1 */
  pid_t child;   /* the container process, or <= 0 to run until hang-up */
  /* Optional: a descriptor the caller wants served while the proxy runs,
   * typically its signalfd for the signals it forwards to the container.
   * When wake_fd is readable on_wake(data) is called; a return of -1 stops
   * the proxy with that error. */
  int wake_fd;   /* -1: none */
  int (*on_wake)(void *data, struct sbx_error *err);
  void *data;
};

enum sbx_proxy_end {
  SBX_PROXY_HANGUP = 0,        /* every slave end is closed */
  SBX_PROXY_CHILD_EXITED = 1,  /* the child exited (and its last output was
                                  copied) while something else still holds
                                  the slave */
};

/* Copy in_fd -> master and master -> out_fd until the master hangs up or
 * the child exits, whichever comes first.  The child is only watched (with
 * a pidfd), never reaped: the caller waitpid()s it afterwards for its exit
 * status.  EOF on in_fd only stops the input direction.  The terminal mode
 * of in_fd and the signal mask are restored before returning; SIGWINCH is
 * blocked meanwhile and read through a signalfd (no handler is installed).
 * Returns an enum sbx_proxy_end, or -1 on error. */
int sbx_console_proxy(const struct sbx_console_proxy *p, struct sbx_error *err);

#endif
