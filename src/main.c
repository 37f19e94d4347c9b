/* main.c: agentsbx's entry point: global options (runc's), logging, and
 * the dispatch to one command.  Everything here is CLI; the work is in the
 * library. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "init.h"
#include "utils.h"

#define DEFAULT_ROOT "/run/agentsbx"

static const struct {
  const char *name;
  cli_command_fn fn;
  const char *help;
} commands[] = {
  { "create", cli_create, "create a container" },
  { "start", cli_start, "start the user process of a created container" },
  { "run", cli_run, "create and start a container, and wait for it" },
  { "exec", cli_exec, "run a new process inside a container" },
  { "state", cli_state, "output the state of a container" },
  { "kill", cli_kill, "send a signal to the container's init process" },
  { "delete", cli_delete, "delete a container and everything it holds" },
  { "list", cli_list, "list the containers" },
  { "ps", cli_ps, "list the processes of a container" },
  { "pause", cli_pause, "freeze every process of a container" },
  { "resume", cli_resume, "thaw a paused container" },
  { "events", cli_events, "print a container's statistics and OOM events" },
  { "update", cli_update, "change a running container's resources" },
  { "spec", cli_spec, "write a default config.json" },
  { "policy", cli_policy, "check, show and explain agent sandbox policies" },
  { "audit", cli_audit, "print an audit log as a table (or JSON), following it" },
  { "features", cli_features, "print the features this runtime implements" },
};

static void usage(FILE *out)
{
  fprintf(out,
          "Usage: agentsbx [global options] COMMAND [options] [arguments]\n\n"
          "agentsbx is an OCI container runtime that also enforces an agent sandbox policy.\n\n"
          "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf(out, "\nGlobal options:\n"
               "  --root DIR             state directory (default " DEFAULT_ROOT ")\n"
               "  --log FILE             write log messages to FILE\n"
               "  --log-format FORMAT    text or json (default text)\n"
               "  --debug                log debug messages\n"
               "  --systemd-cgroup       cgroupsPath is systemd's slice:prefix:name\n"
               "  --policy NAME|FILE     agent sandbox policy to enforce\n"
               "  -h, --help             show this help\n"
               "  -v, --version          show the version\n");
}

static void version(void)
{
  const struct scmp_version *v = seccomp_version();

  printf("agentsbx version " PACKAGE_VERSION "\nspec: 1.2.0\n");
  if (v)
    printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static void write_log_line(int fd, bool json, enum sbx_log_level level, const char *msg)
{
  static const char *const names[] = { "error", "warning", "info", "debug" };
  cleanup_free char *now = sbx_rfc3339_now();
  FILE *f = fdopen(dup(fd), "a");

  if (f == NULL)
    return;
  if (json) {
    fprintf(f, "{\"level\":\"%s\",\"msg\":\"", names[level]);
    for (const char *p = msg; *p; p++) {
      if (*p == '"' || *p == '\\')
        fprintf(f, "\\%c", *p);
      else if ((unsigned char)*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        fputc(*p, f);
    }
    fprintf(f, "\",\"time\":\"%s\"}\n", now ? now : "");
  } else {
    fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", now ? now : "", names[level], msg);
  }
  fclose(f);
}

void cli_log_write(const struct sbx_context *ctx, enum sbx_log_level level, const char *msg)
{
  const struct cli_globals *g = ctx->log_data;

  if (level == SBX_LOG_DEBUG && !ctx->debug)
    return;
  if (g->log_fd >= 0)
    write_log_line(g->log_fd, g->log_json, level, msg);
  else if (level <= SBX_LOG_WARNING || ctx->debug)
    write_log_line(STDERR_FILENO, false, level, msg);
}

void sbx_log(const struct sbx_context *ctx, enum sbx_log_level level, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  if (ctx == NULL || ctx->log == NULL)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg)
    ctx->log(ctx, level, msg);
}

int cli_fail(struct cli_globals *g, const struct sbx_error *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";

  fprintf(stderr, "agentsbx: %s\n", msg);
  if (g->log_fd >= 0)
    write_log_line(g->log_fd, g->log_json, SBX_LOG_ERROR, msg);
  return 1;
}

int cli_usage_error(struct cli_globals *g, const char *cmd, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  struct sbx_error err = { 0 };
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  err.msg = sbx_strdup_printf("%s: %s (see `agentsbx %s --help`)", cmd, msg ? msg : "", cmd);
  cli_fail(g, &err);
  sbx_error_clear(&err);
  return 1;
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_CRIU, OPT_ROOTLESS,
       OPT_POLICY };

static int parse_globals(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "policy", required_argument, NULL, OPT_POLICY },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { 0 },
  };
  int c;

  /* '+': stop at the command name; its options are its own. */
  while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ROOT:
      g->ctx.state_root = optarg;
      break;
    case OPT_LOG:
      g->log_path = optarg;
      break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
        fprintf(stderr, "agentsbx: --log-format: unknown format `%s` (text or json)\n", optarg);
        return -1;
      }
      g->log_json = strcmp(optarg, "json") == 0;
      break;
    case OPT_DEBUG:
      g->ctx.debug = true;
      break;
    case OPT_SYSTEMD:
      g->ctx.systemd_cgroup = true;
      break;
    case OPT_CRIU:
    case OPT_ROOTLESS:
      break; /* accepted for runc compatibility */
    case OPT_POLICY:
      g->ctx.policy = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case 'v':
      version();
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  return optind;
}

static int open_log(struct cli_globals *g)
{
  if (g->log_path == NULL)
    return 0;
  g->log_fd = open(g->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (g->log_fd < 0) {
    fprintf(stderr, "agentsbx: --log `%s`: %s\n", g->log_path, strerror(errno));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  struct cli_globals g = { .ctx = { .state_root = DEFAULT_ROOT, .log = cli_log_write },
                           .log_fd = -1 };
  int first;

  /* The container's init, re-executed from the sealed copy by create. */
  if (argc == 3 && strcmp(argv[1], "init") == 0)
    sbx_init_main(argv[2]);
  g.ctx.log_data = &g;
  g.ctx.policy_config_dir = getenv("AGENTSBX_CONFIG_DIR");
  first = parse_globals(&g, argc, argv);
  if (first < 0)
    return 1;
  if (first >= argc) {
    usage(stderr);
    return 1;
  }
  if (open_log(&g) < 0)
    return 1;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, argv[first]) != 0)
      continue;
    /* The command sees argv[0] = its name, as getopt expects; 0 makes
     * getopt start afresh, so a command's own optstring decides whether
     * options may follow its arguments (update's may, as runc's do). */
    optind = 0;
    return commands[i].fn(&g, argc - first, argv + first);
  }
  fprintf(stderr, "agentsbx: unknown command `%s` (see `agentsbx --help`)\n", argv[first]);
  return 1;
}
