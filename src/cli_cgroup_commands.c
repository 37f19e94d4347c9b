/* cli_cgroup_commands.c: the commands that act on a container's cgroup:
 * pause, resume, ps. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "utils.h"

static int pause_or_resume(struct cli_globals *g, const char *cmd, bool pause, int argc,
                           char **argv)
{
  cleanup_error struct sbx_error err = { 0 };

  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("Usage: agentsbx %s ID\n", cmd);
    return 0;
  }
  if (argc != 2)
    return cli_usage_error(g, cmd, "requires exactly one container id");
  if (sbx_container_pause(&g->ctx, argv[1], pause, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

int cli_pause(struct cli_globals *g, int argc, char **argv)
{
  return pause_or_resume(g, "pause", true, argc, argv);
}

int cli_resume(struct cli_globals *g, int argc, char **argv)
{
  return pause_or_resume(g, "resume", false, argc, argv);
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Column of "PID" in ps's header line, or -1. */
static int pid_column(char *header)
{
  char *save = NULL;
  int col = 0;

  for (char *w = strtok_r(header, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save), col++)
    if (strcmp(w, "PID") == 0)
      return col;
  return -1;
}

static long field(const char *line, int col)
{
  cleanup_free char *copy = strdup(line);
  char *save = NULL, *w = copy ? strtok_r(copy, " \t\n", &save) : NULL;
  long v = -1;

  for (int i = 0; w && i < col; i++)
    w = strtok_r(NULL, " \t\n", &save);
  if (w && !sbx_parse_long(w, &v))
    v = -1;
  return v;
}

/* runc's table form: ps's own output, keeping the container's lines. */
static int ps_table(struct cli_globals *g, char **ps_args, int n_args, const pid_t *pids,
                    size_t n)
{
  char *argv[n_args + 2];
  int pipefd[2], status, col = -1;
  char *line = NULL;
  size_t cap = 0;
  pid_t child;
  FILE *out;

  argv[0] = "ps";
  for (int i = 0; i < n_args; i++)
    argv[i + 1] = ps_args[i];
  if (n_args == 0)
    argv[1] = "-ef";
  argv[n_args ? n_args + 1 : 2] = NULL;
  if (pipe2(pipefd, O_CLOEXEC) < 0 || (child = fork()) < 0) {
    struct sbx_error err = { 0 };
    sbx_fail(&err, errno, "run ps");
    cli_fail(g, &err);
    sbx_error_clear(&err);
    return 1;
  }
  if (child == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    execvp("ps", argv);
    _exit(127);
  }
  close(pipefd[1]);
  out = fdopen(pipefd[0], "r");
  for (bool first = true; out && getline(&line, &cap, out) > 0; first = false) {
    if (first) {
      cleanup_free char *header = strdup(line);
      col = header ? pid_column(header) : -1;
      fputs(line, stdout);
    } else if (col >= 0 && has_pid(pids, n, field(line, col))) {
      fputs(line, stdout);
    }
  }
  free(line);
  if (out)
    fclose(out);
  waitpid(child, &status, 0);
  if (col < 0) {
    fprintf(stderr, "agentsbx: ps: no PID column in ps's output\n");
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int cli_ps(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  cleanup_free pid_t *pids = NULL;
  bool json = false;
  size_t n = 0;
  int c;

  while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
    if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
      json = strcmp(optarg, "json") == 0;
    else if (c == 'f')
      return cli_usage_error(g, "ps", "--format: unknown format `%s` (table or json)", optarg);
    else if (c == 'h') {
      printf("Usage: agentsbx ps [--format table|json] ID [ps options]\n");
      return 0;
    } else
      return cli_usage_error(g, "ps", "bad option");
  }
  if (optind >= argc)
    return cli_usage_error(g, "ps", "requires a container id");
  if (sbx_container_pids(&g->ctx, argv[optind], &pids, &n, &err) < 0)
    return cli_fail(g, &err);
  if (json) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf(i ? ",%d" : "%d", pids[i]);
    printf("]\n");
    return 0;
  }
  return ps_table(g, argv + optind + 1, argc - optind - 1, pids, n);
}
