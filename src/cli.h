/* cli.h: the command-line layer: global options, logging to --log, and one
 * function per command that parses its arguments and calls the library. */
#ifndef SBX_CLI_H
#define SBX_CLI_H

#include <stdbool.h>

#include "context.h"
#include "error.h"

struct cli_globals {
  struct sbx_context ctx;
  const char *log_path;
  bool log_json;
  int log_fd;                 /* -1: stderr only */
};

typedef int (*cli_command_fn)(struct cli_globals *g, int argc, char **argv);

/* Report a failed library call: to stderr and, with --log, to the log. */
int cli_fail(struct cli_globals *g, const struct sbx_error *err);
int cli_usage_error(struct cli_globals *g, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cli_log_write(const struct sbx_context *ctx, enum sbx_log_level level, const char *msg);

int cli_create(struct cli_globals *g, int argc, char **argv);
int cli_start(struct cli_globals *g, int argc, char **argv);
int cli_run(struct cli_globals *g, int argc, char **argv);
int cli_state(struct cli_globals *g, int argc, char **argv);
int cli_kill(struct cli_globals *g, int argc, char **argv);
int cli_delete(struct cli_globals *g, int argc, char **argv);
int cli_list(struct cli_globals *g, int argc, char **argv);
int cli_spec(struct cli_globals *g, int argc, char **argv);
int cli_features(struct cli_globals *g, int argc, char **argv);
int cli_exec(struct cli_globals *g, int argc, char **argv);
int cli_pause(struct cli_globals *g, int argc, char **argv);
int cli_resume(struct cli_globals *g, int argc, char **argv);
int cli_ps(struct cli_globals *g, int argc, char **argv);
int cli_events(struct cli_globals *g, int argc, char **argv);
int cli_update(struct cli_globals *g, int argc, char **argv);
int cli_policy(struct cli_globals *g, int argc, char **argv);
int cli_audit(struct cli_globals *g, int argc, char **argv);

#endif
