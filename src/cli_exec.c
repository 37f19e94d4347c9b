/* cli_exec.c: `agentsbx exec`'s arguments (runc's flags). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exec.h"
#include "utils.h"

enum { OPT_CONSOLE_SOCKET = 256, OPT_PID_FILE, OPT_CWD, OPT_NO_NEW_PRIVS, OPT_PRESERVE_FDS,
       OPT_IGNORE_PAUSED, OPT_CGROUP, OPT_IGNORED };

static int push(char ***list, size_t *len, char *item)
{
  char **grown = realloc(*list, (*len + 1) * sizeof **list);

  if (grown == NULL)
    return -1;
  *list = grown;
  (*list)[(*len)++] = item;
  return 0;
}

static int push_gid(struct sbx_exec_options *o, const char *text)
{
  long gid;
  unsigned *grown;

  if (!sbx_parse_long(text, &gid) || gid < 0 || gid > 0xffffffffL)
    return -1;
  grown = realloc(o->additional_gids, (o->additional_gids_len + 1) * sizeof *grown);
  if (grown == NULL)
    return -1;
  o->additional_gids = grown;
  o->additional_gids[o->additional_gids_len++] = (unsigned)gid;
  return 0;
}

static void usage(void)
{
  printf("Usage: agentsbx exec [-p process.json] [-d] [-t] [--console-socket PATH]\n"
         "       [--pid-file PATH] [-e K=V]... [--cwd DIR] [-u UID[:GID]]\n"
         "       [--additional-gids GID]... [--cap CAP]... [--no-new-privs]\n"
         "       [--preserve-fds N] [--ignore-paused] [--cgroup [CTRL[,CTRL]:]SUB]...\n"
         "       ID [COMMAND [ARGS...]]\n");
}

int cli_exec(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "env", required_argument, NULL, 'e' },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
    { "cgroup", required_argument, NULL, OPT_CGROUP },
    { "process-label", required_argument, NULL, OPT_IGNORED },
    { "apparmor", required_argument, NULL, OPT_IGNORED },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  struct sbx_exec_options o = { 0 };
  cleanup_error struct sbx_error err = { 0 };
  int c, code = 1, exit_code = 0;
  long n;

  while ((c = getopt_long(argc, argv, "+p:dte:u:g:c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'p': o.process_file = optarg; break;
    case 'd': o.detach = true; break;
    case 't': o.tty = true; break;
    case OPT_CONSOLE_SOCKET: o.console_socket = optarg; break;
    case OPT_PID_FILE: o.pid_file = optarg; break;
    case 'e':
      if (strchr(optarg, '=') == NULL) {
        cli_usage_error(g, "exec", "--env: `%s` is not KEY=VALUE", optarg);
        goto out;
      }
      push(&o.env, &o.env_len, optarg);
      break;
    case OPT_CWD: o.cwd = optarg; break;
    case 'u': o.user = optarg; break;
    case 'g':
      if (push_gid(&o, optarg) < 0) {
        cli_usage_error(g, "exec", "--additional-gids: `%s` is not a gid", optarg);
        goto out;
      }
      break;
    case 'c': push(&o.caps, &o.caps_len, optarg); break;
    case OPT_NO_NEW_PRIVS: o.no_new_privs = true; break;
    case OPT_PRESERVE_FDS:
      if (!sbx_parse_long(optarg, &n) || n < 0 || n > 65536) {
        cli_usage_error(g, "exec", "--preserve-fds: `%s` is not a count of fds", optarg);
        goto out;
      }
      o.preserve_fds = (int)n;
      break;
    case OPT_IGNORE_PAUSED: o.ignore_paused = true; break;
    case OPT_CGROUP: push(&o.cgroups, &o.cgroups_len, optarg); break;
    case OPT_IGNORED: break;
    case 'h': usage(); code = 0; goto out;
    default: cli_usage_error(g, "exec", "bad option"); goto out;
    }
  }
  if (optind >= argc) {
    cli_usage_error(g, "exec", "requires a container id");
    goto out;
  }
  o.args = argv + optind + 1;
  o.args_len = (size_t)(argc - optind - 1);
  if (o.process_file && o.args_len) {
    cli_usage_error(g, "exec", "give either -p or a command, not both");
    goto out;
  }
  /* A failure on the runtime's side exits 255, as runc's does: a status
   * the process itself cannot easily be confused with. */
  if (sbx_container_exec(&g->ctx, argv[optind], &o, &exit_code, &err) < 0) {
    cli_fail(g, &err);
    code = 255;
  } else {
    code = exit_code;
  }
out:
  free(o.env);
  free(o.caps);
  free(o.cgroups);
  free(o.additional_gids);
  return code;
}
