/* cli_cgroup_commands.c: the commands that act on a container's cgroup:
 * pause, resume, ps, events, update. */
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
#include "events.h"
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

static int print_event(void *data, const char *json)
{
  printf("%s\n", json);
  return fflush(stdout) == 0 ? 0 : -1;
}

int cli_events(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' }, { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  bool stats = false;
  double seconds = 5;
  int c;

  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    if (c == 's')
      stats = true;
    else if (c == 'i') {
      char *end;
      seconds = strtod(optarg, &end);
      /* runc takes Go durations: "5s", "500ms", "1m". */
      if (strcmp(end, "ms") == 0)
        seconds /= 1000;
      else if (strcmp(end, "m") == 0)
        seconds *= 60;
      else if (*end && strcmp(end, "s") != 0)
        seconds = -1;
      if (seconds <= 0)
        return cli_usage_error(g, "events", "--interval: `%s` is not a duration", optarg);
    } else if (c == 'h') {
      printf("Usage: agentsbx events [--stats] [--interval DURATION] ID\n");
      return 0;
    } else
      return cli_usage_error(g, "events", "bad option");
  }
  if (optind + 1 != argc)
    return cli_usage_error(g, "events", "requires exactly one container id");
  if (sbx_container_events(&g->ctx, argv[optind], stats, (int)(seconds * 1000), print_event,
                           NULL, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

enum { U_MEMORY = 256, U_SWAP, U_RESERVATION, U_KMEM, U_KMEM_TCP, U_CPU_QUOTA, U_CPU_PERIOD,
       U_CPU_SHARES, U_RT_PERIOD, U_RT_RUNTIME, U_CPUS, U_MEMS, U_PIDS, U_BLKIO, U_L3, U_MBA };

/* The --flags of update, into a resources object (allocated as needed). */
static int set_update_flag(struct oci_resources *r, int opt, const char *arg)
{
  int64_t v = 0;
  bool size = opt == U_MEMORY || opt == U_SWAP || opt == U_RESERVATION || opt == U_KMEM ||
              opt == U_KMEM_TCP;
  long n;

  if (size ? !sbx_parse_size(arg, &v)
           : (opt != U_CPUS && opt != U_MEMS && !(sbx_parse_long(arg, &n) && ((v = n), true))))
    return -1;
  if (opt <= U_KMEM_TCP && !r->memory && !(r->memory = calloc(1, sizeof *r->memory)))
    return -1;
  if (opt >= U_CPU_QUOTA && opt <= U_MEMS && !r->cpu && !(r->cpu = calloc(1, sizeof *r->cpu)))
    return -1;
  switch (opt) {
  case U_MEMORY: r->memory->has_limit = true; r->memory->limit = v; break;
  case U_SWAP: r->memory->has_swap = true; r->memory->swap = v; break;
  case U_RESERVATION: r->memory->has_reservation = true; r->memory->reservation = v; break;
  case U_KMEM: case U_KMEM_TCP: break; /* deprecated, as in runc */
  case U_CPU_QUOTA: r->cpu->has_quota = true; r->cpu->quota = v; break;
  case U_CPU_PERIOD: r->cpu->has_period = true; r->cpu->period = (uint64_t)v; break;
  case U_CPU_SHARES: r->cpu->has_shares = true; r->cpu->shares = (uint64_t)v; break;
  case U_RT_PERIOD: r->cpu->has_realtime_period = true; r->cpu->realtime_period = (uint64_t)v; break;
  case U_RT_RUNTIME: r->cpu->has_realtime_runtime = true; r->cpu->realtime_runtime = v; break;
  case U_CPUS: free(r->cpu->cpus); r->cpu->cpus = strdup(arg); break;
  case U_MEMS: free(r->cpu->mems); r->cpu->mems = strdup(arg); break;
  case U_PIDS:
    if (!r->pids && !(r->pids = calloc(1, sizeof *r->pids)))
      return -1;
    r->pids->limit = v;
    break;
  case U_BLKIO:
    if (v < 0 || v > 1000 || (!r->block_io && !(r->block_io = calloc(1, sizeof *r->block_io))))
      return -1;
    r->block_io->has_weight = true;
    r->block_io->weight = (uint16_t)v;
    break;
  default:
    return -1;
  }
  return 0;
}

static struct oci_resources *read_resources_file(struct cli_globals *g, const char *path)
{
  cleanup_error struct sbx_error err = { 0 };
  cleanup_free char *text = NULL;
  struct oci_resources *r;
  char *msg = NULL;
  size_t len;

  if ((strcmp(path, "-") == 0 ? sbx_read_fd(STDIN_FILENO, &text, &len, &err)
                              : sbx_read_file(path, &text, &len, &err)) < 0) {
    cli_fail(g, &err);
    return NULL;
  }
  r = oci_resources_parse(text, len, &msg);
  if (r == NULL) {
    sbx_fail_take(&err, EINVAL, msg);
    sbx_wrap(&err, "--resources %s", path);
    cli_fail(g, &err);
  }
  return r;
}

int cli_update(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, U_MEMORY },
    { "memory-swap", required_argument, NULL, U_SWAP },
    { "memory-reservation", required_argument, NULL, U_RESERVATION },
    { "kernel-memory", required_argument, NULL, U_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
    { "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
    { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
    { "cpu-share", required_argument, NULL, U_CPU_SHARES },
    { "cpu-shares", required_argument, NULL, U_CPU_SHARES },
    { "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, U_CPUS },
    { "cpuset-mems", required_argument, NULL, U_MEMS },
    { "pids-limit", required_argument, NULL, U_PIDS },
    { "blkio-weight", required_argument, NULL, U_BLKIO },
    { "l3-cache-schema", required_argument, NULL, U_L3 },
    { "mem-bw-schema", required_argument, NULL, U_MBA },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_error struct sbx_error err = { 0 };
  struct oci_resources *r = NULL, flags = { 0 };
  int c, code = 1, index = 0;

  while ((c = getopt_long(argc, argv, "r:h", opts, &index)) != -1) {
    if (c == 'r') {
      oci_resources_free(r);
      if ((r = read_resources_file(g, optarg)) == NULL)
        goto out;
    } else if (c == 'h') {
      printf("Usage: agentsbx update [-r resources.json|-] [--memory N] [--memory-swap N]\n"
             "       [--memory-reservation N] [--cpu-quota N] [--cpu-period N] [--cpu-shares N]\n"
             "       [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus L] [--cpuset-mems L]\n"
             "       [--pids-limit N] [--blkio-weight N] ID\n");
      code = 0;
      goto out;
    } else if (c == U_L3 || c == U_MBA) {
      cli_usage_error(g, "update", "--%s: Intel RDT is not supported", opts[index].name);
      goto out;
    } else if (c < U_MEMORY || set_update_flag(&flags, c, optarg) < 0) {
      cli_usage_error(g, "update", "bad option or value `%s`", optarg ? optarg : "");
      goto out;
    }
  }
  if (optind + 1 != argc) {
    cli_usage_error(g, "update", "requires exactly one container id");
    goto out;
  }
  /* -r gives the whole document; the flags are applied after it. */
  if ((r && sbx_container_update(&g->ctx, argv[optind], r, &err) < 0) ||
      sbx_container_update(&g->ctx, argv[optind], &flags, &err) < 0) {
    code = cli_fail(g, &err);
    goto out;
  }
  code = 0;
out:
  free(flags.memory);
  if (flags.cpu) {
    free(flags.cpu->cpus);
    free(flags.cpu->mems);
  }
  free(flags.cpu);
  free(flags.pids);
  free(flags.block_io);
  oci_resources_free(r);
  return code;
}
