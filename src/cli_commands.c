/* cli_commands.c: argument parsing of each command (runc's names, flags
 * and output formats), calling the library and printing its results. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "runtime_features.h"
#include "spec_default.h"
#include "utils.h"

/* The one ID argument every command but list/spec/features takes. */
static const char *single_id(struct cli_globals *g, const char *cmd, int argc, char **argv,
                             int max_extra)
{
  if (optind >= argc) {
    cli_usage_error(g, cmd, "requires a container id");
    return NULL;
  }
  if (argc - optind - 1 > max_extra) {
    cli_usage_error(g, cmd, "unexpected argument `%s`", argv[optind + 1 + max_extra]);
    return NULL;
  }
  return argv[optind];
}

static bool parse_fd_count(const char *s, int *out)
{
  long n;

  if (!sbx_parse_long(s, &n) || n < 0 || n > 65536)
    return false;
  *out = (int)n;
  return true;
}

enum { OPT_CONSOLE_SOCKET = 256, OPT_PID_FILE, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING,
       OPT_PRESERVE_FDS, OPT_KEEP, OPT_ROOTLESS, OPT_NO_SUBREAPER };

/* create and run share these flags; run adds -d and --keep. */
static int parse_create_flags(struct cli_globals *g, const char *cmd, int argc, char **argv,
                              struct sbx_run_options *o)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  bool is_run = strcmp(cmd, "run") == 0;
  int c;

  o->create.console_fd = -1;
  while ((c = getopt_long(argc, argv, is_run ? "+b:dh" : "+b:h", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      o->create.bundle = optarg;
      break;
    case OPT_CONSOLE_SOCKET:
      o->create.console_socket = optarg;
      break;
    case OPT_PID_FILE:
      o->create.pid_file = optarg;
      break;
    case OPT_NO_PIVOT:
      o->create.no_pivot = true;
      break;
    case OPT_NO_NEW_KEYRING:
      o->create.no_new_keyring = true;
      break;
    case OPT_PRESERVE_FDS:
      if (!parse_fd_count(optarg, &o->create.preserve_fds))
        return cli_usage_error(g, cmd, "--preserve-fds: `%s` is not a count of fds", optarg), -1;
      break;
    case 'd':
      o->detach = true;
      break;
    case OPT_KEEP:
      if (!is_run)
        return cli_usage_error(g, cmd, "unknown option --keep"), -1;
      o->keep = true;
      break;
    case OPT_NO_SUBREAPER:
      break;
    case 'h':
      printf("Usage: agentsbx %s [-b BUNDLE] [--console-socket PATH] [--pid-file PATH]\n"
             "       [--no-pivot] [--no-new-keyring] [--preserve-fds N]%s ID\n",
             cmd, is_run ? " [-d] [--keep]" : "");
      exit(0);
    default:
      return cli_usage_error(g, cmd, "bad option"), -1;
    }
  }
  if (o->detach && o->keep)
    return cli_usage_error(g, cmd, "--keep cannot be used with --detach"), -1;
  return 0;
}

int cli_create(struct cli_globals *g, int argc, char **argv)
{
  struct sbx_run_options o = { 0 };
  cleanup_error struct sbx_error err = { 0 };
  const char *id;

  if (parse_create_flags(g, "create", argc, argv, &o) < 0)
    return 1;
  if ((id = single_id(g, "create", argc, argv, 0)) == NULL)
    return 1;
  if (sbx_container_create(&g->ctx, id, &o.create, NULL, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

int cli_run(struct cli_globals *g, int argc, char **argv)
{
  struct sbx_run_options o = { 0 };
  cleanup_error struct sbx_error err = { 0 };
  const char *id;
  int status = 0;

  if (parse_create_flags(g, "run", argc, argv, &o) < 0)
    return 1;
  if ((id = single_id(g, "run", argc, argv, 0)) == NULL)
    return 1;
  if (sbx_container_run(&g->ctx, id, &o, &status, &err) < 0)
    return cli_fail(g, &err);
  return status;
}

/* Commands whose only flag is --help and which take one ID. */
static const char *id_only(struct cli_globals *g, const char *cmd, int argc, char **argv,
                           int max_extra)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  int c;

  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("Usage: agentsbx %s ID%s\n", cmd, max_extra ? " [ARGS]" : "");
      exit(0);
    }
    cli_usage_error(g, cmd, "bad option");
    return NULL;
  }
  return single_id(g, cmd, argc, argv, max_extra);
}

int cli_start(struct cli_globals *g, int argc, char **argv)
{
  cleanup_error struct sbx_error err = { 0 };
  const char *id = id_only(g, "start", argc, argv, 0);

  if (id == NULL)
    return 1;
  if (sbx_container_start(&g->ctx, id, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

int cli_state(struct cli_globals *g, int argc, char **argv)
{
  cleanup_error struct sbx_error err = { 0 };
  cleanup_free char *json = NULL;
  const char *id = id_only(g, "state", argc, argv, 0);

  if (id == NULL)
    return 1;
  if (sbx_container_state_json(&g->ctx, id, &json, &err) < 0)
    return cli_fail(g, &err);
  printf("%s\n", json);
  return 0;
}

int cli_kill(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  bool all = false;
  const char *id;
  int c, sig = SIGTERM;

  while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
    if (c == 'a')
      all = true;
    else if (c == 'h') {
      printf("Usage: agentsbx kill [--all] ID [SIGNAL]\n");
      return 0;
    } else
      return cli_usage_error(g, "kill", "bad option");
  }
  if ((id = single_id(g, "kill", argc, argv, 1)) == NULL)
    return 1;
  if (optind + 1 < argc && (sig = sbx_parse_signal(argv[optind + 1])) < 0)
    return cli_usage_error(g, "kill", "unknown signal `%s`", argv[optind + 1]);
  if (sbx_container_kill(&g->ctx, id, sig, all, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

int cli_delete(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  bool force = false;
  const char *id;
  int c;

  while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
    if (c == 'f')
      force = true;
    else if (c == 'h') {
      printf("Usage: agentsbx delete [--force] ID\n");
      return 0;
    } else
      return cli_usage_error(g, "delete", "bad option");
  }
  if ((id = single_id(g, "delete", argc, argv, 0)) == NULL)
    return 1;
  if (sbx_container_delete(&g->ctx, id, force, &err) < 0) {
    /* runc: forcing the delete of a container that is not there is fine. */
    if (force && err.errnum == ENOENT)
      return 0;
    return cli_fail(g, &err);
  }
  return 0;
}

static void print_table(const struct sbx_container_info *list, size_t n)
{
  static const char *const heads[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  int width[6];

  for (int k = 0; k < 6; k++)
    width[k] = (int)strlen(heads[k]);
  for (size_t i = 0; i < n; i++) {
    const struct sbx_state *s = &list[i].state;
    char pid[16];
    const char *cells[6] = { s->id, pid, sbx_status_name(list[i].status), s->bundle ? s->bundle : "",
                             s->created ? s->created : "", s->owner ? s->owner : "" };
    snprintf(pid, sizeof pid, "%d", list[i].status == SBX_STOPPED ? 0 : s->pid);
    for (int k = 0; k < 6; k++)
      if ((int)strlen(cells[k]) > width[k])
        width[k] = (int)strlen(cells[k]);
  }
  for (int k = 0; k < 5; k++)
    printf("%-*s   ", width[k], heads[k]);
  printf("%s\n", heads[5]);
  for (size_t i = 0; i < n; i++) {
    const struct sbx_state *s = &list[i].state;
    printf("%-*s   %-*d   %-*s   %-*s   %-*s   %s\n", width[0], s->id, width[1],
           list[i].status == SBX_STOPPED ? 0 : s->pid, width[2], sbx_status_name(list[i].status),
           width[3], s->bundle ? s->bundle : "", width[4], s->created ? s->created : "",
           s->owner ? s->owner : "");
  }
}

int cli_list(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' }, { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  struct sbx_container_info *list = NULL;
  bool quiet = false, json = false;
  size_t n = 0;
  int c;

  while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
    if (c == 'q')
      quiet = true;
    else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
      json = strcmp(optarg, "json") == 0;
    else if (c == 'f')
      return cli_usage_error(g, "list", "--format: unknown format `%s` (table or json)", optarg);
    else if (c == 'h') {
      printf("Usage: agentsbx list [-q] [--format table|json]\n");
      return 0;
    } else
      return cli_usage_error(g, "list", "bad option");
  }
  if (optind < argc)
    return cli_usage_error(g, "list", "unexpected argument `%s`", argv[optind]);
  if (sbx_container_list(&g->ctx, &list, &n, &err) < 0)
    return cli_fail(g, &err);
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%s\n", list[i].state.id);
  } else if (json) {
    cleanup_free char *text = sbx_container_list_json(list, n);
    printf("%s\n", text ? text : "null");
  } else {
    print_table(list, n);
  }
  sbx_container_list_free(list, n);
  return 0;
}

int cli_spec(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' }, { "rootless", no_argument, NULL, OPT_ROOTLESS },
    { "help", no_argument, NULL, 'h' }, { 0 } };
  cleanup_error struct sbx_error err = { 0 };
  cleanup_free char *json = NULL, *path = NULL;
  const char *bundle = ".";
  bool rootless = false;
  int c, fd;

  while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
    if (c == 'b')
      bundle = optarg;
    else if (c == OPT_ROOTLESS)
      rootless = true;
    else if (c == 'h') {
      printf("Usage: agentsbx spec [-b BUNDLE] [--rootless]\n");
      return 0;
    } else
      return cli_usage_error(g, "spec", "bad option");
  }
  if (optind < argc)
    return cli_usage_error(g, "spec", "unexpected argument `%s`", argv[optind]);
  json = sbx_spec_default_json(rootless);
  path = sbx_strdup_printf("%s/config.json", bundle);
  if (json == NULL || path == NULL)
    return sbx_fail(&err, ENOMEM, "spec"), cli_fail(g, &err);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return sbx_fail(&err, 0, "`%s` exists: remove it first", path), cli_fail(g, &err);
  if (fd < 0)
    return sbx_fail(&err, errno, "create `%s`", path), cli_fail(g, &err);
  if (sbx_write_all(fd, json, strlen(json)) < 0 || sbx_write_all(fd, "\n", 1) < 0) {
    sbx_fail(&err, errno, "write `%s`", path);
    close(fd);
    return cli_fail(g, &err);
  }
  close(fd);
  return 0;
}

int cli_features(struct cli_globals *g, int argc, char **argv)
{
  cleanup_error struct sbx_error err = { 0 };
  cleanup_free char *json = NULL;

  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("Usage: agentsbx features\n");
    return 0;
  }
  if (argc > 1)
    return cli_usage_error(g, "features", "unexpected argument `%s`", argv[1]);
  json = sbx_features_json(&err);
  if (json == NULL)
    return cli_fail(g, &err);
  printf("%s\n", json);
  return 0;
}
