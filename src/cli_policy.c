/* cli_policy.c: `agentsbx policy check|show|explain|presets`: argument
 * parsing and printing over the policy library (policy.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "oci_spec.h"
#include "audit.h"
#include "fs_policy_mounts.h"
#include "net_policy.h"
#include "policy.h"
#include "utils.h"

static const char usage_text[] =
  "Usage: agentsbx policy check FILE...\n"
  "       agentsbx policy show [--bundle BUNDLE] [--policy NAME|FILE] [--digest]\n"
  "       agentsbx policy explain [--bundle BUNDLE] [--policy NAME|FILE] PATH|HOST[:PORT]|ADDR[:PORT]...\n"
  "       agentsbx policy presets\n"
  "\n"
  "  check    validate policy files: every error, then warnings (exit 1 on any error)\n"
  "  show     the effective policy (sources, presets, extends, annotations) as JSON\n"
  "  explain  each container path's permission, or whether a host or address (and\n"
  "           port) may be reached, and the rule that decided it\n"
  "  presets  list the built-in policies\n"
  "\n"
  "AGENTSBX_CONFIG_DIR replaces " SBX_POLICY_CONFIG_DIR " (policy.json, policies/NAME.json).\n";

static const char *config_dir(void)
{
  const char *d = getenv("AGENTSBX_CONFIG_DIR");
  return d && *d ? d : SBX_POLICY_CONFIG_DIR;
}

static void print_diags(const char *prefix, const struct sbx_diags *d)
{
  for (size_t i = 0; i < d->len; i++)
    fprintf(stderr, "%s%s\n", prefix, d->items[i]);
}

static int policy_check(struct cli_globals *g, int argc, char **argv)
{
  int status = 0;

  if (argc < 2)
    return cli_usage_error(g, "policy check", "requires a policy file");
  for (int i = 1; i < argc; i++) {
    struct sbx_diags errors = { 0 }, warnings = { 0 };
    int r = sbx_policy_check_file(config_dir(), argv[i], &errors, &warnings);
    print_diags("", &errors);
    print_diags("warning: ", &warnings);
    if (r < 0)
      status = 1;
    else
      printf("%s: ok\n", argv[i]);
    sbx_diags_free(&errors);
    sbx_diags_free(&warnings);
  }
  return status;
}

/* The effective policy for show/explain: --policy (or the global one),
 * the bundle's annotations, the config dir. */
static int effective(struct cli_globals *g, const char *bundle, const char *flag,
                     struct sbx_policy **out)
{
  cleanup_error struct sbx_error err = { 0 };
  struct sbx_policy_request req = { .config_dir = config_dir(), .flag = flag ? flag : g->ctx.policy };
  struct sbx_diags warnings = { 0 };
  struct oci_config *cfg = NULL;
  int r;

  if (bundle) {
    cleanup_free char *path = sbx_strdup_printf("%s/config.json", bundle);
    char *msg = NULL;
    if (path == NULL)
      return sbx_fail(&err, ENOMEM, "policy"), cli_fail(g, &err), -1;
    cfg = oci_config_parse_file(path, &msg);
    if (cfg == NULL) {
      sbx_fail_take(&err, 0, msg);
      sbx_wrap(&err, "bundle %s", bundle);
      return cli_fail(g, &err), -1;
    }
    sbx_policy_request_annotations(&req, cfg);
  }
  r = sbx_policy_resolve(&req, out, &warnings, &err);
  oci_config_free(cfg);
  print_diags("warning: ", &warnings);
  sbx_diags_free(&warnings);
  if (r < 0)
    return cli_fail(g, &err), -1;
  return 0;
}

enum { OPT_DIGEST = 256 };

/* Rules are resolved against the tree at create: a path that did not exist
 * then (the agent or the host made it later) gets its directory's
 * permission.  Say so where that differs. */
static void print_if_created_later(const struct sbx_policy *p, const char *path,
                                   enum sbx_perm perm)
{
  cleanup_free char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;

  if (slash == NULL)
    return;
  if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
  enum sbx_perm parent = sbx_policy_permission(p, dir, NULL);

  if (strcmp(path, "/") != 0 && parent != perm && parent != SBX_PERM_NONE)
    printf("; if created later: %s", sbx_perm_name(parent));
}

/* explain for the network: "HOST[:PORT]" or "ADDR[:PORT]" ([v6]:PORT). */
static int explain_network(struct cli_globals *g, const struct sbx_policy *p, const char *arg)
{
  struct sbx_net_entry e;
  struct sbx_net_verdict v;
  const char *why;
  cleanup_free char *text = NULL;

  if (!sbx_net_entry_parse(arg, &e, &why))
    return cli_usage_error(g, "policy explain", "`%s`: %s (a container path is absolute)", arg, why);
  if (e.kind == SBX_NET_ENTRY_DOMAIN ||
      (e.kind == SBX_NET_ENTRY_CIDR && e.prefix != (e.family == AF_INET ? 32u : 128u)))
    return cli_usage_error(g, "policy explain", "`%s`: explain one host or address, not a pattern",
                           arg);
  if (e.kind == SBX_NET_ENTRY_HOST)
    sbx_net_decide_name(p, e.name, e.port, &v);
  else
    sbx_net_decide_addr(p, e.family, e.addr, e.port, &v);
  text = sbx_net_verdict_text(p, &v);
  printf("%s\t%s\t%s", arg, v.allowed ? "allowed" : "refused", text ? text : "?");
  if (e.kind == SBX_NET_ENTRY_HOST && v.allowed && v.reason == SBX_NET_BY_ALLOW)
    printf(p->network_block_private ? "; its addresses as resolved, except private ones" :
                                      "; its addresses as resolved");
  else if (e.kind == SBX_NET_ENTRY_CIDR && v.reason == SBX_NET_BY_DEFAULT)
    printf("; reachable only while an allowed name resolves to it");
  putchar('\n');
  return 0;
}

static int policy_show_explain(struct cli_globals *g, int argc, char **argv, bool explain)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "policy", required_argument, NULL, 'p' },
    { "digest", no_argument, NULL, OPT_DIGEST },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  const char *cmd = explain ? "policy explain" : "policy show";
  cleanup_error struct sbx_error err = { 0 };
  cleanup_policy struct sbx_policy *p = NULL;
  const char *bundle = NULL, *flag = NULL;
  bool digest = false;
  int c;

  optind = 1;
  while ((c = getopt_long(argc, argv, "b:p:h", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      bundle = optarg;
      break;
    case 'p':
      flag = optarg;
      break;
    case OPT_DIGEST:
      if (explain)
        return cli_usage_error(g, cmd, "unknown option --digest");
      digest = true;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      return cli_usage_error(g, cmd, "bad option");
    }
  }
  if (!explain && optind < argc)
    return cli_usage_error(g, cmd, "unexpected argument `%s`", argv[optind]);
  if (explain && optind >= argc)
    return cli_usage_error(g, cmd, "requires at least one container path, host or address");
  if (effective(g, bundle, flag, &p) < 0)
    return 1;
  if (!explain) {
    cleanup_free char *text = digest ? sbx_policy_digest(p, &err) : sbx_policy_to_json(p, true, &err);
    if (text == NULL)
      return cli_fail(g, &err);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
      text[--n] = '\0';
    printf("%s\n", text);
    if (!digest && !p->passthrough && p->audit_path && sbx_fs_policy_needed(p))
      fprintf(stderr, "note: %s\n", sbx_audit_file_denied_unavailable);
    return 0;
  }
  for (int i = optind; i < argc; i++) {
    struct sbx_policy_decision d;
    if (argv[i][0] != '/') {
      int rc = explain_network(g, p, argv[i]);
      if (rc != 0)
        return rc;
      continue;
    }
    sbx_policy_decide(p, argv[i], &d);
    printf("%s\t%s\t", argv[i], sbx_perm_name(d.permission));
    if (p->passthrough) {
      printf("policy `none`: no overlay\n");
    } else if (d.rule < 0) {
      printf("filesystem.default\n");
    } else {
      const struct sbx_policy_rule *r = &p->rules[d.rule];
      if (d.hidden)
        printf("hidden: %s is none by ", d.hidden_at);
      printf("filesystem.rules[%zu] `%s` (priority %d) of %s", r->origin_index, r->pattern,
             r->priority, r->origin ? r->origin : "the policy");
      print_if_created_later(p, argv[i], d.permission);
      putchar('\n');
    }
    sbx_policy_decision_clear(&d);
  }
  return 0;
}

static int policy_presets(struct cli_globals *g, int argc, char **argv)
{
  const struct sbx_policy_preset *ps;
  size_t n;

  if (argc > 1)
    return cli_usage_error(g, "policy presets", "unexpected argument `%s`", argv[1]);
  ps = sbx_policy_presets(&n);
  for (size_t i = 0; i < n; i++)
    printf("%-12s %s%s\n", ps[i].name, ps[i].summary,
           strcmp(ps[i].name, SBX_POLICY_DEFAULT) == 0 ? " [default]" : "");
  return 0;
}

int cli_policy(struct cli_globals *g, int argc, char **argv)
{
  const char *sub = argc > 1 ? argv[1] : NULL;

  if (sub == NULL)
    return cli_usage_error(g, "policy", "requires a subcommand: check, show, explain or presets");
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(sub, "check") == 0)
    return policy_check(g, argc - 1, argv + 1);
  if (strcmp(sub, "show") == 0)
    return policy_show_explain(g, argc - 1, argv + 1, false);
  if (strcmp(sub, "explain") == 0)
    return policy_show_explain(g, argc - 1, argv + 1, true);
  if (strcmp(sub, "presets") == 0)
    return policy_presets(g, argc - 1, argv + 1);
  return cli_usage_error(g, "policy", "unknown subcommand `%s`", sub);
}
