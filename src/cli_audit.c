/* cli_audit.c: `agentsbx audit [--follow] [--container ID] [--event KIND]
 * [--json] [FILE]`: argument parsing and printing over audit_view.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "audit_view.h"
#include "cli.h"
#include "state.h"
#include "utils.h"

static const char usage_text[] =
  "Usage: agentsbx audit [--follow] [--container ID] [--event KIND] [--json] [FILE]\n"
  "\n"
  "Print an audit log (the policy's audit.path) as a table, or as JSON lines\n"
  "with --json.  Without FILE, the log of the container --container names.\n"
  "  -f, --follow           keep printing lines as they are written (rotation too)\n"
  "  -c, --container ID     only this container's lines\n"
  "  -e, --event KIND       only this event (command_executed, exec_denied,\n"
  "                         file_denied, network_denied, resource_violation, ...)\n"
  "      --json             the lines as they are\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
  (void)sig;
  interrupted = 1;
}

static bool should_stop(void *ctx)
{
  (void)ctx;
  return interrupted;
}

static void print_line(void *ctx, const char *line)
{
  (void)ctx;
  puts(line);
  fflush(stdout);
}

int cli_audit(struct cli_globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "follow", no_argument, NULL, 'f' }, { "container", required_argument, NULL, 'c' },
    { "event", required_argument, NULL, 'e' }, { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  struct sbx_audit_view v = { .emit = print_line, .stop = should_stop };
  cleanup_error struct sbx_error err = { 0 };
  struct sbx_state st = { 0 };
  bool loaded = false;
  int c, ret;

  optind = 1;
  while ((c = getopt_long(argc, argv, "+fc:e:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f': v.follow = true; break;
    case 'c': v.container = optarg; break;
    case 'e': v.event = optarg; break;
    case 'j': v.json = true; break;
    case 'h': fputs(usage_text, stdout); return 0;
    default: return cli_usage_error(g, "audit", "unknown option");
    }
  }
  if (argc - optind > 1)
    return cli_usage_error(g, "audit", "one FILE at most");
  if (optind < argc) {
    v.path = argv[optind];
  } else if (v.container) {
    if (sbx_state_load(&g->ctx, v.container, &st, &err) < 0)
      return cli_fail(g, &err);
    loaded = true;
    if (st.audit_path == NULL) {
      sbx_state_release(&st);
      sbx_invalid(&err, "container `%s` has no audit log (its policy has no audit.path)",
                  v.container);
      return cli_fail(g, &err);
    }
    v.path = st.audit_path;
  } else {
    return cli_usage_error(g, "audit", "requires FILE or --container ID");
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  ret = sbx_audit_view_run(&v, &err) < 0 ? cli_fail(g, &err) : 0;
  if (loaded)
    sbx_state_release(&st);
  return ret;
}
