/* nftables.c: the network policy's nftables table in the current network
 * namespace, through libnftables loaded on first use (see nftables.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nftables.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "utils.h"

#ifndef SBX_NFTABLES_SONAME
#define SBX_NFTABLES_SONAME "libnftables.so.1"
#endif

/* The few entry points we use, resolved from the dlopen'd library. */
struct nft_api {
  __typeof__(nft_ctx_new) *ctx_new;
  __typeof__(nft_ctx_free) *ctx_free;
  __typeof__(nft_ctx_buffer_output) *buffer_output;
  __typeof__(nft_ctx_buffer_error) *buffer_error;
  __typeof__(nft_ctx_get_output_buffer) *get_output;
  __typeof__(nft_ctx_get_error_buffer) *get_error;
  __typeof__(nft_run_cmd_from_buffer) *run;
};

struct sbx_nft {
  struct nft_api api;
  struct nft_ctx *ctx;
};

static int load_api(struct nft_api *api, struct sbx_error *err)
{
  /* RTLD_NODELETE: loaded once per process, kept for later contexts. */
  void *lib = dlopen(SBX_NFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  struct { void **slot; const char *name; } syms[] = {
    { (void **)&api->ctx_new, "nft_ctx_new" },
    { (void **)&api->ctx_free, "nft_ctx_free" },
    { (void **)&api->buffer_output, "nft_ctx_buffer_output" },
    { (void **)&api->buffer_error, "nft_ctx_buffer_error" },
    { (void **)&api->get_output, "nft_ctx_get_output_buffer" },
    { (void **)&api->get_error, "nft_ctx_get_error_buffer" },
    { (void **)&api->run, "nft_run_cmd_from_buffer" },
  };

  if (lib == NULL)
    return sbx_fail(err, ENOENT, "network policy: load %s (apt-get install libnftables1): %s",
                    SBX_NFTABLES_SONAME, dlerror());
  for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
    if ((*syms[i].slot = dlsym(lib, syms[i].name)) == NULL)
      return sbx_fail(err, ENOENT, "network policy: %s lacks %s", SBX_NFTABLES_SONAME,
                      syms[i].name);
  return 0;
}

int sbx_nft_open(struct sbx_nft **out, struct sbx_error *err)
{
  struct sbx_nft *n = calloc(1, sizeof *n);

  *out = NULL;
  if (n == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (load_api(&n->api, err) < 0) {
    free(n);
    return -1;
  }
  n->ctx = n->api.ctx_new(NFT_CTX_DEFAULT);
  if (n->ctx == NULL || n->api.buffer_output(n->ctx) < 0 || n->api.buffer_error(n->ctx) < 0) {
    sbx_nft_close(n);
    return sbx_fail(err, ENOMEM, "nftables context");
  }
  *out = n;
  return 0;
}

void sbx_nft_close(struct sbx_nft *nft)
{
  if (nft == NULL)
    return;
  if (nft->ctx)
    nft->api.ctx_free(nft->ctx);
  free(nft);
}

/* nft's error text: its first line is enough to name the problem. */
static int nft_failed(struct sbx_nft *nft, const char *what, struct sbx_error *err)
{
  const char *e = nft->api.get_error(nft->ctx);
  size_t len = e ? strcspn(e, "\n") : 0;

  return sbx_fail(err, 0, "nftables: %s: %.*s", what, (int)len, len ? e : "failed");
}

int sbx_nft_run(struct sbx_nft *nft, const char *commands, struct sbx_error *err)
{
  if (nft->api.run(nft->ctx, commands) != 0)
    return nft_failed(nft, "install rules", err);
  return 0;
}

int sbx_nft_exists(struct sbx_nft *nft, const char *table, bool *exists, struct sbx_error *err)
{
  cleanup_free char *cmd = sbx_strdup_printf("list tables inet");
  const char *out;
  size_t len = strlen(table);

  *exists = false;
  if (cmd == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (nft->api.run(nft->ctx, cmd) != 0)
    return nft_failed(nft, "list tables", err);
  out = nft->api.get_output(nft->ctx);
  /* lines read "table inet NAME" */
  for (const char *p = out ? strstr(out, table) : NULL; p; p = strstr(p + 1, table))
    if (p >= out + 11 && strncmp(p - 11, "table inet ", 11) == 0 && (p[len] == '\n' || !p[len]))
      *exists = true;
  return 0;
}

int sbx_nft_remove(struct sbx_nft *nft, const char *table, struct sbx_error *err)
{
  /* add is a no-op on an existing table: delete then never fails on a
   * missing one (nft 1.0.6 has no `destroy`). */
  cleanup_free char *cmd = sbx_strdup_printf("add table inet %s\ndelete table inet %s\n", table,
                                             table);

  if (cmd == NULL)
    return sbx_fail(err, ENOMEM, "nftables");
  if (nft->api.run(nft->ctx, cmd) != 0)
    return nft_failed(nft, "remove table", err);
  return 0;
}

char *sbx_nft_table_name(const char *id)
{
  char hex[65];

  sbx_sha256_hex(id, strlen(id), hex);
  return sbx_strdup_printf("agentsbx_%.16s", hex);
}

/* ---- the ruleset text ---- */

/* A refusal: counted, logged at a bounded rate for the audit, and answered
 * at once so nothing waits for a timeout. */
static void refuse_chain(FILE *f, const char *reason)
{
  fprintf(f,
          "  chain refuse_%s {\n"
          "    counter\n"
          "    limit rate 20/second burst 40 packets log prefix \"agentsbx %s \" group %d\n"
          "    meta l4proto tcp reject with tcp reset\n"
          "    reject with icmpx admin-prohibited\n"
          "  }\n",
          reason, reason, SBX_NFT_LOG_GROUP);
}

static void none_rules(FILE *f)
{
  refuse_chain(f, "none");
  fprintf(f,
          "  chain output {\n"
          "    type filter hook output priority 0; policy drop;\n"
          "    oif \"lo\" accept\n"
          "    goto refuse_none\n"
          "  }\n");
}

char *sbx_nft_ruleset(const struct sbx_nft_plan *plan, struct sbx_error *err)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (f == NULL) {
    sbx_fail(err, errno, "nftables ruleset");
    return NULL;
  }
  fprintf(f, "add table inet %s\ndelete table inet %s\ntable inet %s {\n", plan->table,
          plan->table, plan->table);
  switch (plan->mode) {
  case SBX_NET_NONE:
    none_rules(f);
    break;
  default:
    fclose(f);
    free(text);
    sbx_invalid(err, "nftables: no ruleset for network mode %s", sbx_net_mode_name(plan->mode));
    return NULL;
  }
  fprintf(f, "}\n");
  if (fclose(f) != 0) {
    free(text);
    sbx_fail(err, ENOMEM, "nftables ruleset");
    return NULL;
  }
  return text;
}
